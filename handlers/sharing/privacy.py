"""What 供需 keeps about a person (我的数据) and forgetting it (注销), from the person's own
indexes (their items, the matches proposed to them): no scan.

Forgetting closes their open items (out of the matching index), replaces their words,
place and shop name with a marker, ends the matches still waiting for an answer and takes
their id off every match (the other side's record keeps that a match happened, not with
whom). A time-bank exchange recorded from a match is the points package's to forget.
"""

from __future__ import annotations

from handlers import timers
from handlers.context import Context
from handlers.sharing.publish import EXPIRE, until
from storage.sharing import Sharing

ERASED = "（已注销）"
GONE = "erased"


async def kept_about(ctx: Context, person_id: str) -> list[str]:
    repo = Sharing(ctx.services.store)
    lines = []
    for item in await repo.of(person_id, 1000):
        if item.text == ERASED:
            continue
        status = item.status if item.status != "open" or item.expires_at > ctx.now else "expired"
        lines.append(ctx.t("sharing.kept_item", ref=item.ref, text=item.text[:30],
                           kind=ctx.t(f"sharing.kind.{item.kind}"),
                           status=ctx.t(f"sharing.status.{status}", until=until(ctx, item))))
    for found in await repo.matches_of(person_id, 1000):
        lines.append(ctx.t("sharing.kept_match", ref=found.ref, need=f"X{found.need}", offer=f"X{found.offer}",
                           status=ctx.t(f"sharing.match_status.{found.status}")))
    return lines


async def forget(ctx: Context, person_id: str) -> int:
    repo = Sharing(ctx.services.store)
    k = ctx.services.store.keys
    changed = 0
    for item in await repo.of(person_id, 100_000):
        if item.status == "open":
            await repo.take_off(item, "closed", closed_at=f"{ctx.now:.3f}", closed_by=GONE)
            await timers.cancel(ctx, EXPIRE, str(item.id))
        if item.text != ERASED:
            await repo.scrub(item.id, text=ERASED, place="", on_behalf="", words="", owner=GONE, chat="")
            changed += 1
    for found in await repo.matches_of(person_id, 100_000):
        fields = {}
        if found.need_owner == person_id:
            fields["need_owner"] = GONE
        if found.offer_owner == person_id:
            fields["offer_owner"] = GONE
        if found.status == "proposed":
            fields["status"] = "passed"
        if fields:
            await ctx.services.store.redis.hset(k.sharing_match(found.id), mapping=fields)
            changed += 1
    await ctx.services.store.redis.delete(k.sharing_of(person_id), k.sharing_matches_of(person_id))
    return changed
