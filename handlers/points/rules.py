"""The community file's `[points]`, `[timebank]` and `[[rewards]]`: what participation earns,
the time bank's limits, and the 爱心超市 catalogue. Checked at start like the rest of the
file (handlers/community.py calls `parse_rules`), every problem naming its key.

Hours are written as hours (1.5) and kept in hundredths of an hour (150), so sums of
hours are exact integers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from handlers.sections import Fail, table

UNITS = ("points", "hours")
# Kinds the bundled features earn; a community may add its own with a `label`.
KNOWN_KINDS = ("report_accepted", "rating_given", "ballot_cast", "event_attendance", "volunteer_task",
               "care_visit")
_KIND = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class EarnRule:
    kind: str
    amount: int                  # points per occurrence
    daily_cap: int | None = None  # most points of this kind one person earns a day
    label: str | None = None     # what the person is told it was for (default: the texts file)


@dataclass(frozen=True)
class TimebankRules:
    min_balance: int = -1000     # hundredths of an hour: a receiver may go this far below zero
    max_exchange: int = 800      # most hours in one exchange
    confirm_days: float = 7      # an exchange not confirmed in this time lapses
    task_daily_cap: int | None = None   # most volunteer-task hours one person earns a day
    points_per_hour: int | None = None  # hours may be turned into points at this rate; None: never


@dataclass(frozen=True)
class RewardItem:
    id: str
    name: str
    price: int                   # points, or hundredths of an hour
    unit: str = "points"
    stock: int | None = None     # None: unlimited
    description: str = ""


@dataclass(frozen=True)
class LedgerRules:
    earn: dict[str, EarnRule] = field(default_factory=dict)
    timebank: TimebankRules = field(default_factory=TimebankRules)
    rewards: dict[str, RewardItem] = field(default_factory=dict)


def hundredths(value: Any, key: str, fail: Fail, allow_negative: bool = False, allow_zero: bool = False) -> int:
    """1.5 hours -> 150; refuses what is not a number of hours in steps of 0.01."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(key, "must be a number of hours, e.g. 1.5")
    scaled = round(value * 100)
    if abs(value * 100 - scaled) > 1e-6:
        raise fail(key, "hours go in steps of 0.01")
    if (scaled < 0 and not allow_negative) or (scaled == 0 and not allow_zero) or (scaled > 0 and allow_negative):
        raise fail(key, "must be zero or below" if allow_negative else "must be more than zero")
    return scaled


def _whole(value: Any, key: str, fail: Fail, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise fail(key, f"must be a whole number of at least {minimum}")
    return value


def _earn(raw: Any, fail: Fail) -> dict[str, EarnRule]:
    rules = {}
    for kind, value in table(raw, "points", set(raw) if isinstance(raw, dict) else set(), fail).items():
        key = f"points.{kind}"
        if not _KIND.match(kind):
            raise fail(key, "a kind is lower-case ASCII with '_', e.g. report_accepted")
        if not isinstance(value, dict):
            value = {"amount": value}
        value = table(value, key, {"amount", "daily_cap", "label"}, fail)
        if "amount" not in value:
            raise fail(f"{key}.amount", "is required")
        amount = _whole(value["amount"], f"{key}.amount", fail)
        cap = value.get("daily_cap")
        if cap is not None:
            cap = _whole(cap, f"{key}.daily_cap", fail)
            if cap < amount:
                raise fail(f"{key}.daily_cap", f"must be at least the amount ({amount}), or nobody earns it")
        label = value.get("label")
        if label is not None and (not isinstance(label, str) or not label.strip()):
            raise fail(f"{key}.label", "must be a non-empty string")
        if kind not in KNOWN_KINDS and label is None:
            raise fail(f"{key}.label", f"is required for a kind linli does not know (known: {', '.join(KNOWN_KINDS)})")
        rules[kind] = EarnRule(kind, amount, cap, label)
    return rules


def _timebank(raw: Any, fail: Fail) -> TimebankRules:
    raw = table(raw, "timebank", set(TimebankRules.__dataclass_fields__), fail)
    values: dict[str, Any] = {}
    if "min_balance" in raw:
        values["min_balance"] = hundredths(raw["min_balance"], "timebank.min_balance", fail,
                                           allow_negative=True, allow_zero=True)
    for name in ("max_exchange", "task_daily_cap"):
        if name in raw:
            values[name] = hundredths(raw[name], f"timebank.{name}", fail)
    if "confirm_days" in raw:
        days = raw["confirm_days"]
        if isinstance(days, bool) or not isinstance(days, (int, float)) or days <= 0:
            raise fail("timebank.confirm_days", "must be a positive number of days")
        values["confirm_days"] = float(days)
    if "points_per_hour" in raw:
        values["points_per_hour"] = _whole(raw["points_per_hour"], "timebank.points_per_hour", fail)
    return TimebankRules(**values)


def _reward(raw: Any, key: str, fail: Fail) -> RewardItem:
    raw = table(raw, key, {"id", "name", "price", "unit", "stock", "description"}, fail)
    for name in ("id", "name", "price"):
        if name not in raw:
            raise fail(f"{key}.{name}", "is required")
    for name in ("id", "name", "description"):
        if name in raw and (not isinstance(raw[name], str) or not raw[name].strip()):
            raise fail(f"{key}.{name}", "must be a non-empty string")
    if not re.match(r"^[A-Za-z0-9_-]+$", raw["id"]):
        raise fail(f"{key}.id", "use ASCII letters, digits, '-' or '_' only")
    unit = raw.get("unit", "points")
    if unit not in UNITS:
        raise fail(f"{key}.unit", f"unknown unit {unit!r} (expected points or hours)")
    price = (hundredths(raw["price"], f"{key}.price", fail) if unit == "hours"
             else _whole(raw["price"], f"{key}.price", fail))
    stock = raw.get("stock")
    if stock is not None:
        stock = _whole(stock, f"{key}.stock", fail, minimum=0)
    return RewardItem(raw["id"], raw["name"].strip(), price, unit, stock, raw.get("description", ""))


def parse_rules(raw: dict, fail: Fail) -> LedgerRules:
    """The ledger's part of a community file (`raw` is the whole file)."""
    items = raw.get("rewards", [])
    if not isinstance(items, list):
        raise fail("rewards", "must be an array of tables ([[rewards]])")
    rewards: dict[str, RewardItem] = {}
    for i, item in enumerate(items):
        reward = _reward(item, f"rewards[{i}]", fail)
        if reward.id in rewards:
            raise fail(f"rewards[{i}].id", f"duplicate id {reward.id!r}")
        if any(r.name == reward.name for r in rewards.values()):
            raise fail(f"rewards[{i}].name", f"duplicate name {reward.name!r} (residents redeem by name)")
        rewards[reward.id] = reward
    return LedgerRules(earn=_earn(raw.get("points", {}), fail), timebank=_timebank(raw.get("timebank", {}), fail),
                       rewards=rewards)
