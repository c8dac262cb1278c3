"""`linli admin rooms …`: the rooms and equipment the community file lends, their bookings,
and utilisation per room per month with the idle flag (every read audited)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import date, datetime, timedelta
from typing import Any, Callable, TextIO

from bot.admin.common import STDOUT, AdminError, audit, context, fail, iso, unknown
from bot.app import Runtime
from handlers import rooms
from storage.rooms import STATUSES, Rooms

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _today(runtime: Runtime) -> date:
    return datetime.fromtimestamp(runtime.clock.now(), runtime.settings.community.tz).date()


def _show(rows: list[dict[str, Any]], as_json: bool, out: TextIO, line: Callable[[dict], str], footer: str) -> int:
    """The rows as JSON, or a line each and the footer."""
    if as_json:
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    out.writelines(line(r) + "\n" for r in rows)
    out.write(footer + "\n")
    return 0


async def list_rooms(runtime: Runtime, as_json: bool, out: TextIO = STDOUT) -> int:
    community = runtime.settings.community
    rows = [{"id": r.id, "name": r.name, "words": list(r.words), "kind": r.kind, "open": r.open,
             "closed": sorted(r.closed), "approval": r.approval,
             "max": f"{r.max_days} day(s)" if r.equipment else f"{r.max_hours:g} hour(s)",
             "ahead_days": r.ahead_days, "approvers": list(r.approvers) or ["(staff)"]} for r in community.rooms]
    await audit(runtime, "list", "rooms")
    return _show(rows, as_json, out, lambda r: f"{r['id']:<12} {r['name']:<6} {r['kind']:<9} "
                 f"{'approval' if r['approval'] else 'open':<8} max {r['max']:<10} open {r['open']}",
                 f"{len(rows)} room(s)")


def _day(value: str | None, default: date, what: str) -> date:
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise AdminError(f"--{what} {value!r} is not a date such as 2026-12-20") from None


async def list_bookings(runtime: Runtime, room: str | None, first: str | None, last: str | None,
                        status: str | None, as_json: bool, out: TextIO = STDOUT) -> int:
    community = runtime.settings.community
    tz = community.tz
    if room is not None and room not in {r.id for r in community.rooms}:
        raise unknown("room", room, [r.id for r in community.rooms])
    if status is not None and status not in STATUSES:
        raise unknown("status", status, STATUSES)
    today = _today(runtime)
    low_day = _day(first, today, "from")
    high_day = _day(last, low_day + timedelta(days=31), "to")
    if high_day < low_day:
        raise AdminError("--to is before --from")
    repo = Rooms(runtime.store)
    low, high = rooms.midnight(low_day, tz), rooms.midnight(high_day + timedelta(days=1), tz)
    found = [b for b in await repo.many(await repo.between(low, high))
             if (room is None or b.room == room) and (status is None or b.status == status)]
    names = {r.id: r for r in community.rooms}
    rows = [{"ref": b.ref, "room": b.room, "person": b.person,
             "name": community.people[b.person].name if b.person in community.people else b.person,
             "start": iso(b.start, runtime), "end": iso(b.end, runtime),
             "when": rooms.span_words(b.start, b.end, tz, bool(names.get(b.room) and names[b.room].equipment)),
             "status": b.status, "created_at": iso(b.created_at, runtime), "by": b.by or None,
             "reason": b.reason or None} for b in found]
    await audit(runtime, "list", "rooms:bookings")
    return _show(rows, as_json, out, lambda r: f"{r['ref']:<6} {r['room']:<12} {r['when']:<30} {r['status']:<10} "
                 f"{r['person']:<10} {r['reason'] or ''}", f"{len(rows)} booking(s) from {low_day} to {high_day}")


async def usage(runtime: Runtime, month: str | None, recount: bool, as_json: bool, out: TextIO = STDOUT) -> int:
    community = runtime.settings.community
    if month is None:
        month = f"{_today(runtime):%Y-%m}"
    if not _MONTH.match(month):
        raise AdminError(f"--month {month!r} is not a month such as 2026-12")
    rows = [{"room": u.room.id, "name": u.room.name, "month": month, "open_hours": round(u.open_hours, 2),
             "booked_hours": round(u.booked_hours, 2),
             "utilisation": None if u.rate is None else round(u.rate, 4), "idle": u.idle}
            for u in await rooms.usage_of(runtime.store, community, month, recount=recount)]
    await audit(runtime, "view", f"rooms:usage:{month}")

    def line(r: dict) -> str:
        rate = "closed" if r["utilisation"] is None else f"{r['utilisation']:.1%}"
        return (f"{r['room']:<12} {r['name']:<6} booked {r['booked_hours']:>7g} h of {r['open_hours']:>7g} h "
                f"{rate:>7}  {'闲置 (idle)' if r['idle'] else ''}")

    return _show(rows, as_json, out, line, f"{month}: idle (闲置) = utilisation below {rooms.IDLE_BELOW:.0%} of "
                 f"opening hours{' (recounted from the bookings)' if recount else ''}")


def register(areas: argparse._SubParsersAction, community_options) -> None:
    area = areas.add_parser("rooms", help="rooms and equipment lent (预约): list, bookings, usage")
    actions = area.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the rooms and equipment the community file lends")
    community_options(listing)
    listing.add_argument("--json", action="store_true", help="JSON output")
    bookings = actions.add_parser("bookings", help="bookings starting in a date range (default: the next 31 days)")
    community_options(bookings)
    bookings.add_argument("--room", help="one room's id")
    bookings.add_argument("--from", dest="first", help="first day, e.g. 2026-12-01 (default: today)")
    bookings.add_argument("--to", dest="last", help="last day, e.g. 2026-12-31 (default: 31 days after --from)")
    bookings.add_argument("--status", help=f"only this status ({', '.join(STATUSES)})")
    bookings.add_argument("--json", action="store_true", help="JSON output")
    used = actions.add_parser("usage", help="utilisation per room in a month; 闲置 below 70%% of opening hours")
    community_options(used)
    used.add_argument("--month", help="e.g. 2026-12 (default: this month)")
    used.add_argument("--recount", action="store_true", help="count from the bookings instead of the counters")
    used.add_argument("--json", action="store_true", help="JSON output")


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    await context(runtime)     # a console's fake clock, if the data directory has one, is "today" here too
    try:
        if args.action == "list":
            return await list_rooms(runtime, args.json)
        if args.action == "bookings":
            return await list_bookings(runtime, args.room, args.first, args.last, args.status, args.json)
        return await usage(runtime, args.month, args.recount, args.json)
    except AdminError as exc:
        return fail(str(exc))
