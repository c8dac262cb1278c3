"""A task's life after it is offered: `接单 T3` (first come, first served; 首接负责),
`退单 T3`, `完成 T3 1.5 说明`, then the beneficiary's `确认 T3` books the hours and asks for a
rating (`评价 T3 5`). `我的任务` lists what a volunteer holds; staff may `取消任务 T3`.

A task made from a ticket carries it along: its first claimant becomes the ticket's
assignee (the person the reporter hears from) and completion resolves the ticket.

The person helped (the beneficiary: a ticket's reporter, a task's @服务对象) hears who is
coming and when as each volunteer claims, and hears it when one withdraws or staff cancel
the task. A refusal says who the asker is to the task before what state the task is in
("你没有认领任务 T3" rather than a claim refusal), with the state's name once."""

from __future__ import annotations

import re

from handlers import points, tickets, timers
from handlers.context import Context
from handlers.permissions import BENEFICIARY, PUBLISHER, STAFF, Refusal
from handlers.tasks.push import TIMER, details, offer
from handlers.tasks.volunteers import most_open, profiles_of
from storage.tasks import OPEN, Task, Tasks

_REF = re.compile(r"^[TtＴｔ#＃]?(\d+)(?![\d.．])\s*(.*)$", re.S)   # "完成 1.5" names no task
# The hours first in what follows the number, maybe running into the note: "2小时修好了".
_HOURS = re.compile(r"^(半个?小时|\d{1,4}(?:\.\d{1,2})?(?:\s*(?:个?小时|h))?)(?:\s+|$|(?<=时)|(?<=[hH]))(.*)$",
                    re.S | re.I)
_TASK_REF = re.compile(r"^\s*[TtＴｔ]\d")
MAY_CONFIRM = BENEFICIARY | PUBLISHER | STAFF     # who may 确认 T3 a task reported done


def is_task_ref(args: str) -> bool:
    """"T3 …" names a task (确认 and 评价 also take time-bank and ticket numbers)."""
    return bool(_TASK_REF.match(args))


async def _load(ctx: Context, args: str, usage: str) -> tuple[Task, str]:
    """The task a command names ("T3 …") and the rest of its arguments; refused with
    `usage` when there is no number, or "no such task"."""
    match = _REF.match(args.strip())
    if not match:
        raise Refusal(usage)
    task = await Tasks(ctx.services.store).get(int(match.group(1)))
    if task is None:
        raise Refusal("tasks.not_found", ref=f"T{match.group(1)}")
    return task, match.group(2).strip()


def _status(ctx: Context, task: Task) -> str:
    return ctx.t(f"tasks.status.{task.status}")


def _what(ctx: Context, task: Task) -> str:
    """The task as the person helped knows it: their ticket's number, or its title."""
    return ctx.t("tasks.what_ticket", id=task.ticket) if task.ticket else task.title


def _tell_beneficiary(ctx: Context, task: Task, volunteer: str, key: str, **values: object) -> None:
    """The person helped hears of a volunteer coming or not, unless they are that volunteer."""
    if task.beneficiary and task.beneficiary != volunteer:
        ctx.tell(task.beneficiary, ctx.t(key, what=_what(ctx, task), **values))


def _tell_coming(ctx: Context, task: Task, volunteer: str) -> None:
    if task.at and task.at > ctx.now:
        _tell_beneficiary(ctx, task, volunteer, "tasks.coming_at", name=ctx.name_of(volunteer), at=ctx.when(task.at))
    else:
        _tell_beneficiary(ctx, task, volunteer, "tasks.coming", name=ctx.name_of(volunteer))


async def claim(ctx: Context, args: str) -> None:
    task, _ = await _load(ctx, args, "tasks.usage.claim")
    person = ctx.person
    profile = (await profiles_of(ctx, [person]))[person.id]
    if profile.paused_until and profile.paused_until > ctx.now:
        ctx.reply(ctx.t("tasks.paused", until=ctx.when(profile.paused_until)))
        return
    repo = Tasks(ctx.services.store)
    most = most_open(ctx, profile)
    result, claimed, places = await repo.claim(task.id, ctx.event.id, person.id, ctx.now,
                                               tickets.entry(ctx, "task_claimed", "claimed"), most)
    if result in ("taken", "closed", "busy", "already"):
        if result == "already" and (person.id in task.done or task.status not in OPEN):
            # they hold a place on a task that is done or over: say that, not "完成后回复…"
            result = "closed" if task.status in ("confirmed", "cancelled") else "already_done"
        count = len(await repo.open_of(person.id))
        ctx.reply(ctx.t(f"tasks.{result}", ref=task.ref, status=_status(ctx, task), count=count, most=most))
        return
    task = await repo.get(task.id)
    told = ctx.t("tasks.told", name=ctx.name_of(task.beneficiary)) + "\n" \
        if task.beneficiary and task.beneficiary != person.id else ""
    ctx.reply(ctx.t("tasks.claimed", ref=task.ref, title=task.title, details=details(ctx, task, beneficiary=True),
                    told=told))
    ctx.tell(task.created_by, ctx.t("tasks.claimed_staff", name=person.name, ref=task.ref,
                                    claimed=claimed, places=places))
    if task.ticket and claimed == 1:
        ticket = await ctx.services.tickets.get(task.ticket)
        if ticket and ticket.status in tickets.OPEN_STATES:
            await tickets.assign_to(ctx, ticket, person)
    _tell_coming(ctx, task, person.id)
    if claimed >= places:
        await timers.cancel(ctx, TIMER, f"{task.id}:window")
        names = "、".join(ctx.name_of(p) for p in task.claimants())
        ctx.tell(task.created_by, ctx.t("tasks.full", ref=task.ref, names=names))


async def withdraw(ctx: Context, args: str) -> None:
    task, reason = await _load(ctx, args, "tasks.usage.withdraw")
    repo = Tasks(ctx.services.store)
    result, status = await repo.release(task.id, ctx.event.id, ctx.person.id,
                                        tickets.entry(ctx, "task_withdrawn", "open", reason))
    _member_result(ctx, task, result, status, "withdraw")
    ctx.reply(ctx.t("tasks.withdrawn", ref=task.ref))
    ctx.tell(task.created_by, ctx.t("tasks.withdrawn_staff", name=ctx.person.name, ref=task.ref,
                                    reason=f"（{reason}）" if reason else ""))
    if task.ticket:
        ticket = await ctx.services.tickets.get(task.ticket)
        if ticket and ticket.assignee == ctx.person.id and ticket.status in tickets.OPEN_STATES:
            await ctx.services.tickets.transition(ticket.id, ctx.event.id, "volunteer_withdrew",
                                                  {"status": "open", "assignee": None},
                                                  tickets.entry(ctx, "volunteer_withdrew", "open", reason))
    _tell_beneficiary(ctx, task, ctx.person.id, "tasks.withdrawn_reporter", name=ctx.person.name)
    await offer(ctx, await repo.get(task.id))


async def complete(ctx: Context, args: str) -> None:
    task, rest = await _load(ctx, args, "tasks.usage.complete")
    hours, note = _hours_and_note(rest)
    most = ctx.community.ledger.timebank.max_exchange
    if not hours or hours > most:
        # whose task it is comes first; then the hours, asked for with their own task number
        _member_result(ctx, task, _member_state(task, ctx.person.id), task.status, "done")
        if not hours:
            raise Refusal("tasks.hours_needed", ref=task.ref, note=f" {note}" if note else "")
        raise Refusal("tasks.hours_too_many", most=points.amount_text(ctx, "hours", most))
    repo = Tasks(ctx.services.store)
    result, status = await repo.finish(task.id, ctx.event.id, ctx.person.id,
                                       tickets.entry(ctx, "task_done", "done", f"{points.hours_text(hours)}h {note}".strip()),
                                       {"hours": hours, "note": note, "at": ctx.now})
    _member_result(ctx, task, result, status, "done")
    ctx.reply(ctx.t("tasks.done_ok", ref=task.ref, hours=points.amount_text(ctx, "hours", hours)))
    if status != "completed":
        ctx.reply(ctx.t("tasks.done_waiting"))
        return
    task = await repo.get(task.id)
    await timers.cancel(ctx, TIMER, f"{task.id}:window")
    total = sum(int(d["hours"]) for d in task.done.values())
    names = "、".join(ctx.name_of(p) for p in task.claimants())
    ask = ctx.t("tasks.please_confirm", names=names, ref=task.ref, title=task.title, note=note,
                hours=points.amount_text(ctx, "hours", total))
    ctx.tell(task.beneficiary or task.created_by, ask, ((( ctx.t("tasks.button_confirm"), f"确认 {task.ref}"),),))
    if task.ticket:
        ticket = await ctx.services.tickets.get(task.ticket)
        if ticket and ticket.status in tickets.OPEN_STATES:
            await tickets.finish(ctx, ticket, note or task.title)


def _hours_and_note(rest: str) -> tuple[int | None, str]:
    """'1.5 已换水龙头', '2小时修好了', '半小时' -> (hundredths of an hour, note); no hours: (None, rest)."""
    match = _HOURS.match(rest.strip())
    if not match:
        return None, rest.strip()
    return points.parse_hours(match.group(1)), match.group(2).strip()


def _member_state(task: Task, person_id: str) -> str:
    """What task_release.lua would answer, from the task as loaded (who asks, then its state)."""
    if person_id not in task.claims:
        return "not_claimed"
    if person_id in task.done:
        return "already_done"
    return "ok" if task.status in OPEN else "closed"


_MEMBER_REFUSALS = {
    ("not_claimed", "done"): "tasks.not_claimed",
    ("not_claimed", "withdraw"): "tasks.not_claimed_withdraw",
    ("already_done", "done"): "tasks.already_done",
    ("already_done", "withdraw"): "tasks.withdraw_done",
    ("closed", "done"): "tasks.done_closed",
    ("closed", "withdraw"): "tasks.withdraw_closed",
}


def _member_result(ctx: Context, task: Task, result: str, status: str, action: str) -> None:
    """Refuse a claimant's 完成 or 退单 (`action` "done" or "withdraw") the script turned
    down; `status` is the task's state it answered with."""
    if result in ("ok", "replay"):
        return
    if result == "missing":
        raise Refusal("tasks.not_found", ref=task.ref)
    if result == "already_done" and status not in OPEN + ("completed",):
        result = "closed"            # reported, and the task is over since: say it is over
    raise Refusal(_MEMBER_REFUSALS[result, action], ref=task.ref, status=ctx.t(f"tasks.status.{status}"))


async def confirm(ctx: Context, args: str) -> None:
    task, _ = await _load(ctx, args, "tasks.confirm_how")
    person = ctx.person
    MAY_CONFIRM.require(ctx, task, "tasks.not_confirmer", ref=task.ref)
    result = await Tasks(ctx.services.store).transition(
        task, ctx.event.id, ("completed",), {"status": "confirmed", "confirmed_at": ctx.now, "confirmed_by": person.id},
        tickets.entry(ctx, "task_confirmed", "confirmed"))
    if result not in ("ok", "replay"):
        key = "tasks.confirm_closed" if task.status in ("confirmed", "cancelled") else "tasks.not_completed"
        raise Refusal(key, ref=task.ref, status=_status(ctx, task))
    for volunteer, report in task.done.items():
        note = f"{task.ref} {task.title}"
        await points.credit_hours(ctx, volunteer, int(report["hours"]), f"task:{task.id}:hours:{volunteer}", note)
        await points.earn(ctx, volunteer, "volunteer_task", f"task:{task.id}:points:{volunteer}", note)
        ctx.tell(volunteer, ctx.t("tasks.confirmed_volunteer", ref=task.ref, name=person.name))
    names = "、".join(ctx.name_of(p) for p in task.done)
    ctx.reply(ctx.t("tasks.confirmed", ref=task.ref, names=names))
    if task.beneficiary and not task.ticket:
        buttons = (tuple((f"{n}分", f"评价 {task.ref} {n}") for n in range(5, 0, -1)),)
        ctx.tell(task.beneficiary, ctx.t("tasks.rate_request", ref=task.ref), buttons)


async def rate(ctx: Context, args: str) -> None:
    task, rest = await _load(ctx, args, "tasks.rate_how")
    score, _, comment = rest.partition(" ")
    BENEFICIARY.require(ctx, task, "tasks.not_beneficiary", ref=task.ref)
    if task.status != "confirmed":
        ctx.reply(ctx.t("tasks.not_rateable", ref=task.ref))
        return
    if task.rating:
        ctx.reply(ctx.t("tasks.already_rated", ref=task.ref))
        return
    if not score.isdigit() or not 1 <= int(score) <= 5:
        ctx.reply(ctx.t("tasks.rate_request", ref=task.ref))
        return
    comment = comment.strip()
    await Tasks(ctx.services.store).transition(task, ctx.event.id, ("confirmed",),
                                               {"status": "confirmed", "rating": int(score), "comment": comment or None},
                                               tickets.entry(ctx, "task_rated", "confirmed", f"{score}分 {comment}".strip()))
    ctx.reply(ctx.t("tasks.rated", ref=task.ref, rating=score))
    for volunteer in task.done:
        ctx.tell(volunteer, ctx.t("tasks.rated_volunteer", name=ctx.person.name, ref=task.ref, rating=score,
                                  comment=f"：{comment}" if comment else ""))


async def cancel(ctx: Context, args: str) -> None:
    task, reason = await _load(ctx, args, "tasks.usage.cancel")
    result = await Tasks(ctx.services.store).transition(task, ctx.event.id, OPEN, {"status": "cancelled"},
                                                        tickets.entry(ctx, "task_cancelled", "cancelled", reason))
    if result not in ("ok", "replay"):
        key = "tasks.cancel_again" if task.status == "cancelled" else "tasks.cancel_closed"
        raise Refusal(key, ref=task.ref, status=_status(ctx, task))
    await timers.cancel(ctx, TIMER, f"{task.id}:window")
    ctx.reply(ctx.t("tasks.cancelled", ref=task.ref))
    reason_text = f"（{reason}）" if reason else ""
    for volunteer in task.claims:
        ctx.tell(volunteer, ctx.t("tasks.cancelled_volunteer", ref=task.ref, title=task.title, reason=reason_text))
    if task.ticket:
        # the volunteer the reporter was told of no longer comes: the ticket is staff's again
        ticket = await ctx.services.tickets.get(task.ticket)
        if ticket and ticket.assignee in task.claims and ticket.status in tickets.OPEN_STATES:
            await ctx.services.tickets.transition(ticket.id, ctx.event.id, "volunteer_withdrew",
                                                  {"status": "open", "assignee": None},
                                                  tickets.entry(ctx, "volunteer_withdrew", "open",
                                                                f"{task.ref} {reason}".strip()))
    coming = [p for p in task.claimants() if p != task.beneficiary]
    if coming:                       # told someone was coming: told they no longer come
        _tell_beneficiary(ctx, task, "", "tasks.cancelled_beneficiary",
                          names="、".join(ctx.name_of(p) for p in coming), reason=reason_text)


async def mine(ctx: Context, args: str) -> None:
    repo = Tasks(ctx.services.store)
    tasks = [t for t in [await repo.get(i) for i in await repo.open_of(ctx.person.id)] if t]
    if not tasks:
        ctx.reply(ctx.t("tasks.mine_empty"))
        return
    lines = [ctx.t("tasks.mine_header")]
    for task in tasks:
        lines.append(ctx.t("tasks.mine_line", ref=task.ref, title=task.title, state=ctx.t("tasks.mine_claimed")))
    ctx.reply("\n".join(lines))
