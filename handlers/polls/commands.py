"""The polls package's commands and timers; the router joins every package's."""

from __future__ import annotations

from handlers.commands import Command
from handlers.permissions import COUNCIL_CHAIR, STAFF, role
from handlers.polls import close, create, vote

COMMANDS = [
    Command("newpoll", ("发起投票",), "newpoll", create.create_command, "polls.usage.create",
            allowed=COUNCIL_CHAIR | role("secretary", "staff"), refusal="polls.create.not_allowed"),
    Command("vote", ("投票",), "vote", vote.vote, "polls.usage.vote", menu="投票"),
    Command("proxyvote", ("代投",), "proxyvote", vote.proxy_vote, "polls.usage.proxy", allowed=STAFF),
]

TIMERS = {"poll": close.on_timer}
