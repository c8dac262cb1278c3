"""Utilisation per room per month, and the flag on rooms idle more than 30% of their
opening hours (the plan's rule for reconsidering a room's use).

    utilisation = booked seconds ÷ opening seconds of the month
    booked  = the parts of approved bookings (never cancelled, refused, lapsed or still
              pending) that fall inside the room's opening hours on days of that month
    opening = the room's opening hours summed over the month's days, closed weekdays and
              `closed` dates left out; equipment: 24 hours on each day it is lent
    idle (闲置) when utilisation < 70%

The booked seconds are counters per month (storage/rooms.py `room_usage`), moved when a
booking is approved or an approved one is cancelled, so a report reads one hash per month.
`recount` works the same figure out from the bookings starting near the month (the admin
CLI's `--recount`, and the tests) — if the file's opening hours change, counters
already made keep the hours they were made with until recounted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from handlers import timers
from handlers.community import Community
from handlers.context import Context
from handlers.rooms import slots
from handlers.rooms.common import TIMER, longest
from handlers.rooms.rules import Room
from storage.rooms import Rooms
from storage.store import Store

IDLE_BELOW = 0.70


@dataclass(frozen=True)
class Usage:
    room: Room
    month: str
    open_hours: float
    booked_hours: float

    @property
    def rate(self) -> float | None:
        return self.booked_hours / self.open_hours if self.open_hours else None

    @property
    def idle(self) -> bool:
        return self.rate is not None and self.rate < IDLE_BELOW


async def usage_of(store: Store, community: Community, month: str, recount: bool = False) -> list[Usage]:
    counted = await recount_month(store, community, month) if recount else await Rooms(store).usage(month)
    tz = community.tz
    return [Usage(room, month, slots.open_seconds(room, month, tz) / 3600, counted.get(room.id, 0.0) / 3600)
            for room in community.rooms]


async def recount_month(store: Store, community: Community, month: str) -> dict[str, float]:
    """The month's booked seconds per room from the bookings themselves (those starting
    from the longest booking before the month to its end)."""
    tz = community.tz
    low, high = slots.month_bounds(month, tz)
    longest_any = max((longest(r) for r in community.rooms), default=0)
    repo = Rooms(store)
    rooms = {r.id: r for r in community.rooms}
    counted: dict[str, float] = {}
    for booking in await repo.many(await repo.between(low - longest_any, high)):
        room = rooms.get(booking.room)
        if room is None or booking.status != "approved":
            continue
        seconds = slots.usage_by_month(room, booking.start, booking.end, tz).get(month, 0.0)
        counted[room.id] = counted.get(room.id, 0.0) + round(seconds)
    return counted


def previous_month(ctx: Context) -> str:
    first = slots.local(ctx.now, ctx.community.tz).date().replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


async def schedule_month(ctx: Context) -> None:
    """The monthly line to staff: the 1st of next month, 09:00 (scheduling it again keeps it)."""
    tz = ctx.community.tz
    today = slots.local(ctx.now, tz).date()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    due = datetime.combine(first, time(9, 0), tzinfo=tz).timestamp()
    await timers.schedule(ctx, TIMER, "month", due, "rooms", step="month")


def rate_words(ctx: Context, usage: Usage) -> str:
    if usage.rate is None:
        return ctx.t("rooms.report_closed", name=usage.room.name)
    return ctx.t("rooms.report_room", name=usage.room.name, rate=f"{usage.rate:.0%}",
                 booked=f"{usage.booked_hours:g}", open=f"{usage.open_hours:g}",
                 idle=ctx.t("rooms.report_idle") if usage.idle else "")


async def on_month(ctx: Context) -> None:
    """Last month's utilisation to staff, each room a line, idle ones flagged."""
    if not ctx.community.rooms:
        return
    month = previous_month(ctx)
    rows = await usage_of(ctx.services.store, ctx.community, month)
    text = "\n".join([ctx.t("rooms.report_header", month=f"{int(month[:4])}年{int(month[5:])}月")]
                     + [rate_words(ctx, u) for u in rows])
    staff = [p.id for p in ctx.community.with_role("staff")] or \
        [p.id for p in ctx.community.people.values() if p.handles_tickets]
    for person in staff:
        ctx.tell(person, text)
    await schedule_month(ctx)
