"""A task's life after it is offered: `接单 T3` (first come, first served; 首接负责),
`退单 T3`, `完成 T3 1.5 说明`, then the beneficiary's `确认 T3` books the hours and asks for a
rating (`评价 T3 5`). `我的任务` lists what a volunteer holds; staff may `取消任务 T3`.

A task made from a ticket carries it along: its first claimant becomes the ticket's
assignee (the person the reporter hears from) and completion resolves the ticket."""

from __future__ import annotations

import re

from handlers import points, tickets, timers
from handlers.context import Context
from handlers.permissions import BENEFICIARY, PUBLISHER, STAFF, Refusal
from handlers.tasks.push import TIMER, details, offer
from handlers.tasks.volunteers import most_open, profiles_of
from storage.tasks import OPEN, Task, Tasks

_REF = re.compile(r"^[TtＴｔ#＃]?(\d+)\s*(.*)$", re.S)
_TASK_REF = re.compile(r"^\s*[TtＴｔ]\d")


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
        count = len(await repo.open_of(person.id))
        ctx.reply(ctx.t(f"tasks.{result}", ref=task.ref, status=_status(ctx, task), count=count, most=most))
        return
    task = await repo.get(task.id)
    ctx.reply(ctx.t("tasks.claimed", ref=task.ref, title=task.title, details=details(ctx, task, beneficiary=True)))
    ctx.tell(task.created_by, ctx.t("tasks.claimed_staff", name=person.name, ref=task.ref,
                                    claimed=claimed, places=places))
    if task.ticket and claimed == 1:
        ticket = await ctx.services.tickets.get(task.ticket)
        if ticket and ticket.status in tickets.OPEN_STATES:
            await tickets.assign_to(ctx, ticket, person)
    if claimed >= places:
        await timers.cancel(ctx, TIMER, f"{task.id}:window")
        names = "、".join(ctx.name_of(p) for p in task.claimants())
        ctx.tell(task.created_by, ctx.t("tasks.full", ref=task.ref, names=names))


async def withdraw(ctx: Context, args: str) -> None:
    task, reason = await _load(ctx, args, "tasks.usage.withdraw")
    repo = Tasks(ctx.services.store)
    result, _ = await repo.release(task.id, ctx.event.id, ctx.person.id,
                                   tickets.entry(ctx, "task_withdrawn", "open", reason))
    if not await _member_result(ctx, task, result):
        return
    ctx.reply(ctx.t("tasks.withdrawn", ref=task.ref))
    ctx.tell(task.created_by, ctx.t("tasks.withdrawn_staff", name=ctx.person.name, ref=task.ref,
                                    reason=f"（{reason}）" if reason else ""))
    if task.ticket:
        ticket = await ctx.services.tickets.get(task.ticket)
        if ticket and ticket.assignee == ctx.person.id and ticket.status in tickets.OPEN_STATES:
            await ctx.services.tickets.transition(ticket.id, ctx.event.id, "volunteer_withdrew",
                                                  {"status": "open", "assignee": None},
                                                  tickets.entry(ctx, "volunteer_withdrew", "open", reason))
            ctx.tell(ticket.reporter, ctx.t("tasks.withdrawn_reporter"))
    await offer(ctx, await repo.get(task.id))


async def complete(ctx: Context, args: str) -> None:
    task, rest = await _load(ctx, args, "tasks.usage.complete")
    amount, _, note = rest.partition(" ")
    hours = points.parse_hours(amount)
    if not hours:
        ctx.reply(ctx.t("tasks.usage.complete"))
        return
    most = ctx.community.ledger.timebank.max_exchange
    if hours > most:
        ctx.reply(ctx.t("tasks.hours_too_many", most=points.amount_text(ctx, "hours", most)))
        return
    note = note.strip()
    repo = Tasks(ctx.services.store)
    result, status = await repo.finish(task.id, ctx.event.id, ctx.person.id,
                                       tickets.entry(ctx, "task_done", "done", f"{points.hours_text(hours)}h {note}".strip()),
                                       {"hours": hours, "note": note, "at": ctx.now})
    if not await _member_result(ctx, task, result):
        return
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


async def _member_result(ctx: Context, task: Task, result: str) -> bool:
    if result in ("ok", "replay"):
        return True
    key = {"not_claimed": "tasks.not_claimed", "already_done": "tasks.already_done"}.get(result, "tasks.closed")
    ctx.reply(ctx.t(key, ref=task.ref, status=_status(ctx, task)))
    return False


async def confirm(ctx: Context, args: str) -> None:
    task, _ = await _load(ctx, args, "tasks.usage.complete")
    person = ctx.person
    (BENEFICIARY | PUBLISHER | STAFF).require(ctx, task, "tasks.not_confirmer", ref=task.ref)
    result = await Tasks(ctx.services.store).transition(
        task, ctx.event.id, ("completed",), {"status": "confirmed", "confirmed_at": ctx.now, "confirmed_by": person.id},
        tickets.entry(ctx, "task_confirmed", "confirmed"))
    if result not in ("ok", "replay"):
        ctx.reply(ctx.t("tasks.not_completed", ref=task.ref, status=_status(ctx, task)))
        return
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
    task, rest = await _load(ctx, args, "tasks.usage.complete")
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
        ctx.reply(ctx.t("tasks.closed", ref=task.ref, status=_status(ctx, task)))
        return
    await timers.cancel(ctx, TIMER, f"{task.id}:window")
    ctx.reply(ctx.t("tasks.cancelled", ref=task.ref))
    for volunteer in task.claims:
        ctx.tell(volunteer, ctx.t("tasks.cancelled_volunteer", ref=task.ref, title=task.title,
                                  reason=f"（{reason}）" if reason else ""))


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
