"""What the rooms modules share: finding the room a message names, loading the booking a
command names (B3), who may decide on a booking, how a booking reads, and the timers."""

from __future__ import annotations

import re

from handlers import timers
from handlers.context import Context
from handlers.permissions import STAFF, Kind, Permission, Refusal
from handlers.rooms import slots
from handlers.rooms.rules import Room
from storage.rooms import Booking, Rooms

TIMER = "room"                 # one job kind; data `step`: remind | lapse | month
REMIND_ROOM = 2 * 3600         # a room's reminder (and an undecided booking's lapse) before its start
REMIND_EQUIPMENT = 6 * 3600    # equipment's (lent from midnight): 18:00 the evening before, not at midnight
_REF = re.compile(r"^[BbＢｂ#＃]?(\d+)(?!\d)\s*(.*)$", re.S)


def _approves(ctx: Context, booking: object) -> bool:
    """Named by the booking's room's `approvers`; with no booking yet (at the door, in
    帮助), by any room's: the file says who they are, so anyone else is refused at once
    ("拒绝 物业乱收费" from a resident is not taken for a decision)."""
    if ctx.person is None:
        return False
    if booking is None:
        return any(ctx.person.id in r.approvers for r in ctx.community.rooms)
    room = room_by_id(ctx, getattr(booking, "room", ""))
    return room is not None and ctx.person.id in room.approvers


# Who may 批准 / 拒绝 a booking: staff, and the people the room's `approvers` names.
APPROVER = Permission((Kind("room_approver", _approves),))
MAY_DECIDE = STAFF | APPROVER
# Who may 取消预约 a booking: whoever made it, and staff.
BOOKER = Permission((Kind("booker", lambda ctx, booking: ctx.person is not None
                          and getattr(booking, "person", None) == ctx.person.id, about_subject=True),))
MAY_CANCEL = BOOKER | STAFF


def addressed(ctx: Context) -> bool:
    """Whether the message was meant for the bot: 1:1, or in a group with its name or the
    platform's mention (as the router judges it for 帮助)."""
    return not ctx.in_group or ctx.event.addressed or bool(
        re.search(rf"[@＠]{re.escape(ctx.community.bot_name)}", ctx.event.text or ""))


def repo(ctx: Context) -> Rooms:
    return Rooms(ctx.services.store)


def room_by_id(ctx: Context, room_id: str) -> Room | None:
    return next((r for r in ctx.community.rooms if r.id == room_id), None)


def find_room(ctx: Context, text: str) -> tuple[Room, str] | None:
    """The room `text` starts with (its name or one of its words, the longest that fits)
    and what follows it."""
    text = text.strip()
    best = None
    for room in ctx.community.rooms:
        for word in room.names():
            if text.startswith(word) and (best is None or len(word) > len(best[1])):
                best = (room, word)
    if best is None:
        return None
    return best[0], text[len(best[1]):].strip()


def room_list(ctx: Context) -> str:
    return "、".join(r.name for r in ctx.community.rooms)


def longest(room: Room) -> float:
    """The longest a booking of this room may be, in seconds (bounds an index read)."""
    return room.max_days * slots.DAY if room.equipment else room.max_hours * 3600


async def load(ctx: Context, args: str, usage: str, quiet: bool = False) -> tuple[Booking, str]:
    """The booking a command names ("B3 …") and the rest of its arguments."""
    match = _REF.match(args.strip())
    if not match:
        raise Refusal(usage, quiet=quiet)
    booking = await repo(ctx).get(int(match.group(1)))
    if booking is None:
        raise Refusal("rooms.not_found", ref=f"B{match.group(1)}")
    return booking, match.group(2).strip()


def room_name(ctx: Context, booking: Booking) -> str:
    room = room_by_id(ctx, booking.room)
    return room.name if room else booking.room


def when(ctx: Context, booking: Booking) -> str:
    room = room_by_id(ctx, booking.room)
    return slots.span_words(booking.start, booking.end, ctx.community.tz, bool(room and room.equipment))


def line(ctx: Context, booking: Booking) -> str:
    """"B3 活动室 12月19日（周六）14:00-16:00（已批准）"."""
    return ctx.t("rooms.line", ref=booking.ref, name=room_name(ctx, booking), when=when(ctx, booking),
                 status=ctx.t(f"rooms.status.{booking.status}"))


def approvers(ctx: Context, room: Room) -> list[str]:
    """Who is asked to approve: the room's `approvers`, else the staff."""
    if room.approvers:
        return list(room.approvers)
    staff = [p.id for p in ctx.community.with_role("staff")]
    return staff or [p.id for p in ctx.community.people.values() if p.handles_tickets]


def lead(room: Room) -> float:
    return REMIND_EQUIPMENT if room.equipment else REMIND_ROOM


async def schedule_reminder(ctx: Context, room: Room, booking: Booking) -> None:
    due = booking.start - lead(room)
    if due > ctx.now:
        await timers.schedule(ctx, TIMER, f"{booking.id}:remind", due, f"room:{room.id}", step="remind",
                              booking=booking.id)


async def schedule_lapse(ctx: Context, room: Room, booking: Booking) -> None:
    """An undecided booking lapses when its reminder would be due, or at its start when
    that has passed already (booked at short notice); equipment asked for today, whose
    loan started at midnight, an hour after it was asked."""
    due = booking.start - lead(room)
    if due <= ctx.now:
        due = max(booking.start, ctx.now + 3600) if room.equipment else booking.start
    await timers.schedule(ctx, TIMER, f"{booking.id}:lapse", due, f"room:{room.id}", step="lapse",
                          booking=booking.id)


async def unschedule(ctx: Context, booking: Booking) -> None:
    await timers.cancel(ctx, TIMER, f"{booking.id}:remind", f"{booking.id}:lapse")
