"""The inbound stream: every event is stored here before the platform hears "received".

Events are spread over a few shard streams by their ordering key (a chat, a ticket);
one worker at a time holds a shard, so each chat's messages are handled in order.
Entries are acknowledged only after the handler's effects are stored.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from dataclasses import dataclass

from redis.exceptions import NoScriptError, ResponseError

from storage.store import Store

GROUP = "workers"
SHARDS = 8
SEEN_TTL = 3 * 24 * 3600  # platforms retry for minutes; a few days covers any replay
DEAD_LETTERS_MAX = 10_000  # the dead-letter stream keeps about this many entries (settings)


def stream_age(entry_id: str, now: float | None = None) -> float:
    """Seconds since a stream entry was added, by the wall clock (its id is the Redis
    server's time in ms, "<milliseconds>-<sequence>"); 0 for an id that is not one."""
    try:
        made = int(str(entry_id).split("-", 1)[0]) / 1000
    except ValueError:
        return 0.0
    return max(0.0, (time.time() if now is None else now) - made)


@dataclass(frozen=True)
class Entry:
    shard: int
    id: str
    payload: str

    def age(self) -> float:
        return stream_age(self.id)


class Inbound:
    def __init__(self, store: Store, shards: int = SHARDS, dead_letters_max: int = DEAD_LETTERS_MAX) -> None:
        self.store = store
        self.shards = shards
        self.dead_letters_max = dead_letters_max

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
        """Store an event once per platform id; False means it was seen before. Returns
        only once it is stored. Events arriving together (a burst of webhooks) go to Redis
        in one pipeline: one write and one read for the lot instead of one each."""
        entry = await self._batch.call(
            [self.store.keys.seen(dedupe_id), self.stream(self.shard_of(ordering_key))], [SEEN_TTL, payload])
        return entry is not None

    @property
    def _batch(self) -> "ScriptBatch":
        batch = self.__dict__.get("_enqueue_batch")
        if batch is None:
            batch = self.__dict__["_enqueue_batch"] = ScriptBatch(self.store, "enqueue")
        return batch

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
        await self.store.redis.xadd(self.store.keys.dead_letters(), {"event": entry.payload, "error": error[:2000]},
                                    maxlen=self.dead_letters_max, approximate=True)
        await self.ack(entry)

    async def backlog(self) -> int:
        """Entries not yet acknowledged, over all shards (0 when everything is handled)."""
        return sum(await self.backlogs())

    async def backlogs(self) -> list[int]:
        """Entries not yet acknowledged, per shard."""
        async with self.store.redis.pipeline(transaction=False) as pipe:
            for shard in range(self.shards):
                pipe.xlen(self.stream(shard))
            return [int(n) for n in await pipe.execute()]

    async def oldest_age(self, shard: int) -> float:
        """Seconds the shard's oldest unacknowledged entry has waited (0 when empty)."""
        first = await self.store.redis.xrange(self.stream(shard), count=1)
        return Entry(shard, first[0][0], "").age() if first else 0.0


class ScriptBatch:
    """Calls of one script made in the same turn of the event loop are sent in one
    pipeline (without MULTI: each call stays atomic on its own, as a script is). Every
    caller gets its own result, or its own error."""

    def __init__(self, store: Store, script: str) -> None:
        self.store = store
        self.script = store.scripts[script]
        self.waiting: list[tuple[list, list, asyncio.Future]] = []

    async def call(self, keys: list, args: list):
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.waiting.append((keys, args, future))
        if len(self.waiting) == 1:
            loop.call_soon(lambda: loop.create_task(self._flush()))
        return await future

    async def _flush(self) -> None:
        batch, self.waiting = self.waiting, []
        try:
            if len(batch) == 1:
                keys, args, _ = batch[0]
                results = [await self.script(keys=keys, args=args)]
            else:
                # EVALSHA straight away (registering the script with the pipeline would
                # cost a SCRIPT EXISTS round trip every time); a server that does not know
                # it yet answers NOSCRIPT, and those calls go again one by one, loading it.
                async with self.store.redis.pipeline(transaction=False) as pipe:
                    for keys, args, _ in batch:
                        pipe.evalsha(self.script.sha, len(keys), *keys, *args)
                    results = await pipe.execute(raise_on_error=False)
                for i, result in enumerate(results):
                    if isinstance(result, NoScriptError):
                        keys, args, _ = batch[i]
                        results[i] = await self.script(keys=keys, args=args)
        except BaseException as exc:   # noqa: BLE001 - handed to every caller, who decides
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, _, future), result in zip(batch, results):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
