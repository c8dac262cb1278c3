"""Scheduled jobs (deadline reminders, escalations, auto-close) kept in Redis.

A due job becomes an ordinary event on the inbound stream, so it is handled with the
same durability, ordering and idempotency as a message; it fires exactly once however
many schedulers run, and survives restarts.
"""

from __future__ import annotations

import json
from typing import Any

from storage.inbound import Inbound
from storage.store import Store


class Jobs:
    def __init__(self, store: Store, inbound: Inbound) -> None:
        self.store = store
        self.inbound = inbound

    async def schedule(self, job_id: str, due: float, event_json: str, ordering_key: str) -> None:
        """(Re)schedule `job_id` to put this whole event on the stream; scheduling the
        same id again moves it."""
        payload = json.dumps({"shard": self.inbound.shard_of(ordering_key), "event": event_json},
                             ensure_ascii=False)
        await self._put(job_id, due, payload)

    async def schedule_timer(self, kind: str, key: str, due: float, order: str, data: dict[str, Any]) -> None:
        """(Re)schedule the timer job `kind:key`. Only what its event is made of is stored
        (a few dozen bytes, not the event): fire_due.lua makes the event when it falls due,
        id `timer:KIND:KEY@DUE` and data `{**data, job, key, due, order}`."""
        if ":" in kind:
            raise ValueError(f"a job kind has no ':' ({kind!r})")
        payload = '{"s":%d,"o":%s,"d":%s}' % (
            self.inbound.shard_of(order), json.dumps(order, ensure_ascii=False),
            json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        await self._put(f"{kind}:{key}", due, payload)

    async def _put(self, job_id: str, due: float, payload: str) -> None:
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.store.keys.job_payloads(), job_id, payload)
            pipe.zadd(self.store.keys.jobs(), {job_id: due})
            await pipe.execute()

    async def cancel(self, *job_ids: str) -> None:
        if not job_ids:
            return
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.store.keys.jobs(), *job_ids)
            pipe.hdel(self.store.keys.job_payloads(), *job_ids)
            await pipe.execute()

    async def fire_due(self, now: float, limit: int = 100) -> int:
        keys = [self.store.keys.jobs(), self.store.keys.job_payloads(),
                *(self.inbound.stream(s) for s in range(self.inbound.shards))]
        return int(await self.store.scripts["fire_due"](keys=keys, args=[now, limit]))

    async def next_due(self) -> float | None:
        first = await self.store.redis.zrange(self.store.keys.jobs(), 0, 0, withscores=True)
        return first[0][1] if first else None

    async def pending(self) -> list[tuple[str, float]]:
        return await self.store.redis.zrange(self.store.keys.jobs(), 0, -1, withscores=True)
