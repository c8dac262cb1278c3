"""Outbox delivery: one holder per channel queue at a time (a lease), with retries; a
message that cannot be delivered after many tries is kept, never dropped.

Order is kept per recipient, not per channel: a message waiting for its retry, or held
back by the platform's pace for one chat, holds back only later messages to that chat.
The holder keeps those waiting messages in memory (they stay pending in the stream, so a
holder that dies leaves them to the next one, in stream order).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections import OrderedDict, deque

from bot.addressing import decode
from bot.app import Runtime
from bot.channels.base import Channel, DeliveryError
from storage.leases import Leases
from storage.outbox import Parcel

log = logging.getLogger(__name__)
LEASE_MS = 10_000
MAX_ATTEMPTS = 10


class Delivery:
    def __init__(self, runtime: Runtime, channel: Channel, name: str | None = None) -> None:
        self.runtime = runtime
        self.channel = channel
        self.queue = runtime.outbox.queue(channel.name)
        self.name = name or f"delivery-{channel.name}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.leases = Leases(runtime.store)
        self.lease = f"out:{channel.name}"
        self.waiting: OrderedDict[str, deque[Parcel]] = OrderedDict()   # per recipient, in order
        self.not_before: dict[str, float] = {}                           # recipient -> monotonic time
        self.attempts: dict[str, int] = {}
        self.holding = False

    async def start(self) -> None:
        await self.queue.ensure_group()

    async def run(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            while not stop.is_set():
                try:
                    if not await self.step(block_ms=1000):
                        await asyncio.sleep(0.05)
                except (ConnectionError, OSError) as exc:
                    log.warning("%s: Redis unavailable (%s); retrying", self.name, exc)
                    await asyncio.sleep(1)
        finally:
            await self.leases.release(self.lease, self.name)

    async def step(self, block_ms: int | None = None) -> int:
        """Deliver what may go now; returns how many messages went out."""
        if not await self.leases.acquire(self.lease, self.name, LEASE_MS):
            self._forget()  # another holder has the queue (and our pending messages)
            if block_ms:
                await asyncio.sleep(block_ms / 1000)
            return 0
        if not self.holding:  # a new holder first takes what a previous one left pending
            self._forget()
            self._hold(await self.queue.reclaim(self.name))
            self.holding = True
        self._hold(await self.queue.read(self.name, count=50, block_ms=self._block(block_ms)))
        sent = 0
        for recipient in list(self.waiting):
            sent += await self._send_in_order(recipient)
        return sent

    async def _send_in_order(self, recipient: str) -> int:
        parcels, sent = self.waiting[recipient], 0
        while parcels and time.monotonic() >= self.not_before.get(recipient, 0.0):
            parcel = parcels[0]
            identity, message = decode(parcel.payload)
            try:
                await self.channel.send(identity, message)
            except DeliveryError as exc:
                if not self._retry_later(recipient, parcel, exc):
                    await self.queue.undeliverable(parcel, str(exc))
                    parcels.popleft()
                    continue
                break
            await self.queue.ack(parcel)
            self.attempts.pop(parcel.id, None)
            parcels.popleft()
            sent += 1
        if not parcels:
            del self.waiting[recipient]
            self.not_before.pop(recipient, None)
        return sent

    def _retry_later(self, recipient: str, parcel: Parcel, exc: DeliveryError) -> bool:
        """Hold this recipient back for a while; False when the message is to be given up."""
        if exc.throttled:  # our own pacing: not an attempt
            self.not_before[recipient] = time.monotonic() + (exc.retry_after or 1.0)
            return True
        attempts = self.attempts[parcel.id] = self.attempts.get(parcel.id, 0) + 1
        if exc.permanent or attempts >= MAX_ATTEMPTS:
            log.error("giving up on a message to %s after %d attempts: %s", recipient, attempts, exc)
            self.attempts.pop(parcel.id, None)
            return False
        wait = exc.retry_after if exc.retry_after is not None else min(60.0, 2.0 ** attempts)
        self.not_before[recipient] = time.monotonic() + wait
        log.warning("delivery to %s failed (%s); retrying in %.0fs", recipient, exc, wait)
        return True

    def _hold(self, parcels: list[Parcel]) -> None:
        for parcel in parcels:
            identity, _ = decode(parcel.payload)
            self.waiting.setdefault(identity, deque()).append(parcel)

    def _block(self, block_ms: int | None) -> int | None:
        """Wait for new messages no longer than until a held recipient may go again."""
        if block_ms is None or not self.waiting:
            return block_ms
        soonest = min((self.not_before.get(r, 0.0) for r in self.waiting), default=0.0)
        left_ms = int((soonest - time.monotonic()) * 1000)
        return None if left_ms <= 0 else min(block_ms, left_ms)

    def _forget(self) -> None:
        self.waiting.clear()
        self.not_before.clear()
        self.holding = False
