"""What the rooms package keeps about a person (我的数据) and forgetting it (注销): their
bookings, found through their own index (storage/rooms.py `room_bookings_of`)."""

from __future__ import annotations

from handlers.context import Context
from handlers.rooms import slots
from handlers.rooms.common import line, repo, room_by_id, unschedule

FORGOTTEN = "(已注销)"


async def kept_about(ctx: Context, person_id: str) -> list[str]:
    bookings = await repo(ctx).many(await repo(ctx).of_person(person_id))
    return [ctx.t("rooms.kept", line=line(ctx, b)) for b in bookings]


async def forget(ctx: Context, person_id: str) -> int:
    """Their bookings still to come are cancelled (the slot is freed, approved time is
    taken off the month's usage); every booking of theirs keeps its room and time for the
    usage figures but no longer names them or what they wrote. Idempotent: the index is
    gone after the first run."""
    rooms = repo(ctx)
    changed = 0
    for booking in await rooms.many(await rooms.of_person(person_id)):
        if booking.live and booking.end > ctx.now:
            room = room_by_id(ctx, booking.room)
            usage = {}
            if booking.status == "approved" and room is not None:
                usage = {m: -s for m, s in slots.usage_by_month(room, booking.start, booking.end,
                                                                 ctx.community.tz).items()}
            await rooms.change(booking, f"forget:{person_id}", (booking.status,), "cancelled",
                               {"by": "system", "decided_at": ctx.now, "reason": "本人注销"}, usage)
            await unschedule(ctx, booking)
        await rooms.forget_person(booking, FORGOTTEN)
        changed += 1
    await rooms.drop_index_of(person_id)
    return changed
