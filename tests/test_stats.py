"""The statistics (README "Statistics"): the three rates, the reopen rate and the ratings on
hand-computed cases through the real console; the counters the ticket scripts keep equal a
recount of every ticket after a random run of actions, and `rebuild` gives the same;
periods, the trend, the heat map, 今日, `linli admin stats` and a database from before the
counters."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest

from bot.app import open_runtime
from handlers import tickets as ticket_api
from handlers.community import CommunityError, load_community
from storage.stats import VERSION, Stats
from storage.tickets import Ticket
from tests.conftest import console_of

HOUR = 3600.0

COMMUNITY = """
[community]
id = "stats"
name = "统计社区"
timezone = "Asia/Shanghai"

[sla]
respond_hours = 24
resolve_hours = 72
urgent_respond_hours = 1
urgent_resolve_hours = 24
rate_close_days = 3
reopen_days = 7

[targets]
response_rate = 0.9
satisfaction_rate = 0.8

[[departments]]
id = "chengguan"
name = "城管执法"
contact = "dept_cg"

[[chats]]
id = "b3"
name = "3号楼居民群"
kind = "building"
building = "3"
mode = "auto"

[[chats]]
id = "b4"
name = "4号楼居民群"
kind = "building"
building = "4"
mode = "auto"

[[chats]]
id = "b5"
name = "5号楼居民群"
kind = "building"
building = "5"
mode = "auto"
auto_threshold = 1.0        # nothing unaddressed is sure enough here…
triage_threshold = 0.05     # …so it waits for staff (待确认)

[[people]]
id = "grid"
name = "林网格员"
roles = ["grid_worker"]
buildings = ["3", "4", "5"]

[[people]]
id = "staff"
name = "陈主任"
roles = ["staff"]

[[people]]
id = "vol"
name = "王师傅"
roles = ["resident", "volunteer"]
household = "3-1-102"

[[people]]
id = "dept_cg"
name = "城管王队"
roles = ["department"]

[[people]]
id = "r3a"
name = "张阿姨"
household = "3-2-502"

[[people]]
id = "r3b"
name = "李叔"
household = "3-1-101"

[[people]]
id = "r4a"
name = "赵奶奶"
household = "4-1-101"

[[people]]
id = "r4b"
name = "孙大爷"
household = "4-2-201"

[[people]]
id = "r5a"
name = "钱大爷"
household = "5-1-101"
"""

LIGHT = "3号楼2单元楼道灯坏了，晚上看不见"            # 设施维修, 3
LIGHT_TOO = "3号楼2单元楼道的灯不亮了，黑乎乎的"       # the same problem: joins LIGHT
TRASH = "4号楼门口垃圾堆了三天没人清理"                # 环境卫生, 4
NOISE = "5号楼楼上天天半夜装修，吵得睡不着"             # 噪音扰民, 5
GAS = "3号楼2单元闻到煤气味"                          # 安全隐患, urgent
STALL = "小区门口天天有人占道摆摊，堵得车都过不去"        # 停车交通, the reporter's building
UNSURE_LAMP = "5号楼2单元的路灯坏了好几天了，晚上黑漆漆的"  # in b5: waits for staff
UNSURE_BIN = "5号楼门口的垃圾桶满了，没人清理"


@pytest.fixture
async def console(redis_server, redis, tmp_path):
    async with console_of(COMMUNITY, tmp_path, redis_server) as session:
        await _tenth_of_next_month(session)
        await Stats(session.runtime.store, session.runtime.settings.community.tz).ensure_built()  # (empty: marks it built)
        yield session


async def _tenth_of_next_month(console) -> None:
    """Start at 09:00 on the 10th, so nothing a case does crosses into another month."""
    runtime = console.runtime
    tz = runtime.settings.community.tz
    now = datetime.fromtimestamp(runtime.clock.now(), tz)
    first = (now.replace(day=28) + timedelta(days=4)).replace(day=10, hour=9, minute=0, second=0, microsecond=0)
    runtime.clock.set(first.timestamp())
    await runtime.save_fake_clock()


async def run(console, steps) -> list[dict]:
    """("+", hours) moves the clock (jobs fire); (sender, chat, text) says something."""
    for step in steps:
        if step[0] == "+":
            await console.advance(step[1] * HOUR)
        else:
            sender, chat, text = step
            await console.say(sender, chat, text)
    return console.transcript.new()


# -- the brute force: every ticket recounted as README "Statistics" says ------------------------

def recount(tickets: list[Ticket], tz) -> dict[tuple[str, str], Counter]:
    """{(period, dimension): Counter(VALUE|METRIC)} from the tickets themselves, written
    from the README's definitions (the reopens read from each ticket's history)."""
    want: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for t in tickets:
        if t.status in ("unconfirmed", "dismissed", "lapsed"):
            continue          # the triage queue: nobody was told of them
        counts: Counter = Counter()
        if t.status == "duplicate":
            counts["dup"] = 1
        else:
            counts["n"] = 1
            counts["u"] = int(t.urgent)
            counts["rej"] = int(t.status == "rejected")
            if t.responded_at is not None:
                counts["rsp"] = 1
                counts["rsp_ok"] = int(t.respond_due is None or t.responded_at <= t.respond_due)
            if t.status in ("resolved", "closed") and t.resolved_at is not None:
                counts["res"] = 1
                counts["res_ok"] = int(t.resolve_due is None or t.resolved_at <= t.resolve_due)
            if t.rating:
                counts.update({"rated": 1, "rsum": t.rating, f"r{t.rating}": 1, "sat": int(t.rating >= 4)})
            reopened = any(h["action"] == "reopened" for h in t.history)
            counts["reo"] = int(reopened)
            counts["fin"] = int(t.status in ("resolved", "closed", "rejected") or reopened)
        day = datetime.fromtimestamp(t.created_at, tz).strftime("%Y-%m-%d")
        month = day[:7]
        building, category = t.building or "-", t.category or "-"
        cells = [(p, "all", "*") for p in (day, month)] + [(p, "b", building) for p in (day, month)]
        cells += [(p, "c", category) for p in (day, month)]
        cells += [(p, "d", t.department) for p in (day, month) if t.department]
        cells += [(p, "a", t.assignee) for p in (day, month) if t.assignee]
        cells.append((month, "cb", f"{category}|{building}"))
        for period, dim, value in cells:
            want[(period, dim)].update({f"{value}|{metric}": n for metric, n in counts.items() if n})
    return {cell: counts for cell, counts in want.items() if counts}


async def stored(runtime) -> dict[tuple[str, str], Counter]:
    """Every bucket as Redis holds it."""
    keys = runtime.store.keys
    prefix = keys.stats_prefix() + ":"
    found = {}
    async for key in runtime.redis.scan_iter(match=prefix + "*"):
        if key in (keys.stats_periods(), keys.stats_version()):
            continue
        period, dim = key[len(prefix):].rsplit(":", 1)
        found[(period, dim)] = Counter({field: int(n) for field, n in (await runtime.redis.hgetall(key)).items()})
    return found


async def check_counters(runtime) -> dict:
    """The counters equal the recount; a rebuild gives them again, and the same figures."""
    repo = runtime.services.tickets
    everything = await repo.many(await repo.ids())
    want = recount(everything, runtime.settings.community.tz)
    kept = await stored(runtime)
    assert kept == want, {cell: (kept.get(cell), want.get(cell)) for cell in set(kept) | set(want)
                          if kept.get(cell) != want.get(cell)}
    periods = {period for period, _ in want}
    assert set(await runtime.redis.smembers(runtime.store.keys.stats_periods())) >= periods
    await Stats(runtime.store, runtime.settings.community.tz).rebuild()
    assert await stored(runtime) == want
    assert set(await runtime.redis.smembers(runtime.store.keys.stats_periods())) == periods
    return want


# -- hand-computed cases --------------------------------------------------------------------------

def expect(created=1, duplicates=0, rejected=0, urgent=0, pending=0, response=(1, 1), resolution=(0, 1),
           satisfaction=(0, 0), reopen=(0, 0), average=None, ratings=None):
    return dict(created=created, duplicates=duplicates, rejected=rejected, urgent=urgent, pending=pending,
                response=response, resolution=resolution, satisfaction=satisfaction, reopen=reopen,
                average=average, ratings={n: (ratings or {}).get(n, 0) for n in range(1, 6)})


CASES = {
    # 派单 in an hour, 办结 an hour later, rated 5: everything in time
    "in time": ([("r3a", "b3", LIGHT), ("+", 1), ("grid", None, "派单 #1 @vol"), ("+", 1),
                 ("vol", None, "办结 #1 换了灯泡"), ("r3a", None, "评价 #1 5")],
                expect(resolution=(1, 1), satisfaction=(1, 1), reopen=(0, 1), average=5, ratings={5: 1})),
    # 处理 after 25 h (the 24 h response missed), 办结 within 72 h, rated 3 (not satisfied)
    "late response": ([("r3a", "b3", LIGHT), ("+", 25), ("grid", None, "处理 #1 马上去"),
                       ("grid", None, "办结 #1 修好了"), ("r3a", None, "评价 #1 3")],
                      expect(response=(0, 1), resolution=(1, 1), satisfaction=(0, 1), reopen=(0, 1), average=3,
                             ratings={3: 1})),
    # 办结 after 73 h: responded in time, resolved late; nobody rates it (it closes itself)
    "late resolution": ([("r3a", "b3", LIGHT), ("grid", None, "派单 #1 @vol"), ("+", 73),
                         ("vol", None, "办结 #1 修好了"), ("+", 80)],
                        expect(response=(1, 1), resolution=(0, 1), reopen=(0, 1))),
    # 驳回 is a response; a rejected ticket leaves 解决率's denominator
    "rejected": ([("r3a", "b3", LIGHT), ("r4a", "b4", TRASH), ("+", 2), ("grid", None, "驳回 #1 不归社区管"),
                  ("grid", None, "派单 #2 @vol"), ("vol", None, "办结 #2 清走了")],
                 expect(created=2, rejected=1, response=(2, 2), resolution=(1, 1), reopen=(0, 2))),
    # 合并: the merged ticket counts once, where it lives on; nobody answered the survivor
    "duplicate": ([("r3a", "b3", LIGHT), ("r4a", "b4", TRASH), ("grid", None, "合并 #2 #1")],
                  expect(duplicates=1, pending=1, response=(0, 1), resolution=(0, 1))),
    # 重开 and 办结 again within the new deadline, rated 4: resolved, and reopened once
    "reopened and resolved again": (
        [("r3a", "b3", LIGHT), ("grid", None, "派单 #1 @vol"), ("vol", None, "办结 #1 换了灯泡"),
         ("+", 5), ("r3a", None, "重开 #1 又不亮了"), ("+", 5), ("vol", None, "办结 #1 换了整套灯具"),
         ("r3a", None, "评价 #1 4")],
        expect(resolution=(1, 1), satisfaction=(1, 1), reopen=(1, 1), average=4, ratings={4: 1})),
    # 重开 and not finished again: no longer resolved, still reopened
    "reopened and open": ([("r3a", "b3", LIGHT), ("grid", None, "派单 #1 @vol"), ("vol", None, "办结 #1 换了灯泡"),
                           ("r3a", None, "评价 #1 2"), ("r3a", None, "重开 #1 又坏了")],
                          expect(resolution=(0, 1), reopen=(1, 1))),
    # a rejected ticket reopened: back to 待受理, still responded (the first response counts)
    "rejected then reopened": ([("r3a", "b3", LIGHT), ("grid", None, "驳回 #1 请找物业"),
                                ("r3a", None, "重开 #1 物业说归社区管")],
                               expect(response=(1, 1), resolution=(0, 1), reopen=(1, 1))),
    # urgent: 1 h to respond, 24 to resolve — 处理 after 2 h is late, 办结 at 3 h in time
    "urgent": ([("r3a", "b3", GAS), ("+", 2), ("grid", None, "处理 #1 已关阀门"), ("+", 1),
                ("grid", None, "办结 #1 已检修")],
               expect(urgent=1, response=(0, 1), resolution=(1, 1), reopen=(0, 1))),
    # a neighbour's rating (a co-reporter's) is theirs: the ticket's is the reporter's
    "co-reporter's rating": ([("r3a", "b3", LIGHT), ("r3b", "b3", LIGHT_TOO), ("grid", None, "派单 #1 @vol"),
                              ("vol", None, "办结 #1 换了灯泡"), ("r3b", None, "评价 #1 1"),
                              ("r3a", None, "评价 #1 5")],
                             expect(resolution=(1, 1), satisfaction=(1, 1), reopen=(0, 1), average=5,
                                    ratings={5: 1})),
    # the triage queue: counted from 确认 (in its day of creation), never when 忽略
    "triage": ([("r5a", "b5", UNSURE_LAMP), ("+", 1), ("r4b", "b5", UNSURE_BIN), ("staff", None, "忽略 #1"),
                ("staff", None, "确认 #2")],
               expect(pending=1, response=(0, 1), resolution=(0, 1))),
    # 吹哨 is a response; the department's contact 办结 it
    "escalated": ([("r3a", None, STALL), ("grid", None, "吹哨 #1 城管 请来看看"), ("+", 30),
                   ("dept_cg", None, "办结 #1 已清理")],
                  expect(response=(1, 1), resolution=(1, 1), reopen=(0, 1))),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_the_rates_of_hand_computed_cases(console, case):
    steps, want = CASES[case]
    out = await run(console, steps)
    runtime = console.runtime
    first = await runtime.services.tickets.get(1)
    month = datetime.fromtimestamp(first.created_at, runtime.settings.community.tz).strftime("%Y-%m")
    total = (await ticket_api.rates(runtime.services, month)).total
    got = dict(created=total.created, duplicates=total.duplicates, rejected=total.rejected, urgent=total.urgent,
               pending=total.pending,
               **{name: (getattr(total, name).numerator, getattr(total, name).denominator)
                  for name in ("response", "resolution", "satisfaction", "reopen")},
               average=total.average_rating, ratings=total.ratings)
    assert got == want, out
    await check_counters(runtime)


async def test_targets_and_rates_by_holder_building_department_and_category(console):
    runtime = console.runtime
    await run(console, [
        ("r3a", "b3", LIGHT), ("r4a", "b4", TRASH), ("r3b", None, STALL), ("r3a", "b3", GAS),
        ("grid", None, "派单 #1 @vol"), ("vol", None, "办结 #1 换了灯泡"), ("r3a", None, "评价 #1 5"),
        ("grid", None, "派单 #2 @vol"), ("grid", None, "吹哨 #3 城管"), ("grid", None, "处理 #4 已关阀门"),
        ("+", 30), ("dept_cg", None, "处理 #3"), ("dept_cg", None, "办结 #3 已清理"), ("r3b", None, "评价 #3 3"),
    ])
    services = runtime.services
    figures = await ticket_api.rates(services, by="holder")
    rows = {row.key: row for row in figures.rows}
    assert set(rows) == {"vol", "dept_cg", "grid"}               # #1 #2 vol, #3 dept_cg (处理 took it), #4 grid
    assert (rows["vol"].label, rows["vol"].created, rows["vol"].resolution.numerator) == ("王师傅", 2, 1)
    assert (rows["dept_cg"].satisfaction.numerator, rows["dept_cg"].satisfaction.denominator) == (0, 1)
    total = figures.total
    assert (total.label, total.created, total.urgent) == ("全社区", 4, 1)
    assert total.response.target == 0.9 and total.satisfaction.target == 0.8      # the file's
    assert total.resolution.target == 0.9 and total.reopen.target == 0.05        # defaults
    assert total.response.met is True and total.satisfaction.met is False and total.reopen.met is True
    assert (total.satisfaction.numerator, total.satisfaction.denominator, total.average_rating) == (1, 2, 4.0)

    by_building = {row.key: (row.label, row.created) for row in (await ticket_api.rates(services, by="building")).rows}
    assert by_building == {"3": ("3号楼", 3), "4": ("4号楼", 1)}
    by_department = [(row.key, row.label, row.created) for row in
                     (await ticket_api.rates(services, by="department")).rows]
    assert by_department == [("chengguan", "城管执法", 1)]
    by_category = {row.key: row.created for row in (await ticket_api.rates(services, by="category")).rows}
    assert by_category == {"设施维修": 1, "环境卫生": 1, "停车交通": 1, "安全隐患": 1}

    heat = await ticket_api.heat_map(services)
    assert heat.buildings == ["3", "4"] and set(heat.categories) == set(by_category)
    assert heat.created("设施维修", "3") == 1 and heat.created("环境卫生", "4") == 1 and heat.created("环境卫生", "3") == 0
    assert sum(map(sum, heat.as_dict()["created"])) == 4

    trend = await ticket_api.trend(services)
    assert len(trend.months) == 12 and trend.months[-1] == figures.period.name
    [series] = trend.series.values()
    assert [f.created for f in series] == [0] * 11 + [4]
    per_holder = await ticket_api.trend(services, months=2, by="holder")
    assert set(per_holder.series) == {"vol", "dept_cg", "grid"}
    assert [f.created for f in per_holder.series["vol"]] == [0, 2]
    json.dumps([figures.as_dict(), trend.as_dict(), heat.as_dict()], ensure_ascii=False)   # JSON as it is
    await check_counters(runtime)


# -- the random run: the counters always equal a recount -------------------------------------

REPORTS = [("r3a", "b3", LIGHT), ("r3b", "b3", LIGHT_TOO), ("r4a", "b4", TRASH), ("r4b", "b4", "4号楼电梯又坏了，困了好久没人修"),
           ("r5a", None, NOISE), ("r3b", None, STALL), ("r3a", "b3", GAS), ("r4a", "b4", "4号楼2单元水管漏水，楼下都淹了"),
           ("r5a", "b5", UNSURE_LAMP), ("r4b", "b5", UNSURE_BIN)]
REPORTERS = {"r3a", "r3b", "r4a", "r4b", "r5a"}


def random_step(rng: random.Random, reporters: dict[int, str]) -> tuple:
    """One action on a random ticket (most of them allowed, some refused for its state)."""
    count = len(reporters)
    n = rng.randint(1, max(1, count))
    other = rng.randint(1, max(1, count))
    holder = rng.choice(["grid", "vol", "staff"])
    reporter = reporters.get(n, "r3a")
    return rng.choice([
        rng.choice(REPORTS), rng.choice(REPORTS), rng.choice(REPORTS),
        ("grid", None, f"派单 #{n} @{rng.choice(['vol', 'staff', 'grid'])}"),
        (holder, None, f"处理 #{n}"), (holder, None, f"处理 #{n}"),
        (holder, None, f"办结 #{n} 已处理"), (holder, None, f"办结 #{n} 已处理"), (holder, None, f"办结 #{n} 已处理"),
        ("grid", None, f"驳回 #{n} 不归我们管"),
        ("grid", None, f"吹哨 #{n} 城管"),
        ("dept_cg", None, f"办结 #{n} 已清理"),
        ("grid", None, f"合并 #{n} #{other}"),
        ("staff", None, f"确认 #{n}"), ("staff", None, f"忽略 #{n}"),
        (reporter, None, f"评价 #{n} {rng.randint(1, 5)}"), (reporter, None, f"评价 #{n} {rng.randint(1, 5)}"),
        (reporter, None, f"重开 #{n} 还是不行"),
        (rng.choice(sorted(REPORTERS)), None, f"评价 #{n} 5"),          # a co-reporter's, or refused
        ("staff", None, f"拆分 #{n}"),
        ("+", rng.choice([0.5, 2, 13, 30, 80])),
    ])


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_counters_equal_a_recount_after_a_random_run(console, seed):
    rng = random.Random(seed)
    runtime = console.runtime
    repo = runtime.services.tickets
    rated = False
    for turn in range(90):
        reporters = {t.id: t.reporter for t in await repo.briefs(await repo.ids())}
        out = await run(console, [random_step(rng, reporters)])
        rated = rated or any("感谢评价" in m["text"] for m in out)
        if turn % 45 == 44:
            await check_counters(runtime)
    want = await check_counters(runtime)
    every = await repo.many(await repo.ids())
    statuses = Counter(t.status for t in every)
    # the run went through most of a ticket's life (closed, reopened, merged, rejected, the queue)
    assert len(statuses) >= 5 and any(t.reopens for t in every) and rated, statuses
    assert sum(counts["*|n"] for (period, dim), counts in want.items() if dim == "all" and len(period) == 7) >= 5


# -- storage, rebuild, a database from before --------------------------------------------------

async def test_a_database_from_before_the_counters_is_counted_at_start(console, tmp_path):
    runtime = console.runtime
    await run(console, [("r3a", "b3", LIGHT), ("grid", None, "派单 #1 @vol"), ("vol", None, "办结 #1 换了灯泡"),
                        ("r3a", None, "重开 #1 又不亮了"), ("r4a", "b4", TRASH)])
    want = await check_counters(runtime)
    keys = runtime.store.keys
    # as an earlier version left it: no counters, no day, reopens only in the history
    await runtime.redis.delete(*[key async for key in runtime.redis.scan_iter(match=keys.stats_prefix() + "*")])
    for ticket_id in (1, 2):
        await runtime.redis.hdel(keys.ticket(ticket_id), "day", "reopens")
    stats = Stats(runtime.store, runtime.settings.community.tz)
    assert await stats.ensure_built() is True
    assert await stored(runtime) == want and await runtime.redis.get(keys.stats_version()) == VERSION
    assert (await runtime.services.tickets.get(1)).reopens == 1
    assert await stats.ensure_built() is False                  # once
    # the page's first read builds them too (a process started on such a database)
    await runtime.redis.delete(*[key async for key in runtime.redis.scan_iter(match=keys.stats_prefix() + "*")])
    assert (await ticket_api.rates(runtime.services)).total.created == 2
    assert await stored(runtime) == want


async def test_a_ticket_counts_on_the_local_day_it_was_created(console):
    runtime = console.runtime
    tz = runtime.settings.community.tz
    now = datetime.fromtimestamp(runtime.clock.now(), tz)
    first = (now.replace(day=28) + timedelta(days=4)).replace(day=1, hour=0, minute=30)
    runtime.clock.set(first.timestamp())          # 00:30 on the 1st: 16:30 UTC on the last day of the month before
    await run(console, [("r3a", "b3", LIGHT)])
    ticket = await runtime.services.tickets.get(1)
    day = first.strftime("%Y-%m-%d")
    assert await runtime.redis.hget(runtime.store.keys.ticket(1), "day") == day
    stats = Stats(runtime.store, tz)
    assert (await stats.read([day[:7]]))["*"]["n"] == 1
    assert (await stats.read([day]))["*"]["n"] == 1
    assert await stats.periods() == [day[:7], day]
    assert datetime.utcfromtimestamp(ticket.created_at).day != first.day


# -- periods -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, first, last, buckets", [
    ("2026-11", "2026-11-01", "2026-11-30", 1),
    ("2024-02", "2024-02-01", "2024-02-29", 1),
    ("2026", "2026-01-01", "2026-12-31", 12),
    ("2025-11..2026-02", "2025-11-01", "2026-02-28", 4),
    ("2026-11-01..2026-11-15", "2026-11-01", "2026-11-15", 15),
    ("2026-03-05", "2026-03-05", "2026-03-05", 1),
])
def test_periods(runtime, text, first, last, buckets):
    period = ticket_api.parse_period(text, runtime.services)
    assert (period.first.isoformat(), period.last.isoformat(), len(period.buckets)) == (first, last, buckets)


@pytest.mark.parametrize("text", ["11月", "2026-13", "2026-11..2026-10", "2026-11..2026-11-05", "2024-01-01..2025-06-01"])
def test_a_period_that_cannot_be_read_says_what_can(runtime, text):
    with pytest.raises(ticket_api.PeriodError) as error:
        ticket_api.parse_period(text, runtime.services)
    assert "2026-11" in str(error.value) or "366" in str(error.value)


def test_targets_in_the_community_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[community]\nid = "t"\nname = "T"\n[targets]\nresponse_rate = 0.98\naverage_rating = 4\n',
                    encoding="utf-8")
    targets = load_community(path).targets
    assert (targets.response_rate, targets.resolution_rate, targets.average_rating) == (0.98, 0.90, 4.0)
    for bad, says in [("response_rate = 95", "targets.response_rate: must be a number from 0 to 1"),
                      ("average_rating = 6", "targets.average_rating: must be a number from 1 to 5"),
                      ("respond_rate = 0.9", "targets.respond_rate: unknown key")]:
        path.write_text(f'[community]\nid = "t"\nname = "T"\n[targets]\n{bad}\n', encoding="utf-8")
        with pytest.raises(CommunityError, match=says):
            load_community(path)


# -- 今日 ------------------------------------------------------------------------------------------

async def test_today_lists_what_needs_someone_now(console):
    runtime = console.runtime
    await run(console, [("r3a", "b3", LIGHT), ("r4a", "b4", TRASH), ("+", 21), ("r3b", None, STALL),
                        ("grid", None, "派单 #2 @vol"), ("+", 4), ("r3a", "b3", GAS), ("r5a", "b5", UNSURE_LAMP)])
    # now: #1 open 25 h (response overdue), #2 assigned 25 h (resolve due in 47 h),
    # #3 open 4 h (respond due in 20 h), #4 urgent, just opened (respond due within the hour),
    # #5 waiting for staff (not open)
    today = await ticket_api.today(runtime.services)
    ids = lambda found: [t.id for t in found]      # noqa: E731
    assert today.open == 4
    assert ids(today.urgent) == [4]
    assert ids(today.overdue) == [1]
    assert ids(today.due_soon) == [4]
    assert ids(today.unaccepted) == [4, 1, 3]                      # urgent first, then by deadline
    assert [(b.building, b.open, b.overdue, b.unaccepted, b.urgent) for b in today.buildings] == [
        ("3", 3, 1, 3, 1), ("4", 1, 0, 0, 0)]
    assert today.urgent[0].text == GAS                            # the words, for the page
    mine = await ticket_api.today(runtime.services, buildings={"4"})
    assert mine.open == 1 and ids(mine.unaccepted) == [] and [b.building for b in mine.buildings] == ["4"]
    json.dumps(today.as_dict(), ensure_ascii=False)


# -- linli admin stats -----------------------------------------------------------------------------

async def test_admin_stats_prints_the_rates_and_rebuilds(console, linli, redis_server, tmp_path):
    runtime = console.runtime
    await run(console, [("r3a", "b3", LIGHT), ("r4a", "b4", TRASH), ("grid", None, "派单 #1 @vol"),
                        ("vol", None, "办结 #1 换了灯泡"), ("r3a", None, "评价 #1 5"), ("grid", None, "驳回 #2 不归社区管")])
    month = (await ticket_api.rates(runtime.services)).period.name
    path = str(tmp_path / "community.toml")

    def cli(*args):
        return linli("admin", "stats", *args, "--community", path, "--data-dir", str(tmp_path),
                     env={"REDIS_URL": redis_server})

    ran = cli("--month", month)
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0].startswith(f"统计社区 {month}（{month}-01 至")
    total = next(line for line in lines if line.startswith("全社区"))
    assert "100.0% 2/2" in total and "100.0% 1/1" in total and "5.00 (1)" in total, ran.stdout
    assert next(line for line in lines if line.startswith("目标")).split() == ["目标", "≥90%", "≥90%", "≥80%", "≤5%",
                                                                               "≥4.5"]
    ran = cli("--by", "building", "--json")                       # (this month: the console's clock)
    data = json.loads(ran.stdout)
    assert data["period"] == month and data["total"]["response"] == {
        "value": 1.0, "numerator": 2, "denominator": 2, "target": 0.9, "met": True}
    assert [(row["label"], row["created"], row["rejected"]) for row in data["rows"]] == [("3号楼", 1, 0),
                                                                                        ("4号楼", 1, 1)]
    ran = cli("--month", "十一月")
    assert ran.returncode == 2 and "is not a period" in ran.stderr and ran.stdout == ""
    before = await stored(runtime)
    ran = cli("rebuild")
    assert ran.returncode == 0 and ran.stdout == "counted 2 ticket(s) into the statistics\n"
    assert await stored(runtime) == before


# -- a Redis Cluster ------------------------------------------------------------------------------

async def test_the_counters_on_a_cluster(cluster, tmp_path):
    """The scripts name the buckets from the prefix (one hash tag, one slot): on a real
    3-master Cluster they are kept, read and rebuilt as on one server."""
    async with console_of(COMMUNITY, tmp_path, cluster.url) as console:
        await _tenth_of_next_month(console)
        runtime = console.runtime
        await Stats(runtime.store, runtime.settings.community.tz).ensure_built()
        steps, _ = CASES["reopened and resolved again"]
        await run(console, [*steps, ("r4a", "b4", TRASH), ("grid", None, "合并 #2 #1")])
        figures = await ticket_api.rates(runtime.services)
        total = figures.total
        assert (total.created, total.duplicates, total.reopen.numerator, total.average_rating) == (1, 1, 1, 4.0)
        await check_counters(runtime)
        owner = cluster.node_of(runtime.store.keys.stats_prefix())
        with owner.client() as c:
            assert c.hgetall(runtime.store.keys.stats(figures.period.name, "all"))["*|reo"] == "1"
