"""The aiohttp server: health, metrics, and the platforms' callback endpoints."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot import metrics
from bot.app import Runtime
from bot.delivery import delivery_lease
from bot.supervisor import UNAVAILABLE, describe
from bot.iot import mount as mount_devices
from bot.web import mount as mount_workbench

log = logging.getLogger(__name__)
RUNTIME = web.AppKey("runtime", Runtime)
PING_TIMEOUT = 2.0
STALLED_AFTER = 60.0   # an inbound entry waiting this long means nobody is handling its shard


@web.middleware
async def storage_unavailable(request: web.Request, handler):
    """A callback that cannot be stored is answered 503, so the platform retries it later;
    never a 500 (which some platforms do not retry) and never "received"."""
    try:
        return await handler(request)
    except UNAVAILABLE as exc:
        log.warning("%s %s: Redis unavailable (%s); answered 503", request.method, request.path, describe(exc))
        return web.json_response({"error": "storage unavailable, retry later"}, status=503,
                                 headers={"Retry-After": "5"})


async def healthz(request: web.Request) -> web.Response:
    """200 only when all is well; 503 naming every problem otherwise."""
    runtime = request.app[RUNTIME]
    try:
        report = await asyncio.wait_for(_storage_report(runtime), PING_TIMEOUT)
    except UNAVAILABLE as exc:
        return web.json_response({"status": "unavailable", "problems": [f"redis unreachable: {describe(exc)}"]},
                                 status=503)
    problems = runtime.health.problems() + report.pop("problems")
    body = {"status": "unavailable" if problems else "ok", "community": runtime.settings.community.id,
            **report}
    if problems:
        body["problems"] = problems
    return web.json_response(body, status=503 if problems else 200)


async def _storage_report(runtime: Runtime) -> dict:
    """What Redis says: backlogs, whether anyone handles them, whether anyone delivers."""
    redis, keys, inbound = runtime.redis, runtime.store.keys, runtime.inbound
    await redis.ping()
    backlogs = await inbound.backlogs()
    workers = await runtime.leases.live(PING_TIMEOUT + 10)
    problems = []
    if not workers:   # nothing would be handled: starting, or every worker is gone
        problems.append(f"no worker alive (inbound backlog {sum(backlogs)})")
    for shard, waiting in enumerate(backlogs):
        if waiting and (age := await inbound.oldest_age(shard)) > STALLED_AFTER:
            problems.append(f"inbound shard {shard}: {waiting} waiting, oldest for {age:.0f}s")
    outbox = {}
    for channel in runtime.settings.platforms:
        queue = runtime.outbox.queue(channel)
        waiting = await queue.backlog()
        holder = await redis.get(keys.lease(delivery_lease(channel)))
        outbox[channel] = {"backlog": waiting, "oldest_seconds": round(await queue.oldest_age(), 1)}
        if waiting and not holder:
            problems.append(f"outbox {channel}: {waiting} waiting and no process delivering")
    return {"inbound_backlog": sum(backlogs), "workers": workers, "outbox": outbox, "problems": problems}


def build_app(runtime: Runtime, channels: list | tuple = ()) -> web.Application:
    """/healthz and /metrics, plus the HTTP endpoints each channel asks for (its `routes`:
    /telegram in webhook mode, /wechat, /wecom, /wecom/aibot)."""
    app = web.Application(client_max_size=2 * 1024 * 1024, middlewares=[metrics.middleware, storage_unavailable])
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    metrics.add_routes(app, runtime)
    for channel in channels:
        for method, path, handler in channel.routes(runtime):
            if method == "GET":
                app.router.add_get(path, handler)   # HEAD too, as aiohttp's GET routes answer it
            else:
                app.router.add_route(method, path, handler)
    mount_workbench(app, runtime)   # /web/, when LINLI_WEB_URL is set (bot/web/)
    mount_devices(app, runtime)     # POST /iot/{device}, when the community file has devices (bot/iot.py)
    return app
