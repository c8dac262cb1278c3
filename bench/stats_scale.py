"""Benchmark: the statistics' pages with 50,000 tickets and two years of history.

    .venv/bin/python bench/stats_scale.py [--tickets 50000] [--rounds 20] [--scan-rounds 3]

1. Tickets are written through the real scripts — create_once.lua opening each, then
   ticket_transition.lua for each change of its life (派单/处理/吹哨/驳回/合并, 办结, 评价 or
   closing unrated, some 重开 and 办结 again, some 待确认 confirmed or dismissed), a few
   hundred at once — spread over 730 days and the demo's six buildings; the newest are
   still open. So the counters are the ones the bot keeps, not a rebuild.
2. Each page's figures are asked for `--rounds` times: a month's rates (the community, by
   building, by holder), the 12-month trend (the community, by building), the heat map
   (a month, a year) and 今日. Beside each, the scan it spares: the period's tickets read
   through the index of every ticket by creation time, and divided up in Python (for
   今日: every ticket's state read, the open ones loaded). The figures of both are
   compared.
3. The rebuild (a database from before the counters, counted once at start), the
   memory the counters take, and what they add to a change of a ticket.

Medians; the machine's load is printed beside. Runs on the embedded Valkey in a temporary
directory and asserts nothing but that both ways give the same figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import open_runtime  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers import tickets as ticket_api  # noqa: E402
from handlers.clock import FakeClock  # noqa: E402
from handlers.tickets.stats import figures_of, label_of  # noqa: E402
from storage.stats import CROSS, DIMS, EVERY, FIELDS, NONE, Stats, contribution  # noqa: E402
from storage.tickets import OPEN_STATES  # noqa: E402

DEMO = ROOT / "examples" / "demo.toml"
HOUR, DAY = 3600.0, 86400.0
T0 = 1_750_000_000.0        # "now" (2025-06-15 23:06 Beijing time): runs are identical
CATEGORIES = {"设施维修": 30, "环境卫生": 20, "噪音扰民": 10, "停车交通": 10, "物业服务": 10, "安全隐患": 4,
              "邻里纠纷": 5, "养老服务": 3, "意见建议": 4, "其他": 4}
HOLDERS = ["grid", "staff_chen", "wuye_li", "vol_wang", "vol_liu", "vol_zhao"]
DEPARTMENTS = {"chengguan": "dept_cg", "wuye": "wuye_li", "shizheng": "dept_sz"}
RATINGS = {1: 3, 2: 4, 3: 10, 4: 30, 5: 53}


# -- writing two years of tickets through the scripts ---------------------------------------

def plan(n: int, created: float, rng: random.Random, residents: dict[str, list[str]]) -> dict:
    """One ticket's life, drawn before anything runs (the same every run): its fields
    at opening and its changes, each (at, action, fields); what falls after T0 never happens."""
    building = str(rng.randint(1, 6))
    category = rng.choices(list(CATEGORIES), list(CATEGORIES.values()))[0]
    urgent = category == "安全隐患" and rng.random() < 0.5
    respond_h, resolve_h = (1, 24) if urgent else (24, 72)
    reporter = rng.choice(residents[building])
    fields = {"status": "open", "reporter": reporter, "text": f"{building}号楼的{category}问题，麻烦尽快处理",
              "created_at": created, "category": category, "urgent": urgent, "chat": f"b{building}",
              "building": building, "respond_due": created + respond_h * HOUR,
              "resolve_due": created + resolve_h * HOUR}
    steps: list[tuple[float, str, dict]] = []
    at = created
    # of the last two weeks', some wait (at whatever stage): the open tickets a community has
    stall = rng.random() < 0.35
    if not urgent and rng.random() < 0.04:                      # waited in 待确认
        fields.update(status="unconfirmed", respond_due=None, resolve_due=None)
        at += rng.uniform(1, 20) * HOUR
        fate = rng.choices(["confirmed", "dismissed", "lapsed"], [60, 30, 10])[0]
        if fate != "confirmed":
            steps.append((at, fate, {"status": fate, "closed_at": at}))
            return {"fields": fields, "steps": steps, "stall": stall}
        steps.append((at, "confirmed", {"status": "open", "respond_due": at + respond_h * HOUR,
                                        "resolve_due": at + resolve_h * HOUR}))
    late = rng.random() < 0.05
    at += (rng.uniform(1.02, 3) * respond_h if late else rng.uniform(0.05, 0.95) * respond_h) * HOUR
    first = rng.choices(["assigned", "started", "escalated", "rejected", "merged"], [58, 18, 10, 7, 7])[0]
    holder = rng.choice(HOLDERS)
    if first == "merged":
        steps.append((at, "merged", {"status": "duplicate", "duplicate_of": max(1, n - 1), "closed_at": at}))
        return {"fields": fields, "steps": steps, "stall": stall}
    if first == "rejected":
        steps.append((at, "rejected", {"status": "rejected", "reason": "不归社区管", "closed_at": at,
                                       "responded_at": at}))
        if rng.random() < 0.15:
            at += rng.uniform(2, 100) * HOUR
            steps.append((at, "reopened", {"status": "open", "closed_at": None, "reopens": 1,
                                           "respond_due": at + respond_h * HOUR,
                                           "resolve_due": at + resolve_h * HOUR}))
            due = at + resolve_h * HOUR
            at += rng.uniform(1, 20) * HOUR
            steps.append((at, "assigned", {"status": "assigned", "assignee": holder}))
        else:
            return {"fields": fields, "steps": steps, "stall": stall}
    elif first == "escalated":
        department = rng.choice(list(DEPARTMENTS))
        steps.append((at, "escalated", {"status": "escalated", "department": department, "responded_at": at}))
        at += rng.uniform(1, 12) * HOUR
        steps.append((at, "started", {"status": "in_progress", "assignee": DEPARTMENTS[department]}))
    else:
        steps.append((at, first, {"status": "assigned" if first == "assigned" else "in_progress",
                                  "assignee": holder, "responded_at": at}))
    reopens = 0
    due = steps[0][2].get("resolve_due") if steps[0][1] == "confirmed" else fields["resolve_due"]
    while True:
        if rng.random() < 0.08 or due <= at:      # late
            at = max(at, due) + rng.uniform(1, 48) * HOUR
        else:
            at += (due - at) * rng.uniform(0.1, 0.95)
        steps.append((at, "resolved", {"status": "resolved", "resolved_at": at}))
        if rng.random() < 0.72:
            at += rng.uniform(0.5, 48) * HOUR
            rating = rng.choices(list(RATINGS), list(RATINGS.values()))[0]
            steps.append((at, "rated", {"status": "closed", "rating": rating, "closed_at": at}))
        else:
            at += 72 * HOUR
            steps.append((at, "autoclosed", {"status": "closed", "closed_at": at}))
        if reopens or rng.random() > 0.05:
            break
        reopens += 1
        at += rng.uniform(1, 100) * HOUR
        due = at + resolve_h * HOUR
        steps.append((at, "reopened", {"status": "in_progress", "resolve_due": due,
                                       "resolved_at": None, "closed_at": None, "rating": None, "reopens": 1}))
    return {"fields": fields, "steps": steps, "stall": stall}


async def live(runtime, n: int, life: dict) -> None:
    repo = runtime.services.tickets
    fields = {k: v for k, v in life["fields"].items() if v is not None}
    created = fields["created_at"]
    status = fields["status"]
    opened, _ = await repo.open(f"bench:{n}", fields, {"at": created, "by": fields["reporter"],
                                                        "action": "triaged" if status == "unconfirmed" else "opened",
                                                        "status": status, "note": fields["category"]})
    for i, (at, action, changes) in enumerate(life["steps"]):
        if at > T0 or life["stall"] and T0 - created < 14 * DAY and i >= life["stop"]:
            break
        if action == "merged":
            changes = {**changes, "duplicate_of": max(1, opened - 1)}
        done = await repo.transition(opened, f"bench:{n}:{i}", action, changes,
                                     {"at": at, "by": "grid", "action": action, "status": changes["status"],
                                      "note": ""})
        if not done.applied:
            raise RuntimeError(f"ticket {opened}: {action} refused ({done.result}, {done.before})")


async def seed(runtime, count: int, rng: random.Random) -> float:
    community = runtime.settings.community
    residents: dict[str, list[str]] = defaultdict(list)
    for person in community.people.values():
        if person.building:
            residents[person.building].append(person.id)
    times = sorted(T0 - rng.random() * 730 * DAY for _ in range(count))
    lives = [plan(n, created, rng, residents) for n, created in enumerate(times, 1)]
    for life in lives:
        life["stop"] = rng.randint(0, 1)       # before its first change, or after it
    started = time.perf_counter()
    for start in range(0, count, 250):
        await asyncio.gather(*(live(runtime, n, lives[n - 1]) for n in range(start + 1, min(count, start + 250) + 1)))
    return time.perf_counter() - started


# -- the scan the counters spare ----------------------------------------------------------------

async def scan(runtime, first: float, last: float) -> list[dict]:
    """The fields of every ticket created from `first` to `last` (the creation index, then
    each ticket's hash)."""
    redis, k = runtime.redis, runtime.store.keys
    ids = await redis.zrangebyscore(k.tickets(), first, last)
    rows = []
    for start in range(0, len(ids), 500):
        async with redis.pipeline(transaction=False) as pipe:
            for ticket_id in ids[start:start + 500]:
                pipe.hmget(k.ticket(ticket_id), FIELDS)
            for values in await pipe.execute():
                rows.append(dict(zip(FIELDS, values)))
    return rows


def grouped(rows: list[dict], key) -> dict[str, Counter]:
    out: dict[str, Counter] = defaultdict(Counter)
    for values in rows:
        counts = contribution(values)
        if counts:
            for value in key(values):
                out[value].update(counts)
    return out


BY_FIELD = {"building": "building", "category": "category", "department": "department", "holder": "assignee"}


def by_key(by: str | None):
    if by is None:
        return lambda v: [EVERY]
    name = BY_FIELD[by]
    if by in ("building", "category"):
        return lambda v: [v.get(name) or NONE]
    return lambda v: [v[name]] if v.get(name) else []


async def scan_rates(runtime, span, by: str | None):
    services = runtime.services
    tz = services.community.tz
    first = datetime.combine(span.first, datetime.min.time(), tz).timestamp()
    last = datetime.combine(span.last, datetime.max.time(), tz).timestamp()
    rows = await scan(runtime, first, last)
    targets = services.community.targets
    total = grouped(rows, by_key(None)).get(EVERY, Counter())
    found = [] if by is None else [figures_of(c, targets, None if v == NONE else v, label_of(services, by, v))
                                   for v, c in grouped(rows, by_key(by)).items()]
    return figures_of(total, targets, None, services.texts("stats.all")), sorted(found, key=lambda f: (f.key or "")), len(rows)


async def scan_trend(runtime, months: list[str], by: str | None):
    tz = runtime.services.community.tz
    first = datetime.strptime(months[0] + "-01", "%Y-%m-%d").replace(tzinfo=tz).timestamp()
    last = datetime.strptime(months[-1] + "-28", "%Y-%m-%d").replace(tzinfo=tz).timestamp() + 5 * DAY
    rows = [v for v in await scan(runtime, first, last) if v.get("day") and v["day"][:7] in months]
    per_month: dict[str, dict[str, Counter]] = defaultdict(dict)
    key = by_key(by)
    for values in rows:
        counts = contribution(values)
        for value in key(values) if counts else []:
            per_month[values["day"][:7]].setdefault(value, Counter()).update(counts)
    return per_month, len(rows)


async def scan_heat(runtime, span):
    tz = runtime.services.community.tz
    first = datetime.combine(span.first, datetime.min.time(), tz).timestamp()
    last = datetime.combine(span.last, datetime.max.time(), tz).timestamp()
    rows = await scan(runtime, first, last)
    return grouped(rows, lambda v: [f"{v.get('category') or NONE}|{v.get('building') or NONE}"]), len(rows)


async def scan_today(runtime):
    """Without the open indexes: every ticket's state, then the open ones loaded."""
    redis, k = runtime.redis, runtime.store.keys
    ids = [int(i) for i in await redis.zrange(k.tickets(), 0, -1)]
    open_ids = []
    for start in range(0, len(ids), 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for ticket_id in ids[start:start + 1000]:
                pipe.hget(k.ticket(ticket_id), "status")
            for ticket_id, status in zip(ids[start:start + 1000], await pipe.execute()):
                if status in OPEN_STATES:
                    open_ids.append(ticket_id)
    return await runtime.services.tickets.many(open_ids, history=False, co=False)


# -- timing ------------------------------------------------------------------------------------

async def median_ms(rounds: int, make) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = await make()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


async def main(count: int, rounds: int, scan_rounds: int) -> None:
    rng = random.Random(17)
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.load(DEMO, data_dir=data_dir, env={})
        async with open_runtime(settings, fake_clock=True) as runtime:
            services = runtime.services
            services.clock = FakeClock(T0)
            stats = Stats(runtime.store, settings.community.tz)
            await stats.ensure_built()                  # an empty database: marked built
            seconds = await seed(runtime, count, rng)
            open_now = len(await services.tickets.open_ids())
            print(f"{count:,} tickets over 730 days written through the scripts in {seconds:.0f} s "
                  f"({count / seconds:,.0f} tickets/s with their changes); {open_now} open now; "
                  f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores\n")

            month = datetime.fromtimestamp(T0 - 20 * DAY, settings.community.tz).strftime("%Y-%m")
            span = ticket_api.parse_period(month, services)
            year = ticket_api.parse_period(f"{_months_back(month, 11)}..{month}", services)
            rows: list[tuple[str, float, float, str]] = []

            async def compare(name, counters, scanned, tickets_read):
                c_ms, c_result = await median_ms(rounds, counters)
                s_ms, s_result = await median_ms(scan_rounds, scanned)
                rows.append((name, c_ms, s_ms, tickets_read(s_result)))
                return c_result, s_result

            # a month's rates
            for by in (None, "building", "holder"):
                got, scanned = await compare(
                    f"{month} rates" + (f" by {by}" if by else " (community)"),
                    lambda by=by: ticket_api.rates(services, month, by=by),
                    lambda by=by: scan_rates(runtime, span, by), lambda r: f"{r[2]:,}")
                assert got.total == scanned[0], (got.total, scanned[0])
                assert sorted(got.rows, key=lambda f: f.key or "") == scanned[1]
            # the 12-month trend
            for by in (None, "building"):
                got, scanned = await compare(
                    "12-month trend" + (f" by {by}" if by else " (community)"),
                    lambda by=by: ticket_api.trend(services, 12, month, by=by),
                    lambda by=by: scan_trend(runtime, list(year.buckets), by), lambda r: f"{r[1]:,}")
                for key, series in got.series.items():
                    for name, figures in zip(got.months, series):
                        value = EVERY if by is None else (key or NONE)
                        want = figures_of(scanned[0].get(name, {}).get(value, Counter()), got.targets,
                                          figures.key, figures.label)
                        assert figures == want, (name, key)
            # the heat map
            for name, period in ((month, span), (year.name, year)):
                got, scanned = await compare(
                    f"heat map {name}", lambda p=period: ticket_api.heat_map(services, p.name),
                    lambda p=period: scan_heat(runtime, p), lambda r: f"{r[1]:,}")
                assert {f"{c}|{b}": f.created for (c, b), f in got.cells.items()} == \
                    {v: c["n"] for v, c in scanned[0].items() if c["n"] or c["dup"]}
            # 今日
            got, scanned = await compare("今日 (whole community)", lambda: ticket_api.today(services),
                                         lambda: scan_today(runtime), lambda r: f"{count:,} states, {len(r)} loaded")
            assert got.open == len(scanned)

            print(f"median of {rounds} (counters) and of {scan_rounds} (scan), ms; the same figures both ways")
            print(f"{'':34}{'counters':>10}{'scan':>10}   scan reads")
            for name, c_ms, s_ms, read in rows:
                pad = " " * (34 - len(name) - sum(1 for ch in name if ord(ch) > 0x2e80))
                print(f"{name}{pad}{c_ms:>10.1f}{s_ms:>10.0f}   {read} tickets")

            before = {key: await runtime.redis.hgetall(key) async for key in _stats_keys(runtime)}
            started = time.perf_counter()
            counted = await stats.rebuild()
            rebuilt = time.perf_counter() - started
            after = {key: await runtime.redis.hgetall(key) async for key in _stats_keys(runtime)}
            assert after == before, "the rebuild differs from the counters the scripts kept"
            memory = 0
            for key in after:
                memory += await runtime.redis.memory_usage(key, samples=0) or 0
            days = sum(1 for key in after if key.rsplit(":", 2)[1].count("-") == 2)
            print(f"\nrebuild (a database from before the counters, at start): {rebuilt:.1f} s for {counted:,} counted "
                  f"tickets; the same counters as the scripts kept")
            print(f"counters: {len(after):,} hashes ({days:,} of days), {memory / 1e6:.1f} MB, "
                  f"{memory / count:.0f} B per ticket stored")
            await change_cost(runtime, rounds=2000)


async def change_cost(runtime, rounds: int) -> None:
    """What keeping the counters adds to a change: 派单 to another holder (the counters of
    both holders move) on open tickets, one at a time, with the statistics' arguments and
    without (the script then keeps only the ticket and its indexes). Last: it leaves the
    counters behind."""
    repo, k = runtime.services.tickets, runtime.store.keys
    ids = (await repo.open_ids())[:200]
    script = runtime.store.scripts["ticket_transition"]
    states = "open,assigned,in_progress,escalated"
    timings = {}
    for label, extra in (("with the counters", [k.stats_prefix(), k.stats_periods()]), ("without", [])):
        started = time.perf_counter()
        for n in range(rounds):
            ticket_id = ids[n % len(ids)]
            fields = '{"assignee": "%s", "status": "assigned"}' % HOLDERS[n % len(HOLDERS)]
            await script(keys=[k.ticket(ticket_id), k.ticket_history(ticket_id), k.ticket_ops(ticket_id)],
                         args=[f"cost:{label}:{n}", states, fields, '[1,"grid","assigned"]', k.tickets_open(), states,
                               60, k.tickets_unconfirmed(), "unconfirmed", *extra])
        timings[label] = (time.perf_counter() - started) / rounds * 1e6
    print(f"a change (派单 to another holder, one at a time, {rounds:,} each): "
          f"{timings['with the counters']:.0f} µs with the counters, {timings['without']:.0f} µs without")


def _months_back(month: str, n: int) -> str:
    year, m = map(int, month.split("-"))
    for _ in range(n):
        year, m = (year, m - 1) if m > 1 else (year - 1, 12)
    return f"{year:04d}-{m:02d}"


async def _stats_keys(runtime):
    keys = runtime.store.keys
    async for key in runtime.redis.scan_iter(match=keys.stats_prefix() + ":*", count=1000):
        if key not in (keys.stats_periods(), keys.stats_version()):
            yield key


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--scan-rounds", type=int, default=3)
    options = parser.parse_args()
    asyncio.run(main(options.tickets, options.rounds, options.scan_rounds))
