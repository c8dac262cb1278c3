"""Residents' reports become tickets: from a 1:1 chat, from a group when the bot is
addressed, from an `auto` group when the classifier is confident, and from any group when
the report is urgent (a gas smell cannot wait for someone to @ the bot). What an `auto`
group says that the classifier is unsure about waits for staff (handlers/tickets/triage.py).
Chit-chat stays quiet, and so do staff talking in a group unaddressed: they are answering.
Short messages ("在吗", "催一下", "人工客服") are never reports (handlers/tickets/short_messages.py).
A message the bot stayed quiet on, reported to it soon after, is kept as a labelled
example (handlers/tickets/learning.py)."""

from __future__ import annotations

import re

from handlers import polls
from handlers.commands import is_slash
from handlers.context import Context
from handlers.tickets import deadlines, learning, short_messages, triage
from handlers.tickets.common import cut_note, details, duration, entry, handlers_of, notify_handlers, status_label
from handlers.tickets.duplicates import WINDOW_DAYS, repeat_of, same_problem
from nlp import Classification


async def on_text(ctx: Context, text: str, addressed: bool) -> None:
    """Ordinary text (no command): open a ticket when it is a report. Said to the bot (1:1,
    or addressed in a group) it always gets an answer: a short message's, a follow-up's
    (where my tickets stand), a bare score's (the rating), else "not understood" with how to
    report. In a group unaddressed, what is no report stays quiet — but "我同意" while a poll
    is open there is told how to vote."""
    if short_messages.agrees(text):
        poll = await polls.votable(ctx)
        if poll is not None:
            ctx.reply(short_messages.vote_hint(ctx, poll, text))
            return
    short = short_messages.kind_of(text, ctx.community.bot_name)
    if short:
        if addressed:
            await short_messages.answer(ctx, short)
        return
    if addressed and await short_messages.rate_bare(ctx, text):
        return
    result = ctx.services.classifier.classify(text, addressed=addressed)
    if not ctx.in_group or addressed:
        if await short_messages.followed_up(ctx, text, result):
            return
        if result.actionable:
            await open_ticket(ctx, text, result)
            await learning.reported(ctx, result.category or "其他")
            return
        ctx.reply(short_messages.not_understood(ctx, text))
        await learning.stayed_quiet(ctx, text, result)
        return
    # Staff and departments talking in a group are answering residents ("已联系车主挪车了",
    # "先把电闸关了！"): their words echo the report they answer. They open tickets with
    # 报修 or by addressing the bot.
    if ctx.person.handles_tickets or ctx.person.has("department"):
        return
    if result.urgent:
        await open_ticket(ctx, text, result)
        return
    if not ctx.chat or ctx.chat.mode != "auto":
        if not result.actionable:      # (an unaddressed report here is quiet by the chat's mode)
            await learning.stayed_quiet(ctx, text, result)
        return
    auto, triage_from = triage.thresholds(ctx)
    if result.actionable and result.confidence >= auto:
        await open_ticket(ctx, text, result)
    elif triage_from is not None and result.confidence >= triage_from:
        await triage.hold(ctx, text, result)
    else:
        await learning.stayed_quiet(ctx, text, result)


# What may follow 报修/投诉 without saying anything ("报修一下", "投诉！").
_NOTHING_SAID = re.compile(r"^(?:[\s\W_]|一下|下|啊|呀|吧|呢|了|哈)*$")


async def report(ctx: Context, args: str) -> None:
    """`报修 …`: the resident says outright that this is a report. Bare (or "报修一下"), or
    followed by a short message ("投诉 有人吗"): how to report, with an example — in a group
    only when the bot is addressed ("投诉！" between neighbours is not meant for it)."""
    if _NOTHING_SAID.match(args) or short_messages.kind_of(args, ctx.community.bot_name):
        if not ctx.in_group or ctx.event.addressed or is_slash(ctx.event.text) \
                or re.search(rf"[@＠]{re.escape(ctx.community.bot_name)}", ctx.event.text):
            ctx.reply(short_messages.how_to(ctx))
        return
    result = ctx.services.classifier.classify(args, addressed=True)
    await open_ticket(ctx, args, result, explicit=True)
    await learning.reported(ctx, result.category or "其他")


async def open_ticket(ctx: Context, text: str, result: Classification, explicit: bool = False) -> None:
    person, community, now = ctx.person, ctx.community, ctx.now
    sla = community.sla
    category = result.category or "其他"
    location = result.location.to_dict() if result.location else None
    building = ((location or {}).get("building") or (ctx.chat.building if ctx.chat else None)
                or person.building)
    fields = {
        "status": "open", "reporter": person.id, "text": text, "created_at": now,
        "category": category, "urgent": result.urgent, "chat": ctx.chat.id if ctx.chat else None,
        "building": building, "location": location,
        **sla.deadlines(now, result.urgent),     # an urgent ticket's are much shorter ([sla] urgent_…)
    }
    if await _repeated(ctx, text, category, location, result.urgent):
        return
    # An urgent report always opens its own ticket (and its own alarms); staff may 合并 later.
    # The same problem waiting in the triage queue is confirmed by this report instead.
    if not result.urgent and (await triage.take_up(ctx, text, category, building, location)
                              or await _joined_existing(ctx, text, category, building, location)):
        return
    ticket = await _create(ctx, ctx.event.id, fields)
    ticket_id = ticket.id

    hours = f"{sla.respond_hours:g}"
    within = duration(ctx, sla.urgent_respond_hours)
    urgent = "_urgent" if ticket.urgent else ""      # 已通知值班人员, and the urgent response time
    if ctx.in_group:
        ctx.reply(ctx.t(f"report.opened_group{urgent}", name=person.name, id=ticket_id, category=category,
                        hours=hours, within=within))
    else:
        ctx.reply(ctx.t(f"report.opened{urgent}", id=ticket_id, category=category, hours=hours, within=within))
    if result.life_risk:
        ctx.reply(ctx.t("report.urgent_advice"))
    await notify_handlers(ctx, ticket)
    if ticket.urgent:
        await _push_on_duty(ctx, ticket)


async def _create(ctx: Context, key: str, fields: dict):
    note = ctx.t("history.opened", category=fields["category"]) + ("（紧急）" if fields["urgent"] else "")
    ticket_id, _ = await ctx.services.tickets.open(key, fields, entry(ctx, "opened", "open", note))
    ticket = await ctx.services.tickets.get(ticket_id)
    await deadlines.schedule_sla(ctx, ticket)
    return ticket


async def split_off(ctx: Context, merged, person_id: str, report: dict) -> int:
    """A co-reporter's report becomes its own ticket (staff's 拆分), with its own deadlines;
    they and its handlers are told."""
    result = ctx.services.classifier.classify(report["text"])
    location = result.location.to_dict() if result.location else None
    sla, now = ctx.community.sla, ctx.now
    fields = {
        "status": "open", "reporter": person_id, "text": report["text"], "created_at": now,
        "category": result.category or merged.category or "其他", "urgent": result.urgent, "chat": report.get("chat"),
        "building": (location or {}).get("building") or merged.building, "location": location,
        **sla.deadlines(now, result.urgent),
    }
    ticket = await _create(ctx, f"{ctx.event.id}:split:{person_id}", fields)
    ctx.tell(person_id, ctx.t("report.split", id=ticket.id, old=merged.id, category=ticket.category))
    await notify_handlers(ctx, ticket)
    return ticket.id


async def _repeated(ctx: Context, text: str, category: str, location: dict | None, urgent: bool) -> bool:
    """The sender said this a moment ago, here or in another chat (in the group, then 1:1):
    already known, with its number and state (handlers/tickets/duplicates.py repeat_of)."""
    ticket = await repeat_of(ctx, text, category, location, urgent)
    if ticket is None:
        return False
    ctx.reply(ctx.t("report.already_yours", id=ticket.id, status=status_label(ctx, ticket.status)))
    return True


async def _joined_existing(ctx: Context, text: str, category: str, building: str | None,
                           location: dict | None) -> bool:
    """The same problem already has an open ticket: the reporter joins it as a co-reporter
    (handlers/tickets/duplicates.py decides) and hears where it stands. Only the building's open
    tickets of the last week are looked at (its index), newest first."""
    if not building:
        return False    # a report with no building joins nothing (same_problem)
    tickets = ctx.services.tickets
    unit = (location or {}).get("unit")
    recent = await tickets.many(await tickets.open_ids("building", building, since=ctx.now - WINDOW_DAYS * 86400),
                                history=False, co=False)
    found = next((t for t in recent if same_problem(text, category, building, unit, ctx.now, t)), None)
    ticket = await tickets.get(found.id) if found else None       # with its co-reporters
    if ticket is None:
        return False
    person = ctx.person
    status = status_label(ctx, ticket.status)
    if person.id == ticket.reporter or person.id in ticket.co_reporters:
        ctx.reply(ctx.t("report.already_yours", id=ticket.id, status=status))
        return True
    await tickets.join(ticket.id, person.id, {"text": text, "at": ctx.now, "event": ctx.event.id,
                                              "chat": ctx.chat.id if ctx.chat else None})
    await tickets.transition(ticket.id, ctx.event.id, "co_reported", {}, entry(ctx, "co_reported", ticket.status))
    key = "report.joined_group" if ctx.in_group else "report.joined"
    ctx.reply(ctx.t(key, name=person.name, id=ticket.id, status=status, category=ticket.category))
    return True


async def _push_on_duty(ctx: Context, ticket) -> None:
    """Staff on duty hear of an urgent ticket at once, whoever it is routed to:
    notify_handlers already told its handlers and the secretary; the building's grid
    worker is told here unless they were among them."""
    told = set(handlers_of(ctx, ticket)) | {p.id for p in ctx.community.with_role("secretary")}
    text = ctx.t("notify.new_ticket", details=details(ctx, ticket))
    for worker in ctx.community.grid_workers_for(ticket.building):
        if worker.id not in told:
            ctx.tell(worker.id, text, cut_note=cut_note(ctx, ticket))
