"""Outbox delivery: one holder per channel queue at a time (a lease), in order, with
retries; a message that cannot be delivered after many tries is kept, never dropped."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid

from bot.addressing import decode
from bot.app import Runtime
from bot.channels.base import Channel, DeliveryError
from storage.leases import Leases

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
        self.resume_at = 0.0

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
        """Deliver what is queued; returns how many messages went out."""
        if time.monotonic() < self.resume_at:
            return 0
        if not await self.leases.acquire(self.lease, self.name, LEASE_MS):
            if block_ms:
                await asyncio.sleep(block_ms / 1000)
            return 0
        sent = 0
        for parcel in await self.queue.read(self.name, count=50, block_ms=block_ms):
            identity, message = decode(parcel.payload)
            try:
                await self.channel.send(identity, message)
            except DeliveryError as exc:
                attempts = await self.queue.deliveries(parcel)
                if exc.permanent or attempts >= MAX_ATTEMPTS:
                    log.error("giving up on a message to %s after %d attempts: %s", identity, attempts, exc)
                    await self.queue.undeliverable(parcel, str(exc))
                    continue
                # Keep the order: everything after this message waits for its retry.
                wait = exc.retry_after if exc.retry_after is not None else min(60.0, 2.0 ** attempts)
                self.resume_at = time.monotonic() + wait
                log.warning("delivery to %s failed (%s); retrying", identity, exc)
                break
            await self.queue.ack(parcel)
            sent += 1
        return sent
