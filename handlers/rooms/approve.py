"""Staff (or a room's `approvers`) decide on bookings that wait for approval: `批准 B3`,
`拒绝 B3 原因`, `批准` alone lists what waits. A pending booking holds its slot (first
come) until refused or lapsed: with no decision it lapses when its reminder would be due
(2 hours before a room's start, 18:00 the evening before equipment's loan; at its start
if booked later than that), and the resident is told. The timers: reminders, lapses, the monthly line."""

from __future__ import annotations

from handlers.context import Context
from handlers.permissions import Refusal
from handlers.rooms import slots
from handlers.rooms.common import (MAY_DECIDE, addressed, approvers, line, load, repo, room_by_id, room_name,
                                   schedule_reminder, unschedule, when)
from handlers.rooms.usage import on_month
from storage.rooms import Booking


async def approve(ctx: Context, args: str) -> None:
    if not args.strip():
        if addressed(ctx):       # "批准" alone in a group may be staff talking to each other
            await _waiting(ctx)
        return
    booking, _ = await load(ctx, args, "rooms.usage.approve", quiet=True)
    MAY_DECIDE.require(ctx, booking, "rooms.not_approver", ref=booking.ref)
    _still_pending(ctx, booking)
    room = room_by_id(ctx, booking.room)
    usage = slots.usage_by_month(room, booking.start, booking.end, ctx.community.tz) if room else {}
    result, before = await repo(ctx).change(booking, ctx.event.id, ("pending",), "approved",
                                            {"by": ctx.person.id, "decided_at": ctx.now}, usage)
    if result == "conflict":
        raise Refusal("rooms.not_pending", ref=booking.ref, status=ctx.t(f"rooms.status.{before}"))
    booking = await repo(ctx).get(booking.id)
    await unschedule(ctx, booking)
    if room:
        await schedule_reminder(ctx, room, booking)
    ctx.reply(ctx.t("rooms.approved", ref=booking.ref, who=ctx.name_of(booking.person)))
    ctx.tell(booking.person, ctx.t("rooms.approved_owner", ref=booking.ref, name=room_name(ctx, booking),
                                   when=when(ctx, booking)))


async def refuse(ctx: Context, args: str) -> None:
    booking, reason = await load(ctx, args, "rooms.usage.refuse", quiet=True)
    MAY_DECIDE.require(ctx, booking, "rooms.not_approver", ref=booking.ref)
    if not reason:
        raise Refusal("rooms.reason_needed", ref=booking.ref)
    _still_pending(ctx, booking)
    result, before = await repo(ctx).change(booking, ctx.event.id, ("pending",), "refused",
                                            {"by": ctx.person.id, "decided_at": ctx.now, "reason": reason}, {})
    if result == "conflict":
        raise Refusal("rooms.not_pending", ref=booking.ref, status=ctx.t(f"rooms.status.{before}"))
    await unschedule(ctx, booking)
    ctx.reply(ctx.t("rooms.refused", ref=booking.ref, who=ctx.name_of(booking.person)))
    ctx.tell(booking.person, ctx.t("rooms.refused_owner", ref=booking.ref, name=room_name(ctx, booking),
                                   when=when(ctx, booking), reason=reason))


def _still_pending(ctx: Context, booking: Booking) -> None:
    if booking.status != "pending":
        raise Refusal("rooms.not_pending", ref=booking.ref, status=ctx.t(f"rooms.status.{booking.status}"))


async def _waiting(ctx: Context) -> None:
    bookings = [b for b in await repo(ctx).many(await repo(ctx).pending()) if MAY_DECIDE.allows(ctx, b)]
    if not bookings:
        ctx.reply(ctx.t("rooms.waiting_none"))
        return
    ctx.reply("\n".join([ctx.t("rooms.waiting_header")]
                        + [f"{line(ctx, b)} {ctx.name_of(b.person)}" for b in bookings]
                        + [ctx.t("rooms.waiting_how", ref=bookings[0].ref)]))


async def on_timer(ctx: Context) -> None:
    data = ctx.event.data
    if data.get("step") == "month":
        await on_month(ctx)
        return
    booking = await repo(ctx).get(int(data["booking"]))
    if booking is None:
        return
    if data.get("step") == "remind":
        if booking.status == "approved" and booking.start > ctx.now:
            ctx.tell(booking.person, ctx.t("rooms.remind", ref=booking.ref, name=room_name(ctx, booking),
                                           when=when(ctx, booking)))
        return
    if data.get("step") == "lapse" and booking.status == "pending":
        result, _ = await repo(ctx).change(booking, ctx.event.id, ("pending",), "lapsed",
                                           {"by": "system", "decided_at": ctx.now}, {})
        if result in ("ok", "replay"):
            ctx.tell(booking.person, ctx.t("rooms.lapsed_owner", ref=booking.ref, name=room_name(ctx, booking),
                                           when=when(ctx, booking)))
            room = room_by_id(ctx, booking.room)
            for person in approvers(ctx, room) if room else []:
                ctx.tell(person, ctx.t("rooms.lapsed_staff", ref=booking.ref, name=room_name(ctx, booking),
                                       who=ctx.name_of(booking.person)))
