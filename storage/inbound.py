"""The inbound stream: every event is stored here before the platform hears "received".

Events are spread over a few shard streams by their ordering key (a chat, a ticket);
one worker at a time holds a shard, so each chat's messages are handled in order.
Entries are acknowledged only after the handler's effects are stored.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from redis.exceptions import ResponseError

from storage.store import Store

GROUP = "workers"
SHARDS = 8
SEEN_TTL = 3 * 24 * 3600  # platforms retry for minutes; a few days covers any replay


@dataclass(frozen=True)
class Entry:
    shard: int
    id: str
    payload: str


class Inbound:
    def __init__(self, store: Store, shards: int = SHARDS) -> None:
        self.store = store
        self.shards = shards

    def shard_of(self, ordering_key: str) -> int:
        return zlib.crc32(ordering_key.encode()) % self.shards

    def stream(self, shard: int) -> str:
        return self.store.keys.inbound(shard)

    async def ensure_groups(self) -> None:
        for shard in range(self.shards):
            try:
                await self.store.redis.xgroup_create(self.stream(shard), GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def enqueue(self, payload: str, ordering_key: str, dedupe_id: str) -> bool:
        """Store an event once per platform id; False means it was seen before."""
        entry = await self.store.scripts["enqueue"](
            keys=[self.store.keys.seen(dedupe_id), self.stream(self.shard_of(ordering_key))],
            args=[SEEN_TTL, payload])
        return entry is not None

    async def read_new(self, consumer: str, shards: list[int], count: int, block_ms: int) -> list[Entry]:
        if not shards:
            return []
        reply = await self.store.redis.xreadgroup(
            GROUP, consumer, {self.stream(s): ">" for s in shards}, count=count, block=block_ms)
        by_stream = {self.stream(s): s for s in shards}
        return [Entry(by_stream[stream], entry_id, fields["event"])
                for stream, entries in reply or [] for entry_id, fields in entries if fields]

    async def claim_pending(self, consumer: str, shard: int, count: int) -> list[Entry]:
        """Take over entries delivered but never acknowledged (a worker died, or a handler
        failed). Only the shard's lease holder calls this, so nobody else is on them."""
        reply = await self.store.redis.xautoclaim(self.stream(shard), GROUP, consumer, 0, "0-0", count=count)
        return [Entry(shard, entry_id, fields["event"]) for entry_id, fields in reply[1] if fields]

    async def deliveries(self, entry: Entry) -> int:
        rows = await self.store.redis.xpending_range(self.stream(entry.shard), GROUP, entry.id, entry.id, 1)
        return int(rows[0]["times_delivered"]) if rows else 0

    async def ack(self, entry: Entry) -> None:
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream(entry.shard), GROUP, entry.id)
            pipe.xdel(self.stream(entry.shard), entry.id)
            await pipe.execute()

    async def dead_letter(self, entry: Entry, error: str) -> None:
        """Keep an event no handler could process, for staff to look at; nothing is lost."""
        await self.store.redis.xadd(self.store.keys.dead_letters(),
                                    {"event": entry.payload, "error": error[:2000]})
        await self.ack(entry)

    async def backlog(self) -> int:
        """Entries not yet acknowledged, over all shards (0 when everything is handled)."""
        total = 0
        for shard in range(self.shards):
            total += await self.store.redis.xlen(self.stream(shard))
        return total
