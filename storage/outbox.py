"""The outbox: replies and pushes wait in one queue per channel until that channel has
delivered them, so a channel that is down or rate-limited holds up nobody else.

A handled event's messages are queued in the same script that marks the event done,
so a redelivered event never sends its replies twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.exceptions import ResponseError

from storage.inbound import DEAD_LETTERS_MAX, stream_age
from storage.store import Store

GROUP = "delivery"
DONE_TTL = 7 * 24 * 3600


@dataclass(frozen=True)
class Parcel:
    id: str
    payload: str


class Outbox:
    def __init__(self, store: Store, dead_letters_max: int = DEAD_LETTERS_MAX) -> None:
        self.store = store
        self.dead_letters_max = dead_letters_max

    def queue(self, channel: str) -> "ChannelQueue":
        return ChannelQueue(self.store, channel, self.dead_letters_max)

    async def is_done(self, event_id: str) -> bool:
        return bool(await self.store.redis.exists(self.store.keys.done(event_id)))

    async def commit(self, event_id: str, items: list[tuple[str, str]],
                     unreachable: list[tuple[str, str]] = (), reply: int | None = None) -> bool:
        """Mark the event handled and queue its (channel, message) items; `unreachable`
        ones (no running channel reaches the person) are kept as undeliverable. `reply`:
        the index in `items` of the reply a waiting callback may answer with (`first_reply`
        finds it without reading the queue). False if the event already was handled."""
        dead = self.store.keys.dead_letters()
        queues = [self.store.keys.outbox(c) for c, _ in items] + [dead] * len(unreachable)
        payloads = [payload for _, payload in [*items, *unreachable]]
        done = await self.store.scripts["commit"](
            keys=[self.store.keys.done(event_id), dead, *queues],
            args=[DONE_TTL, self.dead_letters_max, 0 if reply is None else reply + 1, *payloads])
        return bool(done)

    async def first_reply(self, event_id: str, channel: str) -> str | None:
        """The payload of the reply `commit` marked for a handled event, if it is still
        waiting in `channel`'s queue."""
        marker = await self.store.redis.get(self.store.keys.done(event_id))
        if not marker or marker == "1":
            return None
        found = await self.store.redis.xrange(self.store.keys.outbox(channel), marker, marker)
        return found[0][1].get("msg") if found else None


class ChannelQueue:
    def __init__(self, store: Store, channel: str, dead_letters_max: int = DEAD_LETTERS_MAX) -> None:
        self.store = store
        self.channel = channel
        self.stream = store.keys.outbox(channel)
        self.dead_letters_max = dead_letters_max

    async def ensure_group(self) -> None:
        try:
            await self.store.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def push(self, payload: str) -> None:
        """Queue a message that belongs to no event (an admin action, a start-up notice)."""
        await self.store.redis.xadd(self.stream, {"msg": payload})

    async def reclaim(self, consumer: str) -> list[Parcel]:
        """Everything a previous holder left unacknowledged, oldest first. Called once by
        a new holder of the channel's delivery lease."""
        parcels, cursor = [], "0-0"
        while True:
            cursor, entries, *_ = await self.store.redis.xautoclaim(self.stream, GROUP, consumer, 0, cursor, count=200)
            parcels += [Parcel(i, f["msg"]) for i, f in entries if f]
            if cursor in ("0-0", b"0-0"):
                return parcels

    async def read(self, consumer: str, count: int, block_ms: int | None) -> list[Parcel]:
        """New messages. Only the holder of the channel's delivery lease calls this."""
        reply = await self.store.redis.xreadgroup(GROUP, consumer, {self.stream: ">"}, count=count, block=block_ms)
        return [Parcel(i, f["msg"]) for _, entries in reply or [] for i, f in entries if f]

    async def ack(self, parcel: Parcel) -> None:
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, GROUP, parcel.id)
            pipe.xdel(self.stream, parcel.id)
            await pipe.execute()

    async def undeliverable(self, parcel: Parcel, reason: str) -> None:
        """Keep a message no attempt could deliver, for staff to see; nothing is dropped."""
        await self.store.redis.xadd(self.store.keys.dead_letters(),
                                    {"outgoing": parcel.payload, "channel": self.channel, "error": reason[:2000]},
                                    maxlen=self.dead_letters_max, approximate=True)
        await self.ack(parcel)

    async def backlog(self) -> int:
        return await self.store.redis.xlen(self.stream)

    async def oldest_age(self) -> float:
        """Seconds the oldest undelivered message has waited (0 when none)."""
        first = await self.store.redis.xrange(self.stream, count=1)
        return stream_age(first[0][0]) if first else 0.0
