"""`linli admin AREA ACTION`: staff tools, one module per area. Each module provides
`register(areas, community_options)` to add its sub-commands and `run(args, runtime)`."""

from __future__ import annotations

from bot.admin import tickets
from bot.admin import backup
from bot.admin import ledger, rewards
from bot.admin import people, polls
from bot.admin import tasks
from bot.admin import examples
from bot.admin import privacy
from bot.admin import stats
from bot.admin import sharing
from bot.admin import care
from bot.admin import devices
from bot.admin import rooms
from bot.admin import agenda

AREAS = {"tickets": tickets, "ledger": ledger, "rewards": rewards, "polls": polls, "people": people,
         "sharing": sharing,
         "tasks": tasks, "examples": examples, "stats": stats, "devices": devices,
         "care": care}
AREAS["privacy"] = privacy
AREAS["rooms"] = rooms
AREAS["topics"] = agenda   # 议题
# `linli admin backup DIR`, `linli admin restore DIR`: areas of their own, no ACTION.
AREAS.update(backup=backup.BACKUP, restore=backup.RESTORE)
