"""The runtime never goes silently deaf: supervised loops, an honest /healthz, delivery
exactly once under holder churn, recipients served side by side, shards shared per process."""

import asyncio
import logging
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.exceptions import ConnectionError as RedisConnectionError

import bot.delivery
from bot.addressing import encode
from bot.channels.console import message_event
from bot.delivery import Delivery
from bot.scheduler import run_scheduler
from bot.server import build_app
from bot.supervisor import Health, supervise
from bot.worker import Worker
from handlers.events import Outgoing


class SlowChannel:
    """A platform whose API takes `delay` seconds a call; it counts what it received."""

    name = "tg"

    def __init__(self, delay: float = 0.0, concurrency: int = 16) -> None:
        self.delay, self.concurrency = delay, concurrency
        self.received: list[tuple[str, str]] = []
        self.in_flight = self.peak = 0

    async def send(self, identity, message):
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        self.received.append((identity, message.text))   # the platform has it once the call returns


async def queue_messages(runtime, count: int, recipients: int) -> list[tuple[str, str]]:
    queue = runtime.outbox.queue("tg")
    await queue.ensure_group()
    sent = []
    for i in range(count):
        identity = f"tg:{1000 + i % recipients}"
        text = f"message {i}"
        await queue.push(encode(identity, Outgoing(to="@x", text=text)))
        sent.append((identity, text))
    return sent


def in_order_per_recipient(received, expected) -> bool:
    for identity in {i for i, _ in expected}:
        if [t for i, t in received if i == identity] != [t for i, t in expected if i == identity]:
            return False
    return True


# ---- /healthz ------------------------------------------------------------------------------

async def healthz(runtime):
    async with TestClient(TestServer(build_app(runtime))) as client:
        response = await client.get("/healthz")
        return response.status, await response.json()


async def test_healthz_is_200_only_when_all_is_well(runtime):
    status, body = await healthz(runtime)
    assert status == 503 and body["problems"] == ["no worker alive (inbound backlog 0)"]   # still starting
    worker = Worker(runtime, name="w")
    await worker._balance()
    status, body = await healthz(runtime)
    assert status == 200
    assert body["status"] == "ok" and body["inbound_backlog"] == 0 and body["workers"] == 1
    assert "problems" not in body
    await worker.leave()


async def test_healthz_answers_503_naming_redis_when_it_is_unreachable(runtime, monkeypatch):
    async def down():
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(runtime.redis, "ping", down)
    status, body = await healthz(runtime)
    assert status == 503
    assert "redis unreachable" in body["problems"][0] and "Connection refused" in body["problems"][0]


async def test_healthz_answers_503_for_a_backlog_nobody_handles(runtime):
    event = message_event(runtime.settings.community, "zhang", None, "报修 3号楼楼道灯坏了", runtime.clock.now())
    await runtime.accept(event)
    status, body = await healthz(runtime)
    assert status == 503 and body["inbound_backlog"] == 1
    assert any("no worker alive (inbound backlog 1)" in p for p in body["problems"])
    worker = Worker(runtime, name="w")
    await worker._balance()                        # a worker is alive: the backlog is being handled
    status, body = await healthz(runtime)
    assert status == 200
    await worker.leave()


async def test_healthz_names_a_restarting_task_and_recovers(runtime):
    stop, runs = asyncio.Event(), []
    await Worker(runtime, name="w")._balance()   # a worker is alive throughout

    async def flaky():
        runs.append(time.monotonic())
        if len(runs) == 1:
            raise ValueError("a bug in a loop")
        await stop.wait()

    task = asyncio.create_task(supervise("flaky-loop", flaky, stop, runtime.health))
    await asyncio.sleep(0.1)
    status, body = await healthz(runtime)
    assert status == 503 and any("flaky-loop" in p and "a bug in a loop" in p for p in body["problems"])
    await asyncio.sleep(0.6)                       # restarted after its backoff
    assert len(runs) == 2
    runtime.health.task("flaky-loop").restarts = 0  # (a restart counts as a problem for 30 s)
    status, _ = await healthz(runtime)
    assert status == 200
    stop.set()
    await task


async def test_a_crashed_loop_is_logged_with_its_cause_and_restarted(caplog):
    stop, health, runs = asyncio.Event(), Health(), []

    async def body():
        runs.append(1)
        if len(runs) < 3:
            raise KeyError("boom")
        stop.set()

    with caplog.at_level(logging.ERROR, logger="bot.supervisor"):
        await asyncio.wait_for(supervise("loop", body, stop, health), 10)
    assert len(runs) == 3 and health.task("loop").restarts == 2
    failures = [r for r in caplog.records if "loop stopped" in r.getMessage()]
    assert len(failures) == 2 and failures[0].exc_info and "boom" in failures[0].getMessage()


async def test_a_redis_outage_is_logged_once_and_the_loop_resumes(runtime, monkeypatch, caplog):
    """redis-py's ConnectionError is not the built-in one: the scheduler must wait it out,
    say so once, and carry on when Redis answers again."""
    calls = {"n": 0}
    real = runtime.services.jobs.fire_due

    async def flaky(now, limit=100):
        calls["n"] += 1
        if calls["n"] <= 3:
            raise RedisConnectionError("Connection closed by server.")
        return await real(now, limit)

    monkeypatch.setattr(runtime.services.jobs, "fire_due", flaky)
    monkeypatch.setattr("bot.scheduler.TICK", 0.01)
    stop, health = asyncio.Event(), Health()
    with caplog.at_level(logging.INFO):
        task = asyncio.create_task(run_scheduler(runtime, stop, health))
        for _ in range(200):
            if calls["n"] > 5:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task
    assert calls["n"] > 5 and health.problems() == []
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert any("Redis is back" in r.getMessage() for r in caplog.records)


# ---- delivery ------------------------------------------------------------------------------

async def test_recipients_are_served_side_by_side_in_order_each(runtime):
    expected = await queue_messages(runtime, 200, recipients=100)
    channel = SlowChannel(delay=0.05)
    delivery = Delivery(runtime, channel, name="d")
    await delivery.start()
    started = time.monotonic()
    while len(channel.received) < 200 and time.monotonic() - started < 30:
        await delivery.step(block_ms=None)
    elapsed = time.monotonic() - started
    assert sorted(channel.received) == sorted(expected)            # each once
    assert in_order_per_recipient(channel.received, expected)
    assert channel.peak == 16                                      # the channel's concurrency
    assert elapsed < 200 * 0.05 / 4                                # serial would take 10 s
    assert await delivery.queue.backlog() == 0


async def test_a_holder_that_cannot_renew_its_lease_stops_before_sending(runtime, monkeypatch):
    """Two processes deliver one queue; the first loses touch with Redis for its lease (its
    renewals fail) while its sends go on being slow. It must stop before the lease it knows
    of runs short, so the second, taking over after expiry, sends nothing twice."""
    monkeypatch.setattr(bot.delivery, "LEASE_MS", 1500)
    monkeypatch.setattr(bot.delivery, "SEND_TIMEOUT", 0.3)
    monkeypatch.setattr(bot.delivery, "RENEW_EVERY", 0.2)
    expected = await queue_messages(runtime, 120, recipients=6)
    first_channel, second_channel = SlowChannel(delay=0.1, concurrency=6), SlowChannel(delay=0.01)
    first = Delivery(runtime, first_channel, name="first")
    second = Delivery(runtime, second_channel, name="second")
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    first_task = asyncio.create_task(first.run(stop_first))
    await asyncio.sleep(0.5)
    assert first_channel.received                                   # the first is delivering

    async def cannot_reach_redis(*args, **kwargs):
        raise RedisConnectionError("Connection reset by peer")

    monkeypatch.setattr(first.leases, "renew", cannot_reach_redis)
    second_task = asyncio.create_task(second.run(stop_second))
    for _ in range(200):
        if len(first_channel.received) + len(second_channel.received) >= 120 and not await second.queue.backlog():
            break
        await asyncio.sleep(0.1)
    stop_first.set()
    stop_second.set()
    await asyncio.gather(first_task, second_task, return_exceptions=True)
    received = first_channel.received + second_channel.received
    assert second_channel.received                                  # the second took over
    assert sorted(received) == sorted(expected)                     # nothing lost, nothing twice


async def test_a_killed_holder_leaves_its_queue_to_another_with_nothing_lost(runtime, monkeypatch):
    monkeypatch.setattr(bot.delivery, "LEASE_MS", 800)
    monkeypatch.setattr(bot.delivery, "SEND_TIMEOUT", 0.2)
    expected = await queue_messages(runtime, 60, recipients=20)
    first_channel, second_channel = SlowChannel(delay=0.05, concurrency=4), SlowChannel(delay=0.0)
    first = Delivery(runtime, first_channel, name="first")
    task = asyncio.create_task(first.run(asyncio.Event()))
    while len(first_channel.received) < 10:
        await asyncio.sleep(0.01)
    task.cancel()                                                   # killed: no release, no ack of what is in flight
    await asyncio.gather(task, return_exceptions=True)
    second = Delivery(runtime, second_channel, name="second")
    stop = asyncio.Event()
    task = asyncio.create_task(second.run(stop))
    for _ in range(100):
        if not await second.queue.backlog():
            break
        await asyncio.sleep(0.1)
    stop.set()
    await task
    received = first_channel.received + second_channel.received
    assert set(received) == set(expected)                           # nothing lost
    # At most the messages that were between the platform's answer and their acknowledgement
    # at the kill: one per recipient being served then.
    assert len(received) - len(expected) <= first_channel.concurrency
    assert in_order_per_recipient(second_channel.received, [e for e in expected if e in second_channel.received])


# ---- workers -------------------------------------------------------------------------------

async def test_shards_are_shared_evenly_between_processes(runtime):
    one, two = Worker(runtime, name="process-1"), Worker(runtime, name="process-2")
    await one._balance()
    assert len(one.held) == 8                      # alone, it takes every shard
    await two._balance()                           # a second process arrives
    await one._balance()                           # the first gives back its surplus
    await two._balance()
    assert len(one.held) == 4 and len(two.held) == 4 and not one.held & two.held
    await one.leave()
    await two.leave()


async def test_a_message_for_someone_no_running_channel_reaches_is_kept_not_queued(runtime):
    event = message_event(runtime.settings.community, "zhang", None, "报修 3号楼楼道灯坏了", runtime.clock.now())
    await runtime.accept(event)
    worker = Worker(runtime, name="w", channels=("tg",))   # Telegram runs; 张阿姨 has only the console
    while await worker.step(block_ms=None):
        pass
    await worker.leave()
    assert await runtime.redis.xlen(runtime.store.keys.outbox("console")) == 0
    dead = await runtime.redis.xrange(runtime.store.keys.dead_letters())
    assert dead and all("no running channel" in fields["error"] for _, fields in dead)
    assert any("console:zhang" in fields["outgoing"] for _, fields in dead)


async def test_the_dead_letter_stream_is_trimmed(runtime):
    runtime.inbound.dead_letters_max = 100
    key = runtime.store.keys.dead_letters()
    from storage.inbound import Entry
    for i in range(400):
        await runtime.redis.xadd(runtime.inbound.stream(0), {"event": "not json"})
    entries = await runtime.redis.xrange(runtime.inbound.stream(0))
    for entry_id, fields in entries:
        await runtime.inbound.dead_letter(Entry(0, entry_id, fields["event"]), "unreadable")
    assert 100 <= await runtime.redis.xlen(key) < 250      # trimmed (approximately, as Redis does)
