"""What the care package's modules share: an enrolment as handlers read it, finding the
person a command names (refused alike whether they are not in care or the asker may not
see them: a neighbour learns nothing), the care log, and when the daily check falls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from handlers import timers
from handlers.context import Context
from handlers.permissions import Permission, Refusal
from storage.care import Care

TIMER = "care"            # the person's ladder: key = person id, one job at a time (the check or a step)
WATER = "care_water"      # the water meter's quiet rule: key = person id
WEEK = "care_week"        # the weekly summary: key "summary"
SYNC = "care_sync"        # the community file's [[care.people]] enrolled at start: key "file"


@dataclass(frozen=True)
class Enrolment:
    person: str
    guardians: tuple[str, ...]
    consent: str
    check_time: str | None = None
    by: str = ""
    at: float = 0
    how: str = "chat"

    @classmethod
    def of(cls, raw: dict[str, Any]) -> "Enrolment":
        return cls(person=raw["person"], guardians=tuple(raw.get("guardians") or ()), consent=raw.get("consent", ""),
                   check_time=raw.get("check_time"), by=raw.get("by", ""), at=float(raw.get("at") or 0),
                   how=raw.get("how", "chat"))

    def record(self) -> dict[str, Any]:
        return {"person": self.person, "guardians": list(self.guardians), "consent": self.consent,
                "check_time": self.check_time, "by": self.by, "at": self.at, "how": self.how}


def repo(ctx: Context) -> Care:
    return Care(ctx.services.store)


async def enrolment_of(ctx: Context, person_id: str) -> Enrolment | None:
    raw = await repo(ctx).enrolment(person_id)
    return Enrolment.of(raw) if raw else None


async def load(ctx: Context, ref: str, allowed: Permission) -> Enrolment:
    """The enrolment of the person `ref` names, if the sender may act on it; otherwise one
    refusal for "no such person", "not in care" and "not yours to see" alike."""
    person = ctx.community.find_person(ref)
    enrolment = await enrolment_of(ctx, person.id) if person else None
    if enrolment is None or not allowed.allows(ctx, enrolment):
        raise Refusal("care.not_found", who=ref.lstrip("@＠"))
    return enrolment


def check_time(ctx: Context, enrolment: Enrolment) -> str:
    return enrolment.check_time or ctx.community.care.check_time


def next_at(ctx: Context, hh_mm: str, after: float) -> float:
    """The first `hh_mm` in the community's time zone after `after`."""
    tz = ctx.community.tz
    hour, minute = (int(part) for part in hh_mm.split(":"))
    day = datetime.fromtimestamp(after, tz).date()
    while True:
        at = datetime.combine(day, time(hour, minute), tzinfo=tz).timestamp()
        if at > after:
            return at
        day += timedelta(days=1)


async def schedule_check(ctx: Context, enrolment: Enrolment, after: float | None = None) -> None:
    """The person's job becomes the next daily check (a ladder step in its place is dropped)."""
    due = next_at(ctx, check_time(ctx, enrolment), ctx.now if after is None else after)
    await timers.schedule(ctx, TIMER, enrolment.person, due, f"care:{enrolment.person}", step="check")


async def schedule_week(ctx: Context) -> None:
    """The weekly summary, Monday 09:00 (scheduling it again moves it to the same time)."""
    tz = ctx.community.tz
    due = next_at(ctx, "09:00", ctx.now)
    while datetime.fromtimestamp(due, tz).weekday() != 0:
        due = next_at(ctx, "09:00", due)
    await timers.schedule(ctx, WEEK, "summary", due, "care", step="week")


async def log(ctx: Context, person_id: str, what: str, note: str = "", by: str | None = None, **extra: Any) -> None:
    """A line of the person's care log, once per event and kind of entry."""
    who = by if by is not None else (ctx.person.id if ctx.person and ctx.event.kind == "message" else "system")
    await repo(ctx).log(person_id, f"{ctx.event.id}|{what}", ctx.now,
                        {"what": what, "by": who, "note": note, **extra})


def names(ctx: Context, people: list[str] | tuple[str, ...]) -> str:
    return "、".join(ctx.name_of(p) for p in people) or "—"


def place(ctx: Context, person_id: str) -> str:
    person = ctx.community.people.get(person_id)
    return person.household if person and person.household else ctx.name_of(person_id)
