"""Real distributed Redis: the REDIS_URL forms, one conversation giving the same answers on
the embedded server, a 3-master Cluster and a Sentinel set (also across a failover), the
bounded connection pool under a burst, and a start-up that waits for Redis to appear.

The Cluster and Sentinel set are real Valkey processes (tests/redis_servers.py, fixtures
in tests/conftest_distributed.py) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from contextlib import asynccontextmanager
from datetime import datetime

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import BlockingConnectionPool, UnixDomainSocketConnection
from redis.exceptions import MaxConnectionsError, MovedError

from bot.app import open_runtime
from bot.console import ConsoleSession, run_script
from bot.settings import Settings, redact_url
from storage.connection import (BlockingSentinelConnectionPool, BoundedRedisCluster, RedisUnavailable, RedisUrlError,
                                connect, open_client, parse_redis_url)
from storage.keys import Keys
from storage.ledger import Ledger
from storage.polls import Polls
from storage.tasks import Tasks
from tests.conftest import DEMO
from tests.redis_servers import HOST, PASSWORD, Process, SentinelSet, free_ports

# (a) the URL forms ---------------------------------------------------------------------

@pytest.mark.parametrize("url, kind, nodes, service, db", [
    ("redis://localhost:6379/0", "single", (), None, 0),
    ("rediss://:pw@redis.example:6380/2", "single", (), None, 0),
    ("unix:///run/redis.sock?db=1", "single", (), None, 0),
    ("redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2:26380,10.0.0.3/mymaster/3", "sentinel",
     (("10.0.0.1", 26379), ("10.0.0.2", 26380), ("10.0.0.3", 26379)), "mymaster", 3),
    ("redis+sentinel://s1:5000/linli", "sentinel", (("s1", 5000),), "linli", 0),
    ("redis+sentinel://[::1]:26379/linli", "sentinel", (("::1", 26379),), "linli", 0),
    ("redis+cluster://:pw@10.0.0.1:7000,10.0.0.2:7001", "cluster", (("10.0.0.1", 7000), ("10.0.0.2", 7001)), None, 0),
    ("redis+cluster://node", "cluster", (("node", 6379),), None, 0),
])
def test_each_url_form_names_its_kind_of_redis(url, kind, nodes, service, db):
    target = parse_redis_url(url)
    assert (target.kind, target.nodes, target.service, target.db) == (kind, nodes, service, db)
    assert "pw" not in repr(target)


def test_a_password_is_taken_apart_and_never_shown():
    target = parse_redis_url("redis+sentinel://app:p%40ss:w0rd@h1:1,h2:2/svc")
    assert (target.username, target.password) == ("app", "p@ss:w0rd")
    for url, shown in [
        ("redis://:secret@host:6379/0", "redis://:***@host:6379/0"),
        ("redis://user:secret@[::1]:6379/0", "redis://user:***@[::1]:6379/0"),
        ("redis://:se@cret@host/0", "redis://:***@host/0"),
        ("unix:///tmp/r.sock?db=0&password=secret", "unix:///tmp/r.sock?db=0&password=***"),
        ("redis+sentinel://:secret@h1:26379,h2:26379/linli/1", "redis+sentinel://:***@h1:26379,h2:26379/linli/1"),
        ("redis+cluster://app:secret@h1:7000,h2:7001", "redis+cluster://app:***@h1:7000,h2:7001"),
        ("redis://host:6379", "redis://host:6379"),
        (None, None),
    ]:
        assert redact_url(url) == shown
    settings = Settings.load(DEMO, env={"REDIS_URL": "redis+cluster://:secret@h1:7000,h2:7001"})
    assert "secret" not in repr(settings) and "redis+cluster://:***@h1:7000,h2:7001" in repr(settings)


@pytest.mark.parametrize("url", [
    "redis+sentinel://:secret@h1:26379",              # no service name
    "redis+sentinel://:secret@h1:26379/svc/x",       # db not a number
    "redis+sentinel://:secret@h1:port/svc",          # port not a number
    "redis+cluster://:secret@h1:7000/3",             # a cluster has only db 0
    "redis+cluster://:secret@h1:7000?timeout=1",     # no query options
    "redis+cluster://:secret@/",                     # no host
    "memcached://:secret@h1",                        # unknown scheme
])
def test_a_url_that_cannot_work_is_refused_without_showing_its_password(url):
    with pytest.raises(RedisUrlError) as caught:
        parse_redis_url(url)
    assert "secret" not in str(caught.value) and "***" in str(caught.value)


async def test_each_scheme_builds_a_bounded_client_of_its_kind():
    client, close = open_client("redis://:pw@127.0.0.1:1/2", max_connections=7, pool_timeout=1.5)
    pool = client.connection_pool
    assert type(pool) is BlockingConnectionPool and (pool.max_connections, pool.timeout) == (7, 1.5)
    assert pool.connection_kwargs["db"] == 2 and pool.connection_kwargs["decode_responses"] is True
    await close()

    client, close = open_client("unix:///tmp/nothing.sock", max_connections=9)
    assert client.connection_pool.connection_class is UnixDomainSocketConnection
    assert client.connection_pool.max_connections == 9
    await close()

    client, close = open_client("redis+sentinel://:pw@127.0.0.1:1,127.0.0.1:2/linli/1", max_connections=5,
                                pool_timeout=2)
    pool = client.connection_pool
    assert isinstance(pool, BlockingSentinelConnectionPool) and isinstance(pool, BlockingConnectionPool)
    assert (pool.service_name, pool.is_master, pool.max_connections, pool.timeout) == ("linli", True, 5, 2)
    assert pool.connection_kwargs["password"] == "pw" and pool.connection_kwargs["db"] == 1
    assert [(s.connection_pool.connection_kwargs["host"], s.connection_pool.connection_kwargs["port"])
            for s in pool.sentinel_manager.sentinels] == [("127.0.0.1", 1), ("127.0.0.1", 2)]
    await close()

    client, close = open_client("redis+cluster://:pw@127.0.0.1:1,127.0.0.1:2", max_connections=6, pool_timeout=3)
    assert isinstance(client, BoundedRedisCluster) and isinstance(client, RedisCluster)
    assert client.gate.size == 6 and client.gate.timeout == 3
    assert sorted(n.name for n in client.nodes_manager.startup_nodes.values()) == ["127.0.0.1:1", "127.0.0.1:2"]
    await close()


# (b), (c) one conversation on every kind of Redis -----------------------------------------

COUNCIL = ["r101", "r104", "r201", "r204", "r301", "r304"]
TICKET = [   # a report opened, reminded, assigned, resolved and rated
    {"from": "zhang", "chat": "b3", "text": "@小邻 3号楼2单元的路灯坏了好几天了，晚上黑漆漆的"},
    {"advance": "22h"},
    {"from": "grid", "text": "派单 #1 @vol_wang"},
    {"from": "vol_wang", "text": "办结 #1 已更换路灯灯头"},
    {"from": "zhang", "text": "评价 #1 4 修好了，就是慢了点"},
]
REST = [     # a council poll decided by six votes; a volunteer task claimed; points
    {"from": "r101", "chat": "council", "text": "发起投票 是否同意调整物业费 规则=三分之二 范围=议事会 截止=3天"},
    *({"from": person, "text": "投票 1 1"} for person in COUNCIL),
    {"from": "r303", "chat": "b3", "text": "@小邻 3号楼3单元水管漏水了，家里老人不会修"},
    {"from": "grid", "text": "派单 #2 志愿者 维修"},
    {"from": "vol_wang", "text": "接单 T1"},
    {"from": "vol_sun", "text": "接单 T1"},
    {"from": "grid", "text": "签到 义诊 @zhang @r101"},
    {"from": "zhang", "text": "积分"},
    {"from": "zhang", "text": "查询 #1"},
]


def lines(items) -> io.StringIO:
    return io.StringIO("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))


async def talk(runtime, script) -> list[dict]:
    """Run `script` through a console session; the transcript, as parsed JSON lines."""
    out, errors = io.StringIO(), io.StringIO()
    async with ConsoleSession(runtime, out=out) as session:
        await run_script(session, lines(script), errors)
    assert errors.getvalue() == ""
    return [json.loads(line) for line in out.getvalue().splitlines()]


@asynccontextmanager
async def runtime_at_start(url, tmp_path):
    """A runtime whose fake clock starts at the same moment everywhere (a Tuesday, 10:00
    local), so the texts compare."""
    settings = Settings.load(DEMO, data_dir=tmp_path, env={"REDIS_URL": url})
    client, close = open_client(url)
    start = datetime(2030, 3, 5, 10, 0, tzinfo=settings.community.tz).timestamp()
    await client.set(Keys(settings.community.id).fake_clock(), repr(start))
    await close()
    async with open_runtime(settings, fake_clock=True) as runtime:
        yield runtime


async def facts(runtime) -> dict:
    """What the conversation left in Redis, read through the repositories."""
    ticket = await runtime.services.tickets.get(1)
    poll = await Polls(runtime.store).get(1)
    task = await Tasks(runtime.store).get(1)
    books = Ledger(runtime.store)
    return {"ticket": (ticket.status, ticket.rating, [h["action"] for h in ticket.history]),
            "poll": (poll.status, poll.closed_reason, poll.result["passed"]),
            "task": (task.status, list(task.claims)),
            "points": {p: await books.balance(f"person:{p}", "points") for p in ("zhang", "r101", "r303")},
            "ledger": await books.length()}


@pytest.fixture(scope="module")
async def reference(redis_server, tmp_path_factory):
    """The conversation on the single embedded server, which the others must match."""
    flush = aioredis.from_url(redis_server)
    await flush.flushall()
    await flush.aclose()
    async with runtime_at_start(redis_server, tmp_path_factory.mktemp("single")) as runtime:
        transcript = await talk(runtime, TICKET) + await talk(runtime, REST)
        found = await facts(runtime)
    return transcript, found


def test_the_reference_conversation_does_what_it_says(reference):
    transcript, found = reference
    said = [(o["to"], o["text"]) for o in transcript]
    assert any(to == "b3" and "已登记工单 #1" in text for to, text in said)
    assert any(to == "@wuye_li" and "提醒" in text for to, text in said)
    assert any(to == "@zhang" and "感谢评价" in text for to, text in said)
    assert any(to == "council" and "通过" in text for to, text in said)
    assert any(to == "@vol_wang" and "你已认领任务 T1" in text for to, text in said)
    assert any(to == "@vol_sun" and "已被其他志愿者认领" in text for to, text in said)
    assert found == {"ticket": ("closed", 4, ["opened", "assigned", "resolved", "rated"]),
                     "poll": ("closed", "decided", True), "task": ("full", ["vol_wang"]),
                     "points": {"zhang": 17, "r101": 13, "r303": 5}, "ledger": 11}


async def test_a_conversation_on_a_cluster_matches_the_single_server(cluster, reference, tmp_path):
    async with runtime_at_start(cluster.url, tmp_path) as runtime:
        assert isinstance(runtime.redis, BoundedRedisCluster)
        transcript = await talk(runtime, TICKET) + await talk(runtime, REST)
        assert (transcript, await facts(runtime)) == reference

    # Every key of the community lives on the one node that owns its hash tag's slot.
    owner = cluster.node_of(runtime.store.keys("anything"))
    keys_by_node = {}
    for node in cluster.nodes:
        with node.client() as c:
            keys_by_node[node.port] = c.keys("linli:*")
    assert [port for port, keys in keys_by_node.items() if keys] == [owner.port]
    assert len(keys_by_node[owner.port]) > 20
    assert all(key.startswith("linli:{demo}:") for key in keys_by_node[owner.port])

    # A plain client on another node is sent away (MOVED); the cluster client started from
    # that node alone follows and works.
    other = next(node for node in cluster.nodes if node is not owner)
    with other.client() as c, pytest.raises(MovedError):
        c.hgetall(runtime.store.keys.ticket(1))
    alone = f"redis+cluster://:{PASSWORD}@{HOST}:{other.port}"
    async with open_runtime(Settings.load(DEMO, data_dir=tmp_path, env={"REDIS_URL": alone}), fake_clock=True) as runtime:
        assert (await runtime.services.tickets.get(1)).status == "closed"
        more = await talk(runtime, [{"from": "zhang", "text": "查询 #1"}])
        assert more == [transcript[-1]]


async def test_a_conversation_through_sentinel_matches_the_single_server(sentinel_set, reference, tmp_path):
    async with runtime_at_start(sentinel_set.url, tmp_path) as runtime:
        assert isinstance(runtime.redis.connection_pool, BlockingSentinelConnectionPool)
        transcript = await talk(runtime, TICKET) + await talk(runtime, REST)
        assert (transcript, await facts(runtime)) == reference
        with sentinel_set.master().client() as c:
            assert c.hget(runtime.store.keys.ticket(1), "status") == "closed"


async def test_the_runtime_keeps_working_across_a_sentinel_failover(reference, tmp_path, caplog):
    """The master dies halfway through; the sentinels promote the replica; the same
    runtime (same client, same pool) goes on and the conversation ends as on one server."""
    caplog.set_level(logging.DEBUG)
    sentinels = SentinelSet(tmp_path / "failover")
    try:
        async with runtime_at_start(sentinels.url, tmp_path) as runtime:
            first = await talk(runtime, TICKET)
            assert await runtime.redis.execute_command("WAIT", 1, 5000) == 1   # the replica has it all
            old, new = await asyncio.to_thread(sentinels.fail_over)
            assert sentinels.master() is new and old.process.poll() is not None
            rest = await talk(runtime, REST)
            assert (first + rest, await facts(runtime)) == reference
            assert runtime.redis.connection_pool.master_address == (HOST, new.port)
    finally:
        sentinels.stop()
    assert PASSWORD not in caplog.text


# (d) the bounded pool -----------------------------------------------------------------------

BURST, POOL = 200, 8


async def test_a_burst_of_200_waits_for_a_pool_of_8_on_one_server(redis, redis_server, tmp_path):
    async with connect(redis_server, tmp_path, max_connections=POOL, pool_timeout=10) as client:
        results = await asyncio.gather(*(client.incr("burst") for _ in range(BURST)))
        assert sorted(results) == list(range(1, BURST + 1))
        pool = client.connection_pool
        assert len(pool._in_use_connections) + len(pool._available_connections) <= POOL

    # What redis-py's default pool does with the same burst: it gives up at once.
    plain = aioredis.from_url(redis_server, max_connections=POOL, decode_responses=True)
    try:
        outcome = await asyncio.gather(*(plain.incr("burst") for _ in range(BURST)), return_exceptions=True)
        assert any(isinstance(o, MaxConnectionsError) for o in outcome)
    finally:
        await plain.aclose()


async def test_a_burst_of_200_waits_for_a_gate_of_8_on_a_cluster(cluster, tmp_path):
    keys = [f"linli:{{c{i % 20}}}:burst" for i in range(BURST)]    # spread over the nodes
    async with connect(cluster.url, tmp_path, max_connections=POOL, pool_timeout=10) as client:
        async def one(i):
            if i % 4 == 0:   # pipelines (a transaction on one slot) go through the same gate
                async with client.pipeline(transaction=True) as pipe:
                    pipe.incr(keys[i]).expire(keys[i], 60)
                    return (await pipe.execute())[0]
            return await client.incr(keys[i])
        results = await asyncio.gather(*(one(i) for i in range(BURST)))
        assert len(results) == BURST
        counts = [int(await client.get(key)) for key in keys[:20]]
        assert counts == [BURST // 20] * 20
        assert len({client.get_node_from_key(key).name for key in keys}) == len(cluster.nodes)
        assert all(len(node._connections) <= POOL for node in client.get_nodes())

    # redis-py's cluster client bounds each node the same way but raises at once.
    plain = RedisCluster(startup_nodes=[ClusterNode(HOST, n.port) for n in cluster.nodes], password=PASSWORD,
                         max_connections=POOL)
    try:
        outcome = await asyncio.gather(*(plain.incr(key) for key in keys), return_exceptions=True)
        assert any(isinstance(o, MaxConnectionsError) for o in outcome)
    finally:
        await plain.aclose()


# (e) waiting for Redis at start -----------------------------------------------------------

def waiting_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "storage.connection"]


async def test_start_up_waits_for_a_redis_that_appears_a_second_later(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="storage.connection")
    port = free_ports(1)[0]
    url = f"redis://:{PASSWORD}@{HOST}:{port}/0"
    servers = []
    loop = asyncio.get_running_loop()
    loop.call_later(1.0, lambda: servers.append(Process("late", port, tmp_path / "late", ["--requirepass", PASSWORD])))
    try:
        started = loop.time()
        async with connect(url, tmp_path, deadline=20) as client:
            assert await client.ping()
        assert 1.0 <= loop.time() - started < 10
        said = waiting_lines(caplog)
        assert len(said) == 2, said
        assert said[0].startswith(f"cannot reach Redis at redis://:***@{HOST}:{port}/0: ")
        assert "Connect call failed" in said[0] and said[0].endswith("retrying (every 0.5 s, doubling to 10 s) for up to 20 s")
        assert said[1].startswith(f"Redis at redis://:***@{HOST}:{port}/0 answers")

        # Refused credentials do not get better by waiting: one line and out.
        caplog.clear()
        with pytest.raises(RedisUnavailable, match="refused our credentials"):
            async with connect(f"redis://:wrong-{PASSWORD}@{HOST}:{port}/0", tmp_path, deadline=20):
                pass
        assert len(waiting_lines(caplog)) == 1
    finally:
        for server in servers:
            server.stop()
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize("kind", ["redis", "sentinel", "cluster"])
async def test_start_up_gives_up_after_its_deadline_with_one_line(kind, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="storage.connection")
    a, b = free_ports(2)
    url = {"redis": f"redis://:{PASSWORD}@{HOST}:{a}/0",
           "sentinel": f"redis+sentinel://:{PASSWORD}@{HOST}:{a},{HOST}:{b}/linli",
           "cluster": f"redis+cluster://:{PASSWORD}@{HOST}:{a},{HOST}:{b}"}[kind]
    with pytest.raises(RedisUnavailable, match="did not answer within 1.2 s"):
        async with connect(url, tmp_path, deadline=1.2):
            pass
    said = waiting_lines(caplog)
    assert len(said) == 2 and said[0].startswith(f"cannot reach Redis at {redact_url(url)}: "), said
    assert PASSWORD not in caplog.text
