"""`linli admin AREA ACTION`: staff tools, one module per area. Each module provides
`register(areas, community_options)` to add its sub-commands and `run(args, runtime)`."""

from __future__ import annotations

from bot.admin import tickets

AREAS = {"tickets": tickets}
