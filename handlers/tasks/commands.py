"""The tasks package's commands and timers; the router joins every package's. 评价 T3 and
确认 T3 come here through the words the tickets and points packages own."""

from __future__ import annotations

from handlers.commands import Command
from handlers.permissions import STAFF, VOLUNTEER
from handlers.tasks import claim, create, push, volunteers

COMMANDS = [
    Command("volunteer", ("志愿者",), "volunteer", volunteers.command, "tasks.usage.volunteer", allowed=VOLUNTEER,
            refusal="volunteers.not_volunteer"),
    Command("claim", ("接单",), "claim", claim.claim, "tasks.usage.claim", allowed=VOLUNTEER | STAFF,
            refusal="tasks.not_volunteer", menu="接单：认领志愿任务"),
    Command("withdraw", ("退单",), "withdraw", claim.withdraw, "tasks.usage.withdraw", allowed=VOLUNTEER | STAFF,
            refusal="tasks.not_volunteer"),
    Command("done", ("完成",), "done", claim.complete, "tasks.usage.complete", allowed=VOLUNTEER | STAFF,
            refusal="tasks.not_volunteer"),
    Command("mytasks", ("我的任务",), "mytasks", claim.mine, "tasks.usage.mine", allowed=VOLUNTEER | STAFF,
            refusal="tasks.not_volunteer", menu="我的志愿任务"),
    Command("newtask", ("发布任务",), "newtask", create.create_command, "tasks.usage.create", allowed=STAFF),
    Command("canceltask", ("取消任务",), "canceltask", claim.cancel, "tasks.usage.cancel", allowed=STAFF),
]

TIMERS = {push.TIMER: push.on_timer}
