"""`linli admin people …`: households of the community.

    linli admin people import ROSTER.csv [--dry-run]   person id, name, household, verified
    linli admin people link-code PERSON                a one-time code for 绑定 on a new account
    linli admin people web-login PERSON                a one-time sign-in link to the web workbench
    linli admin people unverified [--json]             registrations waiting for 核实
    linli admin people verify PERSON                   the same as 核实 @PERSON in chat
    linli admin people households [--building B] [--json]

An import is all or nothing: every row is checked first (a known person, the name the
community file gives them, a building-unit-room, a yes/no), and one bad row imports none.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import TextIO

from bot.admin.common import actor as _actor, audit as _audit, iso as _iso, STDOUT
from bot.app import Runtime
from handlers.people.households import describe, memberships, parse_household
from handlers.people.linking import CODE_TTL
from handlers.people.web_login import login_link, may_sign_in
from storage.web import LINK_SECONDS
from storage.households import Households
from storage.identities import LinkCodes

YES = {"1", "true", "yes", "y", "是", "已核实", "核实", "verified"}
NO = {"", "0", "false", "no", "n", "否", "未核实", "pending"}
HEADER_WORDS = {"id", "person", "person_id", "person id", "编号", "人员编号"}


def read_roster(path: str, runtime: Runtime) -> tuple[list[tuple[str, str, bool]], list[str]]:
    """(person, household, verified) rows and the problems found, by line number."""
    people = runtime.settings.community.people
    rows: list[tuple[str, str, bool]] = []
    problems: list[str] = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for number, cells in enumerate(csv.reader(handle), 1):
            cells = [c.strip() for c in cells]
            if not any(cells):
                continue
            if number == 1 and cells[0].lower() in HEADER_WORDS:
                continue
            if len(cells) != 4:
                problems.append(f"{path}:{number}: expected 4 columns (person id, name, household, verified), "
                                f"got {len(cells)}")
                continue
            person_id, name, raw_household, raw_verified = cells
            person = people.get(person_id)
            household = parse_household(raw_household)
            if person is None:
                problems.append(f"{path}:{number}: unknown person {person_id!r} (not in the community file)")
            elif name and name != person.name:
                problems.append(f"{path}:{number}: {person_id} is {person.name!r} in the community file, "
                                f"not {name!r}")
            if household is None:
                problems.append(f"{path}:{number}: {raw_household!r} is not building-unit-room "
                                f"(e.g. 3-2-502 or 3栋2单元502)")
            if raw_verified.lower() not in YES | NO:
                problems.append(f"{path}:{number}: verified must be yes or no, not {raw_verified!r}")
            if person is not None and household is not None and raw_verified.lower() in YES | NO:
                # The unit the community file gives is verified already (staff wrote that file).
                verified = raw_verified.lower() in YES or household == person.household
                rows.append((person_id, household, verified))
    return rows, problems


async def import_roster(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    try:
        rows, problems = read_roster(args.file, runtime)
    except OSError as exc:
        print(f"linli: error: {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    if problems:
        for problem in problems:
            print(f"linli: {problem}", file=sys.stderr)
        print(f"linli: nothing imported: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    if not args.dry_run:
        repo = Households(runtime.store)
        now = runtime.clock.now()
        for person_id, household, verified in rows:
            await repo.register(person_id, household, now, _actor(), "import", verified=verified)
        await _audit(runtime, "people_import", f"{args.file} rows={len(rows)}")
    verified = sum(1 for r in rows if r[2])
    out.write(f"{'would import' if args.dry_run else 'imported'} {len(rows)} row(s): {verified} verified, "
              f"{len(rows) - verified} waiting for verification\n")
    return 0


async def unverified(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    community = runtime.settings.community
    pending = sorted((r for r in (await Households(runtime.store).all()).values() if not r.verified),
                     key=lambda r: r.at)
    await _audit(runtime, "list", "households unverified")
    rows = [{"person": r.person, "name": community.people[r.person].name if r.person in community.people else None,
             "household": r.household, "registered_at": _iso(r.at, runtime), "source": r.source} for r in pending]
    if args.json:
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for r in rows:
        out.write(f"{r['person']:<12} {r['name'] or '':<8} {describe(r['household']):<14} {r['registered_at']} "
                  f"({r['source']})\n")
    out.write(f"{len(rows)} registration(s) waiting for verification\n")
    return 0


async def verify(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    result, household = await Households(runtime.store).verify(args.person, _actor(), runtime.clock.now())
    if result == "unregistered":
        print(f"linli: {args.person} has no registration to verify", file=sys.stderr)
        return 1
    await _audit(runtime, "household_verify", f"person:{args.person}")
    out.write(f"{args.person}: {household} {'verified' if result == 'ok' else 'was verified already'}\n")
    return 0


async def households(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    found = await memberships(runtime.settings.community, Households(runtime.store))
    rows = sorted(({"person": m.person, "household": m.household, "verified": m.verified, "source": m.source}
                   for m in found.values() if args.building is None or m.building == args.building),
                  key=lambda r: (r["household"], r["person"]))
    await _audit(runtime, "list", f"households building={args.building or '*'}")
    if args.json:
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for r in rows:
        out.write(f"{r['household']:<10} {r['person']:<12} {'verified' if r['verified'] else 'pending':<9} "
                  f"{r['source']}\n")
    out.write(f"{len(rows)} person(s) in {len({r['household'] for r in rows})} household(s)\n")
    return 0


def register(areas: argparse._SubParsersAction, community_options) -> None:
    people = areas.add_parser("people", help="households: import a roster, verify registrations")
    actions = people.add_subparsers(dest="action", required=True, metavar="ACTION")
    roster = actions.add_parser("import", help="import a roster CSV: person id, name, household, verified")
    community_options(roster)
    roster.add_argument("file", metavar="FILE")
    roster.add_argument("--dry-run", action="store_true", help="check the file, import nothing")
    pending = actions.add_parser("unverified", help="registrations waiting for verification")
    community_options(pending)
    pending.add_argument("--json", action="store_true")
    check = actions.add_parser("verify", help="verify a person's registered household")
    community_options(check)
    check.add_argument("person", metavar="PERSON")
    code = actions.add_parser("link-code", help="a one-time code the person sends (绑定 CODE) from a new account")
    community_options(code)
    code.add_argument("person", metavar="PERSON")
    login = actions.add_parser("web-login", help="a one-time sign-in link to the web workbench (its last line; "
                                                 f"{LINK_SECONDS // 60} minutes, once)")
    community_options(login)
    login.add_argument("person", metavar="PERSON")
    listing = actions.add_parser("households", help="everyone's household, file and registrations merged")
    community_options(listing)
    listing.add_argument("--building", help="only this building, e.g. 3")
    listing.add_argument("--json", action="store_true")


async def link_code(args: argparse.Namespace, runtime: Runtime) -> int:
    person = runtime.settings.community.people.get(args.person)
    if person is None:
        print(f"linli: no person {args.person!r} in {runtime.settings.community.source}", file=sys.stderr)
        return 1
    code = await LinkCodes(runtime.store).issue(person.id, CODE_TTL)
    await _audit(runtime, "link_code", f"person:{person.id}")
    print(f"{code}  ({person.name}: send “绑定 {code}” to the bot in a 1:1 chat within {CODE_TTL // 3600} hours; "
          "it works once)")
    return 0


async def web_login(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    """A sign-in link for the first set-up (later, staff send 登录 to the bot); the URL is
    the last line, for scripts."""
    settings = runtime.settings
    person = settings.community.find_person(args.person)
    if person is None:
        print(f"linli: error: no person {args.person!r} in {settings.community.source}", file=sys.stderr)
        return 1
    if not settings.web_url:
        print("linli: error: the web workbench is not served: set LINLI_WEB_URL (and LINLI_WEB_SECRET)",
              file=sys.stderr)
        return 2
    if not may_sign_in(runtime.services, person):
        print(f"linli: error: {person.id} ({person.name}) may not sign in: the workbench is for staff, grid "
              "workers, the secretary and departments' contacts", file=sys.stderr)
        return 1
    url = await login_link(runtime.services, person.id)
    await _audit(runtime, "web_link", f"person:{person.id}")
    out.write(f"{person.name} ({person.id}): open this within {LINK_SECONDS // 60} minutes; it works once\n{url}\n")
    return 0


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    handler = {"import": import_roster, "unverified": unverified, "verify": verify, "households": households,
               "link-code": link_code, "web-login": web_login}
    return await handler[args.action](args, runtime)
