"""The daily retention job (`[retention]`, rules.py): an ended ticket's words, photos,
place and comments once `ticket_text_months` have passed since it ended (category,
building, state, dates and rating stay for the statistics, without the person), copies
of messages kept aside (the dead letters: undeliverable replies, events no handler could
take) after `message_days`, the audit log after `audit_years`. Device readings have their
own limit (LINLI_DEVICE_RETENTION_DAYS, applied as readings arrive).

Tickets are found through the index of every ticket by creation time, walked from where
the last run stopped (a cursor) up to the cut-off: a ticket created before the cut-off
that is still open or ended too recently waits in a small sorted set and is looked at
again each run. A run reads what is due, never the whole history; running twice changes
nothing more. `linli admin privacy retention --dry-run` counts without removing.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from handlers.community import Community
from handlers.context import Context
from storage.jobs import Jobs
from storage.privacy import ENDED_STATES, Privacy

log = logging.getLogger(__name__)
TIMER = "privacy_retention"
BATCH = 500


async def on_timer(ctx: Context) -> None:
    counts = await apply_retention(ctx)
    log.info("retention: removed %d ticket texts, %d message copies, %d audit entries",
             counts["ticket_texts"], counts["message_copies"], counts["audit_entries"])
    await schedule_retention(ctx.services.jobs, ctx.community, ctx.now)


async def schedule_retention(jobs: Jobs, community: Community, now: float) -> None:
    """The one daily job, at the next `[retention] run_at` (scheduling again moves it to
    the same time). `linli run` calls this at start."""
    await jobs.schedule_timer(TIMER, "daily", next_run(community, now), "privacy", {})


def next_run(community: Community, now: float) -> float:
    tz = community.tz
    hour, minute = community.retention.run_hour_minute
    day = datetime.fromtimestamp(now, tz).date()
    while True:
        at = datetime.combine(day, time(hour, minute), tzinfo=tz).timestamp()
        if at > now:
            return at
        day += timedelta(days=1)


async def apply_retention(ctx: Context, dry_run: bool = False) -> dict[str, int]:
    """What is past its time, removed (or only counted: `dry_run`). Counts by kind."""
    rules = ctx.community.retention
    repo = Privacy(ctx.services.store)
    keys = ctx.services.store.keys
    return {
        "ticket_texts": await _tickets(ctx, repo, ctx.now - rules.ticket_text_seconds, dry_run),
        # Stream ids are the Redis server's wall clock (not a console's fake clock).
        "message_copies": await repo.trim_stream(keys.dead_letters(), rules.message_days, dry_run),
        "audit_entries": await repo.trim_stream(keys.audit(), rules.audit_days, dry_run),
    }


async def _tickets(ctx: Context, repo: Privacy, due: float, dry_run: bool) -> int:
    removed = 0
    waiting = await repo.waiting("tickets")
    for ticket_id in waiting:
        removed += await _one(ctx, repo, ticket_id, None, due, dry_run)
    cursor = await repo.cursor("tickets")
    while True:
        batch = await repo.created_between(cursor, due, BATCH)
        for ticket_id, created in batch:
            removed += await _one(ctx, repo, ticket_id, created, due, dry_run)
        if not batch:
            break
        cursor = batch[-1][1]
        if not dry_run:
            await repo.set_cursor("tickets", cursor)
    return removed


async def _one(ctx: Context, repo: Privacy, ticket_id: str, created: float | None, due: float, dry_run: bool) -> int:
    """1 if the ticket's words were (or, dry, would be) removed now. A ticket not yet due
    waits (`created` None: it already does)."""
    fields = await repo.ticket_fields(ticket_id, "status", "closed_at", "scrubbed")
    if fields["status"] is None or fields["scrubbed"]:
        if created is None and not dry_run:
            await repo.done_waiting("tickets", ticket_id)
        return 0
    ended = None
    if fields["status"] in ENDED_STATES:
        ended = float(fields["closed_at"]) if fields["closed_at"] else await repo.last_history_at(ticket_id)
    if ended is None or ended > due:
        if created is not None and not dry_run:
            await repo.wait("tickets", {ticket_id: created})
        return 0
    if dry_run:
        return 1
    ticket = await ctx.services.tickets.get(int(ticket_id))
    people = frozenset({ticket.reporter, *ticket.co_reporters})
    await repo.scrub_ticket(ticket.id, ctx.t("privacy.expired_text"), people, every_note=True)
    await repo.done_waiting("tickets", ticket_id)
    return 1
