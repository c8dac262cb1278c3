"""`linli admin privacy …`: staff read what linli keeps about a person, erase a person on
their written request (audited with who, when and the request's reference), list the
erased, and run or preview the retention job (README "Your data: what linli keeps, for
how long, and erasure")."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from bot.admin.common import AdminError, STDOUT, actor, audit, context, fail, iso, person_of
from bot.app import Runtime
from handlers import privacy
from storage.privacy import Privacy


async def show(runtime: Runtime, ref: str, as_json: bool, out: TextIO = STDOUT) -> int:
    person = person_of(runtime.settings.community, ref)
    ctx = await context(runtime)
    erased = (await Privacy(runtime.store).erased()).get(person.id)
    lines = [] if erased else await privacy.kept_about_all(ctx, person.id)
    await audit(runtime, "privacy_view", f"person:{person.id}")
    if as_json:
        json.dump({"person": person.id, "erased": erased, "kept": lines}, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    if erased:
        out.write(f"{person.id}: erased {iso(erased['at'], runtime)} by {erased['by']} "
                  f"(request: {erased['request']}); nothing is kept about them\n")
        return 0
    out.write(f"{person.id} ({person.name}):\n")
    for line in lines or ["(nothing stored beyond the community file's entry)"]:
        out.write(f"  {line}\n")
    return 0


async def erase(runtime: Runtime, ref: str, request: str, yes: bool, out: TextIO = STDOUT) -> int:
    community = runtime.settings.community
    person = person_of(community, ref)
    if not request.strip():
        raise AdminError("--request is required: the written request's date and reference "
                         "(e.g. \"2026-12-06 书面申请 编号 A-17\")")
    if not yes:
        raise AdminError(f"erasing {person.id} ({person.name}) cannot be undone: run again with --yes "
                         "(`linli admin privacy show` lists what is kept)")
    before = (await Privacy(runtime.store).erased()).get(person.id)
    if before:
        out.write(f"{person.id} was erased {iso(before['at'], runtime)} by {before['by']} "
                  f"(request: {before['request']}); erasing again finishes anything left\n")
    ctx = await context(runtime)
    changed = await privacy.erase_person(ctx, person.id, by=actor(), request=request.strip(), via="cli")
    counts = ", ".join(f"{name} {n}" for name, n in changed.items() if n) or "nothing stored"
    out.write(f"erased {person.id}: {counts}. The ledger's entries stay (hash-chained); nothing links "
              f"them to a person now.\n"
              f"Now remove the [[people]] entry id = \"{person.id}\" from the community file "
              f"({community.source or 'community.toml'}), and any [[care.people]] or [[devices]] naming it, "
              f"then restart linli. Until then linli treats the id as nobody.\n")
    return 0


async def erased(runtime: Runtime, as_json: bool, out: TextIO = STDOUT) -> int:
    records = await Privacy(runtime.store).erased()
    await audit(runtime, "privacy_list", "erased")
    if as_json:
        json.dump(records, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for pid, record in sorted(records.items(), key=lambda item: item[1]["at"]):
        still = " (still in the community file)" if pid in runtime.settings.community.people else ""
        out.write(f"{pid:<12} {iso(record['at'], runtime)}  by {record['by']:<16} "
                  f"request: {record['request']}{still}\n")
    out.write(f"{len(records)} person(s) erased\n")
    return 0


async def retention(runtime: Runtime, dry_run: bool, out: TextIO = STDOUT) -> int:
    ctx = await context(runtime)
    counts = await privacy.apply_retention(ctx, dry_run=dry_run)
    await audit(runtime, "privacy_retention_dry_run" if dry_run else "privacy_retention", "retention")
    rules = runtime.settings.community.retention
    verb = "would remove" if dry_run else "removed"
    out.write(f"{verb}: {counts['ticket_texts']} ended tickets' texts (older than {rules.ticket_text_months:g} "
              f"months), {counts['message_copies']} message copies (older than {rules.message_days:g} days), "
              f"{counts['audit_entries']} audit entries (older than {rules.audit_years:g} years)\n")
    return 0


def register(areas: argparse._SubParsersAction, community_options) -> None:
    area = areas.add_parser("privacy", help="a person's data: show, erase on a written request; erased; retention")
    actions = area.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub = actions.add_parser("show", help="what linli keeps about a person (as 我的数据 tells them)")
    community_options(sub)
    sub.add_argument("person", help="id or full name")
    sub.add_argument("--json", action="store_true", help="JSON output")
    sub = actions.add_parser("erase", help="erase a person on their written request (cannot be undone)")
    community_options(sub)
    sub.add_argument("person", help="id or full name")
    sub.add_argument("--request", required=True, help="the written request, e.g. '2026-12-06 书面申请 编号 A-17'")
    sub.add_argument("--yes", action="store_true", help="really erase")
    sub = actions.add_parser("erased", help="who was erased, when, by whom, on what request")
    community_options(sub)
    sub.add_argument("--json", action="store_true", help="JSON output")
    sub = actions.add_parser("retention", help="apply [retention] now (the daily job), or count with --dry-run")
    community_options(sub)
    sub.add_argument("--dry-run", action="store_true", help="count what is due, remove nothing")


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    try:
        if args.action == "show":
            return await show(runtime, args.person, args.json)
        if args.action == "erase":
            return await erase(runtime, args.person, args.request, args.yes)
        if args.action == "erased":
            return await erased(runtime, args.json)
        return await retention(runtime, args.dry_run)
    except AdminError as exc:
        return fail(str(exc))
