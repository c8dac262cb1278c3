"""The privacy package's commands and timers; the router joins every package's."""

from __future__ import annotations

from handlers.commands import Command
from handlers.privacy import erase, mydata, retention

COMMANDS = [
    Command("mydata", ("我的数据",), "mydata", mydata.mydata, "privacy.usage.mydata"),
    Command("erase", ("注销",), "erase", erase.erase, "privacy.usage.erase"),
    Command("confirmerase", (erase.CONFIRM_WORD,), "confirmerase", erase.confirm, "privacy.usage.confirm"),
]

TIMERS = {retention.TIMER: retention.on_timer}
