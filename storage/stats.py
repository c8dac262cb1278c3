"""Ticket statistics: counters behind 接诉即办's three rates (README "Statistics"), kept in
the same atomic step as the ticket change that moves them, so a page reads a few hashes
and never scans the tickets.

What one ticket counts for is a function of its own hash (`contribution`): counted or not,
urgent, rejected, responded (in time), resolved (in time), rated and how, reopened. The
script that opens a ticket adds its contribution (storage/tickets.py `open`);
ticket_transition.lua takes away what the ticket counted for before the change and adds
what it counts for after (which may be under another holder or building), so every
counter always equals the sum over the tickets as they are now. The Lua there mirrors
`contribution` and `cells` below: change both together (tests/test_stats.py compares them
with a recount of every ticket).

A ticket counts in the period it was created in: its `day` (the community's local date,
"2026-11-03", written when it is opened) and that day's month ("2026-11"). Buckets are
hashes `stats:PERIOD:DIM` (storage/keys.py `stats`) of `VALUE|METRIC` -> count, for the
whole community (`all`, value `*`), by building (`b`), category (`c`), department (`d`, a
ticket escalated to one) and holder (`a`, its assignee), and, in month buckets only,
category × building (`cb`, value `CATEGORY|BUILDING`). `-` stands for no building or
category. A month's figures are one HGETALL, a 12-month trend twelve, a range of days one
a day. Counters at 0 are deleted, so a bucket holds only what happened.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, tzinfo
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from storage.store import Store

VERSION = "1"            # of what the buckets hold: a different one is rebuilt at start
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")   # the community file's default time zone
# n counted tickets; u urgent ones; dup merged into another (not in n); rej rejected (驳回);
# rsp responded (left 待受理) and rsp_ok by its deadline; res resolved (已办结/已评价 now) and
# res_ok by its deadline; fin finished at least once (办结 or 驳回, now or before a
# reopening); reo reopened at least once; rated, sat (4-5), rsum and r1…r5 the reporter's
# rating.
METRICS = ("n", "u", "dup", "rej", "rsp", "rsp_ok", "res", "res_ok", "fin", "reo", "rated", "sat", "rsum",
           "r1", "r2", "r3", "r4", "r5")
DIMS = {"building": "b", "category": "c", "department": "d", "holder": "a"}
ALL, CROSS, EVERY, NONE = "all", "cb", "*", "-"
# The hash fields a contribution depends on (read as stored: strings, a long value's first piece).
FIELDS = ("status", "day", "urgent", "building", "category", "department", "assignee", "respond_due",
          "responded_at", "resolve_due", "resolved_at", "rating", "reopens")
NOT_COUNTED = ("unconfirmed", "dismissed", "lapsed")   # storage/tickets.py TRIAGE_STATES: nobody was told of them
RESOLVED = ("resolved", "closed")
FINISHED = ("resolved", "closed", "rejected")


def local_day(at: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d")


def _number(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def contribution(values: Mapping[str, str | None]) -> dict[str, int]:
    """What a ticket counts for, from its hash fields as stored (ticket_transition.lua has
    the same rules)."""
    status, day = values.get("status"), values.get("day")
    if not status or not day or status in NOT_COUNTED:
        return {}
    if status == "duplicate":
        return {"dup": 1}
    counts = {"n": 1}
    if values.get("urgent") == "1":
        counts["u"] = 1
    if status == "rejected":
        counts["rej"] = 1
    responded = _number(values.get("responded_at"))
    if responded is not None:
        counts["rsp"] = 1
        due = _number(values.get("respond_due"))
        if due is None or responded <= due:
            counts["rsp_ok"] = 1
    resolved = _number(values.get("resolved_at"))
    if status in RESOLVED and resolved is not None:
        counts["res"] = 1
        due = _number(values.get("resolve_due"))
        if due is None or resolved <= due:
            counts["res_ok"] = 1
    rating = _number(values.get("rating"))
    if rating is not None and rating in (1, 2, 3, 4, 5):
        score = int(rating)
        counts.update({"rated": 1, "rsum": score, f"r{score}": 1})
        if score >= 4:
            counts["sat"] = 1
    reopens = _number(values.get("reopens")) or 0
    if reopens > 0:
        counts["reo"] = 1
    if status in FINISHED or reopens > 0:
        counts["fin"] = 1
    return counts


def cells(values: Mapping[str, str | None]) -> list[tuple[str, str, str]]:
    """(period, dimension, value) of every bucket a ticket counts in."""
    day = values["day"]
    month = day[:7]
    building = values.get("building") or NONE
    category = values.get("category") or NONE
    found = [(day, ALL, EVERY), (month, ALL, EVERY), (day, "b", building), (month, "b", building),
             (day, "c", category), (month, "c", category)]
    for name, dim in (("department", "d"), ("assignee", "a")):
        if values.get(name):
            found += [(day, dim, values[name]), (month, dim, values[name])]
    found.append((month, CROSS, f"{category}|{building}"))
    return found


def increments(keys, values: Mapping[str, str | None]) -> dict[str, dict[str, int]]:
    """{bucket key: {VALUE|METRIC: n}} of one ticket's contribution."""
    counts = contribution(values)
    out: dict[str, dict[str, int]] = defaultdict(dict)
    if counts:
        for period, dim, value in cells(values):
            for metric, n in counts.items():
                out[keys.stats(period, dim)][f"{value}|{metric}"] = n
    return dict(out)


def periods_of(values: Mapping[str, str | None]) -> tuple[str, ...]:
    return (values["day"], values["day"][:7]) if contribution(values) else ()


def _reopens(history: Iterable[str]) -> int:
    """How many 重开 a stored history holds (rows [at, by, action…] or objects)."""
    found = 0
    for raw in history:
        entry = json.loads(raw)
        action = entry[2] if isinstance(entry, list) else entry.get("action")
        found += action == "reopened"
    return found


class Stats:
    """The buckets of one community: read by the KPI layer (handlers/tickets/stats.py),
    rebuilt from the tickets when missing (`ensure_built`) or asked (`linli admin stats
    rebuild`)."""

    def __init__(self, store: Store, tz: tzinfo | None = None) -> None:
        self.store = store
        self.k = store.keys
        self.tz = tz or DEFAULT_TZ

    def day_of(self, at: float) -> str:
        return local_day(at, self.tz)

    async def read(self, periods: Iterable[str], dim: str = ALL) -> dict[str, Counter]:
        """{value: its counters summed over `periods`} of one dimension."""
        totals: dict[str, Counter] = defaultdict(Counter)
        for period, values in (await self.series(periods, dim)).items():
            for value, counts in values.items():
                totals[value].update(counts)
        return dict(totals)

    async def series(self, periods: Iterable[str], dim: str = ALL) -> dict[str, dict[str, Counter]]:
        """{period: {value: counters}} of one dimension, period by period (one HGETALL each)."""
        periods = list(periods)
        async with self.store.redis.pipeline(transaction=False) as pipe:
            for period in periods:
                pipe.hgetall(self.k.stats(period, dim))
            replies = await pipe.execute()
        out: dict[str, dict[str, Counter]] = {}
        for period, raw in zip(periods, replies):
            values: dict[str, Counter] = defaultdict(Counter)
            for field, count in raw.items():
                value, _, metric = field.rpartition("|")
                values[value][metric] += int(count)
            out[period] = dict(values)
        return out

    async def periods(self) -> list[str]:
        """The days and months some ticket counts in, sorted."""
        return sorted(await self.store.redis.smembers(self.k.stats_periods()))

    async def ensure_built(self) -> bool:
        """Build the buckets from the tickets if this version never did (a database from
        before them); True if it did now."""
        if await self.store.redis.get(self.k.stats_version()) == VERSION:
            return False
        await self.rebuild()
        return True

    async def rebuild(self, batch: int = 500) -> int:
        """Recount every ticket into fresh buckets (and give a ticket from before the
        statistics its `day` and `reopens`); returns how many tickets count. Run it
        offline, or at start before the workers (`ensure_built`): a ticket changed while
        it runs may be counted as it was."""
        redis, k = self.store.redis, self.k
        ids = [int(i) for i in await redis.zrange(k.tickets(), 0, -1)]
        totals: dict[str, Counter] = defaultdict(Counter)
        periods: set[str] = set()
        counted = 0
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            async with redis.pipeline(transaction=False) as pipe:
                for ticket_id in chunk:
                    pipe.hmget(k.ticket(ticket_id), ("created_at", *FIELDS))
                rows = await pipe.execute()
            tickets = {ticket_id: dict(zip(("created_at", *FIELDS), row)) for ticket_id, row in zip(chunk, rows)
                       if row[0] is not None}
            # Written before the statistics: no day, and reopens only in the history.
            older = [ticket_id for ticket_id, v in tickets.items() if not v.get("day")]
            if older:
                async with redis.pipeline(transaction=False) as pipe:
                    for ticket_id in older:
                        pipe.lrange(k.ticket_history(ticket_id), 0, -1)
                    histories = await pipe.execute()
                for ticket_id, history in zip(older, histories):
                    reopens = _reopens(history)
                    if reopens and not tickets[ticket_id].get("reopens"):
                        tickets[ticket_id]["reopens"] = str(reopens)
            async with redis.pipeline(transaction=False) as pipe:
                for ticket_id, values in tickets.items():
                    day = self.day_of(float(values["created_at"]))
                    update = {"day": day} if values.get("day") != day else {}
                    if ticket_id in older and values.get("reopens"):
                        update["reopens"] = values["reopens"]
                    if update:
                        pipe.hset(k.ticket(ticket_id), mapping=update)
                    values["day"] = day
                    for key, fields in increments(k, values).items():
                        totals[key].update(fields)
                    if contribution(values):
                        counted += 1
                        periods.update(periods_of(values))
                await pipe.execute()
        await self._replace(totals, periods)
        await redis.set(k.stats_version(), VERSION)
        return counted

    async def _replace(self, totals: dict[str, Counter], periods: set[str]) -> None:
        """Every bucket as counted: the old ones deleted, the new written whole."""
        redis, k = self.store.redis, self.k
        old = set(await redis.smembers(k.stats_periods()))
        dims = (ALL, CROSS, *DIMS.values())
        stale = [k.stats(period, dim) for period in old | periods for dim in dims]
        async with redis.pipeline(transaction=True) as pipe:
            for start in range(0, len(stale), 500):
                pipe.delete(*stale[start:start + 500])
            pipe.delete(k.stats_periods())
            for key, fields in totals.items():
                kept = {field: n for field, n in fields.items() if n}
                if kept:
                    pipe.hset(key, mapping=kept)
            if periods:
                pipe.sadd(k.stats_periods(), *periods)
            await pipe.execute()
