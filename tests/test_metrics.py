"""GET /metrics: the backlogs read from Redis at scrape time, the counters and histograms
the runtime feeds, and the HTTP middleware, scraped and parsed as Prometheus would."""

import dataclasses

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.channels.telegram import TelegramConfig
from handlers.events import Event


def app_for(runtime) -> web.Application:
    app = web.Application(middlewares=[metrics.middleware])
    metrics.add_routes(app, runtime)

    async def ok(request):
        return web.json_response({"ok": True})

    async def forbidden(request):
        raise web.HTTPForbidden()

    async def broken(request):
        raise RuntimeError("a bug")

    app.router.add_post("/telegram", ok)
    app.router.add_post("/wechat", forbidden)
    app.router.add_get("/wecom/{anything}", broken)
    return app


async def scrape(client) -> dict:
    """{(sample name, ((label, value), ...)): value} of one scrape."""
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_backlogs_are_read_from_redis_at_scrape_time(runtime, redis):
    configured = {**runtime.settings.channels, "tg": TelegramConfig(token="1:x")}
    telegram = dataclasses.replace(runtime, settings=dataclasses.replace(runtime.settings, channels=configured))
    async with TestClient(TestServer(app_for(telegram))) as client:
        before = await scrape(client)
        assert value(before, "linli_redis_up") == 1
        assert [value(before, "linli_inbound_backlog", shard=str(s)) for s in range(8)] == [0] * 8
        assert ("linli_outbox_backlog", (("channel", "tg"),)) in before
        assert ("linli_outbox_backlog", (("channel", "console"),)) in before
        assert ("linli_dead_letters", ()) in before

        for n in range(3):   # one chat: one shard
            event = Event(id=f"console:m{n}", channel="console", sender="console:zhang", text="你好")
            assert await runtime.accept(event)
        shard = runtime.inbound.shard_of("console:zhang")
        for n in range(2):
            await runtime.outbox.queue("tg").push(f'{{"n": {n}}}')
        await runtime.outbox.queue("console").push("{}")
        await redis.xadd(runtime.store.keys.dead_letters(), {"event": "{}", "error": "boom"})

        after = await scrape(client)
        assert value(after, "linli_inbound_backlog", shard=str(shard)) == 3
        assert sum(value(after, "linli_inbound_backlog", shard=str(s)) for s in range(8)) == 3
        assert value(after, "linli_outbox_backlog", channel="tg") == 2
        assert value(after, "linli_outbox_backlog", channel="console") == 1
        assert value(after, "linli_dead_letters") == 1


async def test_counters_and_histograms_the_runtime_feeds(runtime):
    async with TestClient(TestServer(app_for(runtime))) as client:
        before = await scrape(client)
        metrics.event_handled("message", "ok", 0.03)
        metrics.event_handled("message", "ok", 0.2)
        metrics.event_handled("message", "retry")
        metrics.event_handled("timer", "dead", 42.0)
        metrics.delivered("tg", "sent", 0.4)
        metrics.delivered("tg", "retry")
        metrics.delivered("tg", "undeliverable")
        metrics.delivered("wx", "sent", 2.0)
        metrics.task_restarted("worker-0")
        metrics.task_restarted("worker-0")
        metrics.task_health("worker-0", True)
        metrics.task_health("delivery-tg", False)
        after = await scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("linli_events_handled_total", kind="message", result="ok") == 2
    assert grew("linli_events_handled_total", kind="message", result="retry") == 1
    assert grew("linli_events_handled_total", kind="timer", result="dead") == 1
    assert grew("linli_event_handling_seconds_count", kind="message") == 2    # retries carry no latency
    assert grew("linli_event_handling_seconds_sum", kind="message") == pytest.approx(0.23)
    assert grew("linli_event_handling_seconds_bucket", kind="message", le="0.05") == 1
    assert grew("linli_event_handling_seconds_bucket", kind="message", le="0.25") == 2
    assert grew("linli_event_handling_seconds_bucket", kind="timer", le="30.0") == 0
    assert grew("linli_event_handling_seconds_bucket", kind="timer", le="60.0") == 1

    assert grew("linli_messages_delivered_total", channel="tg", result="sent") == 1
    assert grew("linli_messages_delivered_total", channel="tg", result="retry") == 1
    assert grew("linli_messages_delivered_total", channel="tg", result="undeliverable") == 1
    assert grew("linli_messages_delivered_total", channel="wx", result="sent") == 1
    assert grew("linli_delivery_seconds_count", channel="tg") == 1
    assert grew("linli_delivery_seconds_bucket", channel="wx", le="2.5") == 1
    assert grew("linli_delivery_seconds_bucket", channel="wx", le="1.0") == 0

    assert grew("linli_task_restarts_total", task="worker-0") == 2
    assert value(after, "linli_task_healthy", task="worker-0") == 1
    assert value(after, "linli_task_healthy", task="delivery-tg") == 0


def test_a_wrong_result_is_a_bug_caught_at_once():
    with pytest.raises(ValueError):
        metrics.event_handled("message", "failed")
    with pytest.raises(ValueError):
        metrics.delivered("tg", "ok")


async def test_the_middleware_counts_answers_by_route_and_status(runtime):
    async with TestClient(TestServer(app_for(runtime))) as client:
        before = await scrape(client)
        for _ in range(2):
            assert (await client.post("/telegram", data="{}")).status == 200
        assert (await client.post("/wechat")).status == 403
        assert (await client.get("/wecom/anything")).status == 500
        for path in ("/nope", "/nope/again", "/.env"):
            assert (await client.get(path)).status == 404
        after = await scrape(client)

    def grew(path, status):
        key = dict(path=path, status=status)
        return value(after, "linli_http_responses_total", **key) - value(before, "linli_http_responses_total", **key)

    assert grew("/telegram", "200") == 2
    assert grew("/wechat", "403") == 1
    assert grew("/wecom/{anything}", "500") == 1        # the route's pattern, not the raw path
    assert grew("unmatched", "404") == 3                 # unknown paths share one label
    assert grew("/metrics", "200") == 1                  # the first scrape, counted once it was answered


def test_stream_age_reads_the_time_in_an_entry_id():
    assert metrics.stream_age("1700000000000-0", now=1700000002.5) == pytest.approx(2.5)
    assert metrics.stream_age("1700000005000-3", now=1700000002.5) == 0.0   # clocks a little apart
    assert metrics.stream_age("nonsense", now=1.0) == 0.0


async def test_a_scrape_still_answers_when_redis_is_down(runtime):
    unreachable = aioredis.from_url("redis://127.0.0.1:1", socket_connect_timeout=1)
    try:
        down = dataclasses.replace(runtime, redis=unreachable)
        async with TestClient(TestServer(app_for(down))) as client:
            samples = await scrape(client)
    finally:
        await unreachable.aclose()
    assert value(samples, "linli_redis_up") == 0
    assert not any(name == "linli_inbound_backlog" for name, _ in samples)
    assert any(name.startswith("process_") for name, _ in samples)
