"""The community file's `[agenda]` section: how many must second a topic, by scope, and
the windows.

    [agenda]
    building = "10户"          # a building's topic: 10 households of the building
    community = "5%"           # a community-wide topic: 5% of the community's households
    window_days = 30           # not seconded enough in this time: the topic lapses
    remind_days = 7            # on the agenda this long without a decision: the secretary is reminded (again)
    evaluation_days = 14       # after it is done, seconders have this long to 评议

A threshold is a number of households ("10户") or people ("10人"), or a percent of the
scope's verified households ("5%", "5%户") or known people ("5%人"), rounded up; never
below 2 (the proposer counts as the first).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from handlers.sections import Fail, table

_THRESHOLD = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|％)?\s*(户|人)?\s*$")
LEAST = 2


@dataclass(frozen=True)
class Threshold:
    amount: float
    percent: bool = False
    unit: str = "household"          # household | person

    def of(self, base: int) -> int:
        """How many units must second, for a scope of `base` units (a percent's base)."""
        if not self.percent:
            return max(int(self.amount), LEAST)
        return max(math.ceil(self.amount * base / 100 - 1e-9), LEAST)


@dataclass(frozen=True)
class AgendaRules:
    building: Threshold = Threshold(10)
    community: Threshold = Threshold(5, percent=True)
    window_days: float = 30
    remind_days: float = 7
    evaluation_days: float = 14


def parse_threshold(value: Any) -> Threshold | None:
    """'10户', '10人', '5%', '5%人' (an int alone is households); None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    match = _THRESHOLD.match(value)
    if not match:
        return None
    amount, percent = float(match.group(1)), bool(match.group(2))
    if amount <= 0 or (percent and amount > 100) or (not percent and amount != int(amount)):
        return None
    return Threshold(amount, percent, "person" if match.group(3) == "人" else "household")


def parse_agenda(raw: Any, fail: Fail) -> AgendaRules:
    if raw is None:
        return AgendaRules()
    table(raw, "agenda", AgendaRules.__dataclass_fields__, fail)
    values: dict[str, Any] = {}
    for scope in ("building", "community"):
        if scope in raw:
            threshold = parse_threshold(raw[scope])
            if threshold is None:
                raise fail(f"agenda.{scope}", f"{raw[scope]!r} is not a threshold such as \"10户\", \"20人\" "
                                              "or \"5%\"")
            values[scope] = threshold
    for name in ("window_days", "remind_days", "evaluation_days"):
        value = raw.get(name, getattr(AgendaRules, name))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise fail(f"agenda.{name}", "must be a positive number of days")
        values[name] = float(value)
    return AgendaRules(**values)
