"""The community file's `[care]` section: the ladder's timing, the emergency numbers,
what a guardian's visit earns, and the people in care (`[[care.people]]`).

    [care]
    check_time = "10:00"        # the daily check: no sign of life since the last one → a reminder
    remind_hours = 2            # after the reminder, before the first guardian is asked
    guardian_minutes = 60       # each guardian has this long to claim (我去看看) before the next is asked
    visit_hours = 2             # a claimed visit not reported by then → the grid worker
    escalate_hours = 1          # the grid worker, then the secretary this much later
    water_hours = 72            # a water meter showing no use this long → a guardian visit
    emergency = "急救 120，报警 110，火警 119"
    visit_points = true         # a guardian's visit earns `[points] care_visit` (if the file rewards it)
    visit_hours_credit = 0.5    # and/or this many time-bank hours (0: none)

    [[care.people]]
    person = "wang_nainai"
    guardians = ["li_ayi", "wang_xiaoming"]
    check_time = "09:00"        # optional, else [care] check_time
    consent = "本人当面同意，2024-05-01，陈社工记录"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handlers.sections import Fail, table


@dataclass(frozen=True)
class Enrolled:
    person: str
    guardians: tuple[str, ...]
    consent: str
    check_time: str | None = None


@dataclass(frozen=True)
class CareRules:
    check_time: str = "10:00"
    remind_hours: float = 2
    guardian_minutes: float = 60
    visit_hours: float = 2
    escalate_hours: float = 1
    water_hours: float = 72
    emergency: str = "急救 120，报警 110，火警 119"
    visit_points: bool = True
    visit_hours_credit: float = 0
    people: tuple[Enrolled, ...] = field(default_factory=tuple)


def parse_time(value: Any) -> str | None:
    """'9:00' -> '09:00'; None when it is not a time of day."""
    if not isinstance(value, str):
        return None
    hour, colon, minute = value.strip().replace("：", ":").partition(":")
    if not (colon and hour.isdigit() and minute.isdigit() and len(minute) == 2 and int(hour) < 24
            and int(minute) < 60):
        return None
    return f"{int(hour):02d}:{minute}"


def parse_care(raw: Any, people: dict, fail: Fail) -> CareRules:
    if raw is None:
        return CareRules()
    table(raw, "care", CareRules.__dataclass_fields__, fail)
    values: dict[str, Any] = {}
    check = raw.get("check_time", CareRules.check_time)
    values["check_time"] = parse_time(check)
    if values["check_time"] is None:
        raise fail("care.check_time", f"{check!r} is not a time of day such as \"10:00\"")
    for name in ("remind_hours", "guardian_minutes", "visit_hours", "escalate_hours", "water_hours"):
        value = raw.get(name, getattr(CareRules, name))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise fail(f"care.{name}", "must be a positive number")
        values[name] = float(value)
    credit = raw.get("visit_hours_credit", 0)
    if isinstance(credit, bool) or not isinstance(credit, (int, float)) or credit < 0:
        raise fail("care.visit_hours_credit", "must be a number of hours, e.g. 0.5 (0: none)")
    values["visit_hours_credit"] = float(credit)
    if not isinstance(raw.get("visit_points", True), bool):
        raise fail("care.visit_points", "must be true or false")
    values["visit_points"] = raw.get("visit_points", True)
    emergency = raw.get("emergency", CareRules.emergency)
    if not isinstance(emergency, str) or not emergency.strip():
        raise fail("care.emergency", "must be a non-empty string, e.g. \"急救 120，报警 110\"")
    values["emergency"] = emergency
    enrolled = raw.get("people", [])
    if not isinstance(enrolled, list):
        raise fail("care.people", "must be an array of tables ([[care.people]])")
    values["people"] = tuple(_enrolled(item, f"care.people[{i}]", people, fail) for i, item in enumerate(enrolled))
    seen = [e.person for e in values["people"]]
    for person in seen:
        if seen.count(person) > 1:
            raise fail("care.people", f"{person!r} is listed twice")
    return CareRules(**values)


def _enrolled(raw: Any, key: str, people: dict, fail: Fail) -> Enrolled:
    table(raw, key, ("person", "guardians", "check_time", "consent"), fail)
    person = raw.get("person")
    if person not in people:
        raise fail(f"{key}.person", f"unknown person {person!r}")
    guardians = raw.get("guardians")
    if not isinstance(guardians, list) or not guardians or not all(isinstance(g, str) for g in guardians):
        raise fail(f"{key}.guardians", "must be a list of people's ids (at least one)")
    for guardian in guardians:
        if guardian not in people:
            raise fail(f"{key}.guardians", f"unknown person {guardian!r}")
        if guardian == person:
            raise fail(f"{key}.guardians", "a person is not their own guardian")
    consent = raw.get("consent")
    if not isinstance(consent, str) or not consent.strip():
        raise fail(f"{key}.consent", "is required: how the person agreed, e.g. \"本人当面同意，2024-05-01\"")
    check = raw.get("check_time")
    if check is not None and parse_time(check) is None:
        raise fail(f"{key}.check_time", f"{check!r} is not a time of day such as \"10:00\"")
    return Enrolled(person=person, guardians=tuple(dict.fromkeys(guardians)), consent=consent.strip(),
                    check_time=parse_time(check) if check is not None else None)
