"""The read views of the workbench beside tickets: 议事投票, 志愿服务, 积分超市, 关爱 (staff only).

Each reads what is current and bounded: open polls and the latest RECENT closed ones;
the latest RECENT volunteer tasks; the catalogue, the latest redemptions and, on request
only, a check of the ledger (it reads every entry); who is in care (the enrolment index,
each person's state hash, the newest entries of the log by its index, never a whole log).

Each offers the actions staff have in chat, where the command's permission lets the
signed-in person (PAGE_ACTIONS; `page_command` makes the text a form stands for): on 今日
确认/忽略 a message in the triage queue, 取消投票, 取消任务 and 确认 a task reported done,
核销 a redemption. The form posts to /web/PAGE/action, which sends the text as a chat
command (bot/web/app.py), as a ticket page's buttons do.
"""

from __future__ import annotations

import re
from typing import Any

from bot.web.data import COMMAND, Viewer, ago
from bot.web.report import chart_data
from handlers.points.earning import hours_text
from handlers.points.verify import verify
from handlers.polls.commands import MAY_CANCEL
from handlers.tasks.claim import MAY_CONFIRM
from storage.care import Care
from storage.ledger import Ledger
from storage.polls import Polls
from storage.rewards import Rewards
from storage.tasks import OPEN as TASK_OPEN, Tasks

RECENT = 30
RULES = {"plurality": "相对多数", "majority": "过半数", "threshold": "达到比例"}
ELECTORATES = {"council": "议事会成员", "chat": "群成员", "households": "按户", "people": "指定人员"}


async def polls(viewer: Viewer) -> list[dict[str, Any]]:
    ctx = viewer.ctx
    repo = Polls(ctx.services.store)
    open_ids = await repo.open_ids()
    ids = list(dict.fromkeys(sorted(open_ids, reverse=True) + sorted(await repo.ids(), reverse=True)[:RECENT]))
    shown = []
    for poll_id in ids:
        snapshot = await repo.snapshot(poll_id)
        if snapshot is None:
            continue
        poll = snapshot.poll
        counts = [0] * len(poll.options)
        for choice in snapshot.choices():
            if 1 <= choice <= len(counts):
                counts[choice - 1] += 1
        rule = RULES.get(poll.rule.get("kind", ""), poll.rule.get("kind", ""))
        if poll.rule.get("fraction"):
            rule += f" {poll.rule['fraction']}"
        shown.append({
            "id": poll.id, "question": poll.question, "status": poll.status,
            "status_label": {"open": "进行中", "closed": "已结束", "cancelled": "已取消"}.get(poll.status, poll.status),
            "rule": rule, "electorate": ELECTORATES.get(poll.electorate.get("kind", ""), ""),
            "unit": "户" if poll.unit == "household" else "人", "eligible": poll.eligible,
            "voted": len(snapshot.ballots) if not poll.anonymous else len(snapshot.box),
            "deadline": ctx.when(poll.deadline), "created_by": ctx.name_of(poll.created_by),
            "options": list(zip(poll.options, counts)) if (poll.show_counts or poll.status != "open") else
                       [(o, None) for o in poll.options],
            "result": (poll.result or {}).get("summary") or (poll.result or {}).get("text") or "",
            "cancel_reason": poll.cancel_reason or "",
            "may_cancel": poll.status == "open" and MAY_CANCEL.allows(ctx, poll),
        })
    return shown


async def tasks(viewer: Viewer) -> dict[str, Any]:
    ctx = viewer.ctx
    repo = Tasks(ctx.services.store)
    ids = sorted(await repo.ids(), reverse=True)[:RECENT]
    rows = []
    for task_id in ids:
        task = await repo.get(task_id)
        if task is None:
            continue
        rows.append({"ref": task.ref, "title": task.title, "status": task.status,
                     "status_label": ctx.t(f"tasks.status.{task.status}"),
                     "places": task.places, "left": task.left, "urgent": task.urgent,
                     "claimants": [ctx.name_of(p) for p in task.claimants()],
                     "ticket": task.ticket, "when": ctx.when(task.at) if task.at else "",
                     "place": task.place or (f"{task.building}号楼" if task.building else ""),
                     "created": ctx.when(task.created_at),
                     "may_cancel": task.status in TASK_OPEN and COMMAND["canceltask"].allowed.allows(ctx, task),
                     "may_confirm": task.status == "completed" and MAY_CONFIRM.allows(ctx, task)})
    ledger = Ledger(ctx.services.store)
    volunteers = []
    for person in ctx.community.with_role("volunteer"):
        hours = await ledger.balance(f"person:{person.id}", "hours")
        volunteers.append({"name": person.name, "hours": hours_text(hours),
                           "open": len(await repo.open_of(person.id))})
    volunteers.sort(key=lambda v: v["name"])
    return {"tasks": rows, "open": [r for r in rows if r["status"] == "open"], "volunteers": volunteers}


async def points(viewer: Viewer, check: bool) -> dict[str, Any]:
    ctx = viewer.ctx
    rewards = Rewards(ctx.services.store)
    items = [{"name": i.name, "price": i.price, "unit": "积分" if i.unit == "points" else "小时",
              "stock": "不限" if i.stock is None else i.stock, "active": i.active}
             for i in await rewards.items()]
    waiting = [{"code": r.code, "name": ctx.name_of(r.person), "item": r.name, "at": ctx.when(r.at)}
               for r in await rewards.redemptions(count=200) if r.status == "issued"]
    report = None
    if check:
        result = await verify(Ledger(ctx.services.store))
        report = {"ok": result.ok, "entries": result.entries, "problems": result.problems[:20]}
    return {"goods": items, "waiting": waiting, "report": report, "may_fulfil": COMMAND["fulfil"].allowed.allows(ctx)}


# The actions the pages beside tickets offer, by page: command names (handlers/router.py's).
PAGE_ACTIONS: dict[str, tuple[str, ...]] = {
    "today": ("confirm", "dismiss"), "polls": ("cancelpoll",), "tasks": ("canceltask", "confirm"),
    "points": ("fulfil",),
}
_REDEMPTION_CODE = re.compile(r"^[A-Z0-9]{4,12}$")


def page_command(page: str, name: str, form: Any) -> tuple[str, str] | None:
    """(the chat command an action on `page` stands for, as if typed; what it is about, for
    the audit log), or None when the form does not make one. Whether the person may do it
    is the handler's, as when it is typed."""

    def field(key: str, most: int = 500) -> str:
        return " ".join(str(form.get(key) or "").split())[:most]

    if name not in PAGE_ACTIONS.get(page, ()) or name not in COMMAND:
        return None
    word, target, note = COMMAND[name].words[0], field("target", 20), field("note")
    if page == "today":                                  # a message waiting in the triage queue
        number = target.lstrip("#＃")
        if not number.isdigit():
            return None
        return f"{word} #{int(number)} {note}".strip() if name == "dismiss" else f"{word} #{int(number)}", \
            f"ticket:{int(number)}"
    if page == "polls":
        number = target.lstrip("#＃Pp")
        if not number.isdigit() or not note:
            return None
        return f"{word} {int(number)} {note}", f"poll:{int(number)}"
    if page == "tasks":
        number = target.lstrip("TtＴｔ")
        if not number.isdigit():
            return None
        ref = f"T{int(number)}"
        return (f"{word} {ref} {note}".strip() if name == "canceltask" else f"{word} {ref}"), f"task:{ref}"
    if page == "points":
        code = target.upper()
        return (f"{word} {code}", f"redemption:{code}") if _REDEMPTION_CODE.match(code) else None
    return None


BY = {"building": "楼栋", "category": "类别", "department": "部门", "holder": "负责人"}


def _percent(rate) -> dict[str, Any]:
    value = rate.value
    return {"text": "—" if value is None else f"{value * 100:.1f}%", "of": f"{rate.numerator}/{rate.denominator}",
            "target": "" if rate.target is None else f"{rate.target * 100:.0f}%", "met": rate.met}


def _figures(row) -> dict[str, Any]:
    return {"label": row.label, "created": row.created, "urgent": row.urgent, "rejected": row.rejected,
            "response": _percent(row.response), "resolution": _percent(row.resolution),
            "satisfaction": _percent(row.satisfaction), "reopen": _percent(row.reopen),
            "average": "—" if row.average_rating is None else f"{row.average_rating:.2f}",
            "ratings": [row.ratings.get(score, 0) for score in range(5, 0, -1)]}


async def statistics(viewer: Viewer, period: str, by: str) -> dict[str, Any]:
    """统计: the three rates of a period (README "Statistics" defines them), by a dimension,
    the last 12 months, and category × building — from the counters the tickets keep."""
    from handlers import tickets
    ctx = viewer.ctx
    by = by if by in BY else "building"
    try:
        rates = await tickets.rates(ctx, period or None, by)
    except tickets.PeriodError as error:
        return {"error": str(error), "by": by, "period": period, "dims": BY}
    trend = await tickets.trend(ctx, 12)
    months = [(name, _figures(row)) for name, row in zip(trend.months, trend.series.get(None, []))]
    heat = found = None
    if all(len(bucket) == 7 for bucket in rates.period.buckets):
        found = await tickets.heat_map(ctx, period or None)
        heat = {"categories": found.categories, "buildings": found.buildings,
                "rows": [(c, [found.created(c, b) for b in found.buildings]) for c in found.categories]}
    return {"error": "", "period": rates.period.name, "first": rates.period.first.isoformat(),
            "last": rates.period.last.isoformat(), "by": by, "by_label": BY[by], "dims": BY,
            "total": _figures(rates.total), "rows": [_figures(r) for r in rates.rows], "months": months,
            "heat": heat, "charts": chart_data(trend, rates.total, {"by": (rates.rows, BY[by])}, found)}


CARE_LOG = 30         # 关爱: the newest entries of one person's care log shown
ALARMS = {"quiet": "没有报平安", "water": "水表长时间没用水", "button": "紧急按钮", "trouble": "上门发现有情况"}


async def care(viewer: Viewer, chosen: str = "") -> dict[str, Any]:
    """关爱: everyone in care, their guardians, last sign of life (how long ago, what kind),
    a declared absence, an open alarm and its latest step; `chosen`'s care log."""
    ctx = viewer.ctx
    repo = Care(ctx.services.store)
    label = lambda what: ctx.t(f"care.what.{what}") if what else ""
    rows, log = [], None
    for person_id, raw in (await repo.enrolled()).items():
        state = await repo.state(person_id)
        person = ctx.community.people.get(person_id)
        row = {"id": person_id, "name": ctx.name_of(person_id),
               "place": (person.household or (f"{person.building}号楼" if person.building else "")) if person else "",
               "guardians": [ctx.name_of(g) for g in raw.get("guardians", [])],
               "check_time": raw.get("check_time") or ctx.community.care.check_time,
               "last": None, "away": "", "alarm": None}
        if "last_sign" in state:
            row["last"] = {"ago": ago(ctx.now - state["last_sign"]), "at": ctx.when(state["last_sign"]),
                           "what": label(state.get("last_sign_what"))}
        if state.get("away_until", 0) > ctx.now:
            row["away"] = ctx.when(state["away_until"])
        alarm = state["alarm"]
        if alarm:
            latest = [e for e in await repo.latest(person_id, 5) if e["at"] >= alarm["opened"]]
            claimant = await repo.claimant(person_id, alarm["id"])
            row["alarm"] = {"reason": ALARMS.get(alarm["reason"], alarm["reason"]), "urgent": alarm.get("urgent"),
                            "opened": ctx.when(alarm["opened"]), "ago": ago(ctx.now - alarm["opened"]),
                            "step": (label(latest[0]["what"]) + (f"：{latest[0]['note']}" if latest[0].get("note")
                                                                 else "")) if latest else "",
                            "claimed_by": ctx.name_of(claimant) if claimant else ""}
        rows.append(row)
        if person_id == chosen:
            log = {"id": person_id, "name": row["name"],
                   "entries": [{"at": ctx.when(e["at"]), "what": label(e["what"]),
                                "by": "系统" if e.get("by") in (None, "", "system") else ctx.name_of(e["by"]),
                                "note": e.get("note", "")} for e in await repo.latest(person_id, CARE_LOG)]}
    rows.sort(key=lambda r: (r["alarm"] is None, r["name"]))
    return {"people": rows, "alarms": sum(1 for r in rows if r["alarm"]), "log": log}
