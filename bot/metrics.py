"""Prometheus metrics: `GET /metrics` on `linli run`'s HTTP server.

Everything lives in one module-level `REGISTRY` (not prometheus_client's global default
registry), so tests may build runtimes and apps again and again.

What the runtime calls (all cheap, synchronous, safe from any task):

    metrics.event_handled(kind, result, seconds=None)
        bot/worker.py, once per inbound entry it is done with for now.
        kind: the event's kind ("message", "timer"); result: "ok" (handled and
        acknowledged, or found already done), "retry" (failed, left pending to be tried
        again) or "dead" (given up: kept in the dead-letter stream, unreadable entries
        included). seconds: from enqueue to handled; pass it for "ok" and "dead" and leave
        it None for "retry". The enqueue time is in the stream entry's id:
        `metrics.stream_age(entry.id)` (wall time; Event.received_at may come from a
        fake clock).

    metrics.delivered(channel, result, seconds=None)
        bot/delivery.py, once per send attempt that reached a decision.
        channel: the Channel.name ("tg", "wx", "wecom", "console"); result: "sent",
        "retry" (a DeliveryError that will be retried; not our own pacing, i.e. not when
        `exc.throttled`) or "undeliverable" (given up: kept in the dead-letter stream).
        seconds: from queued to sent, `metrics.stream_age(parcel.id)`; pass it for "sent"
        (and "undeliverable" if wanted), None for "retry".

    metrics.task_restarted(name)
        bot/service.py's supervisor, each time it restarts a crashed task.
    metrics.task_health(name, ok)
        bot/service.py's supervisor: ok=True when a task is running (started, restarted),
        False when it crashed or stopped. name: a stable task name, e.g. "worker-0",
        "scheduler", "delivery-tg", "telegram-polling".

    metrics.stream_age(entry_id, now=None) -> float
        seconds since a Redis stream entry id ("1700000000123-0") was made.

Wiring into bot/server.py's build_app:

    app = web.Application(middlewares=[metrics.middleware], ...)
    metrics.add_routes(app, runtime)        # GET /metrics

`metrics.middleware` counts every HTTP answer by route path (the route's pattern, e.g.
"/telegram"; "unmatched" for paths with no route) and status, exceptions included
(an HTTPException by its status, any other exception as 500).

At scrape time `metrics_handler` reads the backlogs from Redis (XLEN of each inbound shard,
each outbox channel and the dead-letter stream), then renders the registry. The backlogs are
community-wide; the counters, histograms and task gauges are this process's own (extra
`linli worker` processes serve no HTTP and are not counted).

Metrics (all prefixed `linli_`):
    linli_inbound_backlog{shard}                  gauge      entries in an inbound shard stream, not yet acknowledged
    linli_outbox_backlog{channel}                 gauge      messages in a channel's outbox stream, not yet delivered
    linli_dead_letters                            gauge      entries in the dead-letter stream
    linli_redis_up                                gauge      1 when the last scrape could read the backlogs from Redis
    linli_events_handled_total{kind,result}       counter    result: ok | retry | dead
    linli_event_handling_seconds{kind}            histogram  enqueue to handled
    linli_messages_delivered_total{channel,result} counter   result: sent | retry | undeliverable
    linli_delivery_seconds{channel}               histogram  queued to sent
    linli_http_responses_total{path,status}       counter    every HTTP answer (webhooks, callbacks, /healthz, /metrics)
    linli_task_restarts_total{task}               counter    supervised task restarts
    linli_task_healthy{task}                      gauge      1 running, 0 crashed or stopped
plus prometheus_client's standard process_* metrics (CPU, memory, open files).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Iterable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from redis.exceptions import RedisError

from storage.inbound import stream_age  # noqa: F401 - one definition, offered here too

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()

EVENT_RESULTS = ("ok", "retry", "dead")
DELIVERY_RESULTS = ("sent", "retry", "undeliverable")
SCRAPE_TIMEOUT = 5.0   # seconds to read the backlogs from Redis

# Handling is usually milliseconds; a retried event takes seconds to minutes.
HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
# Delivery includes the platforms' pace: a burst to one Telegram group goes out at 20 a minute.
DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)

EVENTS_HANDLED = Counter("linli_events_handled", "Inbound events the workers were done with, by kind and result "
                         "(ok, retry, dead)", ["kind", "result"], registry=REGISTRY)
EVENT_SECONDS = Histogram("linli_event_handling_seconds", "Seconds from an event's enqueue to its handling",
                          ["kind"], buckets=HANDLING_BUCKETS, registry=REGISTRY)
DELIVERED = Counter("linli_messages_delivered", "Outgoing messages by channel and result "
                    "(sent, retry, undeliverable)", ["channel", "result"], registry=REGISTRY)
DELIVERY_SECONDS = Histogram("linli_delivery_seconds", "Seconds from a message's queueing to its delivery",
                             ["channel"], buckets=DELIVERY_BUCKETS, registry=REGISTRY)
HTTP_RESPONSES = Counter("linli_http_responses", "HTTP answers (platform webhooks and callbacks, /healthz, "
                         "/metrics) by route path and status", ["path", "status"], registry=REGISTRY)
TASK_RESTARTS = Counter("linli_task_restarts", "Restarts of a supervised task after it crashed", ["task"],
                        registry=REGISTRY)
TASK_HEALTHY = Gauge("linli_task_healthy", "1 while a supervised task runs, 0 when it crashed or stopped", ["task"],
                     registry=REGISTRY)
ProcessCollector(registry=REGISTRY)


# --- what the runtime calls -------------------------------------------------------------

def event_handled(kind: str, result: str, seconds: float | None = None) -> None:
    """An inbound event is done with for now: result "ok", "retry" or "dead"."""
    if result not in EVENT_RESULTS:
        raise ValueError(f"event result {result!r} is not one of {EVENT_RESULTS}")
    EVENTS_HANDLED.labels(kind, result).inc()
    if seconds is not None:
        EVENT_SECONDS.labels(kind).observe(max(0.0, seconds))


def delivered(channel: str, result: str, seconds: float | None = None) -> None:
    """A send attempt decided: result "sent", "retry" or "undeliverable"."""
    if result not in DELIVERY_RESULTS:
        raise ValueError(f"delivery result {result!r} is not one of {DELIVERY_RESULTS}")
    DELIVERED.labels(channel, result).inc()
    if seconds is not None:
        DELIVERY_SECONDS.labels(channel).observe(max(0.0, seconds))


def task_restarted(name: str) -> None:
    TASK_RESTARTS.labels(name).inc()


def task_health(name: str, ok: bool) -> None:
    TASK_HEALTHY.labels(name).set(1 if ok else 0)


# --- backlogs, read from Redis at scrape time ----------------------------------------------

class _Backlogs:
    """A collector for what the last scrape read from Redis. The handler refreshes it and
    renders the registry with no await in between, so a scrape shows its own reading."""

    def __init__(self) -> None:
        self.inbound: dict[int, int] = {}
        self.outbox: dict[str, int] = {}
        self.dead: int | None = None
        self.redis_up = 0

    def describe(self) -> Iterable[Any]:
        return []   # no fixed set of samples: nothing to check at registration

    def collect(self) -> Iterable[Any]:
        up = GaugeMetricFamily("linli_redis_up", "1 when the last scrape could read the backlogs from Redis")
        up.add_metric([], self.redis_up)
        yield up
        if not self.redis_up:
            return
        inbound = GaugeMetricFamily("linli_inbound_backlog", "Entries in an inbound shard stream, not yet "
                                    "acknowledged", labels=["shard"])
        for shard, length in sorted(self.inbound.items()):
            inbound.add_metric([str(shard)], length)
        yield inbound
        outbox = GaugeMetricFamily("linli_outbox_backlog", "Messages in a channel's outbox stream, not yet "
                                   "delivered", labels=["channel"])
        for channel, length in sorted(self.outbox.items()):
            outbox.add_metric([channel], length)
        yield outbox
        dead = GaugeMetricFamily("linli_dead_letters", "Entries in the dead-letter stream (events and messages "
                                 "given up on)")
        dead.add_metric([], self.dead or 0)
        yield dead


BACKLOGS = _Backlogs()
REGISTRY.register(BACKLOGS)


def outbox_channels(runtime) -> list[str]:
    """The outbox queues worth watching: the configured platforms', and the console's
    (where messages to people with no platform identity wait)."""
    return sorted({"console", *runtime.settings.platforms})


async def refresh(runtime) -> None:
    """Read the backlogs (XLEN of each stream) into the collector; on a Redis failure the
    backlogs are left out and linli_redis_up is 0."""
    keys = runtime.store.keys
    shards = list(range(runtime.inbound.shards))
    channels = outbox_channels(runtime)
    try:
        async with runtime.redis.pipeline(transaction=False) as pipe:   # one slot: the {community} tag
            for shard in shards:
                pipe.xlen(keys.inbound(shard))
            for channel in channels:
                pipe.xlen(keys.outbox(channel))
            pipe.xlen(keys.dead_letters())
            lengths = await asyncio.wait_for(pipe.execute(), SCRAPE_TIMEOUT)
    except (RedisError, ConnectionError, OSError, asyncio.TimeoutError) as exc:
        log.warning("metrics: Redis unavailable (%s); backlogs left out", exc)
        BACKLOGS.redis_up = 0
        return
    lengths = [int(n) for n in lengths]
    BACKLOGS.inbound = dict(zip(shards, lengths))
    BACKLOGS.outbox = dict(zip(channels, lengths[len(shards):]))
    BACKLOGS.dead = lengths[-1]
    BACKLOGS.redis_up = 1


# --- HTTP ------------------------------------------------------------------------------------

METRICS_RUNTIME = web.AppKey("metrics_runtime", object)


async def metrics_handler(request: web.Request) -> web.Response:
    """GET /metrics: the Prometheus text format (OpenMetrics when the scraper asks for it)."""
    await refresh(request.app[METRICS_RUNTIME])
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = encode(REGISTRY)   # right after refresh, no await between
    return web.Response(body=body, headers={"Content-Type": content_type})


def add_routes(app: web.Application, runtime) -> None:
    """Register GET /metrics on an app, reading the backlogs of this runtime."""
    app[METRICS_RUNTIME] = runtime
    app.router.add_get("/metrics", metrics_handler)


def _path_of(request: web.Request) -> str:
    """The route's pattern, never the raw path: unknown paths must not grow the label set."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def middleware(request: web.Request, handler) -> web.StreamResponse:
    """Count every answer by route path and status."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        HTTP_RESPONSES.labels(_path_of(request), str(exc.status)).inc()
        raise
    except Exception:
        HTTP_RESPONSES.labels(_path_of(request), "500").inc()
        raise
    HTTP_RESPONSES.labels(_path_of(request), str(response.status)).inc()
    return response
