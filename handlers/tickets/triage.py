"""The triage queue (待确认): in an `auto` group, a resident's message the classifier is
unsure about — confidence from the triage threshold up to the auto threshold — becomes a
ticket nobody in the group is told about. Staff see the queue (`待确认`) and confirm an
item (`确认 #N`: it becomes an ordinary ticket, announced to the group and the reporter as
a new ticket is, with its deadlines from then) or dismiss it (`忽略 #N`: nothing is said
to anyone). What nobody confirms lapses after `[triage] lapse_days`, silently. Staff hear
of a non-empty queue once a day (`[triage] remind_at`).

Each staff judgement (confirm or dismiss) is kept as a labelled example
(handlers/tickets/learning.py); a lapsed item was judged by nobody and is not.

Repeats: the same person saying it again leaves the item as it is; a second neighbour
saying much the same thing (handlers/tickets/duplicates.py's test, in the same building) is the
confirmation — the item is confirmed and they join it as a co-reporter — and so is a
confident report of the same problem (1:1, 报修, or confident in the group).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta

from handlers import timers
from handlers.context import Context
from handlers.tickets import deadlines, learning
from handlers.tickets.common import OPEN_STATES, load_ticket, notify_handlers, place, said_why_not, status_label
from handlers.tickets.duplicates import WINDOW_DAYS, same_problem
from nlp import Classification
from nlp.pii import mask_group
from storage.tickets import QUEUE_STATES, Ticket, Transition

DAY = 86400.0
REACTION = "👀"      # a triaged message is acknowledged quietly where the platform can (Telegram)
LIST_LIMIT = 20
TEXT_CHARS = 40      # of a message, in the list and in the reporter's confirmation


def thresholds(ctx: Context) -> tuple[float, float | None]:
    """The chat's auto threshold (the rule file's unless the chat sets one) and where its
    triage band starts (None: no triage in this chat; see Community.triage_threshold)."""
    classifier = ctx.services.classifier
    chat = ctx.chat
    auto = chat.auto_threshold if chat and chat.auto_threshold is not None else classifier.auto_threshold
    return auto, ctx.community.triage_threshold(chat, classifier.triage_threshold)


def likely_category(ctx: Context, result: Classification) -> str:
    """An unsure message has no category of its own (it is not actionable): the one that
    scored best, so staff see what it is probably about."""
    if result.category:
        return result.category
    if result.explain is not None:
        return ctx.services.classifier.categories[result.explain[2]]
    return "其他"


def _building(ctx: Context, result: Classification) -> str | None:
    location = result.location.to_dict() if result.location else {}
    return location.get("building") or (ctx.chat.building if ctx.chat else None) or ctx.person.building


# -- a message goes to the queue ----------------------------------------------------------

async def hold(ctx: Context, text: str, result: Classification) -> None:
    """An unsure group message: into the queue, quietly. A problem already open stays as
    it is (the message is quiet, as before); one already waiting is confirmed by a second
    neighbour and left alone when its reporter repeats it."""
    category = likely_category(ctx, result)
    building = _building(ctx, result)
    location = result.location.to_dict() if result.location else None
    unit = (location or {}).get("unit")
    if building:
        tickets = ctx.services.tickets
        recent = await tickets.many(await tickets.open_ids("building", building, since=ctx.now - WINDOW_DAYS * DAY),
                                    history=False, co=False)
        if any(same_problem(text, category, building, unit, ctx.now, t) for t in recent):
            return
    if await take_up(ctx, text, category, building, location, confirm_own=False):
        ctx.react(REACTION)
        return
    now = ctx.now
    fields = {
        "status": "unconfirmed", "reporter": ctx.person.id, "text": text, "created_at": now,
        "category": category, "chat": ctx.chat.id if ctx.chat else None, "building": building, "location": location,
    }
    note = ctx.t("history.triaged", confidence=f"{int(result.confidence * 100) / 100:.2f}")
    ticket_id, _ = await ctx.services.tickets.open(ctx.event.id, fields,
                                                   _entry(ctx, ctx.person.id, "triaged", "unconfirmed", note))
    await timers.schedule(ctx, "triage", f"{ticket_id}:lapse", now + ctx.community.triage.lapse_days * DAY,
                          f"ticket:{ticket_id}", ticket=ticket_id, step="lapse")
    await schedule_reminder(ctx)
    ctx.react(REACTION)


async def take_up(ctx: Context, text: str, category: str, building: str | None, location: dict | None,
                  confirm_own: bool = True) -> bool:
    """A report of a problem already waiting in the queue (same building, much the same
    words): another resident's is the confirmation — the item becomes a ticket and they
    join it as a co-reporter; the reporter's own is one when `confirm_own` (a confident
    report), else nothing changes. True when the report was taken up so."""
    if not building:
        return False
    tickets = ctx.services.tickets
    unit = (location or {}).get("unit")
    waiting = await tickets.many(await tickets.queue_ids(), history=False, co=False)
    found = next((t for t in waiting if same_problem(text, category, building, unit, ctx.now, t,
                                                     states=QUEUE_STATES)), None)
    if found is None:
        return False
    person = ctx.person
    own = found.reporter == person.id
    if own and not confirm_own:
        return True
    note = "" if own else ctx.t("history.confirmed_by_neighbour")
    done, ticket = await confirm_ticket(ctx, found, person.id, note)
    if not done.applied:
        return False
    if not own:
        await tickets.join(ticket.id, person.id, {"text": text, "at": ctx.now, "event": ctx.event.id,
                                                  "chat": ctx.chat.id if ctx.chat else None})
        await tickets.transition(ticket.id, f"{ctx.event.id}:co", "co_reported", {},
                                 _entry(ctx, person.id, "co_reported", ticket.status))
    await announce(ctx, ticket)
    if not own:
        key = "report.joined_group" if ctx.in_group else "report.joined"
        ctx.reply(ctx.t(key, name=person.name, id=ticket.id, status=status_label(ctx, ticket.status),
                        category=ticket.category))
    return True


# -- staff: the queue, confirm, dismiss ---------------------------------------------------

async def queue(ctx: Context, args: str) -> None:
    """`待确认`: what waits, newest first (a grid worker: their buildings'); details to the
    asker only, as the residents' words are in it."""
    person = ctx.person
    waiting = [t for t in await _waiting(ctx) if _visible(ctx, person, t)]
    if not waiting:
        ctx.reply(ctx.t("triage.empty"))
        return
    lines = [ctx.t("triage.list_header", count=len(waiting))]
    for ticket in waiting[:LIST_LIMIT]:
        lines.append(ctx.t("triage.list_item", id=ticket.id, place=place(ctx, ticket), name=ctx.name_of(ticket.reporter),
                           ago=_ago(ctx, ticket.created_at), text=mask_group(_short(ticket.text))))
    if len(waiting) > LIST_LIMIT:
        lines.append(ctx.t("triage.list_more", more=len(waiting) - LIST_LIMIT))
    lines.append(ctx.t("triage.list_footer"))
    await ctx.services.audit.record(ctx.now, person.id, "list", "triage", f"chat:{ctx.event.channel}")
    ctx.reply_privately("\n".join(lines), ctx.t("ticket.details_private"))


async def confirm(ctx: Context, args: str) -> None:
    """`确认 #N` (staff): the item becomes an ordinary ticket, told as a new one is."""
    ticket, _ = await load_ticket(ctx, args, "usage.triage")     # staff only: STAFF at the router
    done, ticket = await confirm_ticket(ctx, ticket, ctx.person.id)
    if not said_why_not(ctx, ticket, done, "confirmed"):
        ctx.reply(ctx.t("triage.confirmed_ok", id=ticket.id))
        await announce(ctx, ticket)
        if done.result == "ok":             # not again when the event is handled again
            await learning.confirmed(ctx, ticket)


async def dismiss(ctx: Context, args: str) -> None:
    """`忽略 #N [原因]` (staff): not a ticket after all; nobody is told."""
    ticket, reason = await load_ticket(ctx, args, "usage.dismiss")
    done = await dismiss_ticket(ctx, ticket, ctx.person.id, reason)
    if not said_why_not(ctx, ticket, done, "dismissed"):
        ctx.reply(ctx.t("triage.dismissed_ok", id=ticket.id))
        if done.result == "ok":
            await learning.dismissed(ctx, ticket)


async def is_waiting(ctx: Context, ticket_id: int) -> bool:
    ticket = await ctx.services.tickets.get(ticket_id)
    return bool(ticket and ticket.status in QUEUE_STATES)


async def confirm_ticket(ctx: Context, ticket: Ticket, by: str, note: str = "") -> tuple[Transition, Ticket]:
    """unconfirmed → open, its deadlines counted from now (chat, the CLI, a neighbour)."""
    sla, now = ctx.community.sla, ctx.now
    fields = {"status": "open", "respond_due": now + sla.respond_hours * 3600,
              "resolve_due": now + sla.resolve_hours * 3600}
    done = await ctx.services.tickets.transition(ticket.id, f"{ctx.event.id}:confirm", "confirmed", fields,
                                                 _entry(ctx, by, "confirmed", "open", note))
    if not done.applied:
        return done, ticket
    await _cancel_lapse(ctx, ticket.id)
    confirmed = await ctx.services.tickets.get(ticket.id) or ticket
    await deadlines.schedule_sla(ctx, confirmed)   # from its stored deadlines: again is harmless
    return done, confirmed


async def dismiss_ticket(ctx: Context, ticket: Ticket, by: str, reason: str = "") -> Transition:
    fields = {"status": "dismissed", "closed_at": ctx.now, "reason": reason or None}
    done = await ctx.services.tickets.transition(ticket.id, f"{ctx.event.id}:dismiss", "dismissed", fields,
                                                 _entry(ctx, by, "dismissed", "dismissed", reason))
    if done.applied:
        await _cancel_lapse(ctx, ticket.id)
    return done


async def announce(ctx: Context, ticket: Ticket) -> None:
    """A confirmed item is told as a ticket opening in its group is: the group, the
    reporter (privately, with their words, since time has passed), and its handlers."""
    hours = f"{ctx.community.sla.respond_hours:g}"
    if ticket.chat and ticket.chat in ctx.community.chats:
        ctx.post(ticket.chat, ctx.t("report.opened_group", name=ctx.name_of(ticket.reporter), id=ticket.id,
                                    category=ticket.category, hours=hours))
    ctx.tell(ticket.reporter, ctx.t("triage.confirmed_you", text=_short(ticket.text), id=ticket.id,
                                    category=ticket.category, hours=hours))
    await notify_handlers(ctx, ticket)


# -- jobs -------------------------------------------------------------------------------

async def schedule_reminder(ctx: Context) -> None:
    """The daily reminder, one job for the community, at the next `remind_at` (scheduling
    it again moves it to the same time)."""
    await timers.schedule(ctx, "triage", "remind", next_reminder(ctx), "triage", step="remind")


def next_reminder(ctx: Context) -> float:
    tz = ctx.community.tz
    hour, minute = ctx.community.triage.remind_hour_minute
    local = datetime.fromtimestamp(ctx.now, tz)
    day = local.date()
    while True:
        at = datetime.combine(day, time(hour, minute), tzinfo=tz).timestamp()
        if at > ctx.now:
            return at
        day += timedelta(days=1)


async def schedule_announcement(ctx: Context, ticket_id: int) -> None:
    """For a confirmation made outside a chat (the admin CLI): the bot tells the group, the
    reporter and the handlers as soon as it runs (a job due now)."""
    await timers.schedule(ctx, "triage", f"{ticket_id}:announce", ctx.now, f"ticket:{ticket_id}",
                          ticket=ticket_id, step="announce")


async def on_timer(ctx: Context) -> None:
    data = ctx.event.data
    if data["step"] == "remind":
        await _remind(ctx)
        return
    ticket = await ctx.services.tickets.get(int(data["ticket"]))
    if ticket is None:
        return
    if data["step"] == "announce" and ticket.status in OPEN_STATES:
        await announce(ctx, ticket)
    elif data["step"] == "lapse" and ticket.status in QUEUE_STATES:
        days = f"{ctx.community.triage.lapse_days:g}"
        await ctx.services.tickets.transition(ticket.id, ctx.event.id, "lapsed",
                                              {"status": "lapsed", "closed_at": ctx.now},
                                              _entry(ctx, "system", "lapsed", "lapsed",
                                                     ctx.t("history.lapsed", days=days)))


async def _remind(ctx: Context) -> None:
    """Once a day while the queue is not empty: each building's grid worker (or else the
    staff, or else the secretary) hears how many wait for them. An empty queue ends the
    job; the next message held starts it again."""
    waiting = await _waiting(ctx)
    if not waiting:
        return
    counts: Counter[str] = Counter()
    for ticket in waiting:
        for person_id in reminded(ctx, ticket.building):
            counts[person_id] += 1
    for person_id, count in counts.items():
        ctx.tell(person_id, ctx.t("triage.reminder", count=count))
    await schedule_reminder(ctx)


def reminded(ctx: Context, building: str | None) -> list[str]:
    community = ctx.community
    people = community.grid_workers_for(building) or community.with_role("staff") or community.with_role("secretary")
    return [p.id for p in people]


# -- helpers ----------------------------------------------------------------------------

async def _waiting(ctx: Context) -> list[Ticket]:
    tickets = ctx.services.tickets
    return [t for t in await tickets.many(await tickets.queue_ids(), history=False, co=False)
            if t.status in QUEUE_STATES]


def _visible(ctx: Context, person, ticket: Ticket) -> bool:
    """Staff and the secretary see the whole queue; a grid worker, their buildings' (all
    when they list none) and those their reminder is for."""
    if person.has("staff", "secretary") or not person.buildings:
        return True
    return ticket.building in person.buildings or person.id in reminded(ctx, ticket.building)




async def _cancel_lapse(ctx: Context, ticket_id: int) -> None:
    await timers.cancel(ctx, "triage", f"{ticket_id}:lapse")


def _entry(ctx: Context, by: str, action: str, status: str, note: str = "") -> dict:
    return {"at": ctx.now, "by": by, "action": action, "status": status, "note": note}


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS] + "…"


def _ago(ctx: Context, at: float) -> str:
    seconds = max(0.0, ctx.now - at)
    if seconds < 60:
        return ctx.t("triage.ago_now")
    if seconds < 3600:
        return ctx.t("triage.ago_minutes", n=int(seconds // 60))
    if seconds < DAY:
        return ctx.t("triage.ago_hours", n=int(seconds // 3600))
    return ctx.t("triage.ago_days", n=int(seconds // DAY))
