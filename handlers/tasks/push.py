"""Offering a task to volunteers: the best few by private message with a 接单 button,
held over their quiet hours unless urgent; when nobody claims within the community's
claim window, the next few; when nobody is left, the grid worker."""

from __future__ import annotations

import json

from handlers import people, tickets, timers
from handlers.context import Context
from handlers.tasks.volunteers import candidates, profiles_of, quiet_until
from storage.tasks import OPEN, Task, Tasks

TIMER = "task"


def details(ctx: Context, task: Task, beneficiary: bool = False) -> str:
    """What a volunteer is told of a task; `beneficiary`: told a claimant only, who it is
    for and, when the task names no place, where that person lives (never in a push)."""
    lines = []
    if task.detail:
        lines.append(ctx.t("tasks.detail_text", text=task.detail))
    helped = ctx.community.people.get(task.beneficiary or "") if beneficiary else None
    if task.place:
        lines.append(ctx.t("tasks.detail_place", place=task.place))
    elif helped and helped.household:
        lines.append(ctx.t("tasks.detail_place", place=people.describe(helped.household)))
    if task.at:
        lines.append(ctx.t("tasks.detail_time", at=ctx.when(task.at)))
    if beneficiary and task.beneficiary:
        lines.append(ctx.t("tasks.detail_for", name=ctx.name_of(task.beneficiary)))
    return "".join(line + "\n" for line in lines)


def push_text(ctx: Context, task: Task) -> str:
    return ctx.t("tasks.push", ref=task.ref, title=task.title, details=details(ctx, task),
                 places=task.places, left=task.left, urgent=ctx.t("tasks.urgent_mark") if task.urgent else "")


def claim_button(ctx: Context, task: Task) -> tuple:
    return (((ctx.t("tasks.button_claim"), f"接单 {task.ref}"),),)


async def offer(ctx: Context, task: Task) -> tuple[int, int]:
    """Offer `task` to the next batch; returns (offered now or held, of them held)."""
    repo = Tasks(ctx.services.store)
    chosen = await _choose_once(ctx, task)
    if not chosen:
        if not task.exhausted:
            await repo.set_fields(task.id, {"exhausted": True})
            for worker in ctx.community.grid_workers_for(task.building):
                ctx.tell(worker.id, ctx.t("tasks.unclaimed", ref=task.ref, title=task.title),
                         claim_button(ctx, task))
        return 0, 0
    people = [ctx.community.people[p] for p in chosen if p in ctx.community.people]
    profiles = await profiles_of(ctx, people)
    due: dict[str, float] = {}
    for person in people:
        later = None if task.urgent else quiet_until(ctx, profiles[person.id], ctx.now)
        due[person.id] = later or ctx.now
        if later:
            await timers.schedule(ctx, TIMER, f"{task.id}:push:{person.id}", later, f"task:{task.id}",
                                  task=task.id, person=person.id, step="push")
        else:
            ctx.tell(person.id, push_text(ctx, task), claim_button(ctx, task))
    await repo.mark_pushed(task.id, due)
    batch = task.batch + 1
    await repo.set_fields(task.id, {"batch": batch})
    window = ctx.community.volunteering.claim_window_minutes * 60
    await timers.schedule(ctx, TIMER, f"{task.id}:window", max(due.values()) + window, f"task:{task.id}",
                          task=task.id, batch=batch, step="window")
    return len(people), sum(1 for at in due.values() if at > ctx.now)


async def _choose_once(ctx: Context, task: Task) -> list[str]:
    """The batch this event offers to, the same if the event is handled again."""
    redis, key = ctx.services.store.redis, ctx.services.store.keys.task_offer(task.id, ctx.event.id)
    ranked = await candidates(ctx, task)
    size = max(ctx.community.volunteering.batch, task.left)
    await redis.set(key, json.dumps([p.id for p in ranked[:size]]), nx=True, ex=7 * 86400)
    return json.loads(await redis.get(key))


async def on_timer(ctx: Context) -> None:
    data = ctx.event.data
    task = await Tasks(ctx.services.store).get(int(data["task"]))
    if task is None or task.status != "open":
        return
    if data["step"] == "push":
        if data["person"] not in task.claims:
            ctx.tell(data["person"], push_text(ctx, task), claim_button(ctx, task))
    elif data["step"] == "window" and int(data["batch"]) == task.batch:
        await offer(ctx, task)



async def cancel_for_ticket(ctx: Context, ticket_id: int, reason: str) -> None:
    """Staff closed the ticket (办结, 驳回, 合并): its open task is withdrawn, so no volunteer
    sets out to fix what is already fixed."""
    repo = Tasks(ctx.services.store)
    for task_id in await repo.of_ticket(ticket_id):
        task = await repo.get(task_id)
        if task is None or task.status not in OPEN:
            continue
        if await repo.transition(task, f"{ctx.event.id}:ticket", OPEN, {"status": "cancelled"},
                                 tickets.entry(ctx, "task_cancelled", "cancelled", reason)) == "ok":
            await timers.cancel(ctx, TIMER, f"{task.id}:window")
            for volunteer in task.claims:
                ctx.tell(volunteer, ctx.t("tasks.cancelled_volunteer", ref=task.ref, title=task.title,
                                          reason=f"（{reason}）"))
