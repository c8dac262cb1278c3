"""What the points package keeps about a person (我的数据: balances, how many ledger
entries name their account, time-bank exchanges, 爱心超市 redemptions) and forgets (注销).

The ledger is append-only and hash-chained: its entries stay byte for byte, so `linli
admin ledger verify` still passes and the community's sums still hold. Their account
`person:<id>` stays with its balance (not forfeited: nothing is booked), but once the
other packages have forgotten the person nothing links the id to anyone. An entry's note
(e.g. what a time-bank exchange was for) stays in the chain; the exchange's own copy of
that note is blanked. The person leaves the monthly ranking (as with 排行 退出)."""

from __future__ import annotations

from handlers.context import Context
from handlers.points.earning import hours_text
from handlers.points.view import LAST, describe
from storage.ledger import Exchanges, Ledger, account
from storage.rewards import Rewards


async def kept_about(ctx: Context, person_id: str) -> list[str]:
    store = ctx.services.store
    books = Ledger(store)
    acct = account(person_id)
    balances = await books.balances_of(acct)
    entries = int(await store.redis.llen(books.index_key(acct)))
    lines = []
    if entries or any(balances.values()):
        lines.append(ctx.t("privacy.kept.points", points=balances["points"], hours=hours_text(balances["hours"]),
                           entries=entries))
        lines += [describe(ctx, entry, acct) for entry in await books.entries_of(acct, count=LAST)]
    exchanges = int(await store.redis.zcard(store.keys.exchanges_of(person_id)))
    if exchanges:
        lines.append(ctx.t("privacy.kept.exchanges", count=exchanges))
    redemptions = int(await store.redis.zcard(Rewards(store).of_key(person_id)))
    if redemptions:
        lines.append(ctx.t("privacy.kept.redemptions", count=redemptions))
    return lines


async def forget(ctx: Context, person_id: str) -> int:
    store = ctx.services.store
    changed = 0
    for exchange in await Exchanges(store).of(person_id, count=10_000):
        if exchange.note:
            await store.redis.hset(store.keys.exchange(exchange.id), "note", "")
            changed += 1
    changed += int(await store.redis.sadd(Ledger(store).optout_key(), person_id))
    return changed
