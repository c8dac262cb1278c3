"""`积分`: my balances, last entries, exchanges waiting for me and unused codes; `排行`: this
month's points earned per building, without the people who opted out."""

from __future__ import annotations

import re

from handlers.context import Context
from handlers.permissions import STAFF
from handlers.points.earning import amount_text, kind_label, ledger, month
from storage.ledger import Entry, Exchanges, account
from storage.rewards import Rewards

DAY = 86400.0
LAST = 5
TOP = 10
_BUILDING = re.compile(r"^(\d+)\s*(?:号楼|栋|幢)?$")


def describe(ctx: Context, entry: Entry, acct: str) -> str:
    """One line of someone's history: when, how much, what for."""
    other = entry.source if entry.target == acct else entry.target
    detail = entry.note
    if entry.kind == "exchange" and other.startswith("person:"):
        detail = f"{entry.note}（{ctx.name_of(other.split(':', 1)[1])}）"
    elif entry.kind in ("redeemed", "refunded"):
        detail = f"{entry.note}（{entry.ref}）"
    return ctx.t("points.entry_line", at=ctx.when(entry.at),
                 amount=amount_text(ctx, entry.unit, entry.signed(acct), signed=True),
                 what=f"{kind_label(ctx, entry.kind)} {detail}".strip())


async def balance(ctx: Context, args: str) -> None:
    """`积分` (staff: `积分 @某人`, written to the audit log)."""
    person = ctx.person
    if args.strip():
        person = ctx.community.find_person(args.split()[0])
        if person is None or person.id != ctx.person.id:
            STAFF.require(ctx, person, "points.only_yours")
        if person is None:
            ctx.reply(ctx.t("points.unknown_people", who=args.split()[0]))
            return
        if person.id != ctx.person.id:
            await ctx.services.audit.record(ctx.now, ctx.person.id, "view", f"ledger:{person.id}", ctx.event.channel)
    ctx.reply_privately(await statement(ctx, person.id), ctx.t("points.sent_private", name=ctx.person.name))


async def statement(ctx: Context, person_id: str) -> str:
    books, acct = ledger(ctx), account(person_id)
    balances = await books.balances_of(acct)
    rules = ctx.community.ledger.timebank
    lines = [ctx.t("points.statement", name=ctx.name_of(person_id),
                   points=balances["points"],
                   hours=amount_text(ctx, "hours", balances["hours"]),
                   limit=amount_text(ctx, "hours", rules.min_balance))]
    entries = await books.entries_of(acct, LAST)
    if entries:
        lines.append(ctx.t("points.recent"))
        lines += [describe(ctx, e, acct) for e in entries]
    else:
        lines.append(ctx.t("points.nothing_yet"))
    horizon = ctx.now - rules.confirm_days * DAY
    for exchange in await Exchanges(ctx.services.store).of(person_id):
        if exchange.status != "pending" or exchange.created_at < horizon:
            continue
        hours = amount_text(ctx, "hours", exchange.hours)
        if exchange.receiver == person_id:
            lines.append(ctx.t("points.waiting_for_you", id=exchange.id, name=ctx.name_of(exchange.giver),
                               note=exchange.note, hours=hours))
        else:
            lines.append(ctx.t("points.waiting_for_them", id=exchange.id, name=ctx.name_of(exchange.receiver),
                               note=exchange.note, hours=hours))
    for redemption in await Rewards(ctx.services.store).redemptions(person_id, count=20):
        if redemption.status == "issued":
            lines.append(ctx.t("points.unused_code", code=redemption.code, name=redemption.name))
    return "\n".join(lines)


async def rank(ctx: Context, args: str) -> None:
    """`排行` [N号楼] | `排行 不参加` | `排行 参加`."""
    word = args.strip()
    books = ledger(ctx)
    if word in ("不参加", "退出", "隐藏"):
        await ctx.services.store.redis.sadd(books.optout_key(), ctx.person.id)
        ctx.reply(ctx.t("points.rank.opted_out"))
        return
    if word in ("参加", "加入", "显示"):
        await ctx.services.store.redis.srem(books.optout_key(), ctx.person.id)
        ctx.reply(ctx.t("points.rank.opted_in"))
        return
    match = _BUILDING.match(word)
    if word and not match:
        ctx.reply(ctx.t("points.usage.rank"))
        return
    building = match.group(1) if match else (ctx.chat.building if ctx.chat and ctx.chat.building else
                                             ctx.person.building)
    if not building:
        ctx.reply(ctx.t("points.usage.rank"))
        return
    this_month = month(ctx)
    redis = ctx.services.store.redis
    scores = await redis.zrevrange(books.rank_key(this_month, building), 0, -1, withscores=True)
    hidden = await redis.smembers(books.optout_key())
    shown = [(pid, int(score)) for pid, score in scores if pid not in hidden and score > 0]
    label = f"{int(this_month[5:])}月"
    if not shown:
        ctx.reply(ctx.t("points.rank.empty", building=building, month=label))
        return
    lines = [ctx.t("points.rank.header", building=building, month=label)]
    place = 0
    for i, (pid, score) in enumerate(shown[:TOP]):
        if i == 0 or score != shown[i - 1][1]:
            place = i + 1   # equal scores share a place
        lines.append(ctx.t("points.rank.line", place=place, name=ctx.name_of(pid), points=score))
    mine = dict(shown).get(ctx.person.id)
    if mine is not None and ctx.person.building == building:
        lines.append(ctx.t("points.rank.mine", points=mine, place=1 + sum(1 for _, s in shown if s > mine)))
    lines.append(ctx.t("points.rank.footer"))
    ctx.reply("\n".join(lines))
