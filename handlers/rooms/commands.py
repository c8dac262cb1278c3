"""The rooms package's commands and timers; the router joins every package's."""

from __future__ import annotations

from handlers.commands import Command
from handlers.rooms import approve, book
from handlers.rooms.common import MAY_DECIDE, TIMER

COMMANDS = [
    Command("book", ("预约",), "book", book.book, "rooms.usage.book", menu="预约活动室和借用器材"),
    Command("mybookings", ("我的预约",), "mybookings", book.mine, "rooms.usage.mine"),
    Command("cancelbooking", ("取消预约",), "cancelbooking", book.cancel, "rooms.usage.cancel"),
    Command("approve", ("批准",), "approve", approve.approve, "rooms.usage.approve", allowed=MAY_DECIDE),
    Command("refuse", ("拒绝",), "refuse", approve.refuse, "rooms.usage.refuse", allowed=MAY_DECIDE),
]

TIMERS = {TIMER: approve.on_timer}
