"""The care package's commands and timers; the router joins every package's."""

from __future__ import annotations

from handlers.care import chat, ladder
from handlers.care.common import SYNC, TIMER, WATER, WEEK
from handlers.commands import Command
from handlers.permissions import CARE_WATCHER, ELDER

COMMANDS = [
    # Any known sender may say 平安 (the handler decides); 帮助 offers it to those in care and their guardians.
    Command("safe", ("平安",), "safe", chat.safe, "care.usage.safe", allowed=CARE_WATCHER | ELDER),
    Command("visit", ("探访",), "visit", chat.visit, "care.usage.visit", allowed=CARE_WATCHER,
            refusal="care.not_guardian"),
    Command("goandsee", ("我去看看",), "goandsee", chat.claim, "care.usage.claim", allowed=CARE_WATCHER,
            refusal="care.not_guardian"),
    Command("away", ("外出",), "away", chat.away, "care.usage.away", allowed=CARE_WATCHER | ELDER,
            refusal="care.not_guardian"),
    Command("care", ("关爱",), "care", chat.care, "care.usage.care", allowed=CARE_WATCHER,
            refusal="care.not_guardian"),
]

TIMERS = {TIMER: ladder.on_timer, WATER: ladder.on_water, WEEK: ladder.on_week, SYNC: ladder.on_sync}
