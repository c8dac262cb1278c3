"""`linli admin tasks …`: staff read volunteer tasks from the command line (audited)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from bot.admin.common import audit, iso, print_record, STDOUT
from bot.app import Runtime
from storage.tasks import STATUSES, Task, Tasks


def task_json(task: Task, runtime: Runtime) -> dict[str, Any]:
    return {
        "id": task.ref, "status": task.status, "status_label": runtime.services.texts(f"tasks.status.{task.status}"),
        "title": task.title, "places": task.places, "left": task.left,
        "claimed_by": task.claimants(), "ticket": task.ticket, "beneficiary": task.beneficiary,
        "skills": task.skills, "party": task.party, "urgent": task.urgent, "building": task.building,
        "place": task.place, "at": iso(task.at, runtime), "created_by": task.created_by,
        "created_at": iso(task.created_at, runtime), "batch": task.batch, "exhausted": task.exhausted,
        "pushed": {person: iso(at, runtime) for person, at in task.pushed.items()},
        "completed": {person: {"hours": report["hours"] / 100, "note": report.get("note", ""),
                               "at": iso(report.get("at"), runtime)} for person, report in task.done.items()},
        "confirmed_by": task.confirmed_by, "confirmed_at": iso(task.confirmed_at, runtime),
        "rating": task.rating, "comment": task.comment,
        "history": [{"at": iso(h["at"], runtime), "by": h["by"], "action": h["action"], "status": h.get("status"),
                     "note": h.get("note", "")} for h in task.history],
    }


def status_code(value: str, runtime: Runtime) -> str:
    """Accept 'completed', its label '已完成待确认', or the start of one label only ('已完成')."""
    if value in STATUSES:
        return value
    labels = {code: runtime.services.texts(f"tasks.status.{code}") for code in STATUSES}
    for code, label in labels.items():
        if label == value:
            return code
    starting = [code for code, label in labels.items() if value and label.startswith(value)]
    if len(starting) == 1:
        return starting[0]
    known = ", ".join(f"{code} ({label})" for code, label in labels.items())
    raise ValueError(f"unknown status {value!r} (one of: {known})")


async def list_tasks(runtime: Runtime, status: str | None, as_json: bool, out: TextIO = STDOUT) -> int:
    repo = Tasks(runtime.store)
    status = status_code(status, runtime) if status else None
    tasks = [t for t in [await repo.get(i) for i in await repo.ids()] if t and (status is None or t.status == status)]
    await audit(runtime, "list", f"tasks status={status or '*'}")
    if as_json:
        json.dump([task_json(t, runtime) for t in tasks], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for t in tasks:
        label = runtime.services.texts(f"tasks.status.{t.status}")
        claimed = ",".join(t.claimants()) or "-"
        out.write(f"{t.ref:<6} {label:<6} {len(t.claims)}/{t.places:<3} {claimed:<24} "
                  f"{'#' + str(t.ticket) if t.ticket else '-':<6} {t.title}\n")
    out.write(f"{len(tasks)} task(s)\n")
    return 0


async def show_task(runtime: Runtime, ref: str, as_json: bool, out: TextIO = STDOUT) -> int:
    number = ref.upper().lstrip("T#")
    task = await Tasks(runtime.store).get(int(number)) if number.isdigit() else None
    if task is None:
        print(f"linli: no task {ref} (没有找到任务 {ref})", file=sys.stderr)
        return 1
    await audit(runtime, "view", f"task:{task.id}")
    print_record(task_json(task, runtime), as_json, out)
    return 0


def register(areas: argparse._SubParsersAction, community_options) -> None:
    tasks = areas.add_parser("tasks", help="list and show volunteer tasks")
    actions = tasks.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list volunteer tasks")
    community_options(listing)
    listing.add_argument("--status", help="only this status (open, full, completed, confirmed, cancelled, "
                                          "or 待认领, 已满员, 已完成待确认 (已完成), 已确认, 已取消)")
    listing.add_argument("--json", action="store_true", help="JSON output")
    show = actions.add_parser("show", help="one task with who was offered it, who claimed it and its history")
    community_options(show)
    show.add_argument("task", help="task id, e.g. T3 or 3")
    show.add_argument("--json", action="store_true", help="JSON output")


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    if args.action == "list":
        try:
            return await list_tasks(runtime, args.status, args.json)
        except ValueError as exc:
            print(f"linli: error: {exc}", file=sys.stderr)
            return 2
    return await show_task(runtime, args.task, args.json)
