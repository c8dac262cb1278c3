"""`预约 活动室 周六 14:00-16:00` (a slot, first come first served; taken → what is free
nearby), `预约 活动室 [周六]` (what is free), `预约` (what may be booked), `我的预约`,
`取消预约 B3 [原因]` (whoever booked it, or staff).

In a group, a 预约 that names no room or no readable time is answered only to someone who
addressed the bot ("预约 明天体检" between neighbours is not for us)."""

from __future__ import annotations

from datetime import date, timedelta

from handlers.context import Context
from handlers.permissions import Refusal
from handlers.rooms import slots
from handlers.rooms.common import (MAY_CANCEL, addressed, approvers, find_room, line, load, longest, repo, room_by_id,
                                   room_list, room_name, schedule_lapse, schedule_reminder, unschedule)
from handlers.rooms.common import when as booking_when
from handlers.rooms.rules import Room
from handlers.rooms.usage import schedule_month
from storage.rooms import Booking

FREE_DAYS = 3        # 预约 活动室: the free times of this many open days
NEARBY_DAYS = 7      # a taken slot: look this many days on for a time that fits


async def book(ctx: Context, args: str) -> None:
    if not ctx.community.rooms:
        raise Refusal("rooms.none", quiet=True)
    if not args:
        if addressed(ctx):       # "预约" alone in a group may be neighbours talking
            ctx.reply(_catalogue(ctx))
        return
    found = find_room(ctx, args)
    if found is None:
        raise Refusal("rooms.unknown_room", quiet=True, text=args.split()[0], rooms=room_list(ctx),
                      first=ctx.community.rooms[0].name)
    room, rest = found
    tz, now = ctx.community.tz, ctx.now
    try:
        slot, note = _slot_and_note(room, rest, now, tz)
        if isinstance(slot, date) or slot is None:
            today = slots.local(now, tz).date()
            if slot is not None and slot > today + timedelta(days=room.ahead_days):
                raise slots.SlotError("too_far", days=room.ahead_days)
            ctx.reply(await _free_text(ctx, room, slot))
            return
        start, end = slot
        slots.check(room, start, end, now, tz)
    except slots.SlotError as error:
        raise Refusal(f"rooms.{error.key}", quiet=error.key == "time_bad", **error.values) from None
    status = "pending" if room.approval else "approved"
    usage = slots.usage_by_month(room, start, end, tz) if status == "approved" else {}
    booked = await repo(ctx).book(ctx.event.id, room.id, ctx.person.id, start, end, status,
                                  {"created_at": now, "text": rest}, usage)
    if booked.result == "taken":
        when = slots.span_words(start, end, tz, room.equipment)
        ctx.reply(ctx.t("rooms.taken", name=room.name, when=when)
                  + "\n" + await _nearby(ctx, room, start, end))
        return
    booking = await repo(ctx).get(booked.id)
    if booking.status == "pending":
        ctx.reply(ctx.t("rooms.booked_pending", ref=booking.ref, name=room.name, when=_when(ctx, room, booking)))
        for person in approvers(ctx, room):
            if person != ctx.person.id:
                ctx.tell(person, ctx.t("rooms.ask_approval", ref=booking.ref, who=ctx.person.name,
                                       name=room.name, when=_when(ctx, room, booking),
                                       note=f"（{note}）" if note else ""))
        await schedule_lapse(ctx, room, booking)
    else:
        ctx.reply(ctx.t("rooms.booked", ref=booking.ref, name=room.name, when=_when(ctx, room, booking)))
        await schedule_reminder(ctx, room, booking)
    await schedule_month(ctx)


def _slot_and_note(room: Room, text: str, now: float, tz) -> tuple:
    """The slot and what the resident wrote after it (`… 14:00-16:00 跳舞队排练`): the
    longest run of leading words that reads as a time; the rest is a note for staff."""
    words = text.split()
    for cut in range(len(words), 0, -1):
        try:
            return slots.parse_slot(room, " ".join(words[:cut]), now, tz), " ".join(words[cut:])
        except slots.SlotError as error:
            if error.key != "time_bad" or cut == 1:
                raise
    return slots.parse_slot(room, text, now, tz), ""


def _when(ctx: Context, room: Room, booking: Booking) -> str:
    return slots.span_words(booking.start, booking.end, ctx.community.tz, room.equipment)


def _catalogue(ctx: Context) -> str:
    lines = [ctx.t("rooms.catalogue")]
    for room in ctx.community.rooms:
        terms = ctx.t("rooms.terms_days", days=room.max_days) if room.equipment \
            else ctx.t("rooms.terms_hours", hours=f"{room.max_hours:g}")
        if room.approval:
            terms += ctx.t("rooms.terms_approval")
        lines.append(ctx.t("rooms.catalogue_line", name=room.name, open=room.open, terms=terms))
    lines.append(ctx.t("rooms.usage.book"))
    return "\n".join(lines)


async def _free_on(ctx: Context, room: Room, day: date) -> list[tuple[float, float]]:
    tz = ctx.community.tz
    low, high = slots.midnight(day, tz), slots.midnight(day + timedelta(days=1), tz)
    taken = [(s, e) for _, s, e in await repo(ctx).live_between(room.id, low, high, longest(room))]
    return slots.free_spans(room, day, taken, ctx.now, tz)


def _spans_text(ctx: Context, room: Room, spans: list[tuple[float, float]]) -> str:
    tz = ctx.community.tz
    if room.equipment:
        return ctx.t("rooms.free_all_day")
    return "、".join(f"{slots.local(s, tz):%H:%M}-" + ("24:00" if slots.local(e, tz).hour == 0 and e > s + 60
                                                    and slots.local(e, tz).date() != slots.local(s, tz).date()
                                                    else f"{slots.local(e, tz):%H:%M}") for s, e in spans)


async def _free_text(ctx: Context, room: Room, day: date | None) -> str:
    """What is free on `day`, or on the next few days it opens."""
    today = slots.local(ctx.now, ctx.community.tz).date()
    days = [day] if day else [today + timedelta(days=i) for i in range(room.ahead_days + 1)]
    lines, shown = [ctx.t("rooms.free_header", name=room.name)], 0
    for each in days:
        if shown >= (1 if day else FREE_DAYS):
            break
        if not room.hours_on(each):
            if day:
                lines.append(ctx.t("rooms.free_closed", day=slots.day_words(each)))
            continue
        spans = await _free_on(ctx, room, each)
        shown += 1
        lines.append(ctx.t("rooms.free_day", day=slots.day_words(each),
                           spans=_spans_text(ctx, room, spans) if spans else ctx.t("rooms.free_none")))
    lines.append(ctx.t("rooms.free_how", name=room.name,
                       example="明天" if room.equipment else "周六 14:00-16:00"))
    return "\n".join(lines)


async def _nearby(ctx: Context, room: Room, start: float, end: float) -> str:
    """What is free near a taken slot: that day's free times as long as the slot, else the
    next days'."""
    tz, wanted = ctx.community.tz, end - start
    first = slots.local(start, tz).date()
    found = []
    for offset in range(NEARBY_DAYS + 1):
        day = first + timedelta(days=offset)
        if not room.hours_on(day):
            continue
        if room.equipment:
            for i in range(max(1, round(wanted / slots.DAY))):
                if not await _free_on(ctx, room, day + timedelta(days=i)):
                    break
            else:
                found.append(ctx.t("rooms.nearby_from", day=slots.day_words(day)))
                break
            continue
        spans = [(s, e) for s, e in await _free_on(ctx, room, day) if e - s >= wanted]
        if spans:
            found.append(ctx.t("rooms.free_day", day=slots.day_words(day), spans=_spans_text(ctx, room, spans)))
            if len(found) >= 2:
                break
    if not found:
        return ctx.t("rooms.nearby_none", days=NEARBY_DAYS)
    return ctx.t("rooms.nearby") + "\n" + "\n".join(found)


async def mine(ctx: Context, args: str) -> None:
    bookings = await repo(ctx).many(await repo(ctx).of_person(ctx.person.id))
    upcoming = [b for b in bookings if b.end > ctx.now and b.status in ("pending", "approved")]
    if not upcoming:
        ctx.reply(ctx.t("rooms.mine_none"))
        return
    ctx.reply_privately("\n".join([ctx.t("rooms.mine_header")] + [line(ctx, b) for b in upcoming]
                                  + [ctx.t("rooms.mine_how", ref=upcoming[0].ref)]),
                        ctx.t("rooms.sent_privately", name=ctx.person.name))


async def cancel(ctx: Context, args: str) -> None:
    booking, reason = await load(ctx, args, "rooms.usage.cancel", quiet=True)
    MAY_CANCEL.require(ctx, booking, "rooms.not_yours", ref=booking.ref)
    for _ in range(3):      # the status changed between read and write: read it again
        if booking.status not in ("pending", "approved"):
            raise Refusal("rooms.not_live", ref=booking.ref, status=ctx.t(f"rooms.status.{booking.status}"))
        if booking.end <= ctx.now:
            raise Refusal("rooms.over", ref=booking.ref)
        room = room_by_id(ctx, booking.room)
        usage = {}
        if booking.status == "approved" and room is not None:
            usage = {m: -s for m, s in slots.usage_by_month(room, booking.start, booking.end, ctx.community.tz).items()}
        result, _ = await repo(ctx).change(booking, ctx.event.id, (booking.status,), "cancelled",
                                           {"by": ctx.person.id, "decided_at": ctx.now, "reason": reason}, usage)
        if result != "conflict":
            break
        booking = await repo(ctx).get(booking.id)
    await unschedule(ctx, booking)
    ctx.reply(ctx.t("rooms.cancelled", ref=booking.ref, name=room_name(ctx, booking), when=booking_when(ctx, booking)))
    if booking.person != ctx.person.id:
        ctx.tell(booking.person, ctx.t("rooms.cancelled_by_staff", ref=booking.ref, name=room_name(ctx, booking),
                                       when=booking_when(ctx, booking), who=ctx.person.name,
                                       reason=f"（{reason}）" if reason else ""))

