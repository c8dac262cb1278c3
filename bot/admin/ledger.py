"""`linli admin ledger …`: check the books, read them, and correct them the only way an
append-only ledger allows: with a new entry.

    linli admin ledger verify [--json]      exit 0: intact; 1: every problem listed
    linli admin ledger show [--person ID | --account ACCOUNT] [--last N] [--json]
    linli admin ledger balances [--unit points|hours] [--json]
    linli admin ledger adjust PERSON AMOUNT --unit points|hours --reason TEXT
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from dataclasses import asdict
from typing import TextIO

from bot.admin.common import AdminError, actor, audit as _audit, context, iso as _iso, person_of, STDOUT
from bot.app import Runtime
from handlers.points import adjusted
from handlers.points.verify import verify
from handlers.points.earning import hours_text, parse_hours
from storage.ledger import POOL, SINK, UNITS, Entry, Ledger, Transfer, Txn, account


def _amount(unit: str, amount: int) -> str:
    return hours_text(amount) if unit == "hours" else str(amount)


async def verify_ledger(runtime: Runtime, as_json: bool, out: TextIO = STDOUT) -> int:
    report = await verify(Ledger(runtime.store))
    if as_json:
        json.dump({"ok": report.ok, **asdict(report)}, out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif report.ok:
        out.write(f"ok: {report.entries} entries, hash chain intact, {report.balances} balances match\n")
    else:
        for problem in report.problems:
            out.write(f"MISMATCH {problem}\n")
        out.write(f"{len(report.problems)} problem(s) in {report.entries} entries\n")
    return 0 if report.ok else 1


def entry_json(entry: Entry, runtime: Runtime) -> dict:
    return {"seq": entry.seq, "at": _iso(entry.at, runtime), "key": entry.key, "unit": entry.unit,
            "from": entry.source, "to": entry.target, "amount": _amount(entry.unit, entry.amount),
            "kind": entry.kind, "note": entry.note, "by": entry.by, "ref": entry.ref, "hash": entry.hash}


async def show(runtime: Runtime, acct: str | None, last: int, as_json: bool, out: TextIO = STDOUT) -> int:
    books = Ledger(runtime.store)
    if acct:
        entries = list(reversed(await books.entries_of(acct, last)))
    else:
        total = await books.length()
        entries = await books.entries(max(1, total - last + 1), last)
    await _audit(runtime, "view", f"ledger:{acct or '*'}")
    rows = [entry_json(e, runtime) for e in entries]
    if as_json:
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for r in rows:
        out.write(f"{r['seq']:>6} {r['at']} {r['from']:>16} -> {r['to']:<16} {r['amount']:>7} {r['unit']:<6} "
                  f"{r['kind']:<16} {r['note']}\n")
    return 0


async def balances(runtime: Runtime, unit: str | None, as_json: bool, out: TextIO = STDOUT) -> int:
    cached = await Ledger(runtime.store).all_balances()
    rows = []
    for name, value in sorted(cached.items()):
        row_unit, _, acct = name.partition("|")
        if unit in (None, row_unit):
            rows.append({"account": acct, "unit": row_unit, "balance": _amount(row_unit, value)})
    await _audit(runtime, "view", "ledger:balances")
    if as_json:
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for r in rows:
        out.write(f"{r['account']:<24} {r['unit']:<6} {r['balance']:>9}\n")
    return 0


def account_of(runtime: Runtime, person: str | None, acct: str | None) -> str | None:
    """--person (an id or a full name) or --account (person:ID, pool or sink), checked: an
    unknown one is an error naming the close ones, not an empty listing."""
    community = runtime.settings.community
    if person:
        return account(person_of(community, person).id)
    if acct and acct not in (POOL, SINK):
        kind, _, who = acct.partition(":")
        if kind != "person" or not who:
            raise AdminError(f"unknown account {acct!r} (one of: person:ID, {POOL}, {SINK})")
        return account(person_of(community, who).id)
    return acct


async def adjust(runtime: Runtime, person: str, amount_text: str, unit: str, reason: str) -> int:
    """A correction is a new entry between the person and the pool; history stays as it was.
    The person is told privately, by the bot (a job due now: the running bot, or the next
    console run, sends it)."""
    community = runtime.settings.community
    person = person_of(community, person).id
    negative = amount_text.startswith("-")
    digits = amount_text.lstrip("+-")
    amount = parse_hours(digits) if unit == "hours" else (int(digits) if digits.isdigit() else None)
    if not amount:
        print(f"linli: amount must be a non-zero {'number of hours' if unit == 'hours' else 'whole number'}",
              file=sys.stderr)
        return 2
    floor = community.ledger.timebank.min_balance if unit == "hours" else 0
    source, target = (account(person), POOL) if negative else (POOL, account(person))
    key = f"adjust:{uuid.uuid4().hex}"
    txn = Txn(key=key, event=key, at=runtime.clock.now(), transfers=[
        Transfer(unit, source, target, amount, "adjusted", reason, actor(),
                 floor=floor if negative else None)])
    posted = await Ledger(runtime.store).post(txn)
    if posted.result == "insufficient":
        print(f"linli: {person} has {_amount(unit, int(posted.actual))} {unit}; that would go below "
              f"{_amount(unit, floor)}", file=sys.stderr)
        return 1
    await _audit(runtime, "adjust", f"ledger:{person} {amount_text} {unit}: {reason}")
    await adjusted.schedule_notice(await context(runtime), person, posted.seq)
    after = posted.balances[0] if negative else posted.balances[1]
    print(f"entry {posted.seq}: {person} {amount_text} {unit}, balance now {_amount(unit, after)}; "
          f"the bot tells {community.people[person].name} privately")
    return 0


def register(areas: argparse._SubParsersAction, community_options) -> None:
    ledger = areas.add_parser("ledger", help="verify, show and correct the points and time-bank ledger")
    actions = ledger.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("verify", help="recompute the hash chain and every balance (exit 1 on a mismatch)")
    community_options(check)
    check.add_argument("--json", action="store_true", help="JSON output")
    listing = actions.add_parser("show", help="the latest entries (of one account)")
    community_options(listing)
    listing.add_argument("--person", help="only this person's entries (id or full name)")
    listing.add_argument("--account", help="only this account: person:ID, pool or sink")
    listing.add_argument("--last", type=int, default=20, help="how many (default 20)")
    listing.add_argument("--json", action="store_true", help="JSON output")
    bal = actions.add_parser("balances", help="every account's balance")
    community_options(bal)
    bal.add_argument("--unit", choices=UNITS)
    bal.add_argument("--json", action="store_true", help="JSON output")
    fix = actions.add_parser("adjust", help="a correcting entry, e.g. adjust zhang -5 --unit points --reason …")
    community_options(fix)
    fix.add_argument("person", help="person id (or full name)")
    fix.add_argument("amount", help="+N gives, -N takes back (hours: 1.5)")
    fix.add_argument("--unit", choices=UNITS, required=True)
    fix.add_argument("--reason", required=True, help="why (kept in the entry)")


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    if args.action == "verify":
        return await verify_ledger(runtime, args.json)
    if args.action == "show":
        return await show(runtime, account_of(runtime, args.person, args.account), args.last, args.json)
    if args.action == "balances":
        return await balances(runtime, args.unit, args.json)
    return await adjust(runtime, args.person, args.amount, args.unit, args.reason)
