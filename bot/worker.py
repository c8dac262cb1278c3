"""The worker: take events from the inbound stream, run the router, store the effects and
queue the replies, then acknowledge.

One worker per process holds leases on its share of the stream's shards (a shard is read
by one worker at a time, which keeps each chat in order) and handles its shards side by
side. Processes share the shards evenly: each heartbeats, and each keeps
ceil(shards / live processes). A dead process's shards, and the entries it had read but not
acknowledged, are taken over when its leases run out. An event that keeps failing is set
aside in the dead-letter stream after a few attempts, and its sender told, so one bad
message cannot block a chat. Redis being unreachable is not a failure of the event: the
entry stays pending and is handled when Redis is back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import os
import random
import time
import traceback
import uuid

from redis.exceptions import ResponseError

from bot import logsafe, metrics
from bot.addressing import channel_of, encode, queue_of, resolve
from bot.delivery import delivery_lease
from bot.app import Runtime
from bot.supervisor import UNAVAILABLE, Health, sleep_unless
from handlers.context import Context
from handlers.events import Event
from handlers.router import keepable, route
from storage.identities import Identities
from storage.inbound import Entry
from storage.leases import Leases

log = logging.getLogger(__name__)
LEASE_MS = 10_000
HEARTBEAT_TTL = 10.0
BALANCE_EVERY = 2.0     # seconds between lease renewals (a lease lasts LEASE_MS)
MAX_ATTEMPTS = 5
RETRY_BACKOFF = 2.0
BATCH = 50              # entries read per shard per round


class Worker:
    def __init__(self, runtime: Runtime, name: str | None = None, channels: tuple[str, ...] | None = None) -> None:
        """`channels`: the channels some process of this deployment delivers; a message for
        a person reachable on none of them is kept as undeliverable instead of waiting
        forever in a queue nobody reads. None: every channel is served (tests, console)."""
        self.runtime = runtime
        self.name = name or f"worker-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.platforms = runtime.settings.platforms
        self.channels = channels
        self.leases = Leases(runtime.store)
        self.held: set[int] = set()
        self.unchecked: set[int] = set()   # shards whose pending entries may need taking over
        self.retry_at: dict[int, float] = {}
        self.balanced_at = 0.0

    async def run(self, stop: asyncio.Event, health: Health | None = None) -> None:
        health = health or Health()
        log.info("%s started", self.name)
        try:
            while not stop.is_set():
                try:
                    await self.step(block_ms=1000)
                    health.beat(self.name)
                except UNAVAILABLE as exc:
                    self.forget()
                    await sleep_unless(stop, health.outage(self.name, exc))
        finally:
            try:
                await self.leave()
            except UNAVAILABLE:
                pass   # the leases run out by themselves

    def forget(self) -> None:
        """After a Redis error our leases may be gone: take nothing for granted."""
        self.held.clear()
        self.unchecked.clear()
        self.balanced_at = 0.0

    async def leave(self) -> None:
        for shard in list(self.held):
            await self.leases.release(f"in:{shard}", self.name)
        self.held.clear()
        await self.leases.leave(self.name)

    async def step(self, block_ms: int | None = None) -> int:
        """One round: keep our shards, finish their unacknowledged entries, read new ones.
        Returns how many events were handled."""
        await self.runtime.refresh_rules()
        if time.monotonic() - self.balanced_at >= BALANCE_EVERY or not self.held:
            await self._balance()
        now = time.monotonic()
        active = [s for s in sorted(self.held) if self.retry_at.get(s, 0) <= now]
        batches: dict[int, list[Entry]] = {}
        for shard in active:
            if shard in self.unchecked:
                pending = await self.runtime.inbound.claim_pending(self.name, shard, count=BATCH)
                if pending:
                    batches[shard] = pending
                else:
                    self.unchecked.discard(shard)
        ready = [s for s in active if s not in self.unchecked]
        if ready:
            try:
                entries = await self.runtime.inbound.read_new(
                    self.name, ready, count=BATCH, block_ms=block_ms if not batches else None)
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                log.warning("inbound streams lost their consumer group (Redis restarted empty?); recreating")
                await self.runtime.inbound.ensure_groups()
                entries = []
            for entry in entries:
                batches.setdefault(entry.shard, []).append(entry)
        elif block_ms and not batches:
            await asyncio.sleep(block_ms / 1000)
        if not batches:
            return 0
        counts = await asyncio.gather(*(self._handle_in_order(shard, entries) for shard, entries in batches.items()))
        return sum(counts)

    async def _balance(self) -> None:
        inbound = self.runtime.inbound
        self.balanced_at = time.monotonic()
        live = await self.leases.heartbeat(self.name, time.time(), HEARTBEAT_TTL)
        quota = math.ceil(inbound.shards / live)
        for shard in list(self.held):
            if not await self.leases.renew(f"in:{shard}", self.name, LEASE_MS):
                self.held.discard(shard)
                self.unchecked.discard(shard)
        while len(self.held) > quota:
            shard = self.held.pop()
            self.unchecked.discard(shard)
            await self.leases.release(f"in:{shard}", self.name)
        free = [s for s in range(inbound.shards) if s not in self.held]
        random.shuffle(free)
        for shard in free:
            if len(self.held) >= quota:
                break
            if await self.leases.acquire(f"in:{shard}", self.name, LEASE_MS):
                self.held.add(shard)
                self.unchecked.add(shard)   # a previous holder may have left entries pending

    async def _handle_in_order(self, shard: int, entries: list[Entry]) -> int:
        for done, entry in enumerate(entries):
            if shard not in self.held:   # lost the lease meanwhile: the new holder goes on
                return done
            try:
                handled = await self.handle(entry)
            except BaseException:
                self.unchecked.add(shard)   # left pending: take it up again first
                raise
            if not handled:
                self.retry_at[shard] = time.monotonic() + RETRY_BACKOFF
                self.unchecked.add(shard)
                return done
        return len(entries)

    async def handle(self, entry: Entry) -> bool:
        """Handle one entry; False leaves it pending to be retried (in order) later.
        Redis errors propagate: the entry stays pending and no attempt is counted."""
        runtime = self.runtime
        try:
            event = Event.from_json(entry.payload)
        except (ValueError, TypeError) as exc:
            log.error("unreadable inbound entry %s: %s", entry.id, exc)
            await runtime.inbound.dead_letter(entry, f"unreadable: {exc}")
            metrics.event_handled("unreadable", "dead", entry.age())
            return True
        if await runtime.outbox.is_done(event.id):
            await runtime.inbound.ack(entry)
            return True
        ctx = Context(runtime.services, event)
        try:
            await route(ctx)
        except UNAVAILABLE:
            raise
        except Exception as exc:
            error = traceback.format_exc()   # whole, in the dead-letter entry; the log line has no message text
            attempts = await runtime.inbound.deliveries(entry)
            log.error("event %s failed (attempt %d/%d):\n%s", event.id, attempts, MAX_ATTEMPTS,
                      logsafe.traceback_without_messages(exc))
            if attempts < MAX_ATTEMPTS:
                metrics.event_handled(event.kind, "retry")
                return False
            ctx.outgoing.clear()
            if event.kind == "message" and ctx.person and (not ctx.in_group or event.addressed):
                ctx.reply(ctx.t("error.internal"))
            await self._commit(ctx)
            kept = keepable(event)
            if kept is not None:     # a ballot: neither its words nor an error quoting them are kept
                entry = dataclasses.replace(entry, payload=kept.to_json())
                error = logsafe.traceback_without_messages(exc)
            await runtime.inbound.dead_letter(entry, error)
            metrics.event_handled(event.kind, "dead", entry.age())
            return True
        await self._commit(ctx)
        await runtime.inbound.ack(entry)
        metrics.event_handled(event.kind, "ok", entry.age())
        return True

    async def _commit(self, ctx: Context) -> None:
        items, unreachable, reply = [], [], None
        bound = Identities(self.runtime.services.store)
        event = ctx.event
        served: dict[str, bool] = {}   # channels this deployment does not run, served by another process?
        for message in ctx.outgoing:
            extra = () if message.via else await bound.of(message.to)
            identity = resolve(self.runtime.settings.community, message, self.platforms, extra)
            channel = channel_of(identity)
            payload = encode(identity, message)
            if self.channels is not None and channel not in self.channels:
                # A channel is running where some process holds its queue's delivery lease:
                # `linli run` beside a `linli console` on the same data prints through it.
                if channel not in served:
                    served[channel] = await self.leases.held(delivery_lease(channel))
                if not served[channel]:
                    unreachable.append((channel, payload))
                    continue
            if reply is None and message.in_reply_to == event.id and identity == event.sender:
                reply = len(items)   # a callback still waiting may answer with this one (WeChat)
            items.append((queue_of(identity, event), payload))   # a console line's: its session's queue
        await self.runtime.outbox.commit(event.id, items, unreachable, reply)
        for channel, payload in unreachable:
            metrics.delivered(channel, "undeliverable")
            log.warning("event %s: a message for %s has no channel that is running (%s); kept as undeliverable",
                        ctx.event.id, channel, "no platform identity" if channel == "console" else "channel off")
