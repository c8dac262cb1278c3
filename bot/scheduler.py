"""The scheduler loop: due jobs become inbound events. Any number may run; each job
occurrence fires once (the Lua script removes it as it fires)."""

from __future__ import annotations

import asyncio
import logging

from bot.app import Runtime

log = logging.getLogger(__name__)
TICK = 1.0


async def run_scheduler(runtime: Runtime, stop: asyncio.Event) -> None:
    jobs = runtime.services.jobs
    while not stop.is_set():
        try:
            fired = await jobs.fire_due(runtime.clock.now())
            if fired:
                log.info("fired %d scheduled job(s)", fired)
                continue
        except (ConnectionError, OSError) as exc:
            log.warning("scheduler: Redis unavailable (%s); retrying", exc)
        try:
            await asyncio.wait_for(stop.wait(), TICK)
        except asyncio.TimeoutError:
            pass
