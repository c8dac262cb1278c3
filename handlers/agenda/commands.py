"""The agenda package's commands and timers; the router joins every package's."""

from __future__ import annotations

from handlers.agenda import decide, follow, propose, second
from handlers.agenda.common import carries_out
from handlers.commands import Command
from handlers.permissions import COUNCIL_CHAIR, STAFF, Kind, Permission, role

# Who decides a topic's path, schedules it and says who carries it out: as for 发起投票.
# Anyone else is refused quietly ("决定 明天去" in a group is neighbours talking).
COUNCIL = COUNCIL_CHAIR | role("secretary", "staff")
# The person a topic names as carrying it out (落实 Y3 @张三), or the contact of the
# department it was referred to (决定 Y3 转交 城管): their progress notes.
IMPLEMENTER = Permission((Kind("implementer", lambda ctx, topic: carries_out(ctx, topic), about_subject=True),))

COMMANDS = [
    Command("topic", ("议题",), "topic", propose.command, "agenda.usage.topic", menu="议题：提议和附议"),
    # glued: "附议Y3" as typed; anything else after 附议 is answered only to someone addressing the bot
    Command("second", ("附议",), "second", second.second, "agenda.usage.second", glued=True),
    Command("withdrawtopic", ("撤回议题",), "withdrawtopic", propose.withdraw, "agenda.usage.withdraw"),
    Command("decide", ("决定",), "decide", decide.decide, "agenda.usage.decide", allowed=COUNCIL),
    Command("schedule", ("排期",), "schedule", decide.schedule, "agenda.usage.schedule", allowed=COUNCIL),
    Command("implement", ("落实",), "implement", follow.assign, "agenda.usage.assign", allowed=COUNCIL),
    Command("progress", ("进展",), "progress", follow.progress, "agenda.usage.progress", allowed=STAFF | IMPLEMENTER),
    Command("evaluate", ("评议",), "evaluate", follow.evaluate, "agenda.usage.evaluate"),
]

TIMERS = {"agenda": follow.on_timer}
