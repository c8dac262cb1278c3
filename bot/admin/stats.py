"""`linli admin stats`: 接诉即办's figures from the command line — the three rates, the
reopen rate and the ratings of the tickets created in a month (or a year, or a range), for
the community and by building, category, department or holder, beside the community's
targets — and `linli admin stats rebuild`, which recounts every ticket into the counters
(README "Statistics"). Figures only: no resident's words, so nothing to audit."""

from __future__ import annotations

import argparse
import json
import unicodedata
from typing import TextIO

from bot.admin.common import STDOUT, AdminError
from bot.app import Runtime
from handlers import tickets
from handlers.clock import FakeClock

COLUMNS = ("工单", "重复", "驳回", "未响应", "响应率", "解决率", "满意率", "重开率", "平均评分")


def register(areas: argparse._SubParsersAction, community_options) -> None:
    stats = areas.add_parser("stats", help="响应率, 解决率, 满意率 by month, building, category, department or holder; "
                                           "rebuild the counters")
    community_options(stats)
    stats.add_argument("action", nargs="?", choices=("rebuild",),
                       help="rebuild: recount every ticket into the counters (run it with the bot stopped)")
    stats.add_argument("--month", "--period", dest="period", metavar="PERIOD",
                       help="the tickets created in 2026-11 (default: this month), 2026, 2026-01..2026-06 "
                            "or 2026-11-01..2026-11-15")
    stats.add_argument("--by", choices=("building", "category", "department", "holder"),
                       help="a row for each building, category, department or holder (assignee)")
    stats.add_argument("--json", action="store_true", help="JSON output, every numerator and denominator")


async def run(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    # A console's fake clock, when the data directory has one, is "now" here too (this month).
    saved = await runtime.redis.get(runtime.store.keys.fake_clock())
    if saved:
        runtime.services.clock = FakeClock(float(saved))
    if args.action == "rebuild":
        counted = await tickets.rebuild_stats(runtime.services)
        out.write(f"counted {counted} ticket(s) into the statistics\n")
        return 0
    try:
        figures = await tickets.rates(runtime.services, args.period, by=args.by)
    except tickets.PeriodError as exc:
        raise AdminError(str(exc)) from None
    if args.json:
        json.dump(figures.as_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    write_table(figures, runtime.settings.community.name, out)
    return 0


def write_table(figures, community: str, out: TextIO) -> None:
    period = figures.period
    out.write(f"{community} {period.name}（{period.first.isoformat()} 至 {period.last.isoformat()} 登记的工单）\n")
    rows = [figures.total, *figures.rows]
    labels = [row.label for row in rows] + ["目标"]
    first = max(_width(label) for label in labels) + 2
    cells = [_cells(row) for row in rows]
    targets = figures.targets
    goal = ["", "", "", "", f"≥{targets.response_rate:.0%}", f"≥{targets.resolution_rate:.0%}",
            f"≥{targets.satisfaction_rate:.0%}", f"≤{targets.reopen_rate:.0%}", f"≥{targets.average_rating:g}"]
    widths = [max(_width(name), *(_width(c[n]) for c in [*cells, goal])) + 2 for n, name in enumerate(COLUMNS)]
    out.write(_pad("", first) + "".join(_pad(name, w, right=True) for name, w in zip(COLUMNS, widths)) + "\n")
    for row, line in zip(rows, cells):
        out.write(_pad(row.label, first) + "".join(_pad(c, w, right=True) for c, w in zip(line, widths)) + "\n")
    out.write(_pad("目标", first) + "".join(_pad(c, w, right=True) for c, w in zip(goal, widths)) + "\n")
    out.write("! 未达目标；— 没有可计算的工单。定义见 README “Statistics”。\n")


def _cells(row) -> list[str]:
    def rate(r) -> str:
        if r.value is None:
            return "—"
        return f"{r.value:.1%} {r.numerator}/{r.denominator}{' !' if r.met is False else ''}"
    average = "—" if row.average_rating is None else \
        f"{row.average_rating:.2f} ({row.rated}){' !' if row.average_met is False else ''}"
    return [str(row.created), str(row.duplicates), str(row.rejected), str(row.pending), rate(row.response),
            rate(row.resolution), rate(row.satisfaction), rate(row.reopen), average]


def _width(text: str) -> int:
    """Columns a terminal gives `text` (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap
