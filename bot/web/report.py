"""统计's charts and 月报 (staff only): the data the charts draw, the monthly report and
its Excel export.

The charts are Apache ECharts (vendored: static/vendor/echarts.min.js, README "Web
workbench"), drawn by static/charts.js from JSON the page embeds (`chart_data`); the page
keeps its tables too (screen readers, print).

月报 (`/web/report?month=2026-11`) reads the month's counters (handlers/tickets' statistics:
the rates by building and by category, 12 months up to it, category × building) and, for
what was done and the export, the tickets created in that month from the index of every
ticket by creation time (`Tickets.created_between`, at most EXPORT_LIMIT) — never every
ticket.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time as dtime
from typing import Any

from bot.web.data import Viewer, holder
from handlers import tickets as ticket_package
from nlp.pii import mask_group
from storage.stats import NONE
from storage.tickets import OPEN_STATES, TRIAGE_STATES, Ticket

TOP = 5                      # 月报: the categories and buildings with most tickets
EXAMPLES = 5                 # 月报: resolved tickets shown as examples
EXPORT_LIMIT = 50_000        # tickets of one month read for the export (and the examples)
BARS = 20                    # bars of a dimension on a chart (most tickets first)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RATES = (("response", "响应率"), ("resolution", "解决率"), ("satisfaction", "满意率"))


class MonthError(ValueError):
    """Not a month (2026-11)."""


# -- what the charts draw ------------------------------------------------------------------

def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _bars(rows: list, label: str) -> dict[str, Any]:
    shown = rows[:BARS]
    return {"label": label, "labels": [r.label for r in shown], "created": [r.created for r in shown],
            **{name: [_pct(getattr(r, name).value) for r in shown] for name, _ in RATES}}


def chart_data(trend, total, bars: dict[str, tuple[list, str]], heat) -> dict[str, Any]:
    """The JSON static/charts.js draws: `trend` (12 months of the three rates, each with its
    target), `bars` (name -> the rows of a dimension and its label), `ratings` (1–5 分) and
    `heat` (category × building, None when the period has none)."""
    months = trend.series.get(None, [])
    targets = trend.targets
    out: dict[str, Any] = {
        "trend": {"months": trend.months, "rates": [
            {"key": name, "name": label, "target": _pct(getattr(targets, f"{name}_rate")),
             "values": [_pct(getattr(row, name).value) for row in months]} for name, label in RATES]},
        "bars": {name: _bars(rows, label) for name, (rows, label) in bars.items()},
        "ratings": {"labels": [f"{score}分" for score in range(1, 6)],
                    "values": [total.ratings.get(score, 0) for score in range(1, 6)]},
        "heat": None,
    }
    if heat is not None and heat.categories:
        cells = [[x, y, heat.created(c, b)] for y, c in enumerate(heat.categories)
                 for x, b in enumerate(heat.buildings) if heat.created(c, b)]
        out["heat"] = {"categories": heat.categories,
                       "buildings": [_building(b) for b in heat.buildings],
                       "cells": cells, "max": max((n for _, _, n in cells), default=0)}
    return out


def _building(value: str | None) -> str:
    if value in (None, "", NONE):
        return "未注明"
    return f"{value}号楼" if value.isdigit() else value


# -- 月报 ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Month:
    name: str                  # 2026-11
    first: date
    last: date
    start: float               # its first moment in the community's time zone
    end: float                 # the first moment of the next month

    @property
    def label(self) -> str:
        return f"{self.first.year}年{self.first.month}月"

    def step(self, months: int) -> str:
        index = self.first.year * 12 + self.first.month - 1 + months
        return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(viewer: Viewer, text: str | None) -> Month:
    """`text` as a month (2026-11; empty: this month), or MonthError."""
    try:
        period = ticket_package.parse_period((text or "").strip() or None, viewer.ctx.services)
    except ticket_package.PeriodError as error:
        raise MonthError(f"“{text}”不是月份，请写成 2026-11 这样。") from error
    if len(period.buckets) != 1 or len(period.buckets[0]) != 7:
        raise MonthError(f"“{text}”不是月份，请写成 2026-11 这样。")
    tz = viewer.ctx.community.tz
    first = period.first
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Month(period.buckets[0], first, period.last, datetime.combine(first, dtime(0, 0), tz).timestamp(),
                 datetime.combine(following, dtime(0, 0), tz).timestamp())


def _rate(rate) -> dict[str, Any]:
    value = rate.value
    return {"text": "—" if value is None else f"{value * 100:.1f}%", "numerator": rate.numerator,
            "denominator": rate.denominator, "target": "" if rate.target is None else f"{rate.target * 100:.0f}%",
            "met": rate.met}


async def month_ids(viewer: Viewer, month: Month) -> list[int]:
    """The tickets created in `month`, oldest first (the index by creation time)."""
    found = await viewer.ctx.services.tickets.created_between(month.start, month.end - 0.001, EXPORT_LIMIT)
    return found[::-1]


async def monthly(viewer: Viewer, month: Month) -> dict[str, Any]:
    """月报's content: the rates with numerators and denominators, the top problems, what
    was done, and the charts' data."""
    ctx = viewer.ctx
    by_building = await ticket_package.rates(ctx, month.name, "building")
    by_category = await ticket_package.rates(ctx, month.name, "category")
    trend = await ticket_package.trend(ctx, 12, month.name)
    heat = await ticket_package.heat_map(ctx, month.name)
    total = by_building.total
    examples = await _examples(viewer, month)
    return {
        "month": month.name, "label": month.label, "first": month.first.isoformat(), "last": month.last.isoformat(),
        "previous": month.step(-1), "next": month.step(1),
        "total": total, "rates": {name: _rate(getattr(total, name)) for name, _ in (*RATES, ("reopen", ""))},
        "average": "—" if total.average_rating is None else f"{total.average_rating:.2f}",
        "average_target": "" if total.average_target is None else f"{total.average_target:.1f}",
        "ratings": [(score, total.ratings.get(score, 0)) for score in range(5, 0, -1)],
        "top_categories": [(r.label, r.created, _rate(r.resolution)["text"]) for r in by_category.rows[:TOP]
                           if r.created],
        "top_buildings": [(r.label, r.created, _rate(r.resolution)["text"]) for r in by_building.rows[:TOP]
                          if r.created],
        "examples": examples,
        "heat": heat,
        "charts": chart_data(trend, total, {"building": (by_building.rows, "楼栋"),
                                            "category": (by_category.rows, "类别")}, heat),
    }


async def _examples(viewer: Viewer, month: Month) -> list[dict[str, Any]]:
    """A few tickets of the month that were resolved, the latest first, with the result
    written at 办结."""
    ctx, tickets = viewer.ctx, viewer.ctx.services.tickets
    briefs = await tickets.briefs((await month_ids(viewer, month))[::-1])
    done = [t.id for t in briefs if t.status in ("resolved", "closed")][:EXAMPLES]
    shown = []
    for ticket in await tickets.many(done, history=True, co=False):
        result = next((h.get("note") or "" for h in reversed(ticket.history) if h.get("action") == "resolved"), "")
        text = ticket.text or ""
        shown.append({"id": ticket.id, "category": ticket.category or "其他",
                      "place": ticket_package.place(ctx, ticket),
                      "text": mask_group(text if len(text) <= 40 else text[:40] + "…"),
                      "result": mask_group(result), "rating": ticket.rating,
                      "resolved": ctx.when(ticket.resolved_at) if ticket.resolved_at else ""})
    return shown


# -- the Excel export ----------------------------------------------------------------------

COLUMNS = ("编号", "创建时间", "状态", "类别", "紧急", "楼栋", "地点", "内容", "报告人", "负责人", "部门",
           "响应期限", "响应时间", "办结期限", "办结时间", "是否超期", "超期说明", "评分", "评价")


def _late(ticket: Ticket, now: float) -> list[str]:
    """Which deadline a ticket missed, or is past now."""
    why = []
    if ticket.respond_due:
        answered = ticket.responded_at
        if (answered or now) > ticket.respond_due and (answered or ticket.status in OPEN_STATES):
            why.append("响应超时" if answered else "未响应已超时")
    if ticket.resolve_due and ticket.status not in ("rejected", "duplicate"):
        finished = ticket.resolved_at if ticket.status in ("resolved", "closed") else None
        if finished is not None and finished > ticket.resolve_due:
            why.append("办结超时")
        elif finished is None and ticket.status in OPEN_STATES and now > ticket.resolve_due:
            why.append("未办结已超时")
    return why


async def export(viewer: Viewer, month: Month) -> bytes:
    """The month's tickets as an .xlsx: one row each, oldest first, Chinese column names,
    people and departments by name, the resident's words masked as in a group chat."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ctx, tickets = viewer.ctx, viewer.ctx.services.tickets
    tz, now = ctx.community.tz, ctx.now

    def at(value: float | None) -> datetime | None:
        return None if not value else datetime.fromtimestamp(value, tz).replace(tzinfo=None, microsecond=0)

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = f"{month.name}工单"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B3261E")
        cell.alignment = Alignment(horizontal="center")
    ids = await month_ids(viewer, month)
    for start in range(0, len(ids), 500):
        for ticket in await tickets.many(ids[start:start + 500], history=False, co=False):
            if ticket.status in TRIAGE_STATES:
                continue
            department = ctx.community.departments.get(ticket.department or "")
            late = _late(ticket, now)
            sheet.append([
                ticket.id, at(ticket.created_at), ticket_package.status_label(ctx, ticket.status),
                ticket.category or "其他", "是" if ticket.urgent else "否",
                _building(ticket.building) if ticket.building else "", ticket_package.place(ctx, ticket),
                mask_group(ticket.text or ""), ctx.name_of(ticket.reporter) if ticket.reporter else "",
                holder(viewer, ticket),
                department.name if department else (ticket.department or ""),
                at(ticket.respond_due), at(ticket.responded_at), at(ticket.resolve_due),
                at(ticket.resolved_at if ticket.status in ("resolved", "closed") else None),
                "是" if late else "否", "、".join(late), ticket.rating, ticket.comment or "",
            ])
    widths = (8, 17, 10, 12, 6, 8, 14, 40, 10, 14, 12, 17, 17, 17, 17, 8, 14, 6, 20)
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row in sheet.iter_rows(min_row=2):
        for index in (1, 11, 12, 13, 14):        # 创建时间 and the deadlines: dates
            row[index].number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

