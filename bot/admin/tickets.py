"""`linli admin tickets …`: staff read tickets from the command line, and work the triage
queue (group messages waiting for staff: `triage`, `triage confirm N`, `triage dismiss N`).
Every read of a resident's ticket is written to the audit log."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from datetime import datetime
from typing import Any, TextIO

from bot.admin.common import AdminError, actor, audit as _audit, context, iso, print_record, unknown, STDOUT
from bot.app import Runtime
from handlers.tickets import learning, triage
from nlp.rules import Rules
from storage.tickets import OPEN_STATES, QUEUE_STATES, STATUSES, TRIAGE_STATES, Ticket


def ticket_json(ticket: Ticket, runtime: Runtime) -> dict[str, Any]:
    texts = runtime.services.texts
    return {
        "id": ticket.id, "status": ticket.status, "status_label": texts(f"status.{ticket.status}"),
        "category": ticket.category, "urgent": ticket.urgent, "text": ticket.text,
        "reporter": ticket.reporter, "assignee": ticket.assignee, "department": ticket.department,
        "chat": ticket.chat, "building": ticket.building, "location": ticket.location,
        "rating": ticket.rating, "comment": ticket.comment, "reason": ticket.reason,
        "duplicate_of": ticket.duplicate_of,
        "co_reporters": [{"person": person, "text": report.get("text"), "at": iso(report.get("at"), runtime)}
                         for person, report in ticket.co_reporters.items()],
        "created_at": iso(ticket.created_at, runtime), "respond_due": iso(ticket.respond_due, runtime),
        "resolve_due": iso(ticket.resolve_due, runtime), "responded_at": iso(ticket.responded_at, runtime),
        "resolved_at": iso(ticket.resolved_at, runtime), "closed_at": iso(ticket.closed_at, runtime),
        "history": [{"at": iso(h["at"], runtime), "by": h["by"], "action": h["action"],
                     "note": h.get("note", ""), "status": h.get("status")} for h in ticket.history],
    }


def ticket_number(value: str) -> int:
    """argparse's type for a ticket number: '12' or '#12'."""
    digits = value.strip().lstrip("#＃")
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a ticket number (write it as 12 or #12)")
    return int(digits)


def status_code(value: str, runtime: Runtime) -> str:
    """Accept 'resolved' or '已办结'."""
    if value in STATUSES:
        return value
    labels = {runtime.services.texts(f"status.{code}"): code for code in STATUSES}
    if value in labels:
        return labels[value]
    raise unknown("status", value, [*STATUSES, *labels])


def check_category(category: str, tickets: list[Ticket], runtime: Runtime) -> None:
    """A category of the rule file, or one some ticket has (the rules may have changed)."""
    known = [c.name for c in Rules.load(runtime.settings.rules_file).categories]
    known += sorted({t.category for t in tickets if t.category} - set(known))
    if category not in known:
        raise unknown("category", category, known)


async def list_tickets(runtime: Runtime, status: str | None, category: str | None, as_json: bool,
                       out: TextIO = STDOUT) -> int:
    repo = runtime.services.tickets
    wanted = status_code(status, runtime) if status else None
    every = await repo.many(await repo.ids())
    if category is not None:
        check_category(category, every, runtime)
    tickets = [t for t in every
               if (wanted is None or t.status == wanted) and (category is None or t.category == category)]
    await _audit(runtime, "list", f"tickets status={wanted or '*'} category={category or '*'}")
    if as_json:
        json.dump([ticket_json(t, runtime) for t in tickets], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for t in tickets:
        label = runtime.services.texts(f"status.{t.status}")
        out.write(f"#{t.id:<5} {label:<5} {t.category or '':<6} {'紧急' if t.urgent else '':<2} "
                  f"{t.reporter:<10} {t.assignee or '-':<10} {iso(t.created_at, runtime)}\n")
    out.write(f"{len(tickets)} ticket(s)\n")
    return 0


async def show_ticket(runtime: Runtime, ticket_id: int, as_json: bool, out: TextIO = STDOUT) -> int:
    ticket = await runtime.services.tickets.get(ticket_id)
    if ticket is None:
        print(f"linli: no ticket #{ticket_id} (没有找到工单 #{ticket_id})", file=sys.stderr)
        return 1
    await _audit(runtime, "view", f"ticket:{ticket_id}")
    print_record(ticket_json(ticket, runtime), as_json, out)
    return 0


EXPORT_FIELDS = ["id", "status", "status_label", "category", "urgent", "reporter", "reporter_name", "assignee",
                 "assignee_name", "department", "department_name", "building", "rating", "comment", "created_at",
                 "respond_due", "responded_at", "resolve_due", "resolved_at", "closed_at", "due", "overdue", "text"]


def overdue(ticket: Ticket, now: float) -> bool:
    """A deadline missed: responded or resolved after it, or still open past it (a message
    in the triage queue was never a ticket with deadlines)."""
    if ticket.status in TRIAGE_STATES:
        return False
    finished = ticket.status not in OPEN_STATES

    def missed(due: float | None, done: float | None) -> bool:
        at = done if done is not None else (ticket.closed_at if finished else now)
        return due is not None and at is not None and at > due

    return missed(ticket.respond_due, ticket.responded_at) or missed(ticket.resolve_due, ticket.resolved_at)


def export_row(ticket: Ticket, runtime: Runtime, now: float) -> dict[str, Any]:
    """A ticket's JSON with the names beside the ids, the deadline it must meet next (open
    ones: respond, then resolve) and whether one was missed."""
    community = runtime.settings.community
    row = ticket_json(ticket, runtime)

    def name(person: str | None) -> str:
        return community.people[person].name if person in community.people else ""

    department = community.departments.get(ticket.department or "")
    due = None
    if ticket.status in OPEN_STATES:
        due = ticket.respond_due if ticket.responded_at is None and ticket.respond_due else ticket.resolve_due
    row.update(reporter_name=name(ticket.reporter), assignee_name=name(ticket.assignee),
               department_name=department.name if department else "", due=iso(due, runtime),
               overdue="yes" if overdue(ticket, now) else "no")
    return row


async def export_tickets(runtime: Runtime, path: str | None, out: TextIO = STDOUT) -> int:
    """Every ticket as CSV for Excel: UTF-8 with a BOM (without one Excel shows the Chinese
    as mojibake). To `path` ('-': standard output); none given: standard output when it is
    redirected or piped, else tickets-YYYY-MM-DD.csv here."""
    ctx = await context(runtime)
    if path is None:
        path = "-" if not out.isatty() else \
            f"tickets-{datetime.fromtimestamp(ctx.now, runtime.settings.community.tz):%Y-%m-%d}.csv"
    repo = runtime.services.tickets
    tickets = await repo.many(await repo.ids())
    rows = [export_row(t, runtime, ctx.now) for t in tickets]
    await _audit(runtime, "export", "tickets" + (f" -> {path}" if path != "-" else ""))
    if path == "-":
        _write_csv(out, rows)
        return 0
    try:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            _write_csv(handle, rows)
    except OSError as exc:
        raise AdminError(f"{path}: {exc.strerror}") from None
    print(f"{len(rows)} ticket(s) written to {os.path.abspath(path)}", file=sys.stderr)
    return 0


def _write_csv(out: TextIO, rows: list[dict[str, Any]]) -> None:
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)


async def triage_list(runtime: Runtime, as_json: bool, out: TextIO = STDOUT) -> int:
    """The triage queue, newest first."""
    repo = runtime.services.tickets
    waiting = [t for t in await repo.many(await repo.queue_ids()) if t.status in QUEUE_STATES]
    await _audit(runtime, "list", "triage")
    if as_json:
        json.dump([ticket_json(t, runtime) for t in waiting], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for t in waiting:
        text = " ".join(t.text.split())
        out.write(f"#{t.id:<5} {t.building or '-':<4} {t.reporter:<10} {iso(t.created_at, runtime)}  "
                  f"{text[:40] + ('…' if len(text) > 40 else '')}\n")
    out.write(f"{len(waiting)} waiting\n")
    return 0


async def triage_change(runtime: Runtime, op: str, ticket_id: int, reason: str = "", out: TextIO = STDOUT) -> int:
    """Confirm or dismiss a waiting message, as staff do in chat (确认 #N / 忽略 #N). A
    confirmation is stored now and told by the bot — the group, the reporter and the
    handlers — as soon as it runs (a job due now); a dismissal tells nobody."""
    ctx = await context(runtime)
    ticket = await runtime.services.tickets.get(ticket_id)
    if ticket is None:
        print(f"linli: no ticket #{ticket_id} (没有找到工单 #{ticket_id})", file=sys.stderr)
        return 1
    if op == "confirm":
        done, ticket = await triage.confirm_ticket(ctx, ticket, actor())
    else:
        done = await triage.dismiss_ticket(ctx, ticket, actor(), reason)
    if done.result in ("conflict", "missing"):
        label = runtime.services.texts(f"status.{done.before}") if done.before else "-"
        print(f"linli: ticket #{ticket_id} is {done.before or 'missing'} ({label}), not waiting to be confirmed",
              file=sys.stderr)
        return 1
    await _audit(runtime, f"triage_{op}", f"ticket:{ticket_id}" + (f": {reason}" if reason else ""))
    if done.result == "ok":      # a staff judgement: a labelled example, as in chat
        await (learning.confirmed if op == "confirm" else learning.dismissed)(ctx, ticket)
    if op == "confirm":
        await triage.schedule_announcement(ctx, ticket_id)
        out.write(f"#{ticket_id} confirmed: the bot tells the group, the reporter and the handlers\n")
    else:
        out.write(f"#{ticket_id} dismissed (nobody is told)\n")
    return 0


def register(areas: argparse._SubParsersAction, community_options) -> None:
    tickets = areas.add_parser("tickets", help="list, show and export tickets")
    actions = tickets.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list tickets")
    community_options(listing)
    listing.add_argument("--status", help="only this status (open, assigned, … or 待受理, 已受理, …)")
    listing.add_argument("--category", help="only this category, e.g. 设施维修")
    listing.add_argument("--json", action="store_true", help="JSON output")
    show = actions.add_parser("show", help="one ticket with its history")
    community_options(show)
    show.add_argument("ticket", type=ticket_number, help="ticket number, e.g. 12 or #12")
    show.add_argument("--json", action="store_true", help="JSON output")
    export = actions.add_parser("export", help="all tickets as CSV for Excel (UTF-8 with BOM; names, due, overdue)")
    community_options(export)
    export.add_argument("--out", metavar="FILE", help="the file to write ('-': standard output; default: standard "
                                                      "output when redirected, else tickets-YYYY-MM-DD.csv here)")
    export.add_argument("--csv", action="store_true", help="CSV (the only format; may be left out)")
    queue = actions.add_parser("triage", help="group messages waiting for staff (待确认): list, confirm N, dismiss N")
    community_options(queue)
    queue.add_argument("op", nargs="?", choices=("confirm", "dismiss"), help="confirm: a ticket, told as a new one; "
                                                                             "dismiss: nothing, nobody told")
    queue.add_argument("ticket", nargs="?", type=ticket_number, help="ticket number, e.g. 12 or #12")
    queue.add_argument("--reason", default="", help="why it is dismissed (kept in its history)")
    queue.add_argument("--json", action="store_true", help="JSON output (the list)")


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    if args.action == "list":
        return await list_tickets(runtime, args.status, args.category, args.json)
    if args.action == "show":
        return await show_ticket(runtime, args.ticket, args.json)
    if args.action == "triage":
        if args.op is None:
            return await triage_list(runtime, args.json)
        if args.ticket is None:
            print(f"linli: error: triage {args.op} needs a ticket number, e.g. triage {args.op} 12", file=sys.stderr)
            return 2
        return await triage_change(runtime, args.op, args.ticket, args.reason)
    return await export_tickets(runtime, args.out)
