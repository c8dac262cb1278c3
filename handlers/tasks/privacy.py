"""What the tasks package keeps about a person (我的数据: tasks they claimed and have not
finished, the volunteer profile they changed in chat) and forgets (注销): those tasks go
back to the pool (offered again to other volunteers, the beneficiary and the publisher
told), and the profile changes are deleted. Tasks they finished keep their id in the
task's record (its name reads 已注销居民); their hours are in the ledger (see points)."""

from __future__ import annotations

from handlers import tickets
from handlers.context import Context
from handlers.tasks.push import offer
from storage.privacy import Privacy
from storage.tasks import Tasks
from storage.volunteers import Profiles


async def kept_about(ctx: Context, person_id: str) -> list[str]:
    repo = Tasks(ctx.services.store)
    lines = []
    claimed = [task for task in [await repo.get(i) for i in await repo.open_of(person_id)] if task]
    if claimed:
        lines.append(ctx.t("privacy.kept.tasks_claimed", list="；".join(f"{t.ref} {t.title}" for t in claimed)))
    changes = (await Profiles(ctx.services.store).changes([person_id]))[person_id]
    if changes:
        lines.append(ctx.t("privacy.kept.volunteer_profile", fields="、".join(sorted(changes))))
    return lines


async def forget(ctx: Context, person_id: str) -> int:
    repo = Tasks(ctx.services.store)
    changed = 0
    for task_id in await repo.open_of(person_id):
        entry = {"at": ctx.now, "by": "system", "action": "task_withdrawn", "status": "open",
                 "note": ctx.t("privacy.erase.history_task")}
        result, _ = await repo.release(task_id, f"{ctx.event.id}:erase:{task_id}", person_id, entry)
        if result in ("ok", "replay"):
            changed += 1
            task = await repo.get(task_id)
            if task and task.ticket:
                ticket = await ctx.services.tickets.get(task.ticket)
                if ticket and ticket.assignee == person_id and ticket.status in tickets.OPEN_STATES:
                    await ctx.services.tickets.transition(
                        ticket.id, f"{ctx.event.id}:erase:{task_id}", "volunteer_withdrew",
                        {"status": "open", "assignee": None},
                        {**entry, "action": "volunteer_withdrew"})
            if task and task.status in ("open", "full"):
                await offer(ctx, task)
    changed += await Privacy(ctx.services.store).drop(ctx.services.store.keys.volunteer(person_id))
    return changed
