"""Changing a ticket: staff take it through 受理 → 处理 → 办结 (or 驳回, 吹哨, 合并); the
reporter rates or reopens it. Every change is recorded and told to the reporter."""

from __future__ import annotations

import re
from typing import Any

from handlers import points, tasks
from handlers.commands import ticket_ref
from handlers.community import Person
from handlers.context import Context
from handlers.permissions import CO_REPORTER, REPORTER, Refusal
from handlers.tickets import deadlines, learning, reports, short_messages
from handlers.tickets.common import (cut_note, entry, handled_ticket, load_ticket, notify_handlers, said_why_not,
                                     status_label, survivor_of)
from storage.tickets import TRIAGE_STATES, Ticket, Transition

DAY = 86400.0




async def _change(ctx: Context, ticket: Ticket, status: str, action: str, note: str,
                  fields: dict[str, Any] | None = None) -> Transition | None:
    """Apply one state change (its Transition: `ok`, or `replay` when this event made it
    before); say why not, and None, when the ticket is in the wrong state for `action`
    (storage/tickets.py TRANSITIONS)."""
    fields = {"status": status, **(fields or {})}
    done = await ctx.services.tickets.transition(ticket.id, ctx.event.id, action, fields,
                                                 entry(ctx, action, status, note))
    return None if said_why_not(ctx, ticket, done, action) else done


def _tell_reporter(ctx: Context, ticket: Ticket, status: str, note: str) -> None:
    """The reporter and everyone who reported the same problem hear of each change."""
    text = ctx.t("ticket.update", id=ticket.id, status=status_label(ctx, status), note=f"：{note}" if note else "")
    for person in (ticket.reporter, *ticket.co_reporters):
        ctx.tell(person, text)


async def assign(ctx: Context, args: str) -> None:
    ticket, rest = await handled_ticket(ctx, args, "usage.assign")
    target, _, options = rest.partition(" ")
    if target == "志愿者":
        await tasks.from_ticket(ctx, ticket, options)
        return
    name = rest.strip().split(" ")[0] if rest.strip() else ""
    if not name.lstrip("@＠"):      # 派单 #12: whom to?
        ctx.reply(ctx.t("ticket.assign_whom", id=ticket.id, example=_someone(ctx, ticket)))
        return
    who = ctx.community.find_person(name)
    if who is None:
        ctx.reply(ctx.t("ticket.unknown_person", who=name.lstrip("@＠")) + "\n"
                  + ctx.t("ticket.assign_example", id=ticket.id, example=_someone(ctx, ticket)))
        return
    if await assign_to(ctx, ticket, who):
        ctx.reply(ctx.t("ticket.assigned_ok", id=ticket.id, name=who.name))
        ctx.tell(who.id, ctx.t("ticket.assigned_you", id=ticket.id, category=ticket.category,
                               at=ctx.when(ticket.resolve_due or ctx.now), by=ctx.person.name))


def _someone(ctx: Context, ticket: Ticket) -> str:
    """A name to put in 派单's example: the building's grid worker, else a staff member."""
    people = ctx.community.grid_workers_for(ticket.building) or ctx.community.with_role("staff")
    return people[0].name if people else "林网格员"


async def assign_to(ctx: Context, ticket: Ticket, who: Person) -> bool:
    """Make `who` the one the reporter hears from (staff's 派单, a volunteer's 接单)."""
    fields = {"assignee": who.id, "responded_at": ticket.responded_at or ctx.now}
    if not await _change(ctx, ticket, "assigned", "assigned", who.name, fields):
        return False
    await deadlines.cancel_sla(ctx, ticket.id, ("respond_remind", "respond_overdue", "respond_secretary"))
    _tell_reporter(ctx, ticket, "assigned", ctx.t("ticket.handler_is", name=who.name))
    await points.report_accepted(ctx, ticket.id, ticket.reporter)
    return True


async def start(ctx: Context, args: str) -> None:
    ticket, note = await handled_ticket(ctx, args, "usage.start")
    fields = {"assignee": ticket.assignee or ctx.person.id, "responded_at": ticket.responded_at or ctx.now}
    if await _change(ctx, ticket, "in_progress", "started", note, fields):
        await deadlines.cancel_sla(ctx, ticket.id, ("respond_remind", "respond_overdue", "respond_secretary"))
        ctx.reply(ctx.t("ticket.started_ok", id=ticket.id))
        _tell_reporter(ctx, ticket, "in_progress", note or ctx.t("ticket.handler_is", name=ctx.person.name))
        await points.report_accepted(ctx, ticket.id, ticket.reporter)


async def resolve(ctx: Context, args: str) -> None:
    ticket, note = await handled_ticket(ctx, args, "usage.resolve")
    if not note:
        raise Refusal("usage.resolve")
    if await finish(ctx, ticket, note):
        ctx.reply(ctx.t("ticket.resolved_ok", id=ticket.id))
        await tasks.cancel_for_ticket(ctx, ticket.id, ctx.t("tasks.ticket_closed", id=ticket.id))


async def finish(ctx: Context, ticket: Ticket, note: str) -> bool:
    """Resolve a ticket and ask its reporter to rate it (staff's 办结, a volunteer's 完成)."""
    fields = {"resolved_at": ctx.now, "responded_at": ticket.responded_at or ctx.now}
    if not await _change(ctx, ticket, "resolved", "resolved", note, fields):
        return False
    await deadlines.cancel_sla(ctx, ticket.id)
    await deadlines.schedule_autoclose(ctx, ticket.id)
    buttons = (tuple((f"{n}分", f"评价 #{ticket.id} {n}") for n in range(5, 0, -1)),)
    ctx.tell(ticket.reporter, ctx.t("ticket.rate_request", id=ticket.id, note=note,
                                    days=f"{ctx.community.sla.rate_close_days:g}"), buttons)
    # Neighbours who reported it too hear of it; those whose own ticket was merged into it are
    # asked to rate, as they would have been for theirs (only the reporter's rating closes it).
    for person, report in ticket.co_reporters.items():
        if report.get("merged_from"):
            ctx.tell(person, ctx.t("ticket.co_rate_request", id=ticket.id, note=note), buttons)
        else:
            ctx.tell(person, ctx.t("ticket.update", id=ticket.id, status=status_label(ctx, "resolved"),
                                   note=f"：{note}"))
    return True


async def reject(ctx: Context, args: str) -> None:
    ticket, reason = await handled_ticket(ctx, args, "usage.reject")
    if not reason:
        raise Refusal("usage.reject")
    fields = {"reason": reason, "closed_at": ctx.now, "responded_at": ticket.responded_at or ctx.now}
    done = await _change(ctx, ticket, "rejected", "rejected", reason, fields)
    if done:
        if done.result == "ok":     # "不是诉求", "误报"…: small talk to learn from (handlers/tickets/learning.py)
            await learning.rejected(ctx, ticket, reason)
        await deadlines.cancel_sla(ctx, ticket.id)
        ctx.reply(ctx.t("ticket.rejected_ok", id=ticket.id))
        await tasks.cancel_for_ticket(ctx, ticket.id, ctx.t("tasks.ticket_closed", id=ticket.id))
        _tell_reporter(ctx, ticket, "rejected", reason + ctx.t("ticket.reopen_hint", id=ticket.id))


async def escalate(ctx: Context, args: str) -> None:
    ticket, rest = await handled_ticket(ctx, args, "usage.escalate")
    dept_key, _, note = rest.partition(" ")
    dept = ctx.community.department(dept_key)
    if dept is None:
        names = "、".join(d.name for d in ctx.community.departments.values())
        ctx.reply(ctx.t("ticket.unknown_department", key=dept_key or "？", names=names or "无"))
        return
    fields = {"department": dept.id, "responded_at": ticket.responded_at or ctx.now}
    if await _change(ctx, ticket, "escalated", "escalated",
                     f"{dept.name} {note}".strip(), fields):
        await deadlines.cancel_sla(ctx, ticket.id, ("respond_remind", "respond_overdue", "respond_secretary"))
        ctx.reply(ctx.t("ticket.escalated_ok", id=ticket.id, department=dept.name))
        ctx.tell(dept.contact, ctx.t("ticket.escalated_you", id=ticket.id, department=dept.name,
                                     category=ticket.category, text=ticket.text, note=note,
                                     at=ctx.when(ticket.resolve_due or ctx.now)), cut_note=cut_note(ctx, ticket))
        _tell_reporter(ctx, ticket, "escalated", dept.name)


async def merge(ctx: Context, args: str) -> None:
    """`合并 #2 #1`: #2 is the same problem as #1 (or as what #1 was merged into). Everyone
    who reported #2 follows #1 from then on, as a co-reporter: its news, 查询, 评价."""
    ticket, rest = await handled_ticket(ctx, args, "usage.merge")
    other_ref = ticket_ref(rest)
    other = await survivor_of(ctx, await ctx.services.tickets.get(other_ref[0])) if other_ref else None
    if other is None or other.id == ticket.id:
        ctx.reply(ctx.t("usage.merge"))
        return
    if other.status in TRIAGE_STATES:    # waiting for staff (待确认): no ticket anyone was told of
        ctx.reply(ctx.t("ticket.wrong_state", id=other.id, status=status_label(ctx, other.status),
                        action=ctx.t("action.merged")))
        return
    if await _change(ctx, ticket, "duplicate", "merged", f"#{other.id}",
                     {"duplicate_of": other.id, "closed_at": ctx.now}):
        await deadlines.cancel_sla(ctx, ticket.id)
        await _follow(ctx, ticket, other)
        ctx.reply(ctx.t("ticket.merged_ok", id=ticket.id, other=other.id))
        await tasks.cancel_for_ticket(ctx, ticket.id, ctx.t("tasks.ticket_closed", id=ticket.id))
        _tell_reporter(ctx, ticket, "duplicate", ctx.t("ticket.merged_note", other=other.id,
                                                       status=status_label(ctx, other.status)))


async def _follow(ctx: Context, merged: Ticket, survivor: Ticket) -> None:
    """The reporter and co-reporters of a merged ticket join the surviving one as
    co-reporters (their own words kept), unless they already reported it; its history says
    so once."""
    tickets = ctx.services.tickets
    reports = {merged.reporter: {"text": merged.text, "at": merged.created_at, "event": ctx.event.id,
                                 "chat": merged.chat},
               **merged.co_reporters}
    followers = [person for person in reports if person != survivor.reporter
                 and survivor.co_reporters.get(person, {"merged_from": merged.id}).get("merged_from") == merged.id]
    for person in followers:    # (once: join keeps a co-reporter's first report, the transition its event)
        await tickets.join(survivor.id, person, {**reports[person], "merged_from": merged.id})
    if followers:
        await tickets.transition(survivor.id, ctx.event.id, "co_reported", {},
                                 entry(ctx, "co_reported", survivor.status, f"#{merged.id}"))


async def split(ctx: Context, args: str) -> None:
    """`拆分 #N [人]` (staff): a co-reporter's report was not the same problem after all; it
    becomes a ticket of its own (the most recent co-reporter unless one is named)."""
    ticket, who = await handled_ticket(ctx, args, "usage.split")
    if not ticket.co_reporters:
        ctx.reply(ctx.t("ticket.no_co_reporters", id=ticket.id))
        return
    if who:
        person = ctx.community.find_person(who.strip().split(" ")[0])
        if person is None or person.id not in ticket.co_reporters:
            names = "、".join(ctx.name_of(p) for p in ticket.co_reporters)
            ctx.reply(ctx.t("ticket.not_co_reporter", id=ticket.id, who=who, names=names))
            return
        person_id = person.id
    else:
        person_id = max(ticket.co_reporters, key=lambda p: ticket.co_reporters[p]["at"])
    report = ticket.co_reporters[person_id]
    new_id = await reports.split_off(ctx, ticket, person_id, report)
    await ctx.services.tickets.leave(ticket.id, person_id)
    await ctx.services.audit.record(ctx.now, ctx.person.id, "split", f"ticket:{ticket.id}->{new_id}:{person_id}",
                                    ctx.event.channel)
    ctx.reply(ctx.t("ticket.split_ok", id=ticket.id, new=new_id, name=ctx.name_of(person_id)))


async def rate(ctx: Context, args: str) -> None:
    """`评价 #12 5 很满意` (also "五", "5分", "4分，还行"); `评价 5` (no #) rates the one
    ticket waiting for the sender's score, unless 5 is that ticket's number."""
    if not re.search(r"[#＃]", args) and await short_messages.rate_bare(ctx, args, strict=False):
        return
    ticket, rest = await load_ticket(ctx, args, "usage.rate")
    if ctx.person.id in ticket.co_reporters:
        await _co_rate(ctx, ticket, rest)
        return
    REPORTER.require(ctx, ticket, "ticket.not_yours", id=ticket.id)
    scored = _score(ctx, ticket, rest)
    if scored is None:
        return
    score, comment = scored
    fields = {"rating": int(score), "comment": comment.strip() or None, "closed_at": ctx.now}
    if await _change(ctx, ticket, "closed", "rated", f"{score}分 {comment}".strip(), fields):
        await deadlines.cancel_sla(ctx, ticket.id, ("autoclose",))
        ctx.reply(ctx.t("ticket.rated_ok", id=ticket.id, rating=score))
        await points.rating_given(ctx, ticket.id, ctx.person.id)


def _score(ctx: Context, ticket: Ticket, rest: str) -> tuple[int, str] | None:
    """The score and comment after `评价 #N` ("5 很满意", "五", "4分，还行"); None, having said
    what is wrong — no score, or not 1 to 5 — with the score buttons."""
    scored = short_messages.score_of(rest)
    if scored is None:
        ctx.reply(ctx.t("ticket.rate_ask", id=ticket.id), short_messages.rate_buttons(ticket.id))
        return None
    if not 1 <= scored[0] <= 5:
        ctx.reply(ctx.t("ticket.rate_range", id=ticket.id, score=scored[0]), short_messages.rate_buttons(ticket.id))
        return None
    return scored


async def _co_rate(ctx: Context, ticket: Ticket, rest: str) -> None:
    """A co-reporter's 评价 (a neighbour who reported it too, or whose ticket was merged into
    it): kept with their report, counted for their points; the ticket stays as it is (the
    reporter's rating closes it)."""
    scored = _score(ctx, ticket, rest)
    if scored is None:
        return
    score, comment = scored
    if ticket.status not in ("resolved", "closed"):
        ctx.reply(ctx.t("ticket.wrong_state", id=ticket.id, status=status_label(ctx, ticket.status),
                        action=ctx.t("action.rated")))
        return
    await ctx.services.tickets.co_rate(ticket.id, ctx.person.id, int(score), comment.strip() or None, ctx.now)
    ctx.reply(ctx.t("ticket.co_rated_ok", id=ticket.id, rating=score))
    await points.rating_given(ctx, ticket.id, ctx.person.id)


async def reopen(ctx: Context, args: str) -> None:
    ticket, reason = await load_ticket(ctx, args, "usage.reopen")
    (REPORTER | CO_REPORTER).require(ctx, ticket, "ticket.not_yours", id=ticket.id)   # anyone who reported it
    days = ctx.community.sla.reopen_days
    finished = ticket.resolved_at if ticket.status in ("resolved", "closed") else ticket.closed_at
    if ticket.status in ("resolved", "closed", "rejected") and finished and ctx.now - finished > days * DAY:
        ctx.reply(ctx.t("ticket.reopen_too_late", id=ticket.id, days=f"{days:g}"))
        return
    status = "in_progress" if ticket.assignee else "open"
    due = ctx.community.sla.deadlines(ctx.now, ticket.urgent)    # an urgent ticket's again
    fields = {"resolve_due": due["resolve_due"], "resolved_at": None, "closed_at": None,
              "rating": None, "comment": None, "reopens": ticket.reopens + 1}    # (the reopen rate)
    if status == "open":
        fields["respond_due"] = due["respond_due"]
    if await _change(ctx, ticket, status, "reopened", reason, fields):
        reopened = await ctx.services.tickets.get(ticket.id)
        await deadlines.cancel_sla(ctx, ticket.id, ("autoclose",))
        await deadlines.schedule_sla(ctx, reopened)
        ctx.reply(ctx.t("ticket.reopened_ok", id=ticket.id))
        note = f"：{reason}" if reason else ""
        for person in (ticket.reporter, *ticket.co_reporters):      # the others who reported it
            if person != ctx.person.id:
                ctx.tell(person, ctx.t("ticket.update", id=ticket.id, status=status_label(ctx, status), note=note))
        if ticket.assignee:
            ctx.tell(ticket.assignee, ctx.t("ticket.reopened_you", id=ticket.id, reason=reason or "—"))
        else:
            await notify_handlers(ctx, reopened)
