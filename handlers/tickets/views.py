"""Reading tickets: a resident sees their own; staff see any, and that access is audited."""

from __future__ import annotations

from handlers.community import Person
from handlers.context import Context
from handlers.permissions import REPORTER, TICKET_HANDLER
from handlers.tickets import short_messages
from handlers.tickets.common import (OPEN_STATES, answers_for, cut_note, details, load_ticket, merged_line, place,
                                     summary)
from storage.tickets import TRIAGE_STATES, Ticket

LIST_LIMIT = 10
TODO_LIMIT = 10     # 待办 lists this many (urgent and soonest due first) and says how many more


async def status(ctx: Context, args: str) -> None:
    """`查询` lists my tickets; `查询 #N` shows one. Details never go to a group."""
    if not args:
        await _mine(ctx)
        return
    ticket, _ = await load_ticket(ctx, args, "usage.status")
    merged = await merged_line(ctx, ticket)      # a merged ticket: where it lives on, and how that stands
    if ctx.person.id in ticket.co_reporters and not TICKET_HANDLER.allows(ctx, ticket):
        ctx.reply("\n".join(filter(None, [summary(ctx, ticket), merged])))   # the first reporter's words stay theirs
        return
    (REPORTER | TICKET_HANDLER).require(ctx, ticket, "ticket.not_yours", id=ticket.id)
    if not REPORTER.allows(ctx, ticket):
        await ctx.services.audit.record(ctx.now, ctx.person.id, "view", f"ticket:{ticket.id}",
                                        f"chat:{ctx.event.channel}")
    ctx.reply_privately(details(ctx, ticket, merged),
                        "\n".join(filter(None, [summary(ctx, ticket), merged, ctx.t("ticket.details_private")])),
                        cut_note=cut_note(ctx, ticket))


async def _mine(ctx: Context) -> None:
    """My latest tickets; a group message that waited for staff (待确认) and never became one
    is left out: nobody told me of it."""
    tickets = ctx.services.tickets
    ids = list(reversed(await tickets.ids(reporter=ctx.person.id)))
    mine = [t for t in await tickets.many(ids[:LIST_LIMIT * 3]) if t.status not in TRIAGE_STATES][:LIST_LIMIT]
    if not mine:
        ctx.reply(ctx.t("ticket.none_yet"))
        return
    lines = [ctx.t("ticket.mine_header", count=len(mine))] + [summary(ctx, t) for t in mine]
    ctx.reply("\n".join(lines) + "\n" + ctx.t("ticket.mine_footer"))


async def todo(ctx: Context, args: str) -> None:
    """`待办`: the open tickets a staff member answers for (all open ones for staff), read
    from the open-ticket indexes: what is open, not every ticket ever reported."""
    person = ctx.person
    tickets = ctx.services.tickets
    candidates = await _todo_candidates(ctx, person)
    mine = [t for t in await tickets.briefs(sorted(candidates))
            if t.status in OPEN_STATES and answers_for(person, ctx, t)]
    if not mine:
        ctx.reply(ctx.t("ticket.todo_empty"))
        return
    mine.sort(key=lambda t: (t.created_at, str(t.id)))   # the order of the index of every ticket
    mine.sort(key=lambda t: (not t.urgent, t.resolve_due or 0))
    lines = [ctx.t("ticket.todo_header", count=len(mine))]
    for ticket in await tickets.many([t.id for t in mine[:TODO_LIMIT]], history=False, co=False):
        lines.append(_todo_item(ctx, ticket))
    if len(mine) > TODO_LIMIT:
        lines.append(ctx.t("ticket.todo_more", more=len(mine) - TODO_LIMIT))
    ctx.reply("\n".join(lines))


def _todo_item(ctx: Context, ticket: Ticket) -> str:
    """Two lines a staff member can work from: number, kind, state and place; the start of
    the resident's words, the due time (or how long overdue) and who holds it."""
    due = ticket.resolve_due or ctx.now
    if due < ctx.now:
        when = ctx.t("ticket.todo_overdue", late=short_messages.how_long(ctx, ctx.now - due))
    else:
        when = ctx.t("ticket.todo_due", at=ctx.when(due))
    if ticket.assignee:
        holder = ctx.t("ticket.detail_assignee", name=ctx.name_of(ticket.assignee))
    elif ticket.department:
        dept = ctx.community.departments.get(ticket.department)
        holder = ctx.t("ticket.detail_department", name=dept.name if dept else ticket.department)
    else:
        holder = ctx.t("ticket.nobody")
    return ctx.t("ticket.todo_item", summary=summary(ctx, ticket), place=place(ctx, ticket),
                 text=short_messages.excerpt_of(ticket.text, 20), when=when, holder=holder)


async def _todo_candidates(ctx: Context, person: Person) -> set[int]:
    """Open tickets that may be on `person`'s 待办 (answers_for decides): all of them for
    staff, the secretary and a grid worker of every building; else those given to them,
    escalated to their department, of the categories routed to them, and — for a grid
    worker — of the buildings they cover or that no grid worker covers."""
    tickets = ctx.services.tickets
    if person.has("staff", "secretary") or (person.has("grid_worker") and not person.buildings):
        return set(await tickets.open_ids())
    community = ctx.community
    wanted: list[tuple[str, str | None]] = [("assignee", person.id)]
    wanted += [("department", d.id) for d in community.departments.values() if d.contact == person.id]
    wanted += [("category", category) for category, who in community.routing.items() if who == person.id]
    if person.has("grid_worker"):
        wanted += [("building", b) for b in await tickets.open_buildings()
                   if b in person.buildings or person.id in {p.id for p in community.grid_workers_for(b)}]
    found: set[int] = set()
    for by, value in wanted:
        found.update(await tickets.open_ids(by, value))
    return found
