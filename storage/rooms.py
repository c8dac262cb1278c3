"""Bookings of the rooms and equipment a community lends: one hash per booking (B3), each
room's live bookings in a sorted set by start (pending or approved; they never overlap),
indexes by person, by start and of those waiting for approval, and a usage counter per
month (room -> approved seconds within opening hours), so a month's report reads one hash.

Booking is one script (storage/lua/room_book.lua): the overlap check and the insert
together, once per event, so of two residents asking for one slot at once exactly one gets
it. Every status change is another (storage/lua/room_change.lua), guarded by the status
the caller read and once per operation key, moving the usage counters with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from storage.keys import NEW_ID
from storage.store import Store

STATUSES = ("pending", "approved", "refused", "cancelled", "lapsed")
LIVE = ("pending", "approved")


@dataclass
class Booking:
    id: int
    room: str
    person: str
    start: float
    end: float
    status: str
    created_at: float = 0.0
    text: str = ""               # what the resident wrote after the room's name
    by: str = ""                 # who decided (批准, 拒绝) or cancelled
    decided_at: float | None = None
    reason: str = ""             # a refusal's or cancellation's reason

    @property
    def ref(self) -> str:
        return f"B{self.id}"

    @property
    def live(self) -> bool:
        return self.status in LIVE


class Booked(NamedTuple):
    result: str          # ok | replay | taken
    id: int | None       # the booking made (ok, replay)
    other: int | None    # the booking in the way (taken)


def _decode(raw: dict[str, str]) -> Booking:
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in Booking.__dataclass_fields__:
            continue
        if name == "id":
            values[name] = int(value)
        elif name in ("start", "end", "created_at", "decided_at"):
            values[name] = float(value) if value != "" else None
        else:
            values[name] = value
    return Booking(**values)


def _usage_args(k, usage: dict[str, float]) -> tuple[list[str], list[str]]:
    months = sorted(m for m, seconds in usage.items() if round(seconds))
    return [k.room_usage(m) for m in months], [str(round(usage[m])) for m in months]


class Rooms:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        self.scripts = store.scripts
        self.k = store.keys

    async def book(self, event_id: str, room: str, person: str, start: float, end: float, status: str,
                   fields: dict[str, Any], usage: dict[str, float]) -> Booked:
        """A live booking of [start, end) unless one overlaps it; `usage`: seconds per month
        to count now (an approved booking's), else {}."""
        k = self.k
        usage_keys, usage_values = _usage_args(k, usage)
        values = {name: str(value) for name, value in {**fields, "person": person}.items() if value is not None}
        result, made, other = await self.scripts["room_book"](
            keys=[k.room_booking_by_event(), k.room_booking_seq(), k.room_slots(room), k.room_slot_ends(room),
                  k.room_bookings_of(person), k.room_bookings(), k.room_bookings_pending(), *usage_keys],
            args=[event_id, k.room_booking(NEW_ID), repr(start), repr(end), json.dumps(values, ensure_ascii=False),
                  room, status, *usage_values])
        return Booked(result, int(made) if made else None, int(other) if other else None)

    async def get(self, booking_id: int) -> Booking | None:
        raw = await self.redis.hgetall(self.k.room_booking(booking_id))
        return _decode(raw) if raw else None

    async def many(self, ids: list[int | str]) -> list[Booking]:
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for booking_id in ids:
                pipe.hgetall(self.k.room_booking(booking_id))
            raws = await pipe.execute()
        return [_decode(raw) for raw in raws if raw]

    async def change(self, booking: Booking, op_key: str, allowed: tuple[str, ...], status: str,
                     fields: dict[str, Any], usage: dict[str, float]) -> tuple[str, str]:
        """(ok | replay | conflict | missing, the status before). `usage`: seconds per
        month to add (negative to take back)."""
        k = self.k
        usage_keys, usage_values = _usage_args(k, usage)
        values = {name: str(value) for name, value in fields.items() if value is not None}
        result, before = await self.scripts["room_change"](
            keys=[k.room_booking(booking.id), k.room_booking_ops(booking.id), k.room_slots(booking.room),
                  k.room_slot_ends(booking.room), k.room_bookings_pending(), *usage_keys],
            args=[op_key, ",".join(allowed), status, json.dumps(values, ensure_ascii=False), booking.room,
                  *usage_values])
        return result, before

    async def live_between(self, room: str, low: float, high: float, longest: float) -> list[tuple[int, float, float]]:
        """(id, start, end) of the room's live bookings overlapping [low, high); `longest`:
        the longest a booking may be (so the range read stays small)."""
        k = self.k
        found = await self.redis.zrangebyscore(k.room_slots(room), low - longest, f"({high}", withscores=True)
        if not found:
            return []
        ends = await self.redis.hmget(k.room_slot_ends(room), [member for member, _ in found])
        return [(int(member), start, float(end)) for (member, start), end in zip(found, ends)
                if end is not None and float(end) > low]

    async def of_person(self, person: str) -> list[int]:
        return [int(i) for i in await self.redis.zrange(self.k.room_bookings_of(person), 0, -1)]

    async def between(self, low: float, high: float) -> list[int]:
        """Every booking starting in [low, high) (any status)."""
        return [int(i) for i in await self.redis.zrangebyscore(self.k.room_bookings(), low, f"({high}")]

    async def pending(self) -> list[int]:
        return [int(i) for i in await self.redis.zrange(self.k.room_bookings_pending(), 0, -1)]

    async def usage(self, month: str) -> dict[str, float]:
        return {room: float(value) for room, value in (await self.redis.hgetall(self.k.room_usage(month))).items()}

    async def forget_person(self, booking: Booking, placeholder: str) -> None:
        """The booking no longer names who made it, nor what they wrote."""
        await self.redis.hset(self.k.room_booking(booking.id), mapping={"person": placeholder, "text": ""})

    async def drop_index_of(self, person: str) -> None:
        await self.redis.delete(self.k.room_bookings_of(person))
