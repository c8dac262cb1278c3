"""The community file's `[sharing]` table (handlers/community.py calls `parse_sharing`).

    [sharing]
    expiry_days = 14        # an item with no time of its own stays up this long (and no longer in any case)
    proposals = 3           # at most this many matches proposed for a new item
    max_open = 10           # open items one person may have at once
    digest = false          # true: a daily list of what is new, posted to each building's group
    digest_at = "08:00"     # when, in the community's time zone
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.sections import Fail, table


LONGEST_DAYS = 90   # no item stays up longer (expiry_days, or a time named further ahead)


@dataclass(frozen=True)
class SharingRules:
    expiry_days: float = 14
    proposals: int = 3
    max_open: int = 10
    digest: bool = False
    digest_at: str = "08:00"

    @property
    def digest_hour_minute(self) -> tuple[int, int]:
        hour, _, minute = self.digest_at.partition(":")
        return int(hour), int(minute)


def parse_sharing(raw: Any, fail: Fail) -> SharingRules:
    if raw is None:
        return SharingRules()
    table(raw, "sharing", SharingRules.__dataclass_fields__, fail)
    values: dict[str, Any] = {}
    if "expiry_days" in raw:
        value = raw["expiry_days"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= LONGEST_DAYS:
            raise fail("sharing.expiry_days", "must be a number of days from 1 to 90, e.g. 14")
        values["expiry_days"] = float(value)
    for name in ("proposals", "max_open"):
        if name in raw:
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 50:
                raise fail(f"sharing.{name}", "must be a whole number from 1 to 50")
            values[name] = value
    if "digest" in raw:
        if not isinstance(raw["digest"], bool):
            raise fail("sharing.digest", "must be true or false")
        values["digest"] = raw["digest"]
    if "digest_at" in raw:
        value = raw["digest_at"]
        hour, colon, minute = value.partition(":") if isinstance(value, str) else ("", "", "")
        if not (colon and hour.isdigit() and minute.isdigit() and len(minute) == 2 and int(hour) < 24
                and int(minute) < 60):
            raise fail("sharing.digest_at", f"{value!r} is not a time of day such as \"08:00\"")
        values["digest_at"] = f"{int(hour):02d}:{minute}"
    return SharingRules(**values)
