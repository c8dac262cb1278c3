"""Exclusive, expiring leases: one holder of a stream shard or the outbox at a time, so
order is kept without any process being special; a dead holder's lease just runs out."""

from __future__ import annotations

import time

from storage.store import Store


class Leases:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def acquire(self, name: str, owner: str, ttl_ms: int) -> bool:
        key = self.store.keys.lease(name)
        if await self.store.redis.set(key, owner, nx=True, px=ttl_ms):
            return True
        return bool(await self.store.scripts["lease_renew"](keys=[key], args=[owner, ttl_ms]))

    async def renew(self, name: str, owner: str, ttl_ms: int) -> bool:
        return bool(await self.store.scripts["lease_renew"](keys=[self.store.keys.lease(name)], args=[owner, ttl_ms]))

    async def held(self, name: str) -> bool:
        """Whether anyone holds the lease now."""
        return bool(await self.store.redis.exists(self.store.keys.lease(name)))

    async def release(self, name: str, owner: str) -> None:
        await self.store.scripts["lease_release"](keys=[self.store.keys.lease(name)], args=[owner])

    async def heartbeat(self, worker: str, now: float, ttl: float) -> int:
        """Record that `worker` is alive; return how many workers are."""
        key = self.store.keys.workers()
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {worker: now})
            pipe.zremrangebyscore(key, "-inf", now - ttl)
            pipe.zcard(key)
            *_, live = await pipe.execute()
        return max(1, int(live))

    async def live(self, ttl: float) -> int:
        """How many workers have heartbeaten within `ttl` seconds (0 when none)."""
        return int(await self.store.redis.zcount(self.store.keys.workers(), time.time() - ttl, "+inf"))

    async def leave(self, worker: str) -> None:
        await self.store.redis.zrem(self.store.keys.workers(), worker)
