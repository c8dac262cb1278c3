"""`linli admin polls …`: create polls, read them, audit their results, and cancel them.

    linli admin polls create --question Q --option A --option B --electorate council --rule 2/3 \
        --deadline 3d [--quorum 1/2] [--base cast] [--anonymous] [--changeable] [--show-counts] [--by ID]
    linli admin polls list [--json]
    linli admin polls show P [--json]
    linli admin polls audit P [--json]      exit 0: the published result is the recount; 1: not
    linli admin polls cancel P --reason R [--by PERSON]

A poll created here is stored at once and announced by the bot (a job due now, so the
running bot or the next console run posts it to its chats). A poll cancelled here is told
of the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any, TextIO

from bot.admin.common import actor, audit as _audit, context as _context, iso as _iso, STDOUT
from bot.app import Runtime
from handlers import timers
from handlers.context import Context
from handlers.polls.audit import audit as audit_poll
from handlers.polls.cancel import cancel_poll
from handlers.polls.create import create_poll
from handlers.polls.rules import KINDS, decide
from handlers.polls.syntax import (MOTION, PollSpec, SpecError, check, check_options, check_question,
                                   parse_deadline, parse_electorate, parse_quorum, parse_rule)
from handlers.polls.view import electorate_text, quorum_of, rule_of, rule_text, tally_of
from storage.polls import Polls

ELECTORATE_HELP = ("council | households | households:BUILDING | chat:CHAT | people:ID,ID,… "
                   "(or as in chat: 议事会, 3号楼住户, 全体住户, 本群's name)")


def _electorate(value: str, runtime: Runtime) -> dict:
    kind, _, rest = value.partition(":")
    community = runtime.settings.community
    if value == "council":
        return {"kind": "council"}
    if value == "households":
        return {"kind": "households", "building": None}
    if kind == "households" and rest:
        return {"kind": "households", "building": rest}
    if kind == "chat" and rest:
        return parse_electorate(rest, community, None)
    if kind == "people" and rest:
        return parse_electorate(",".join("@" + p for p in rest.split(",")), community, None)
    return parse_electorate(value, community, None)


def _deadline(value: str, now: float, runtime: Runtime) -> float:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return parse_deadline(value, now, runtime.settings.community.tz)
    if when.tzinfo is None:
        when = when.replace(tzinfo=runtime.settings.community.tz)
    if when.timestamp() <= now:
        raise SpecError("polls.error.deadline_past", deadline=value, at=f"{when.month}月{when.day}日 {when:%H:%M}")
    return parse_deadline(f"{int(when.timestamp() - now)}s", now, runtime.settings.community.tz)


async def create(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    ctx = await _context(runtime)
    options = [o.strip() for o in args.option or []] or list(MOTION)
    # --rule plurality / majority: a kind's name, written as chat writes it (handlers/polls/rules.py)
    kind = KINDS.get(args.rule or "")
    written = kind.words[0] if kind and kind.words else args.rule
    try:
        check_options(options)
        rule = parse_rule(written, explicit_options=bool(args.option))
        if args.base == "cast":
            rule = rule.of.on_ballots_cast(rule)
        spec = PollSpec(question=args.question.strip(), options=options, rule=rule,
                        electorate=_electorate(args.electorate, runtime),
                        deadline=_deadline(args.deadline, ctx.now, runtime), quorum=parse_quorum(args.quorum),
                        anonymous=args.anonymous, changeable=args.changeable, show_counts=args.show_counts)
        check(spec)
        check_question(spec.question)
        if args.by and args.by not in runtime.settings.community.people:
            raise SpecError("polls.error.unknown_person", who=args.by)
        poll = await create_poll(ctx, spec, args.by or actor(), None)
    except SpecError as exc:
        print(f"linli: error: {runtime.services.texts(exc.key, **exc.values)}", file=sys.stderr)
        return 2
    await timers.schedule(ctx, "poll", f"{poll.id}:announce", ctx.now, f"poll:{poll.id}", poll=poll.id,
                          step="announce")
    await _audit(runtime, "poll_create", f"poll:{poll.id}")
    if args.json:
        json.dump(await poll_json(runtime, ctx, poll.id), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(f"poll #{poll.id} created: {poll.eligible} {poll.unit}(s) may vote until "
                  f"{_iso(poll.deadline, runtime)}; posted to: {', '.join(poll.chats) or '(voters privately)'}\n")
    return 0


async def poll_json(runtime: Runtime, ctx: Context, poll_id: int) -> dict[str, Any] | None:
    """The poll as published once closed; while open, counted as it stands (final: false)."""
    repo = Polls(runtime.store)
    snapshot = await repo.snapshot(poll_id)
    if snapshot is None:
        return None
    poll = snapshot.poll
    tally = tally_of(snapshot)
    decision = decide(rule_of(poll), quorum_of(poll), tally)
    live = {"counts": list(tally.counts), "abstain": tally.abstain, "ballots": tally.ballots,
            "quorum_needed": decision.quorum_needed, "quorum_met": decision.quorum_met,
            "outcome": decision.outcome, "passed": decision.passed, "text": None}
    if poll.status == "cancelled":              # decided nothing
        live.update(outcome=None, passed=None)
    shown = poll.result if poll.status == "closed" and poll.result else live
    outcome = shown["outcome"]
    ballots = [{"unit": b.unit, "by": b.by, "at": _iso(b.at, runtime), "proxy": b.proxy or None,
                "reason": b.reason or None, **({} if poll.anonymous else {"option": b.option})}
               for b in sorted(snapshot.ballots.values(), key=lambda b: b.at)]
    return {
        "id": poll.id, "status": poll.status, "final": poll.status == "closed", "question": poll.question,
        "options": poll.options, "counts": dict(zip(poll.options, shown["counts"])), "abstain": shown["abstain"],
        "eligible": poll.eligible, "ballots": shown["ballots"], "unit": poll.unit,
        "turnout": round(shown["ballots"] / poll.eligible, 4) if poll.eligible else 0.0,
        "quorum": poll.quorum, "quorum_needed": shown["quorum_needed"], "quorum_met": shown["quorum_met"],
        "outcome": poll.options[outcome - 1] if outcome else None, "outcome_number": outcome,
        "passed": shown["passed"], "result_text": shown.get("text"),
        "rule": poll.rule, "rule_text": rule_text(ctx, poll), "electorate": poll.electorate,
        "electorate_text": electorate_text(ctx, poll), "anonymous": poll.anonymous, "changeable": poll.changeable,
        "show_counts": poll.show_counts, "chats": poll.chats, "created_by": poll.created_by,
        "created_at": _iso(poll.created_at, runtime), "deadline": _iso(poll.deadline, runtime),
        "closed_at": _iso(poll.closed_at, runtime), "closed_reason": poll.closed_reason,
        "cancelled_by": poll.cancelled_by, "cancel_reason": poll.cancel_reason,
        "voted": ballots,
    }


async def show(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    ctx = await _context(runtime)
    data = await poll_json(runtime, ctx, args.poll)
    if data is None:
        print(f"linli: no poll #{args.poll} (没有找到投票 #{args.poll})", file=sys.stderr)
        return 1
    await _audit(runtime, "view", f"poll:{args.poll}")
    if args.json:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for key, value in data.items():
        if key not in ("voted", "result_text"):
            out.write(f"{key:15} {json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value}\n")
    if data["result_text"]:
        out.write(data["result_text"] + "\n")
    out.write("ballots:\n")
    for b in data["voted"]:
        proxy = f"  proxy by {b['proxy']}: {b['reason']}" if b["proxy"] else ""
        choice = f"  option {b['option']}" if "option" in b else ""
        out.write(f"  {b['at']}  {b['unit']:<10} {b['by']:<10}{choice}{proxy}\n")
    return 0


async def list_polls(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    ctx = await _context(runtime)
    rows = [await poll_json(runtime, ctx, poll_id) for poll_id in await Polls(runtime.store).ids()]
    await _audit(runtime, "list", "polls")
    if args.json:
        json.dump([{k: r[k] for k in ("id", "status", "question", "ballots", "eligible", "deadline", "outcome",
                                      "passed")} for r in rows], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for r in rows:
        out.write(f"#{r['id']:<4} {r['status']:<7} {r['ballots']:>4}/{r['eligible']:<4} {r['deadline']}  "
                  f"{r['question']}\n")
    out.write(f"{len(rows)} poll(s)\n")
    return 0


async def audit(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    report = await audit_poll(Polls(runtime.store), args.poll)
    if report is None:
        print(f"linli: no poll #{args.poll} (没有找到投票 #{args.poll})", file=sys.stderr)
        return 1
    await _audit(runtime, "audit", f"poll:{args.poll}")
    if args.json:
        json.dump(report.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        r = report.recount
        out.write(f"poll #{report.poll_id} ({report.status}): recounted {r['ballots']} ballot(s) of "
                  f"{r['eligible']}: counts {r['counts']}, abstain {r['abstain']}, quorum_met {r['quorum_met']}, "
                  f"outcome {r['outcome']}, passed {r['passed']}\n")
        for problem in report.problems:
            out.write(f"MISMATCH {problem}\n")
        if report.published is None and report.status in ("open", "cancelled"):
            out.write(f"{report.status}: no result published{' yet' if report.status == 'open' else ''}; "
                      "the ballots on record are consistent\n" if report.matches else "")
        elif report.matches:
            out.write("ok: the published result matches the recount\n")
    return 0 if report.matches else 1


async def cancel(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    """Cancel an open poll; the bot tells its chats and voters (a job due now)."""
    ctx = await _context(runtime)
    reason = args.reason.strip()
    people = runtime.settings.community.people
    if not reason:
        print("linli: error: --reason must say why (请写明取消原因)", file=sys.stderr)
        return 2
    if args.by and args.by not in people:
        print(f"linli: error: {runtime.services.texts('polls.error.unknown_person', who=args.by)}", file=sys.stderr)
        return 2
    result, status = await cancel_poll(ctx, args.poll, args.by or actor(), reason)
    if result == "missing":
        print(f"linli: no poll #{args.poll} (没有找到投票 #{args.poll})", file=sys.stderr)
        return 1
    if result == "already":
        print(f"linli: poll #{args.poll} is {status}: "
              f"{runtime.services.texts(f'polls.cancel.already_{status}', id=args.poll)}", file=sys.stderr)
        return 1
    await timers.schedule(ctx, "poll", f"{args.poll}:cancelled", ctx.now, f"poll:{args.poll}", poll=args.poll,
                          step="cancelled")
    await _audit(runtime, "poll_cancel", f"poll:{args.poll} reason:{reason}")
    out.write(f"poll #{args.poll} cancelled: {reason}; the bot tells its chats and voters\n")
    return 0


def register(areas: argparse._SubParsersAction, community_options) -> None:
    polls = areas.add_parser("polls", help="create, list, show and audit polls")
    actions = polls.add_subparsers(dest="action", required=True, metavar="ACTION")
    make = actions.add_parser("create", help="create a poll (the bot posts it to its chats)")
    community_options(make)
    make.add_argument("--question", required=True)
    make.add_argument("--option", action="append", metavar="TEXT",
                      help="an option (2-10; repeat the flag); none: a motion, 赞成 / 反对")
    make.add_argument("--electorate", required=True, help=ELECTORATE_HELP)
    make.add_argument("--rule", help="plurality | majority | a share: 2/3, 3/4, 60%%, 三分之二 "
                                     "(default: plurality; majority for a motion without --option)")
    make.add_argument("--base", choices=("eligible", "cast"), default="eligible",
                      help="what a share is of: everyone eligible (default) or the ballots cast")
    make.add_argument("--quorum", help="share of the electorate that must vote, e.g. 1/2")
    make.add_argument("--deadline", required=True,
                      help="3d, 36h, 3天, 明天, 下周五, 周日晚上8点, 1月20日18:00 or 2025-01-20T18:00")
    make.add_argument("--anonymous", action="store_true", help="store who voted apart from what was voted")
    make.add_argument("--changeable", action="store_true", help="a ballot may be changed before the close")
    make.add_argument("--show-counts", action="store_true", help="show running counts before the close")
    make.add_argument("--by", metavar="PERSON", help="the person creating it (default: admin:USER)")
    make.add_argument("--json", action="store_true", help="print the poll as JSON")
    for name, text in (("list", "all polls"), ("show", "one poll with its ballots"),
                       ("audit", "recount from the stored ballots and compare with the published result"),
                       ("cancel", "cancel an open poll (the bot tells its chats and voters why)")):
        sub = actions.add_parser(name, help=text)
        community_options(sub)
        if name != "list":
            sub.add_argument("poll", type=lambda v: int(v.lstrip("#")), help="poll number, e.g. 3 or #3")
        if name == "cancel":
            sub.add_argument("--reason", required=True, help="why, as the chats will read it (Chinese)")
            sub.add_argument("--by", metavar="PERSON", help="who cancels it (default: admin:USER)")
        else:
            sub.add_argument("--json", action="store_true", help="JSON output")


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    handler = {"create": create, "list": list_polls, "show": show, "audit": audit, "cancel": cancel}[args.action]
    return await handler(args, runtime)
