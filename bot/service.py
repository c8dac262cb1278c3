"""`linli run` and `linli worker`: the long-running processes."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.app import Runtime, open_runtime
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import poll_updates
from bot.channels.wechat import OfficialAccount
from bot.channels.wecom import WeCom
from bot.delivery import Delivery
from bot.scheduler import run_scheduler
from bot.server import build_app
from bot.settings import Settings
from bot.worker import Worker

log = logging.getLogger(__name__)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def serve(settings: Settings, workers: int, with_server: bool = True) -> None:
    """The production main: HTTP server, workers and scheduler in one process."""
    stop = asyncio.Event()
    _stop_on_signals(stop)
    async with open_runtime(settings) as runtime:
        # jieba's dictionary loads in about a second: do it now, not on the first message,
        # which WeChat wants answered within its 5-second budget.
        await asyncio.to_thread(runtime.services.classifier.warm_up)
        channels = await _start_channels(runtime)
        telegram = next((c for c in channels if isinstance(c, TelegramChannel)), None)
        runner = None
        if with_server:
            runner = web.AppRunner(build_app(runtime, channels), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, settings.host, settings.port).start()
            log.info("listening on http://%s:%d", settings.host, settings.port)
        tasks = [asyncio.create_task(Worker(runtime).run(stop)) for _ in range(workers)]
        tasks.append(asyncio.create_task(run_scheduler(runtime, stop)))
        tasks += [asyncio.create_task(Delivery(runtime, channel).run(stop)) for channel in channels]
        if telegram and settings.telegram_mode == "polling" and with_server:
            tasks.append(asyncio.create_task(poll_updates(runtime, telegram, stop)))
        try:
            await stop.wait()
        finally:
            log.info("stopping")
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            if runner is not None:
                await runner.cleanup()
            for channel in channels:   # the WeChat channels' HTTP sessions
                if hasattr(channel, "api"):
                    await channel.api.close()


async def _start_channels(runtime: Runtime) -> list:
    """The configured platform channels."""
    settings = runtime.settings
    channels: list = []
    if settings.wechat_app_id:
        channels.append(OfficialAccount(runtime))
    if settings.wecom_corp_id:
        channels.append(WeCom(runtime))
    if not settings.telegram_token:
        return channels
    from telegram import Bot
    from telegram.error import TelegramError

    channel = TelegramChannel(Bot(settings.telegram_token, base_url=settings.telegram_api_base), runtime.store)
    try:
        channel.username = (await channel.bot.get_me()).username
        await channel.register_commands()
    except TelegramError as exc:  # keep serving: updates are stored, replies retried later
        log.warning("Telegram is not reachable at start (%s); mentions are matched without the username", exc)
    return [channel, *channels]
