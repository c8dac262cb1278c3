"""The community file's `[retention]`: how long each kind of data is kept (README "Your
data: what linli keeps, for how long, and erasure")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers import care   # care.parse_time: a time of day as staff write it
from handlers.sections import Fail, table

DAY = 86400.0
MONTH_DAYS = 30      # a month of `ticket_text_months` is 30 days
YEAR_DAYS = 365


@dataclass(frozen=True)
class RetentionRules:
    ticket_text_months: float = 24   # an ended ticket's words, photos, place, comments
    message_days: float = 30         # copies of messages kept aside (undeliverable, failed)
    audit_years: float = 3           # the audit log (who looked at what)
    run_at: str = "03:30"            # when the daily job runs, in the community's time zone

    @property
    def ticket_text_seconds(self) -> float:
        return self.ticket_text_months * MONTH_DAYS * DAY

    @property
    def audit_days(self) -> float:
        return self.audit_years * YEAR_DAYS

    @property
    def run_hour_minute(self) -> tuple[int, int]:
        hour, _, minute = self.run_at.partition(":")
        return int(hour), int(minute)


def parse_retention(raw: Any, fail: Fail) -> RetentionRules:
    """`[retention] ticket_text_months = 24, message_days = 30, audit_years = 3,
    run_at = "03:30"` (all optional)."""
    if raw is None:
        return RetentionRules()
    table(raw, "retention", RetentionRules.__dataclass_fields__, fail)
    values: dict[str, Any] = {}
    for name in ("ticket_text_months", "message_days", "audit_years"):
        if name in raw:
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise fail(f"retention.{name}", "must be a positive number")
            values[name] = float(value)
    if "run_at" in raw:
        values["run_at"] = care.parse_time(raw["run_at"])
        if values["run_at"] is None:
            raise fail("retention.run_at", f"{raw['run_at']!r} is not a time of day such as \"03:30\"")
    return RetentionRules(**values)
