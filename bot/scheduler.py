"""The scheduler loop: due jobs become inbound events. Any number may run; each job
occurrence fires once (the Lua script removes it as it fires)."""

from __future__ import annotations

import asyncio
import logging

from bot.app import Runtime
from bot.supervisor import UNAVAILABLE, Health, sleep_unless

log = logging.getLogger(__name__)
TICK = 1.0
NAME = "scheduler"


async def run_scheduler(runtime: Runtime, stop: asyncio.Event, health: Health | None = None) -> None:
    health = health or Health()
    jobs = runtime.services.jobs
    while not stop.is_set():
        try:
            fired = await jobs.fire_due(runtime.clock.now())
            health.beat(NAME)
        except UNAVAILABLE as exc:
            await sleep_unless(stop, health.outage(NAME, exc))
            continue
        if fired:
            log.info("fired %d scheduled job(s)", fired)
            continue
        await sleep_unless(stop, TICK)
