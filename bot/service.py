"""`linli run` and `linli worker`: the long-running processes.

Every loop runs supervised (bot/supervisor.py): it restarts with backoff after an
unexpected error and reports to the process's health board, which `/healthz` reads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from aiohttp import web

from bot.app import Runtime, open_runtime
from bot import healthfile
from bot.channels import registry
from bot.delivery import Delivery
from bot.scheduler import run_scheduler
from bot.server import build_app
from bot.settings import Settings
from bot.supervisor import Health, sleep_unless, supervise
from bot.worker import Worker
from handlers import privacy
from handlers.router import COMMANDS
from storage.identities import Identities
from storage.stats import Stats

log = logging.getLogger(__name__)
EMBEDDED_CHECK_SECONDS = 1.0
CHILD_STOP_SECONDS = 30.0
PARENT_ENV = "LINLI_PARENT_PID"   # set for the `linli worker` children of `linli run`


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def serve(settings: Settings, with_server: bool = True, worker_processes: int = 0) -> None:
    """The production main. `linli run` (`with_server`): the HTTP server, the scheduler and
    the channels' own loops (Telegram polling), with events handled and replies delivered
    in `worker_processes` child processes (`linli worker`, restarted if one dies), or in
    this process when 0.
    `linli worker`: a worker, delivery per channel and the scheduler."""
    stop = asyncio.Event()
    _stop_on_signals(stop)
    parent = os.environ.get(PARENT_ENV)
    async with open_runtime(settings) as runtime:
        # jieba's dictionary loads in about a second: do it now, not on the first message,
        # which WeChat wants answered within its 5-second budget.
        await asyncio.to_thread(runtime.services.classifier.warm_up)
        # A database written before the open-ticket indexes is indexed once, now, rather
        # than on the first report (seconds for tens of thousands of tickets).
        await runtime.services.tickets.ensure_indexed()
        # Likewise the statistics' counters (storage/stats.py), before any worker changes a ticket.
        if await Stats(runtime.store, settings.community.tz).ensure_built():
            log.info("ticket statistics rebuilt from the stored tickets")
        # The daily retention job ([retention], README "Your data"), at its next run_at.
        await privacy.schedule_retention(runtime.services.jobs, settings.community, runtime.clock.now())
        channels = await _start_channels(runtime)
        await _warn_unreachable(runtime)
        health = runtime.health
        runner = None
        if with_server:
            runner = web.AppRunner(build_app(runtime, channels), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, settings.host, settings.port).start()
            log.info("listening on http://%s:%d", settings.host, settings.port)
        loops = {"scheduler": lambda: run_scheduler(runtime, stop, health)}
        if worker_processes and with_server:
            # Events are handled, and replies delivered, in processes of their own, so a
            # burst never slows the webhooks down, and a second core is used.
            for n in range(worker_processes):
                name = f"worker-process-{n + 1}"
                loops[name] = lambda name=name: _worker_process(settings, name, stop, health)
        else:
            worker = Worker(runtime, channels=settings.platforms)
            loops[worker.name] = lambda: worker.run(stop, health)
            for channel in channels:   # one process at a time holds a channel's queue (a lease)
                delivery = Delivery(runtime, channel)
                loops[delivery.name] = lambda d=delivery: d.run(stop, health)
        if with_server:   # the receiving side, beside the HTTP routes
            for channel in channels:
                loops.update(channel.loops(runtime, stop, health))
        if parent:
            loops["parent-watch"] = lambda: _stop_with_parent(int(parent), stop, health)
        # This process's health board on disk, for `linli health` (a worker has no /healthz).
        loops[healthfile.NAME] = lambda: healthfile.keep_written(health, stop, "run" if with_server else "worker")
        if with_server and settings.backup_dir:   # scheduled backups: one process takes them
            from bot import backups
            loops[backups.NAME] = backups.loop(runtime, stop, health)
        if runtime.embedded is not None:
            loops["embedded-valkey"] = lambda: _watch_embedded(runtime, stop, health)
        tasks = [asyncio.create_task(supervise(name, body, stop, health)) for name, body in loops.items()]
        try:
            await stop.wait()
        finally:
            log.info("stopping")
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            if runner is not None:
                await runner.cleanup()
            for channel in channels:   # their HTTP sessions
                await channel.close()


async def _worker_process(settings: Settings, name: str, stop: asyncio.Event, health: Health) -> None:
    """One `linli worker` child: started, waited for, stopped with us. An exit we did not
    ask for raises, so the supervisor logs it and starts another after a backoff."""
    args = [sys.executable, "-m", "bot.cli", "worker", "--community", str(settings.community_file),
            "--data-dir", str(settings.data_dir)]
    if settings.rules_file:
        args += ["--rules", str(settings.rules_file)]
    child = await asyncio.create_subprocess_exec(*args, env={**os.environ, PARENT_ENV: str(os.getpid())},
                                                 stdin=asyncio.subprocess.DEVNULL)
    log.info("%s started (pid %d)", name, child.pid)
    waiting = asyncio.create_task(child.wait())
    stopping = asyncio.create_task(stop.wait())
    try:
        # Beating while the child runs: waiting is this loop's work, not a hang (without it
        # /healthz called every `linli run` unhealthy a minute after start).
        while not (waiting.done() or stopping.done()):
            await asyncio.wait({waiting, stopping}, timeout=EMBEDDED_CHECK_SECONDS,
                               return_when=asyncio.FIRST_COMPLETED)
            health.beat(name)
    finally:
        stopping.cancel()
        if child.returncode is None:
            child.terminate()
            try:
                await asyncio.wait_for(waiting, CHILD_STOP_SECONDS)
            except asyncio.TimeoutError:
                child.kill()
                await waiting
    if not stop.is_set():
        raise RuntimeError(f"{name} (pid {child.pid}) exited with code {child.returncode}")


async def _stop_with_parent(parent: int, stop: asyncio.Event, health: Health) -> None:
    """A worker started by `linli run` stops when that process is gone (even killed), so
    no orphan keeps holding shards."""
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("the linli run that started this worker (pid %d) is gone; stopping", parent)
            stop.set()
            return
        health.beat("parent-watch")
        await sleep_unless(stop, 1.0)


async def _watch_embedded(runtime: Runtime, stop: asyncio.Event, health) -> None:
    """The embedded server is ours to keep alive: should it die, start it again (from its
    append-only file), so every loop resumes by itself."""
    while not stop.is_set():
        await asyncio.to_thread(runtime.embedded.revive)
        health.beat("embedded-valkey")
        await sleep_unless(stop, EMBEDDED_CHECK_SECONDS)


async def _start_channels(runtime: Runtime) -> list:
    """The configured platform channels (bot/channels/registry.py), started. Each gets the
    command table, from which it makes its platform's menus."""
    channels = [channel for kind in registry.CHANNELS
                if (channel := kind.from_settings(runtime, COMMANDS)) is not None]
    for channel in channels:
        await channel.start()
    return channels


async def _warn_unreachable(runtime: Runtime) -> None:
    """Say at start who linli cannot reach: people who answer for tickets (or chats) with
    no identity on a running platform. Their messages are kept as undeliverable."""
    platforms = runtime.settings.platforms
    community = runtime.settings.community
    bound = Identities(runtime.store)
    missing = []
    for person in community.people.values():
        if not (person.handles_tickets or person.has("department", "volunteer")):
            continue
        identities = community.identities_of(f"@{person.id}") + await bound.of(f"@{person.id}")
        if not any(i.partition(":")[0] in platforms for i in identities):
            missing.append(person.id)
    if not platforms:
        log.warning("no platform is configured (%s): nobody can be reached; "
                    "messages are kept as undeliverable. Use `linli console` to try linli locally",
                    ", ".join(channel.title for channel in registry.CHANNELS))
    elif missing:
        log.warning("%d staff, department contacts or volunteers have no identity on %s and cannot be "
                    "reached (their messages are kept as undeliverable) until they send 绑定 or the "
                    "community file gives them one: %s", len(missing), ", ".join(platforms), ", ".join(missing))
