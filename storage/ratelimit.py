"""Outbound rate limits kept in Redis, so all workers together respect a platform's rules."""

from __future__ import annotations

import asyncio
import time
import uuid

from storage.store import Store

Window = tuple[str, int, float]  # name, limit, seconds


class RateLimiter:
    def __init__(self, store: Store, clock=time.time) -> None:
        self.store = store
        self.clock = clock  # real time: platforms count in real seconds, even under a fake clock

    async def reserve(self, windows: list[Window]) -> float:
        """Take a slot in every window at once, or return the seconds to wait (nothing taken)."""
        keys = [self.store.keys.rate(name) for name, _, _ in windows]
        args: list = [int(self.clock() * 1000), uuid.uuid4().hex]
        for _, limit, seconds in windows:
            args += [limit, int(seconds * 1000)]
        wait_ms = await self.store.scripts["rate_limit"](keys=keys, args=args)
        return int(wait_ms) / 1000

    async def acquire(self, windows: list[Window]) -> None:
        """Wait until every window has room, then take it. Waiting, never dropping."""
        while (wait := await self.reserve(windows)) > 0:
            await asyncio.sleep(wait)
