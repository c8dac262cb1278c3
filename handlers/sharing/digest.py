"""The daily digest: with `[sharing] digest = true`, what was published for a building in
the day before `digest_at` is posted to that building's group (items for the whole
community, e.g. a shop's, to every building's), at that hour, and only when there is
something still open. Nothing else of 供需 is ever posted to a group unasked.

One job, scheduled (moved to the same time) by each publication: a day with nothing new
has no digest and no job. The day a digest covers comes from its due time, so a digest
delivered again says the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers import timers
from handlers.context import Context
from nlp.pii import mask_group
from storage.sharing import Sharing

DIGEST = "sharing_digest"
DAY = 86400.0
MOST_LINES = 15


async def schedule_next(ctx: Context) -> None:
    hour, minute = ctx.community.sharing.digest_hour_minute
    now = datetime.fromtimestamp(ctx.now, ctx.community.tz)
    due = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if due <= now:
        due += timedelta(days=1)
    await timers.schedule(ctx, DIGEST, "daily", due.timestamp(), "sharing:digest")


async def on_digest(ctx: Context) -> None:
    if not ctx.community.sharing.digest:
        return
    due = float(ctx.event.data.get("due", ctx.now))
    repo = Sharing(ctx.services.store)
    everyone = await repo.new_since("", due - DAY, due)
    for chat in ctx.community.chats.values():
        if chat.kind != "building" or not chat.building:
            continue
        ids = sorted(set(await repo.new_since(chat.building, due - DAY, due)) | set(everyone))
        items = [i for i in await repo.many(ids) if i.status == "open" and i.expires_at > ctx.now]
        if not items:
            continue
        lines = [ctx.t("sharing.digest.header", building=chat.building, count=len(items))]
        for item in items[:MOST_LINES]:
            when = f"（{item.when}）" if item.when else ""
            lines.append(ctx.t("sharing.digest.line", ref=item.ref, kind=ctx.t(f"sharing.kind.{item.kind}"),
                               text=mask_group(item.text)[:40], when=when))
        lines.append(ctx.t("sharing.digest.footer"))
        ctx.post(chat.id, "\n".join(lines))
