"""The community file's `[volunteers]` table and each volunteer's `volunteer = {…}` profile,
checked at start like the rest of the file (handlers/community.py calls these).

    [volunteers]
    batch = 3                    # volunteers offered a task at a time
    claim_window_minutes = 30    # no claim in this time: offer it to the next batch
    quiet_hours = "22:00-07:00"  # pushes wait until the morning (urgent tasks do not)
    max_open = 3                 # most open tasks one volunteer holds

    [[people]]
    volunteer = { skills = ["维修", "助老"], quiet_hours = "21:30-07:30", max_open = 2,
                  available = ["1-5 18:00-21:00", "6-7 08:00-20:00"] }

`available` windows are ISO weekdays (1 = Monday) and a time range; a volunteer available
when a task is due ranks before one who is not. Volunteers change their own profile in chat
(handlers/tasks/volunteers.py); those changes live in Redis on top of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.sections import Fail, table

_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-~－至到]\s*(\d{1,2}):(\d{2})$")
_WINDOW = re.compile(r"^([1-7])(?:-([1-7]))?\s+(.+)$")


@dataclass(frozen=True)
class Volunteering:
    batch: int = 3
    claim_window_minutes: float = 30
    quiet_hours: str = "22:00-07:00"
    max_open: int = 3


@dataclass(frozen=True)
class Profile:
    skills: tuple[str, ...] = ()
    quiet_hours: str | None = None       # None: the community's
    max_open: int | None = None          # None: the community's
    available: tuple[str, ...] = ()      # empty: any time
    paused_until: float | None = None


def minutes_range(text: str) -> tuple[int, int] | None:
    """"22:00-07:00" -> (1320, 420); None when it is not a time range."""
    match = _RANGE.match(text.strip())
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
        return None
    return h1 * 60 + m1, h2 * 60 + m2


def within(moment: datetime, span: tuple[int, int]) -> bool:
    minute = moment.hour * 60 + moment.minute
    start, end = span
    return start <= minute < end if start <= end else (minute >= start or minute < end)


def window(text: str) -> tuple[int, int, tuple[int, int]] | None:
    """"1-5 18:00-21:00" -> (1, 5, (1080, 1260))."""
    match = _WINDOW.match(text.strip())
    span = minutes_range(match.group(3)) if match else None
    if not span:
        return None
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    return (first, last, span) if first <= last else None


def available_at(profile: Profile, moment: datetime) -> bool:
    if not profile.available:
        return True
    for text in profile.available:
        first, last, span = window(text)
        if first <= moment.isoweekday() <= last and within(moment, span):
            return True
    return False


def parse_volunteering(raw: Any, fail: Fail) -> Volunteering:
    if raw is None:
        return Volunteering()
    table(raw, "volunteers", Volunteering.__dataclass_fields__, fail)
    values = {}
    for name in ("batch", "max_open"):
        if name in raw:
            if isinstance(raw[name], bool) or not isinstance(raw[name], int) or raw[name] < 1:
                raise fail(f"volunteers.{name}", "must be a whole number of at least 1")
            values[name] = raw[name]
    if "claim_window_minutes" in raw:
        value = raw["claim_window_minutes"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise fail("volunteers.claim_window_minutes", "must be a positive number of minutes")
        values["claim_window_minutes"] = float(value)
    if "quiet_hours" in raw:
        if not isinstance(raw["quiet_hours"], str) or not minutes_range(raw["quiet_hours"]):
            raise fail("volunteers.quiet_hours", 'must be a time range such as "22:00-07:00"')
        values["quiet_hours"] = raw["quiet_hours"]
    return Volunteering(**values)


def parse_profile(raw: Any, key: str, fail: Fail) -> Profile | None:
    if raw is None:
        return None
    table(raw, key, ("skills", "quiet_hours", "max_open", "available"), fail, shape='{ skills = ["维修"] }')
    skills = raw.get("skills", [])
    if not isinstance(skills, list) or not all(isinstance(s, str) and s.strip() for s in skills):
        raise fail(f"{key}.skills", "must be a list of words such as [\"维修\", \"助老\"]")
    quiet = raw.get("quiet_hours")
    if quiet is not None and (not isinstance(quiet, str) or not minutes_range(quiet)):
        raise fail(f"{key}.quiet_hours", 'must be a time range such as "22:00-07:00"')
    most = raw.get("max_open")
    if most is not None and (isinstance(most, bool) or not isinstance(most, int) or most < 1):
        raise fail(f"{key}.max_open", "must be a whole number of at least 1")
    available = raw.get("available", [])
    if not isinstance(available, list) or not all(isinstance(w, str) and window(w) for w in available):
        raise fail(f"{key}.available", 'must be a list of windows such as ["1-5 18:00-21:00"] (1 = Monday)')
    return Profile(skills=tuple(skills), quiet_hours=quiet, max_open=most, available=tuple(available))
