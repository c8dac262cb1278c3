"""What the tickets package keeps about a person (我的数据) and forgets (注销): the tickets
they reported or co-reported, from their index (storage keys `tickets_of`).

Forgetting: as reporter, a ticket's words, comment and place go and its reporter becomes
nobody; an open one stays open for staff with its category and building and a history
note (a reported broken light still needs fixing); as co-reporter, their own report goes;
as the one it is assigned to, it goes back to 待受理 for someone else;
in each history their name and their notes (photos, places) go. State, dates, rating and
the statistics stay."""

from __future__ import annotations

from handlers.context import Context
from handlers.tickets.common import OPEN_STATES, status_label
from storage.privacy import Privacy

LISTED = 20    # 我的数据 names this many tickets, newest first, and counts the rest


async def kept_about(ctx: Context, person_id: str) -> list[str]:
    repo = ctx.services.tickets
    ids = await repo.ids_of(person_id, float("-inf"))
    if not ids:
        return []
    briefs = await repo.briefs(ids[:LISTED])
    items = "；".join(ctx.t("privacy.kept.ticket_item", id=t.id, category=t.category or "",
                           status=status_label(ctx, t.status)) for t in briefs)
    if len(ids) > LISTED:
        items += "……"
    return [ctx.t("privacy.kept.tickets", count=len(ids), list=items)]


async def forget(ctx: Context, person_id: str) -> int:
    repo = ctx.services.tickets
    privacy = Privacy(ctx.services.store)
    changed = 0
    for ticket in await repo.many(await repo.ids(reporter=person_id), history=False, co=False):
        entry = None
        if ticket.reporter == person_id and ticket.status in OPEN_STATES + ("unconfirmed", "resolved"):
            text = ctx.t("privacy.erase.open_ticket_text", category=ticket.category or "")
            entry = {"at": ctx.now, "by": "system", "action": "erased", "status": ticket.status,
                     "note": ctx.t("privacy.erase.history_open")}
        else:
            text = ctx.t("privacy.erase.closed_ticket_text")
        if await privacy.scrub_ticket(ticket.id, text, frozenset({person_id}), every_note=False, entry=entry):
            changed += 1
    # Tickets they were handling (staff, a volunteer through a task) go back to be assigned.
    for ticket_id in await repo.open_ids("assignee", person_id):
        entry = {"at": ctx.now, "by": "system", "action": "handler_erased", "status": "open",
                 "note": ctx.t("privacy.erase.history_handler")}
        done = await repo.transition(ticket_id, f"{ctx.event.id}:erase:{ticket_id}", "volunteer_withdrew",
                                     {"status": "open", "assignee": None}, entry)
        changed += done.applied
    return changed
