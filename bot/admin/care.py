"""`linli admin care …`: staff enrol an elder in care and read who is in care, their last
sign of life, open alarms and the care log (every read and change audited)."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from bot.admin.common import AdminError, actor, audit, context, fail, iso, person_of, STDOUT
from bot.app import Runtime
from handlers import care
from storage.care import Care


def _name(runtime: Runtime, person_id: str) -> str:
    person = runtime.settings.community.people.get(person_id)
    return person.name if person else person_id


async def _row(runtime: Runtime, person_id: str, raw: dict[str, Any]) -> dict[str, Any]:
    state = await Care(runtime.store).state(person_id)
    alarm = state["alarm"]
    now = runtime.clock.now()
    return {
        "person": person_id, "name": _name(runtime, person_id), "guardians": raw.get("guardians", []),
        "check_time": raw.get("check_time") or runtime.settings.community.care.check_time,
        "consent": raw.get("consent"), "enrolled_by": raw.get("by"), "enrolled_how": raw.get("how"),
        "enrolled_at": iso(raw.get("at"), runtime),
        "last_sign": iso(state.get("last_sign"), runtime), "last_sign_what": state.get("last_sign_what"),
        "last_water": iso(state.get("last_water"), runtime),
        "away_until": iso(state["away_until"], runtime) if state.get("away_until", 0) > now else None,
        "alarm": None if alarm is None else {
            "reason": alarm["reason"], "opened": iso(alarm["opened"], runtime), "asked": alarm.get("asked", []),
            "claimed_by": await Care(runtime.store).claimant(person_id, alarm["id"]), "urgent": alarm.get("urgent"),
            "note": alarm.get("note", "")},
    }


async def _enrolment(runtime: Runtime, ref: str) -> tuple[str, dict[str, Any]]:
    person = person_of(runtime.settings.community, ref)
    raw = await Care(runtime.store).enrolment(person.id)
    if raw is None:
        raise AdminError(f"{person.id} ({person.name}) is not in care (不在关爱名单)")
    return person.id, raw


async def list_care(runtime: Runtime, as_json: bool, out: TextIO = STDOUT) -> int:
    rows = [await _row(runtime, person, raw) for person, raw in (await Care(runtime.store).enrolled()).items()]
    await audit(runtime, "list", "care")
    if as_json:
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for r in rows:
        state = "ALARM" if r["alarm"] else ("away" if r["away_until"] else "ok")
        out.write(f"{r['person']:<12} {r['name']:<6} {state:<6} last={r['last_sign'] or '-':<26} "
                  f"guardians={','.join(r['guardians'])}\n")
    out.write(f"{len(rows)} person(s) in care\n")
    return 0


async def show_care(runtime: Runtime, ref: str, as_json: bool, out: TextIO = STDOUT) -> int:
    person_id, raw = await _enrolment(runtime, ref)
    row = await _row(runtime, person_id, raw)
    await audit(runtime, "view", f"care:{person_id}")
    if as_json:
        json.dump(row, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        for key, value in row.items():
            out.write(f"{key:15} {json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value if value is not None else ''}\n")
    return 0


async def log_care(runtime: Runtime, ref: str, as_json: bool, out: TextIO = STDOUT) -> int:
    person_id, _ = await _enrolment(runtime, ref)
    texts = runtime.services.texts
    entries = [{"at": iso(e["at"], runtime), "what": e["what"], "label": texts(f"care.what.{e['what']}"),
                "by": e.get("by"), "note": e.get("note", "")} for e in await Care(runtime.store).entries(person_id)]
    await audit(runtime, "view", f"care:{person_id}:log")
    if as_json:
        json.dump(entries, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for e in entries:
        out.write(f"{e['at']}  {e['what']:<12} {e['by'] or '':<10} {e['label']} {e['note']}\n")
    return 0


async def enrol_care(runtime: Runtime, ref: str, guardians: list[str], consent: str, check_time: str | None,
                     out: TextIO = STDOUT) -> int:
    community = runtime.settings.community
    person = person_of(community, ref)
    found = [person_of(community, g).id for g in guardians]
    if not found:
        raise AdminError("at least one --guardian is required")
    if person.id in found:
        raise AdminError("a person is not their own guardian")
    if not consent.strip():
        raise AdminError("--consent is required: how the person agreed (本人当面同意，日期，记录人)")
    if check_time is not None and care.parse_time(check_time) is None:
        raise AdminError(f"--check-time {check_time!r} is not a time of day such as 10:00")
    ctx = await context(runtime)
    repo = Care(runtime.store)
    old = await repo.enrolment(person.id)
    enrolment = care.Enrolment(person=person.id, guardians=tuple(dict.fromkeys(found)), consent=consent.strip(),
                               check_time=care.parse_time(check_time) if check_time else (old or {}).get("check_time"),
                               by=actor(), at=(old or {}).get("at") or ctx.now, how="cli")
    await repo.enrol(person.id, enrolment.record())
    await care.log(ctx, person.id, "enrolled", f"{consent.strip()}；{','.join(enrolment.guardians)}", by=actor())
    if old is None:
        await care.schedule_check(ctx, enrolment)
    await care.schedule_week(ctx)
    await audit(runtime, "care_enrol", f"care:{person.id}")
    out.write(f"{'updated' if old else 'enrolled'} {person.id} ({person.name}); guardians "
              f"{', '.join(enrolment.guardians)}; daily check {enrolment.check_time or community.care.check_time}\n")
    return 0


def register(areas: argparse._SubParsersAction, community_options) -> None:
    area = areas.add_parser("care", help="elders living alone (关爱): enrol, list, show, log")
    actions = area.add_subparsers(dest="action", required=True, metavar="ACTION")
    enrol = actions.add_parser("enrol", help="enrol a person in care with their guardians and consent")
    community_options(enrol)
    enrol.add_argument("person", help="id or full name")
    enrol.add_argument("--guardian", action="append", default=[], help="a guardian (repeat for each)")
    enrol.add_argument("--consent", required=True, help="how the person agreed, e.g. '本人当面同意，2024-05-01'")
    enrol.add_argument("--check-time", help="the daily check, e.g. 10:00 (default: [care] check_time)")
    listing = actions.add_parser("list", help="who is in care, last sign of life, open alarms")
    community_options(listing)
    listing.add_argument("--json", action="store_true", help="JSON output")
    for name, helptext in (("show", "one person's enrolment and state"), ("log", "one person's care log")):
        sub = actions.add_parser(name, help=helptext)
        community_options(sub)
        sub.add_argument("person", help="id or full name")
        sub.add_argument("--json", action="store_true", help="JSON output")


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    try:
        if args.action == "enrol":
            return await enrol_care(runtime, args.person, args.guardian, args.consent, args.check_time)
        if args.action == "list":
            return await list_care(runtime, args.json)
        if args.action == "show":
            return await show_care(runtime, args.person, args.json)
        return await log_care(runtime, args.person, args.json)
    except AdminError as exc:
        return fail(str(exc))
