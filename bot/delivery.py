"""Outbox delivery: one holder per channel queue at a time (a lease), with retries; a
message that cannot be delivered after many tries is kept, never dropped.

Exactly once, in the normal case and while holders come and go: the holder renews its
lease in the background and sends only while the lease it holds outlasts the longest a
send may take (`SEND_TIMEOUT`). A holder that lost its lease, or could not renew it, stops
before the next send; a new holder takes over the unacknowledged messages only once the
old lease has run out, by which time the old holder has finished or abandoned its last
send. What is left is the one message between the platform's answer and our
acknowledgement when a process is killed: it is sent again (at least once).

Order is kept per recipient, not per channel: recipients are served side by side (up to
the channel's `concurrency`; the platform's pace is the channel's own rate limit), and a
message waiting for its retry, or held back by the platform's pace for one chat, holds
back only later messages to that chat. The holder keeps those waiting messages in memory
(they stay pending in the stream, so a holder that dies leaves them to the next one, in
stream order).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections import OrderedDict, deque

from redis.exceptions import ResponseError

from bot import metrics
from bot.addressing import decode
from bot.app import Runtime
from bot.channels.base import Channel, DeliveryError, fitted
from bot.supervisor import UNAVAILABLE, Health, sleep_unless
from storage.leases import Leases
from storage.inbound import stream_age
from storage.outbox import Parcel

log = logging.getLogger(__name__)
LEASE_MS = 15_000       # a dead holder's queue is taken over this long after its last renewal
RENEW_EVERY = 2.0       # seconds; the lease outlives a few missed renewals
SEND_TIMEOUT = 8.0      # a platform call taking longer is abandoned and retried
MAX_ATTEMPTS = 10
READ_COUNT = 200



def delivery_lease(queue: str) -> str:
    """The lease whose holder delivers `queue` (a channel's, or a console session's): held
    means some process is delivering it."""
    return f"out:{queue}"

class Delivery:
    def __init__(self, runtime: Runtime, channel: Channel, name: str | None = None, queue: str | None = None) -> None:
        """`queue`: the outbox queue served, when not the channel's own (a console
        session's, bot/addressing.py)."""
        self.runtime = runtime
        self.channel = channel
        queue = queue or channel.name
        self.queue = runtime.outbox.queue(queue)
        self.name = name or f"delivery-{queue}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.leases = Leases(runtime.store)
        self.lease = delivery_lease(queue)
        self.concurrency = max(1, int(getattr(channel, "concurrency", 1)))
        self.waiting: OrderedDict[str, deque[Parcel]] = OrderedDict()   # per recipient, in order
        self.not_before: dict[str, float] = {}                           # recipient -> monotonic time
        self.attempts: dict[str, int] = {}
        self.sent_unacked: set[str] = set()   # sent, acknowledgement not yet stored (Redis blip)
        self.lease_until = 0.0                # monotonic time our lease surely lasts until
        self.holding = False
        # One step at a time: a console's drain may step the delivery its own loop also steps,
        # and two steps sending to one recipient would both take its first message.
        self.stepping = asyncio.Lock()
        self.cut_note = runtime.services.texts("message.cut")   # a text too long for the platform ends so

    async def start(self) -> None:
        await self.queue.ensure_group()

    async def run(self, stop: asyncio.Event, health: Health | None = None) -> None:
        health = health or Health()
        await self.start()
        renewer = asyncio.create_task(self._keep_lease(stop))
        try:
            while not stop.is_set():
                try:
                    if not await self.step(block_ms=500):
                        await asyncio.sleep(0.02)
                    health.beat(self.name)
                except UNAVAILABLE as exc:
                    self.lease_until = 0.0
                    if isinstance(exc, ResponseError) and "NOGROUP" in str(exc):
                        await self.start()
                    await sleep_unless(stop, health.outage(self.name, exc))
        finally:
            renewer.cancel()
            try:
                await self.leases.release(self.lease, self.name)
            except UNAVAILABLE:
                pass   # it runs out by itself

    async def _keep_lease(self, stop: asyncio.Event) -> None:
        """Renew while we hold the queue, so a long round of sends never outlives it."""
        while not stop.is_set():
            await sleep_unless(stop, RENEW_EVERY)
            if self.holding:
                try:
                    await self._take_lease(renew_only=True)
                except UNAVAILABLE:
                    pass   # may_send() stops sending as the lease we know of runs short

    async def _take_lease(self, renew_only: bool = False) -> bool:
        """Keep the queue's lease, or take it when it is free. A lease taken anew (not
        renewed) means another holder may have sent what we held: we start over from the
        stream. True while we hold it."""
        asked = time.monotonic()
        if self.holding and await self.leases.renew(self.lease, self.name, LEASE_MS):
            self.lease_until = asked + LEASE_MS / 1000
            return True
        if self.holding:
            log.warning("%s: lost the %s queue's lease; stopping its sends", self.name, self.channel.name)
        self.lease_until = 0.0
        self._forget()
        if renew_only or not await self.leases.acquire(self.lease, self.name, LEASE_MS):
            return False
        self.lease_until = asked + LEASE_MS / 1000
        return True

    def may_send(self) -> bool:
        """Our lease lasts past the longest a send may take: nobody else can be sending."""
        return time.monotonic() + SEND_TIMEOUT + 0.5 < self.lease_until

    async def step(self, block_ms: int | None = None) -> int:
        """Deliver what may go now; returns how many messages went out."""
        async with self.stepping:
            return await self._step(block_ms)

    async def _step(self, block_ms: int | None) -> int:
        if not await self._take_lease():
            if block_ms:
                await asyncio.sleep(block_ms / 1000)
            return 0
        if not self.holding:  # a new holder first takes what a previous one left pending
            reclaimed = await self.queue.reclaim(self.name)
            self.sent_unacked &= {p.id for p in reclaimed}   # the rest were acknowledged by another
            self._hold(reclaimed)
            self.holding = True
        self._hold(await self.queue.read(self.name, count=READ_COUNT, block_ms=self._block(block_ms)))
        now = time.monotonic()
        ready = [r for r in self.waiting if self.not_before.get(r, 0.0) <= now]
        if self.concurrency == 1 or len(ready) <= 1:
            sent = 0
            for recipient in ready:
                sent += await self._send_in_order(recipient)
            return sent
        gate = asyncio.Semaphore(self.concurrency)

        async def one(recipient: str) -> int:
            async with gate:
                return await self._send_in_order(recipient)

        # Every send finishes (none is cut off half-way); then the first error, if any, is raised.
        results = await asyncio.gather(*(one(r) for r in ready), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return sum(results)

    async def _send_in_order(self, recipient: str) -> int:
        parcels, sent = self.waiting.get(recipient), 0
        while parcels and time.monotonic() >= self.not_before.get(recipient, 0.0):
            parcel = parcels[0]
            if parcel.id not in self.sent_unacked:
                if not self.may_send():
                    break   # the lease may be lost: the next round checks before anything else goes
                identity, message = decode(parcel.payload)
                message = fitted(message, getattr(self.channel, "text_limit", None), self.cut_note)
                try:
                    await asyncio.wait_for(self.channel.send(identity, message), SEND_TIMEOUT)
                except (DeliveryError, asyncio.TimeoutError) as exc:
                    error = exc if isinstance(exc, DeliveryError) else DeliveryError("the platform did not answer in time")
                    if not self._retry_later(recipient, parcel, error):
                        await self.queue.undeliverable(parcel, str(error))
                        metrics.delivered(self.channel.name, "undeliverable", stream_age(parcel.id))
                        parcels.popleft()
                        continue
                    if not error.throttled:
                        metrics.delivered(self.channel.name, "retry")
                    break
                self.sent_unacked.add(parcel.id)
                metrics.delivered(self.channel.name, "sent", stream_age(parcel.id))
            await self.queue.ack(parcel)
            self.sent_unacked.discard(parcel.id)
            self.attempts.pop(parcel.id, None)
            parcels.popleft()
            sent += 1
        if recipient in self.waiting and not self.waiting[recipient]:
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
