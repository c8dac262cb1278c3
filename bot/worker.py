"""The worker loop: take events from the inbound stream, run the router, store the
effects and queue the replies, then acknowledge.

Each worker holds leases on a share of the stream's shards (a shard is read by one worker
at a time, which keeps each chat in order) and takes over the unacknowledged entries of a
shard whose previous holder died. An event that keeps failing is set aside in the dead-
letter stream after a few attempts, and its sender is told, so one bad message cannot
block a chat.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import random
import time
import traceback
import uuid

from bot.addressing import channel_of, encode, resolve
from bot.app import Runtime
from handlers.context import Context
from handlers.events import Event
from handlers.router import route
from storage.identities import Identities
from storage.inbound import Entry
from storage.leases import Leases

log = logging.getLogger(__name__)
LEASE_MS = 10_000
HEARTBEAT_TTL = 10.0
MAX_ATTEMPTS = 5
RETRY_BACKOFF = 2.0


class Worker:
    def __init__(self, runtime: Runtime, name: str | None = None) -> None:
        self.runtime = runtime
        self.name = name or f"worker-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.platforms = runtime.settings.platforms
        self.leases = Leases(runtime.store)
        self.held: set[int] = set()
        self.retry_at: dict[int, float] = {}

    async def run(self, stop: asyncio.Event) -> None:
        log.info("%s started", self.name)
        try:
            while not stop.is_set():
                try:
                    await self.step(block_ms=1000)
                except (ConnectionError, OSError) as exc:
                    log.warning("%s: Redis unavailable (%s); retrying", self.name, exc)
                    await asyncio.sleep(1)
        finally:
            await self.leave()

    async def leave(self) -> None:
        for shard in list(self.held):
            await self.leases.release(f"in:{shard}", self.name)
        self.held.clear()
        await self.leases.leave(self.name)

    async def step(self, block_ms: int | None = None) -> int:
        """One round: keep our shards, finish their unacknowledged entries, read new ones.
        Returns how many events were handled."""
        await self.runtime.refresh_rules()
        await self._balance()
        handled = 0
        ready = []
        for shard in sorted(self.held):
            if self.retry_at.get(shard, 0) > time.monotonic():
                continue
            pending = await self.runtime.inbound.claim_pending(self.name, shard, count=20)
            ok, count = await self._handle_in_order(pending)
            handled += count
            if ok and not pending:
                ready.append(shard)
        if ready:
            entries = await self.runtime.inbound.read_new(self.name, ready, count=20,
                                                          block_ms=block_ms if not handled else None)
            for shard in ready:
                ok, count = await self._handle_in_order([e for e in entries if e.shard == shard])
                handled += count
        elif block_ms and not handled:
            await asyncio.sleep(block_ms / 1000)
        return handled

    async def _balance(self) -> None:
        inbound = self.runtime.inbound
        live = await self.leases.heartbeat(self.name, time.time(), HEARTBEAT_TTL)
        quota = math.ceil(inbound.shards / live)
        for shard in list(self.held):
            if not await self.leases.renew(f"in:{shard}", self.name, LEASE_MS):
                self.held.discard(shard)
        while len(self.held) > quota:
            shard = self.held.pop()
            await self.leases.release(f"in:{shard}", self.name)
        free = [s for s in range(inbound.shards) if s not in self.held]
        random.shuffle(free)
        for shard in free:
            if len(self.held) >= quota:
                break
            if await self.leases.acquire(f"in:{shard}", self.name, LEASE_MS):
                self.held.add(shard)

    async def _handle_in_order(self, entries: list[Entry]) -> tuple[bool, int]:
        for done, entry in enumerate(entries):
            if not await self.handle(entry):
                self.retry_at[entry.shard] = time.monotonic() + RETRY_BACKOFF
                return False, done
        return True, len(entries)

    async def handle(self, entry: Entry) -> bool:
        """Handle one entry; False leaves it pending to be retried (in order) later."""
        runtime = self.runtime
        try:
            event = Event.from_json(entry.payload)
        except (ValueError, TypeError) as exc:
            log.error("unreadable inbound entry %s: %s", entry.id, exc)
            await runtime.inbound.dead_letter(entry, f"unreadable: {exc}")
            return True
        if await runtime.outbox.is_done(event.id):
            await runtime.inbound.ack(entry)
            return True
        ctx = Context(runtime.services, event)
        try:
            await route(ctx)
        except Exception:
            error = traceback.format_exc()
            attempts = await runtime.inbound.deliveries(entry)
            log.error("event %s failed (attempt %d/%d):\n%s", event.id, attempts, MAX_ATTEMPTS, error)
            if attempts < MAX_ATTEMPTS:
                return False
            ctx.outgoing.clear()
            if event.kind == "message" and ctx.person and (not ctx.in_group or event.addressed):
                ctx.reply(ctx.t("error.internal"))
            await self._commit(ctx)
            await runtime.inbound.dead_letter(entry, error)
            return True
        await self._commit(ctx)
        await runtime.inbound.ack(entry)
        return True

    async def _commit(self, ctx: Context) -> None:
        items = []
        bound = Identities(self.runtime.services.store)
        for message in ctx.outgoing:
            extra = () if message.via else await bound.of(message.to)
            identity = resolve(self.runtime.settings.community, message, self.platforms, extra)
            items.append((channel_of(identity), encode(identity, message)))
        await self.runtime.outbox.commit(ctx.event.id, items)
