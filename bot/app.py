"""Assembly: from settings to a connected runtime with its repositories and services."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

import redis.asyncio as aioredis

from bot.settings import Settings
from handlers.clock import Clock, FakeClock, SystemClock
from handlers.context import Services
from handlers.events import Event
from handlers.texts import Texts
from nlp import Classifier
from storage.audit import Audit
from storage.connection import connect
from storage.inbound import Inbound
from storage.jobs import Jobs
from storage.outbox import Outbox
from storage.store import Store
from storage.tickets import Tickets

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    redis: aioredis.Redis
    store: Store
    inbound: Inbound
    outbox: Outbox
    services: Services

    @property
    def clock(self) -> Clock:
        return self.services.clock

    async def accept(self, event: Event, platform_id: str | None = None) -> bool:
        """Store an inbound event durably, once per platform message id; channels call
        this before telling the platform "received". False: seen before, skip it."""
        return await self.inbound.enqueue(event.to_json(), event.ordering_key, platform_id or event.id)

    async def save_fake_clock(self) -> None:
        """A fake clock outlives the process, so a restarted console resumes its time."""
        if isinstance(self.clock, FakeClock):
            await self.redis.set(self.store.keys.fake_clock(), repr(self.clock.now()))


@asynccontextmanager
async def open_runtime(settings: Settings, fake_clock: bool = False) -> AsyncIterator[Runtime]:
    # Load the rule and text files before starting anything, so a bad file stops us early.
    classifier = Classifier.from_file(settings.rules_file)
    texts = Texts.load(settings.texts_file)
    async with connect(settings.redis_url, settings.data_dir) as redis:
        store = Store.open(redis, settings.community.id)
        inbound = Inbound(store)
        await inbound.ensure_groups()
        clock: Clock = SystemClock()
        if fake_clock:
            saved = await redis.get(store.keys.fake_clock())
            clock = FakeClock(float(saved) if saved else SystemClock().now())
        services = Services(store=store, community=settings.community, clock=clock, classifier=classifier, texts=texts,
                            tickets=Tickets(store), jobs=Jobs(store, inbound), audit=Audit(store))
        runtime = Runtime(settings, redis, store, inbound, Outbox(store), services)
        await runtime.save_fake_clock()
        log.info("linli ready: %r", settings)
        yield runtime
