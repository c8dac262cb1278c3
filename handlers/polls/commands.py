"""The polls package's commands and timers; the router joins every package's."""

from __future__ import annotations

from handlers.commands import Command
from handlers.permissions import COUNCIL_CHAIR, PUBLISHER, STAFF, role
from handlers.polls import cancel, close, create, vote

# Who may cancel a poll: its creator (PUBLISHER: the poll's created_by) or staff. 帮助 lists
# 取消投票 to staff only: it cannot know which poll a council chair means.
MAY_CANCEL = STAFF | PUBLISHER

COMMANDS = [
    Command("newpoll", ("发起投票",), "newpoll", create.create_command, "polls.usage.create",
            allowed=COUNCIL_CHAIR | role("secretary", "staff"), refusal="polls.create.not_allowed"),
    Command("vote", ("投票",), "vote", vote.vote, "polls.usage.vote", menu="投票", secret=True),
    Command("proxyvote", ("代投",), "proxyvote", vote.proxy_vote, "polls.usage.proxy", allowed=STAFF,
            secret=True),
    Command("cancelpoll", ("取消投票",), "cancelpoll", cancel.cancel_command, "polls.usage.cancel",
            allowed=MAY_CANCEL),
]

TIMERS = {"poll": close.on_timer}
