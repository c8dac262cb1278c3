"""The 接诉即办 figures staff are judged by — 响应率, 解决率, 满意率, the reopen rate, ratings —
by month, building, category, department and holder, their 12-month trend, the category ×
building heat map and 今日's lists, with the community's targets beside them. README
"Statistics" defines each figure exactly; this module only divides what storage/stats.py
counts (kept up to date by the ticket scripts), so a page costs a few hashes, never a scan
of the tickets. 今日 reads the open-ticket indexes (what is open, not everything).

Every function takes the Services (or a Context): the web workbench and `linli admin
stats` call them the same way.

    figures = await tickets.rates(services, "2026-11", by="building")
    figures.total.response.value      # 0.95…  (numerator / denominator, None when nothing counts)
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from handlers.community import Targets
from handlers.context import Context, Services
from storage.stats import ALL, CROSS, DIMS, EVERY, NONE, Stats
from storage.tickets import OPEN_STATES, Ticket

BY = tuple(DIMS)              # building, category, department, holder
MOST_DAYS = 366               # a range of days reads a bucket a day
SOON_HOURS = 4                # 今日: due within this many hours


class PeriodError(ValueError):
    """A period that cannot be read; the message shows the forms that can."""


@dataclass(frozen=True)
class Rate:
    """numerator / denominator, beside the community's target (`at_most`: lower is better)."""
    numerator: int
    denominator: int
    target: float | None = None
    at_most: bool = False

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target if self.at_most else self.value >= self.target

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "numerator": self.numerator, "denominator": self.denominator,
                "target": self.target, "met": self.met}


@dataclass(frozen=True)
class Figures:
    """One row: the tickets created in the period (of one building, category…)."""
    key: str | None           # the building, category, department id or person id; None: all, or none named
    label: str
    created: int              # counted tickets (duplicates and the triage queue's left out)
    urgent: int
    duplicates: int           # merged into another ticket: counted there
    rejected: int
    responded: int
    pending: int              # not responded yet (some may still be within their time)
    resolved: int
    response: Rate            # 响应率
    resolution: Rate          # 解决率
    satisfaction: Rate        # 满意率
    reopen: Rate              # 重开率
    rated: int
    average_rating: float | None
    average_target: float | None
    ratings: dict[int, int]   # score 1–5 -> tickets

    @property
    def average_met(self) -> bool | None:
        if self.average_rating is None or self.average_target is None:
            return None
        return self.average_rating >= self.average_target

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("response", "resolution", "satisfaction", "reopen"):
            out[name] = getattr(self, name).as_dict()
        out["average_met"] = self.average_met
        return out


def figures_of(counts: Counter, targets: Targets, key: str | None = None, label: str = "") -> Figures:
    """A row's figures from its counters (storage/stats.py METRICS), as README "Statistics"
    defines them."""
    c = counts
    rated = c["rated"]
    return Figures(
        key=key, label=label, created=c["n"], urgent=c["u"], duplicates=c["dup"], rejected=c["rej"],
        responded=c["rsp"], pending=c["n"] - c["rsp"], resolved=c["res"],
        response=Rate(c["rsp_ok"], c["n"], targets.response_rate),
        resolution=Rate(c["res_ok"], c["n"] - c["rej"], targets.resolution_rate),
        satisfaction=Rate(c["sat"], rated, targets.satisfaction_rate),
        reopen=Rate(c["reo"], c["fin"], targets.reopen_rate, at_most=True),
        rated=rated, average_rating=c["rsum"] / rated if rated else None, average_target=targets.average_rating,
        ratings={score: c[f"r{score}"] for score in range(1, 6)})


@dataclass(frozen=True)
class Period:
    """What was asked for ("2026-11", "2026", "2026-01..2026-06", "2026-11-01..2026-11-15")
    and the buckets that hold it."""
    name: str
    first: date
    last: date
    buckets: tuple[str, ...]


@dataclass(frozen=True)
class Rates:
    period: Period
    by: str | None
    total: Figures
    rows: list[Figures]
    targets: Targets

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period.name, "first": self.period.first.isoformat(),
                "last": self.period.last.isoformat(), "by": self.by, "targets": asdict(self.targets),
                "total": self.total.as_dict(), "rows": [row.as_dict() for row in self.rows]}


@dataclass(frozen=True)
class Trend:
    months: list[str]
    by: str | None
    series: dict[str | None, list[Figures]]   # key -> one Figures a month (by None: {None: the community})
    targets: Targets

    def as_dict(self) -> dict[str, Any]:
        return {"months": self.months, "by": self.by, "targets": asdict(self.targets),
                "series": [{"key": key, "label": rows[0].label if rows else "",
                            "months": [row.as_dict() for row in rows]} for key, rows in self.series.items()]}


@dataclass(frozen=True)
class HeatMap:
    period: Period
    categories: list[str]      # most tickets first
    buildings: list[str]       # in their natural order
    cells: dict[tuple[str, str], Figures]   # (category, building) -> its figures; absent: none

    def created(self, category: str, building: str) -> int:
        found = self.cells.get((category, building))
        return found.created if found else 0

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period.name, "categories": self.categories, "buildings": self.buildings,
                "created": [[self.created(c, b) for b in self.buildings] for c in self.categories],
                "cells": [{"category": c, "building": b, **figures.as_dict()}
                          for (c, b), figures in sorted(self.cells.items())]}


@dataclass(frozen=True)
class BuildingToday:
    building: str | None
    label: str
    open: int
    urgent: int
    overdue: int
    unaccepted: int


@dataclass(frozen=True)
class Today:
    """今日: what is open now and needs someone, each list most pressing first."""
    now: float
    open: int
    urgent: list[Ticket]           # open urgent tickets
    overdue: list[Ticket]          # past the deadline they are under (respond while 待受理, else resolve)
    due_soon: list[Ticket]         # that deadline within SOON_HOURS
    unaccepted: list[Ticket]       # still 待受理
    buildings: list[BuildingToday]

    def as_dict(self) -> dict[str, Any]:
        def brief(t: Ticket) -> dict[str, Any]:
            return {"id": t.id, "status": t.status, "category": t.category, "urgent": t.urgent,
                    "building": t.building, "text": t.text, "assignee": t.assignee, "department": t.department,
                    "created_at": t.created_at, "due": next_due(t)}
        return {"now": self.now, "open": self.open, "urgent": [brief(t) for t in self.urgent],
                "overdue": [brief(t) for t in self.overdue], "due_soon": [brief(t) for t in self.due_soon],
                "unaccepted": [brief(t) for t in self.unaccepted],
                "buildings": [asdict(b) for b in self.buildings]}


# -- what the pages call ----------------------------------------------------------------

async def rates(where: Services | Context, period: str | None = None, by: str | None = None) -> Rates:
    """The figures of the tickets created in `period` (None: this month), for the whole
    community and, with `by` (building, category, department, holder), a row for each."""
    services = _services(where)
    span = parse_period(period, services)
    stats = _stats(services)
    await stats.ensure_built()
    targets = services.community.targets
    total = (await stats.read(span.buckets, ALL)).get(EVERY, Counter())
    rows: list[Figures] = []
    if by is not None:
        dim = _dim(by)
        rows = [figures_of(counts, targets, _key(value), label_of(services, by, value))
                for value, counts in (await stats.read(span.buckets, dim)).items()]
        rows.sort(key=lambda row: (-row.created, _natural(row.label)))
    return Rates(span, by, figures_of(total, targets, None, services.texts("stats.all")), rows, targets)


async def trend(where: Services | Context, months: int = 12, until: str | None = None, by: str | None = None,
                key: str | None = None) -> Trend:
    """`months` months up to `until` (None: this month), one Figures a month: for the
    community, or for each building/category/department/holder (`key`: only that one)."""
    services = _services(where)
    last = parse_period(until, services) if until else parse_period(None, services)
    if len(last.buckets) != 1 or len(last.buckets[0]) != 7:
        raise PeriodError(f"{until!r}: a trend ends with a month, e.g. 2026-11")
    names = _months_back(last.first, months)
    stats = _stats(services)
    await stats.ensure_built()
    targets = services.community.targets
    dim = ALL if by is None else _dim(by)
    per_month = await stats.series(names, dim)
    if by is None:
        keys = [EVERY]
    elif key is not None:
        keys = [NONE if key in ("", NONE) else key]
    else:
        totals: Counter = Counter()
        for values in per_month.values():
            for value, counts in values.items():
                totals[value] += counts["n"] + counts["dup"]
        keys = sorted(totals, key=lambda value: (-totals[value], _natural(value)))
    series: dict[str | None, list[Figures]] = {}
    for value in keys:
        label = services.texts("stats.all") if by is None else label_of(services, by, value)
        series[None if by is None else _key(value)] = [
            figures_of(per_month[name].get(value, Counter()), targets, None if by is None else _key(value), label)
            for name in names]
    return Trend(names, by, series, targets)


async def heat_map(where: Services | Context, period: str | None = None) -> HeatMap:
    """Category × building of the tickets created in `period` (months only: None, a month,
    a year or a range of months)."""
    services = _services(where)
    span = parse_period(period, services)
    if any(len(bucket) != 7 for bucket in span.buckets):
        raise PeriodError(f"{period!r}: the heat map is by month (2026-11, 2026, 2026-01..2026-06)")
    stats = _stats(services)
    await stats.ensure_built()
    targets = services.community.targets
    cells: dict[tuple[str, str], Figures] = {}
    for value, counts in (await stats.read(span.buckets, CROSS)).items():
        category, _, building = value.partition("|")
        cells[(category, building)] = figures_of(counts, targets, value, value)
    by_category: Counter = Counter()
    for (category, _), figures in cells.items():
        by_category[category] += figures.created
    categories = sorted(by_category, key=lambda c: (-by_category[c], c))
    buildings = sorted({b for _, b in cells}, key=_natural)
    return HeatMap(span, categories, buildings, cells)


async def today(where: Services | Context, buildings: set[str | None] | None = None,
                soon_hours: float = SOON_HOURS) -> Today:
    """今日: the open tickets (of `buildings`, None: all; None in it: those with no
    building) that are urgent, overdue, due within `soon_hours`, or not yet accepted, and
    per building how many are open. Reads the open-ticket indexes and those tickets only."""
    services = _services(where)
    repo = services.tickets
    now = services.clock.now()
    if buildings is None:
        ids = await repo.open_ids()
    else:
        ids = sorted({i for b in buildings for i in await repo.open_ids("building", b)}, reverse=True)
    found = [t for t in await repo.many(ids, history=False, co=False) if t.status in OPEN_STATES
             and (buildings is None or t.building in buildings)]
    pressing = sorted(found, key=lambda t: (not t.urgent, next_due(t) or float("inf"), t.id))
    soon = now + soon_hours * 3600
    overdue = [t for t in pressing if (next_due(t) or float("inf")) < now]
    late = {t.id for t in overdue}
    per_building: dict[str | None, Counter] = {}
    for t in found:
        counts = per_building.setdefault(t.building, Counter())
        counts.update(open=1, urgent=int(t.urgent), overdue=int(t.id in late), unaccepted=int(t.status == "open"))
    rows = [BuildingToday(b, label_of(services, "building", b or NONE), c["open"], c["urgent"], c["overdue"],
                          c["unaccepted"])
            for b, c in per_building.items()]
    rows.sort(key=lambda row: (-row.open, _natural(row.label)))
    return Today(now=now, open=len(found), urgent=[t for t in pressing if t.urgent], overdue=overdue,
                 due_soon=[t for t in pressing if now <= (next_due(t) or float("inf")) < soon],
                 unaccepted=[t for t in pressing if t.status == "open"], buildings=rows)


async def rebuild_stats(where: Services | Context) -> int:
    """Recount every ticket (`linli admin stats rebuild`); how many count."""
    return await _stats(_services(where)).rebuild()


# -- helpers -----------------------------------------------------------------------------

def next_due(ticket: Ticket) -> float | None:
    """The deadline an open ticket is under: responding while 待受理, else resolving."""
    return ticket.respond_due if ticket.status == "open" else ticket.resolve_due


def label_of(services: Services, by: str, value: str) -> str:
    """How a row is named: a person's or department's name, 3号楼, 未注明 for none."""
    if value in (NONE, "", None):
        return services.texts("stats.none")
    community = services.community
    if by == "holder":
        person = community.people.get(value)
        return person.name if person else value
    if by == "department":
        department = community.departments.get(value)
        return department.name if department else value
    if by == "building" and value.isdigit():
        return services.texts("stats.building", name=value)
    return value


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_period(text: str | None, services: Services) -> Period:
    """None: this month (the community's time zone); "2026-11"; "2026" (its twelve
    months); "2026-01..2026-06"; "2026-11-01..2026-11-15" (at most 366 days)."""
    if text is None or not text.strip():
        now = datetime.fromtimestamp(services.clock.now(), services.community.tz).date()
        text = f"{now.year:04d}-{now.month:02d}"
    text = text.strip()
    first_text, dots, last_text = text.partition("..")
    try:
        if not dots and _YEAR.match(text):
            year = int(text)
            return Period(text, date(year, 1, 1), date(year, 12, 31),
                          tuple(f"{year:04d}-{m:02d}" for m in range(1, 13)))
        first, last = _bound(first_text.strip()), _bound((last_text if dots else first_text).strip())
    except ValueError:
        first = last = None
    if first is None or last is None or first[0] != last[0] or first[1] > last[1]:
        raise PeriodError(f"{text!r} is not a period: write a month (2026-11), a year (2026), months "
                          f"(2026-01..2026-06) or days (2026-11-01..2026-11-15)")
    kind, start, end = first[0], first[1], last[1]
    if kind == "month":
        months = []
        at = start
        while at <= end:
            months.append(f"{at.year:04d}-{at.month:02d}")
            at = (at.replace(day=28) + timedelta(days=4)).replace(day=1)
        return Period(text, start, _month_end(end), tuple(months))
    days = (end - start).days + 1
    if days > MOST_DAYS:
        raise PeriodError(f"{text!r}: at most {MOST_DAYS} days; for longer ask by month (2025-01..2026-06)")
    return Period(text, start, end, tuple((start + timedelta(days=n)).isoformat() for n in range(days)))


def _bound(text: str) -> tuple[str, date] | None:
    if m := _DAY.match(text):
        return "day", date(int(m[1]), int(m[2]), int(m[3]))
    if m := _MONTH.match(text):
        return "month", date(int(m[1]), int(m[2]), 1)
    return None


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _months_back(last: date, count: int) -> list[str]:
    names, year, month = [], last.year, last.month
    for _ in range(max(1, count)):
        names.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return names[::-1]


def _dim(by: str) -> str:
    if by not in DIMS:
        raise ValueError(f"unknown dimension {by!r} (one of {', '.join(DIMS)})")
    return DIMS[by]


def _key(value: str) -> str | None:
    return None if value == NONE else value


def _natural(text: str | None) -> tuple:
    """3号楼 before 10号楼."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", text or "") if part)


def _services(where: Services | Context) -> Services:
    return where.services if isinstance(where, Context) else where


def _stats(services: Services) -> Stats:
    return Stats(services.store, services.community.tz)
