"""The aiohttp server: health, and the platforms' callback endpoints."""

from __future__ import annotations

from aiohttp import web

from bot.app import Runtime
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import webhook_handler

RUNTIME = web.AppKey("runtime", Runtime)


async def healthz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    try:
        await runtime.redis.ping()
        backlog = await runtime.inbound.backlog()
    except (ConnectionError, OSError) as exc:
        return web.json_response({"status": "unavailable", "redis": str(exc)}, status=503)
    return web.json_response({"status": "ok", "community": runtime.settings.community.id,
                              "inbound_backlog": backlog})


def build_app(runtime: Runtime, channels: list | tuple = ()) -> web.Application:
    """The HTTP endpoints of the configured channels: /telegram (webhook mode), /wechat
    (Official Account), /wecom (WeCom app)."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    settings = runtime.settings
    for channel in channels:
        if isinstance(channel, TelegramChannel):
            if settings.telegram_mode == "webhook" and settings.telegram_secret:
                app.router.add_post("/telegram", webhook_handler(runtime, channel, settings.telegram_secret))
        else:  # the WeChat channels answer their platform's URL check and callbacks
            app.router.add_get(f"/{CALLBACK_PATHS[channel.name]}", channel.verify)
            app.router.add_post(f"/{CALLBACK_PATHS[channel.name]}", channel.receive)
            if getattr(channel, "aibot", None):
                app.router.add_get("/wecom/aibot", channel.aibot_verify)
                app.router.add_post("/wecom/aibot", channel.aibot_receive)
    return app


CALLBACK_PATHS = {"wx": "wechat", "wecom": "wecom"}
