"""The open-ticket indexes (storage/tickets.py) stay exactly what the tickets say through
every change; duplicates and 待办 read them; timer jobs keep only a reference to their
event; a database from before the indexes gets them."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest

from bot.app import open_runtime
from handlers.tickets import views as ticket_views
from handlers.context import Context
from handlers.events import Event
from handlers.tickets.common import OPEN_STATES, may_handle, summary
from storage.tickets import PIECE_BYTES, Ticket, in_pieces, joined
from tests.conftest import console_of

DAY = 86400


# -- helpers ---------------------------------------------------------------------------

async def index_state(runtime) -> tuple[dict[str, dict[int, float]], set[str]]:
    """Every open-ticket index as {name: {ticket id: score}}, and the buildings set."""
    prefix = runtime.store.keys.tickets_open()
    redis = runtime.redis
    found: dict[str, dict[int, float]] = {}
    async for key in redis.scan_iter(match=prefix + "*"):
        if key == prefix + ":buildings":
            continue
        members = await redis.zrange(key, 0, -1, withscores=True)
        if members:
            found[key[len(prefix):] or "all"] = {int(m): score for m, score in members}
    return found, await redis.smembers(prefix + ":buildings")


def expected_state(tickets: list[Ticket]) -> tuple[dict[str, dict[int, float]], set[str]]:
    want: dict[str, dict[int, float]] = defaultdict(dict)
    buildings = set()
    for t in tickets:
        if t.status not in OPEN_STATES:
            continue
        names = ["all", f":b:{t.building or '-'}", f":c:{t.category or '-'}"]
        names += [f":a:{t.assignee}"] if t.assignee else []
        names += [f":d:{t.department}"] if t.department else []
        for name in names:
            want[name][t.id] = t.created_at
        buildings.add(t.building or "-")
    return dict(want), buildings


async def check_indexes(runtime) -> None:
    tickets = runtime.services.tickets
    everything = await tickets.many(await tickets.ids())
    assert await index_state(runtime) == expected_state(everything), \
        [(t.id, t.status, t.building, t.assignee, t.department) for t in everything]


async def say(console, sender, text, chat=None) -> list[dict]:
    await console.say(sender, chat, text)
    return console.transcript.new()


def ids_in(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"#(\d+)", text)]


# -- the indexes through every change ----------------------------------------------------

async def test_indexes_follow_every_change_of_a_ticket(console):
    runtime = console.runtime
    tickets = runtime.services.tickets
    await say(console, "r301", "3号楼2单元楼道灯坏了，晚上看不见", "b3")
    await check_indexes(runtime)
    steps = [
        ("grid", "派单 #1 @vol_wang", "assigned"),
        ("grid", "派单 #1 @vol_liu", "assigned"),          # reassigned: moves between assignees
        ("vol_liu", "处理 #1 马上到", "in_progress"),
        ("vol_liu", "办结 #1 已更换灯泡", "resolved"),       # out of every index
        ("r301", "重开 #1 又不亮了", "in_progress"),           # back, with its assignee
        ("vol_liu", "办结 #1 换了整套灯具", "resolved"),
        ("r301", "评价 #1 5 很及时", "closed"),
    ]
    for sender, text, status in steps:
        await say(console, sender, text)
        assert (await tickets.get(1)).status == status
        await check_indexes(runtime)
    assert await tickets.open_ids() == []

    await say(console, "zhang", "小区门口天天有人占道摆摊，堵得车都过不去")            # #2
    await say(console, "grid", "吹哨 #2 城管 请来看看")
    assert (await tickets.get(2)).department == "chengguan"
    await check_indexes(runtime)
    assert await tickets.open_ids("department", "chengguan") == [2]
    await say(console, "dept_cg", "办结 #2 已清理占道")
    await check_indexes(runtime)

    await say(console, "r401", "4号楼电梯又坏了，困了好久没人修", "b4")                 # #3
    await say(console, "r402", "4号楼门口垃圾堆了三天没人清理", "b4")                    # #4
    await say(console, "grid", "合并 #4 #3")
    assert (await tickets.get(4)).status == "duplicate"
    await check_indexes(runtime)

    await say(console, "r501", "5号楼楼上天天半夜装修，吵得睡不着", "b5")                # #5
    await say(console, "grid", "驳回 #5 请先与邻居协商")
    await check_indexes(runtime)
    await say(console, "r501", "重开 #5 协商不了")
    assert (await tickets.get(5)).status == "open"
    await check_indexes(runtime)

    out = await say(console, "r403", "4号楼电梯坏了，又停了", "b4")                    # joins #3
    assert (await tickets.get(3)).co_reporters and await tickets.get(6) is None, out
    await check_indexes(runtime)

    # a change of building moves it (and a building left with nothing open leaves the set)
    moved = await tickets.transition(5, "move-5", "assigned", {"building": "6"},
                                     {"at": runtime.clock.now(), "by": "grid", "action": "assigned",
                                      "status": "open", "note": ""})
    assert moved.result == "ok"
    await check_indexes(runtime)
    assert "5" not in (await index_state(runtime))[1]


async def test_a_redelivered_change_is_applied_once(console):
    runtime = console.runtime
    tickets = runtime.services.tickets
    await say(console, "r301", "3号楼2单元楼道灯坏了，晚上看不见", "b3")
    entry = {"at": runtime.clock.now(), "by": "grid", "action": "resolved", "status": "resolved", "note": "x"}
    first = await tickets.transition(1, "console:abc", "resolved", {"status": "resolved"}, entry)
    again = await tickets.transition(1, "console:abc", "resolved", {"status": "resolved"}, entry)
    assert (first.result, again.result, again.before) == ("ok", "replay", "open")
    assert len((await tickets.get(1)).history) == 2
    # an operation remembered by an earlier version (its whole key) is still a replay
    await runtime.redis.hset(runtime.store.keys.ticket_ops(1), "console:old", "open")
    assert (await tickets.transition(1, "console:old", "resolved", {}, entry)).result == "replay"
    # what guards against a second run is forgotten once no event can come again
    assert 0 < await runtime.redis.ttl(runtime.store.keys.ticket_ops(1)) <= 8 * DAY
    await check_indexes(runtime)


async def test_the_ticket_an_event_opened_is_found_again(runtime):
    tickets = runtime.services.tickets
    fields = {"status": "open", "reporter": "zhang", "text": "楼道灯坏了", "created_at": 1000.0, "building": "3",
              "category": "设施维修"}
    entry = {"at": 1000.0, "by": "zhang", "action": "opened", "status": "open", "note": ""}
    assert await tickets.open("console:e1", fields, entry) == (1, True)
    assert await tickets.open("console:e2", {**fields, "created_at": 2000.0}, entry) == (2, True)
    # redelivered up to 8 days later: the same ticket (the reporter's recent ones are asked)
    assert await tickets.open("console:e1", {**fields, "created_at": 1000.0 + 8 * DAY}, entry) == (1, False)
    assert await tickets.open("console:e2", {**fields, "created_at": 3000.0}, entry) == (2, False)
    # an event an earlier version recorded in its by-event hash
    await runtime.redis.hset(runtime.store.keys.ticket_by_event(), "console:e0", 7)
    assert await tickets.open("console:e0", fields, entry) == (7, False)
    assert await tickets.ids() == [1, 2]
    assert (await tickets.get(1)).history == [{**entry, "status": "open"}]


# -- duplicates ----------------------------------------------------------------------------

async def test_a_ticket_in_another_building_is_never_a_candidate(console):
    runtime = console.runtime
    tickets = runtime.services.tickets
    await say(console, "r301", "3号楼2单元楼道灯坏了，晚上看不见", "b3")
    assert await tickets.open_ids("building", "4", since=runtime.clock.now() - 7 * DAY) == []
    await say(console, "r401", "4号楼2单元楼道灯坏了，晚上看不见", "b4")     # the same words, building 4
    assert (await tickets.get(2)).building == "4" and not (await tickets.get(1)).co_reporters
    assert await tickets.open_ids("building", "3") == [1]
    assert await tickets.open_ids("building", "4") == [2]


async def test_a_stale_index_entry_is_checked_and_never_joined(console):
    runtime = console.runtime
    tickets = runtime.services.tickets
    await say(console, "r301", "3号楼2单元楼道灯坏了，晚上看不见", "b3")
    await say(console, "grid", "办结 #1 已更换灯泡")
    # an entry nothing should have left behind: the ticket's own state decides
    await runtime.redis.zadd(tickets.index_key("building", "3"), {1: (await tickets.get(1)).created_at})
    await say(console, "r302", "3号楼2单元楼道的灯不亮了，黑乎乎的", "b3")
    assert await tickets.get(2) is not None and not (await tickets.get(1)).co_reporters


async def test_only_the_last_week_is_looked_at(console):
    runtime = console.runtime
    await say(console, "r301", "3号楼2单元楼道灯坏了，晚上看不见", "b3")
    await console.advance(8 * DAY)
    assert await runtime.services.tickets.open_ids("building", "3", since=runtime.clock.now() - 7 * DAY) == []
    assert await runtime.services.tickets.open_ids("building", "3") == [1]


# -- 待办 for each role ----------------------------------------------------------------------

COMMUNITY = """
[community]
id = "idx"
name = "索引社区"

[routing]
"环境卫生" = "cleaner"

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
id = "b9"
name = "9号楼居民群"
kind = "building"
building = "9"
mode = "auto"

[[people]]
id = "sec"
name = "周书记"
roles = ["secretary"]

[[people]]
id = "staff"
name = "陈主任"
roles = ["staff"]

[[people]]
id = "grid3"
name = "三号楼网格员"
roles = ["grid_worker"]
buildings = ["3"]

[[people]]
id = "grid4"
name = "四号楼网格员"
roles = ["grid_worker"]
buildings = ["4"]

[[people]]
id = "cleaner"
name = "保洁李"
roles = ["department"]

[[people]]
id = "dept_cg"
name = "城管王队"
roles = ["department"]

[[people]]
id = "vol"
name = "王师傅"
roles = ["resident", "volunteer"]
household = "3-1-102"

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
id = "r9a"
name = "钱大爷"
household = "9-1-101"
"""


@pytest.fixture
async def roles_console(redis_server, redis, tmp_path):
    async with console_of(COMMUNITY, tmp_path, redis_server) as session:
        yield session


async def todo_of(runtime, person_id: str) -> str:
    community = runtime.settings.community
    ctx = Context(runtime.services, Event(id=f"todo-{person_id}", channel="console", sender=f"console:{person_id}"),
                  person=community.people[person_id])
    await ticket_views.todo(ctx, "")
    [reply] = ctx.outgoing
    return reply.text


async def old_todo(runtime, person_id: str) -> str:
    """待办 as it was: every ticket ever loaded, then filtered (the reference output)."""
    community = runtime.settings.community
    ctx = Context(runtime.services, Event(id="old", channel="console"), person=community.people[person_id])
    tickets = await ctx.services.tickets.many(await ctx.services.tickets.ids())
    person = ctx.person
    mine = [t for t in tickets if t.status in OPEN_STATES
            and (person.has("staff", "secretary") or may_handle(person, ctx, t)
                 or (person.has("grid_worker") and (not person.buildings or t.building in person.buildings)))]
    if not mine:
        return ctx.t("ticket.todo_empty")
    mine.sort(key=lambda t: (not t.urgent, t.resolve_due or 0))
    lines = [ctx.t("ticket.todo_header", count=len(mine))]
    for ticket in mine[:20]:
        overdue = ctx.t("ticket.overdue_mark") if (ticket.resolve_due or 0) < ctx.now else ""
        lines.append(f"{summary(ctx, ticket)}{overdue}")
    return "\n".join(lines)


async def test_todo_for_each_role(roles_console):
    console = roles_console
    runtime = console.runtime
    await say(console, "r3a", "3号楼2单元楼道灯坏了，晚上看不见", "b3")                 # 1 设施维修, 3
    await say(console, "r4a", "4号楼门口垃圾堆了三天没人清理", "b4")                    # 2 环境卫生 → cleaner
    await say(console, "r9a", "9号楼电梯又坏了，困了好久没人修", "b9")                   # 3 building nobody covers
    await say(console, "r3b", "小区门口天天有人占道摆摊，堵得车都过不去")                # 4 (building 3) → 城管
    await say(console, "staff", "吹哨 #4 城管 请来看看")
    await say(console, "r4a", "4号楼2单元水管漏水，楼下都淹了")                         # 5 urgent → vol
    await say(console, "staff", "派单 #5 @vol")
    await say(console, "r3a", "3号楼楼上天天半夜装修，吵得睡不着", "b3")                 # 6 resolved
    await say(console, "staff", "办结 #6 已沟通")
    await console.advance(80 * 3600)                                                  # 1–5 overdue
    await say(console, "r3b", "3号楼2单元闻到煤气味", "b3")                             # 7 urgent
    await check_indexes(runtime)

    expected = {"sec": {1, 2, 3, 4, 5, 7}, "staff": {1, 2, 3, 4, 5, 7},
                "grid3": {1, 3, 4, 7}, "grid4": {2, 3, 5},
                "cleaner": {2}, "dept_cg": {4}, "vol": {5}, "r3a": set()}
    for person, ids in expected.items():
        text = await todo_of(runtime, person)
        assert set(ids_in(text)) == ids, (person, text)
    for person in ("sec", "staff"):              # exactly the tickets, in the order, the scan of every ticket said
        assert ids_in(await todo_of(runtime, person)) == ids_in(await old_todo(runtime, person))   # (#16: lines say more)
    listing = await todo_of(runtime, "staff")
    assert ids_in(listing) == [5, 7, 1, 2, 3, 4] and listing.count("已超时") == 5, listing  # urgent (5, 7) first

    await say(console, "staff", "派单 #2 @vol")                                        # no longer routed
    assert set(ids_in(await todo_of(runtime, "cleaner"))) == set()
    assert set(ids_in(await todo_of(runtime, "vol"))) == {2, 5}
    assert set(ids_in(await todo_of(runtime, "grid4"))) == {2, 3, 5}


async def test_todo_through_the_router_for_staff(console):
    await say(console, "r301", "3号楼2单元楼道灯坏了，晚上看不见", "b3")
    await say(console, "r401", "4号楼门口垃圾堆了三天没人清理", "b4")
    await say(console, "grid", "办结 #2 已清理")
    out = await say(console, "secretary", "待办")
    assert ids_in(out[-1]["text"]) == [1]


# -- timer jobs keep a reference, not the event -------------------------------------------

@pytest.mark.parametrize("due", [1_700_000_000.0, 1_700_003_600.123456, 1_699_999_999.5])
async def test_a_timer_fires_the_same_event_the_whole_payload_held(runtime, due):
    jobs = runtime.services.jobs
    data = {"ticket": 12, "step": "resolve_overdue", "person": "张阿姨"}
    await jobs.schedule_timer("ticket", "12:resolve_overdue", due, "ticket:12", data)
    stored = await runtime.redis.hget(runtime.store.keys.job_payloads(), "ticket:12:resolve_overdue")
    assert len(stored.encode()) < 100
    assert await jobs.fire_due(due) == 1
    stream = runtime.inbound.stream(runtime.inbound.shard_of("ticket:12"))
    [(_, fields)] = await runtime.redis.xrange(stream)
    fired = Event.from_json(fields["event"])
    # what handlers/timers.py used to store whole
    before = Event(id=f"timer:ticket:12:resolve_overdue@{due:.0f}", channel="timer", kind="timer",
                   data={**data, "job": "ticket", "key": "12:resolve_overdue", "due": due, "order": "ticket:12"})
    assert fired == before and type(fired.data["due"]) is float and fired.ordering_key == "ticket:12"


async def test_a_timer_with_no_data(runtime):
    jobs = runtime.services.jobs
    await jobs.schedule_timer("poll", "3:close", 500.0, "poll:3", {})
    assert await jobs.fire_due(600.0) == 1
    [(_, fields)] = await runtime.redis.xrange(runtime.inbound.stream(runtime.inbound.shard_of("poll:3")))
    assert Event.from_json(fields["event"]).data == {"job": "poll", "key": "3:close", "due": 500.0, "order": "poll:3"}


async def test_jobs_stored_whole_by_an_earlier_version_still_fire(console):
    runtime = console.runtime
    jobs = runtime.services.jobs
    await say(console, "zhang", "3号楼2单元楼道灯坏了，晚上看不见")
    await jobs.cancel(*[job for job, _ in await jobs.pending()])
    due = runtime.clock.now() + 3600
    old = Event(id=f"timer:ticket:1:respond_remind@{due:.0f}", channel="timer", kind="timer",
                data={"ticket": 1, "step": "respond_remind", "job": "ticket", "key": "1:respond_remind",
                      "due": due, "order": "ticket:1"})
    await jobs.schedule("ticket:1:respond_remind", due, old.to_json(), "ticket:1")
    stored = await runtime.redis.hget(runtime.store.keys.job_payloads(), "ticket:1:respond_remind")
    assert json.loads(json.loads(stored)["event"])["id"] == old.id       # the old, whole form
    await console.advance(2 * 3600)
    out = console.transcript.new()
    assert any(m["to"] == "@wuye_li" and "#1" in m["text"] for m in out), out
    assert await jobs.pending() == []


async def test_an_open_ticket_keeps_small_jobs_and_a_closed_one_none(console):
    runtime = console.runtime
    await say(console, "zhang", "3号楼2单元楼道灯坏了，晚上看不见")
    payloads = await runtime.redis.hgetall(runtime.store.keys.job_payloads())
    assert len(payloads) == 4 and all(len(p.encode()) < 80 for p in payloads.values()), payloads
    await say(console, "grid", "办结 #1 已更换灯泡")
    await say(console, "zhang", "评价 #1 5")
    assert await runtime.redis.hgetall(runtime.store.keys.job_payloads()) == {}


# -- storage: long values, history, reindex ------------------------------------------------

def test_long_values_are_kept_in_pieces_cut_between_characters():
    text = "3号楼2单元楼道灯坏了，" * 12 + "🙂end"
    stored = in_pieces({"text": text, "status": "open"})
    assert all(len(v.encode()) <= PIECE_BYTES for v in stored.values()) and len(stored) > 3
    assert joined(stored) == {"text": text, "status": "open"}


async def test_a_long_report_keeps_the_hash_compact_and_whole(console):
    runtime = console.runtime
    text = "3号楼2单元楼道灯坏了好几天了，晚上黑漆漆的什么也看不见，老人上下楼梯很危险，" * 4
    await say(console, "zhang", text)
    ticket = await runtime.services.tickets.get(1)
    assert ticket.text == text
    assert await runtime.redis.object("encoding", runtime.store.keys.ticket(1)) == "listpack"
    await say(console, "grid", "办结 #1 已更换")
    await say(console, "zhang", "评价 #1 5 " + "非常满意，" * 30)
    await say(console, "zhang", "重开 #1 又坏了")                     # the long comment goes, pieces and all
    raw = await runtime.redis.hgetall(runtime.store.keys.ticket(1))
    assert not any(name.startswith("comment") for name in raw) and (await runtime.services.tickets.get(1)).comment is None
    assert await runtime.redis.object("encoding", runtime.store.keys.ticket(1)) == "listpack"


async def test_history_entries_written_either_way_read_the_same(console):
    runtime = console.runtime
    await say(console, "zhang", "3号楼2单元楼道灯坏了，晚上看不见")
    old = {"at": 5.0, "by": "grid", "action": "assigned", "status": "assigned", "note": "王师傅"}
    await runtime.redis.rpush(runtime.store.keys.ticket_history(1), json.dumps(old, ensure_ascii=False))
    await say(console, "grid", "处理 #1")
    history = (await runtime.services.tickets.get(1)).history
    assert history[1] == old
    assert history[2] == {"at": history[2]["at"], "by": "grid", "action": "started", "status": "in_progress",
                          "note": ""}
    assert set(history[0]) == {"at", "by", "action", "status", "note"} and history[0]["note"] == "设施维修"


@pytest.mark.parametrize("entry", [
    {"at": 1.5, "by": "grid", "action": "started", "status": "in_progress", "note": ""},
    {"at": 1.5, "by": "grid", "action": "started", "status": "in_progress", "note": "下午去"},
    {"at": 1.5, "by": "r301", "action": "reopened", "status": "open", "note": ""},
    {"at": 1.5, "by": "system", "action": "overdue", "status": "assigned", "note": "响应"},
    {"at": 1.5, "by": "grid", "action": "co_reported", "status": "escalated", "note": ""},
    {"at": 1.5, "by": "grid", "action": "assigned", "status": "assigned", "note": "王师傅", "extra": 1},
])
def test_a_history_entry_reads_back_as_written(entry):
    from storage.tickets import history_entry, history_json
    assert history_entry(history_json(entry)) == entry


async def test_reindex_gives_a_database_from_before_its_indexes_and_is_idempotent(console):
    runtime = console.runtime
    tickets = runtime.services.tickets
    await say(console, "r301", "3号楼2单元楼道灯坏了，晚上看不见", "b3")
    await say(console, "r401", "4号楼门口垃圾堆了三天没人清理", "b4")
    await say(console, "grid", "派单 #2 @vol_wang")
    await say(console, "zhang", "小区门口天天有人占道摆摊，堵得车都过不去")
    await say(console, "grid", "吹哨 #3 城管")
    await say(console, "r501", "5号楼楼上天天半夜装修，吵得睡不着", "b5")
    await say(console, "grid", "驳回 #4 请先与邻居协商")
    indexed = await index_state(runtime)
    # as a database written before this version: no index, no mark
    prefix = runtime.store.keys.tickets_open()
    stale = [key async for key in runtime.redis.scan_iter(match=prefix + "*")]
    await runtime.redis.delete(*stale)
    # and an entry that should not be there
    await runtime.redis.zadd(tickets.index_key("building", "5"), {4: 1.0})
    assert await tickets.reindex() == 3
    assert await index_state(runtime) == indexed
    assert await tickets.reindex() == 3
    assert await index_state(runtime) == indexed
    await check_indexes(runtime)


async def test_indexes_are_built_when_first_needed(console):
    runtime = console.runtime
    redis = runtime.redis
    await say(console, "r301", "3号楼2单元楼道灯坏了，晚上看不见", "b3")
    keys = runtime.store.keys
    await redis.delete(keys.tickets_indexed(), *[key async for key in redis.scan_iter(match=keys.tickets_open() + "*")])
    # another process, started on that database
    async with open_runtime(runtime.settings, fake_clock=True) as fresh:
        assert await fresh.services.tickets.open_ids("building", "3") == [1]
        assert await redis.get(keys.tickets_indexed()) == "1"
        await check_indexes(fresh)
