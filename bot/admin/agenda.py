"""`linli admin topics …`: staff read residents' topics (议题) from the command line
(audited): `list [--status S] [--json]`, `show Y3 [--json]`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from bot.admin.common import STDOUT, audit, iso, print_record
from bot.app import Runtime
from storage.agenda import STATUSES, Topic, Topics


def topic_json(topic: Topic, runtime: Runtime) -> dict[str, Any]:
    texts = runtime.services.texts
    return {
        "id": topic.ref, "status": topic.status, "status_label": texts(f"agenda.status.{topic.status}"),
        "title": topic.title, "text": topic.text, "proposer": topic.proposer, "scope": topic.scope,
        "building": topic.building, "unit": topic.unit, "threshold": topic.threshold, "base": topic.base or None,
        "seconds": topic.count, "seconded_by": topic.seconders(), "chat": topic.chat,
        "created_at": iso(topic.created_at, runtime), "lapse_at": iso(topic.lapse_at, runtime),
        "reached_at": iso(topic.reached_at, runtime), "meeting_at": iso(topic.meeting_at, runtime),
        "poll": topic.poll, "department": topic.department,
        "merged_into": f"Y{topic.merged_into}" if topic.merged_into else None, "reason": topic.reason,
        "owner": topic.owner, "due": iso(topic.due, runtime), "done_at": iso(topic.done_at, runtime),
        "ratings": dict(sorted(topic.ratings.items())), "rating_avg": topic.rating_avg,
        "rating_count": topic.rating_count,
        "history": [{"at": iso(h["at"], runtime), "by": h["by"], "action": h["action"], "status": h.get("status"),
                     "note": h.get("note", "")} for h in topic.history],
    }


def status_code(value: str, runtime: Runtime) -> str:
    """'implementing' or its label '落实中'."""
    if value in STATUSES:
        return value
    for code in STATUSES:
        if runtime.services.texts(f"agenda.status.{code}") == value:
            return code
    known = ", ".join(f"{code} ({runtime.services.texts(f'agenda.status.{code}')})" for code in STATUSES)
    raise ValueError(f"unknown status {value!r} (one of: {known})")


async def list_topics(runtime: Runtime, status: str | None, as_json: bool, out: TextIO = STDOUT) -> int:
    repo = Topics(runtime.store)
    status = status_code(status, runtime) if status else None
    ids = await repo.in_states((status,)) if status else await repo.ids()
    topics = [t for t in [await repo.get(i) for i in ids] if t]
    await audit(runtime, "list", f"topics status={status or '*'}")
    if as_json:
        json.dump([topic_json(t, runtime) for t in topics], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for t in topics:
        label = runtime.services.texts(f"agenda.status.{t.status}")
        rating = f"{t.rating_avg:.1f}" if t.rating_avg is not None else "-"
        out.write(f"{t.ref:<5} {label:<4} {t.count:>3}/{t.threshold:<3} {t.unit:<9} "
                  f"{(t.building + '号楼') if t.building else '全社区':<6} {t.owner or '-':<10} {rating:<4} {t.title}\n")
    out.write(f"{len(topics)} topic(s)\n")
    return 0


async def show_topic(runtime: Runtime, ref: str, as_json: bool, out: TextIO = STDOUT) -> int:
    number = ref.upper().lstrip("Y#")
    topic = await Topics(runtime.store).get(int(number)) if number.isdigit() else None
    if topic is None:
        print(f"linli: no topic {ref} (没有找到议题 {ref})", file=sys.stderr)
        return 1
    await audit(runtime, "view", f"topic:{topic.id}")
    print_record(topic_json(topic, runtime), as_json, out)
    return 0


def register(areas: argparse._SubParsersAction, community_options) -> None:
    topics = areas.add_parser("topics", help="list and show residents' topics (议题)")
    actions = topics.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list topics, oldest first")
    community_options(listing)
    listing.add_argument("--status", help="only this status (seconding, agenda, voting, referred, merged, declined, "
                                          "withdrawn, lapsed, failed, implementing, done, evaluated, or its "
                                          "label: 征集中, 待议, 表决中, 落实中 …)")
    listing.add_argument("--json", action="store_true", help="JSON output")
    show = actions.add_parser("show", help="one topic: its seconds, decision, implementation, 评议 and path")
    community_options(show)
    show.add_argument("topic", help="topic id, e.g. Y3 or 3")
    show.add_argument("--json", action="store_true", help="JSON output")


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    if args.action == "list":
        try:
            return await list_topics(runtime, args.status, args.json)
        except ValueError as exc:
            print(f"linli: error: {exc}", file=sys.stderr)
            return 2
    return await show_topic(runtime, args.topic, args.json)
