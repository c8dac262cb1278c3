"""What the ticket handlers share: history entries, who handles a ticket, how it reads."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from handlers.commands import ticket_ref
from handlers.community import Person
from handlers.context import Context
from handlers.permissions import TICKET_HANDLER, Refusal
from storage.tickets import OPEN_STATES, Ticket, Transition   # OPEN_STATES: the states the ticket indexes hold


def entry(ctx: Context, action: str, status: str, note: str = "") -> dict[str, Any]:
    by = ctx.person.id if ctx.person and ctx.event.kind == "message" else "system"
    return {"at": ctx.now, "by": by, "action": action, "status": status, "note": note}


def status_label(ctx: Context, status: str) -> str:
    return ctx.t(f"status.{status}")


def handlers_of(ctx: Context, ticket: Ticket) -> list[str]:
    """Who answers for a ticket now: its assignee, its department, else the routed person
    for its category, else the building's grid worker."""
    if ticket.assignee:
        return [ticket.assignee]
    if ticket.department and ticket.department in ctx.community.departments:
        return [ctx.community.departments[ticket.department].contact]
    routed = ctx.community.routing.get(ticket.category or "")
    if routed:
        return [routed]
    return [p.id for p in ctx.community.grid_workers_for(ticket.building)]


def duration(ctx: Context, hours: float) -> str:
    """A deadline's length as residents say it: "30分钟", "1小时", "1.5小时"."""
    minutes = round(hours * 60)
    if minutes < 60:
        return ctx.t("report.within_minutes", n=minutes)
    return ctx.t("report.within_hours", n=f"{minutes / 60:g}")


def place(ctx: Context, ticket: Ticket) -> str:
    if ticket.location and any(ticket.location.values()):
        parts = ticket.location
        text = f"{parts['building']}号楼" if parts.get("building") else ""
        text += f"{parts['unit']}单元" if parts.get("unit") else ""
        text += f"{parts['room']}室" if parts.get("room") else ""
        return text
    return f"{ticket.building}号楼" if ticket.building else ctx.t("ticket.no_place")


def summary(ctx: Context, ticket: Ticket) -> str:
    """One line, safe for any audience: number, category, state; no resident's words."""
    urgent = ctx.t("ticket.urgent_mark") if ticket.urgent else ""
    return ctx.t("ticket.summary", id=ticket.id, category=ticket.category or "其他",
                 status=status_label(ctx, ticket.status), urgent=urgent)


# 查询 shows a ticket's whole history when it is short, else the latest entries and how many there are.
HISTORY_ALL, HISTORY_RECENT = 8, 5


def details(ctx: Context, ticket: Ticket, merged: str = "") -> str:
    """Everything about a ticket, for its reporter and for staff only; `merged`: the line
    saying where a merged ticket lives on (merged_line)."""
    lines = [summary(ctx, ticket),
             ctx.t("ticket.detail_text", text=ticket.text),
             ctx.t("ticket.detail_place", place=place(ctx, ticket)),
             ctx.t("ticket.detail_reporter", name=ctx.name_of(ticket.reporter), at=ctx.when(ticket.created_at))]
    if ticket.assignee:
        lines.append(ctx.t("ticket.detail_assignee", name=ctx.name_of(ticket.assignee)))
    if ticket.department:
        dept = ctx.community.departments.get(ticket.department)
        lines.append(ctx.t("ticket.detail_department", name=dept.name if dept else ticket.department))
    if ticket.urgent and ticket.status == "open" and ticket.respond_due:
        lines.append(ctx.t("ticket.detail_respond_due", at=ctx.when(ticket.respond_due)))
    if ticket.status in OPEN_STATES and ticket.resolve_due:
        lines.append(ctx.t("ticket.detail_due", at=ctx.when(ticket.resolve_due)))
    if ticket.rating:
        lines.append(ctx.t("ticket.detail_rating", rating=ticket.rating, comment=ticket.comment or ""))
    if ticket.reason:
        lines.append(ctx.t("ticket.detail_reason", reason=ticket.reason))
    if ticket.duplicate_of:
        lines.append(merged or ctx.t("ticket.detail_duplicate", other=ticket.duplicate_of))
    history = ticket.history if len(ticket.history) <= HISTORY_ALL else ticket.history[-HISTORY_RECENT:]
    if len(history) < len(ticket.history):
        lines.append(ctx.t("ticket.history_recent", shown=len(history), total=len(ticket.history)))
    for item in history:
        lines.append(ctx.t("ticket.detail_history", at=ctx.when(item["at"]), by=actor(ctx, item["by"]),
                           action=ctx.t(f"action.{item['action']}"), note=item.get("note") or ""))
    return "\n".join(line for line in lines if line)


def actor(ctx: Context, by: str | None) -> str:
    """Who made a history entry, as people read it: a name, or 系统 for deadlines and
    automatic steps (stored as "system")."""
    if not by or by == "system":
        return ctx.t("ticket.by_system")
    return ctx.name_of(by)


async def survivor_of(ctx: Context, ticket: Ticket | None) -> Ticket | None:
    """The ticket a merged one lives on in (合并 #2 #1: #1, or what #1 was merged into
    since); any other ticket itself."""
    seen: set[int] = set()
    while ticket is not None and ticket.status == "duplicate" and ticket.duplicate_of and ticket.id not in seen:
        seen.add(ticket.id)
        following = await ctx.services.tickets.get(ticket.duplicate_of)
        if following is None:
            break
        ticket = following
    return ticket


async def merged_line(ctx: Context, ticket: Ticket) -> str:
    """For a merged ticket, where it lives on and how that one stands ("" for any other)."""
    survivor = await survivor_of(ctx, ticket) if ticket.status == "duplicate" else None
    if survivor is None or survivor.id == ticket.id:
        return ""
    return ctx.t("ticket.merged_into", other=survivor.id, status=status_label(ctx, survivor.status))


def cut_note(ctx: Context, ticket: Ticket) -> str:
    """How a message carrying `ticket`'s text ends when a platform must cut it: where the
    whole text is (Outgoing.cut_note)."""
    return ctx.t("ticket.cut", id=ticket.id)


async def notify_handlers(ctx: Context, ticket: Ticket) -> None:
    """Tell whoever answers for a new ticket, privately with details, and the staff chat
    with a summary (a group never sees the resident's words)."""
    text, cut = ctx.t("notify.new_ticket", details=details(ctx, ticket)), cut_note(ctx, ticket)
    for person_id in handlers_of(ctx, ticket):
        ctx.tell(person_id, text, cut_note=cut)
    if ticket.urgent:
        for secretary in ctx.community.with_role("secretary"):
            if secretary.id not in handlers_of(ctx, ticket):
                ctx.tell(secretary.id, text, cut_note=cut)
    for chat in ctx.community.chats.values():
        if chat.kind == "staff":
            ctx.post(chat.id, ctx.t("notify.staff_chat", summary=summary(ctx, ticket), place=place(ctx, ticket)))


def answers_for(person: Person, ctx: Context, ticket: Ticket) -> bool:
    """Whether an open ticket is on `person`'s 待办: staff and the secretary answer for all;
    a grid worker for their buildings (all if they list none); anyone for the tickets
    given to them, escalated to their department, or otherwise theirs by handlers_of (the
    person the community file routes the category to, the building's grid worker)."""
    if person.has("staff", "secretary") or ticket.assignee == person.id:
        return True
    dept = ctx.community.departments.get(ticket.department or "")
    if dept and dept.contact == person.id:
        return True
    if person.id in handlers_of(ctx, ticket):
        return True
    return person.has("grid_worker") and (not person.buildings or ticket.building in person.buildings)


def may_handle(person: Person | None, ctx: Context, ticket: Ticket) -> bool:
    """Whether `person` (not necessarily the sender) may change and read `ticket`:
    TICKET_HANDLER, i.e. staff, grid workers and the secretary; a department's contact for
    its tickets; the assignee for the ticket they were given."""
    return TICKET_HANDLER.allows(ctx if person is ctx.person else replace(ctx, person=person), ticket)


async def load_ticket(ctx: Context, args: str, usage: str) -> tuple[Ticket, str]:
    """The ticket a command names ("#12 …") and the rest of its arguments; refused with
    `usage` when there is no number, or "no such ticket"."""
    ref = ticket_ref(args)
    if ref is None:
        raise Refusal(usage)
    ticket = await ctx.services.tickets.get(ref[0])
    if ticket is None:
        raise Refusal("ticket.not_found", id=ref[0])
    return ticket, ref[1]


async def handled_ticket(ctx: Context, args: str, usage: str) -> tuple[Ticket, str]:
    """`load_ticket`, for a command only the ticket's handlers may use (TICKET_HANDLER)."""
    ticket, rest = await load_ticket(ctx, args, usage)
    TICKET_HANDLER.require(ctx, ticket)
    return ticket, rest


def said_why_not(ctx: Context, ticket: Ticket, done: Transition, action: str) -> bool:
    """Tell the sender why a state change did not happen (the ticket is in the wrong state
    for `action`, or gone); True when it did not."""
    if done.result == "conflict":
        ctx.reply(ctx.t("ticket.wrong_state", id=ticket.id, status=status_label(ctx, done.before),
                        action=ctx.t(f"action.{action}")))
        return True
    if done.result == "missing":
        ctx.reply(ctx.t("ticket.not_found", id=ticket.id))
        return True
    return False
