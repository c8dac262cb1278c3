"""Assembly: from settings to a connected runtime with its repositories and services."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import AsyncIterator

import redis.asyncio as aioredis

from bot.settings import Settings
from bot.supervisor import Health
from handlers import care
from handlers.clock import Clock, FakeClock, SystemClock
from handlers.context import Services
from handlers.events import Event
from handlers.texts import Texts
import nlp
from nlp import Classifier
from nlp.rules import DEFAULT_RULES, Rules
from storage.audit import Audit
from storage.connection import connect
from storage.embedded import EmbeddedServer
from storage.examples import Examples
from storage.inbound import Inbound
from storage.jobs import Jobs
from storage.leases import Leases
from storage.outbox import Outbox
from storage.store import Store
from storage.tickets import Tickets

log = logging.getLogger(__name__)
RULES_CHECK_SECONDS = 3.0


def _load_warm(path, words) -> Classifier:
    classifier = nlp.Classifier.from_file(path)
    classifier.add_words(words)
    classifier.warm_up()
    return classifier


@dataclass
class Runtime:
    settings: Settings
    redis: aioredis.Redis
    store: Store
    inbound: Inbound
    outbox: Outbox
    services: Services
    rules_seen: tuple[float, float] = field(default=(0.0, 0.0))   # (file mtime, when we last looked)
    health: Health = field(default_factory=Health)   # this process's loops, read by /healthz
    embedded: EmbeddedServer | None = None            # the embedded server, when there is no REDIS_URL

    @property
    def leases(self) -> Leases:
        return Leases(self.store)

    @property
    def clock(self) -> Clock:
        return self.services.clock

    async def refresh_rules(self, every: float = RULES_CHECK_SECONDS) -> bool:
        """Reload the rule file when it changed (looked at most every few seconds): the new
        rules replace the old at once; a file that fails to load leaves the old ones
        running and the error in the log. True when new rules were taken."""
        mtime, looked = self.rules_seen
        if time.monotonic() - looked < every:
            return False
        path = self.settings.rules_file or DEFAULT_RULES
        try:
            current = os.stat(path).st_mtime
        except OSError as exc:
            log.error("rule file %s: %s; keeping the rules loaded", path, exc)
            current = mtime
        self.rules_seen = (current, time.monotonic())
        if current == mtime:
            return False
        try:
            fresh = await asyncio.to_thread(_load_warm, path, self.settings.community.dictionary)
        except Exception as exc:   # a bad edit must not stop the bot
            log.error("rule file %s not reloaded, keeping the rules loaded: %s", path, exc)
            return False
        self.services.classifier = fresh
        log.info("rule file %s reloaded", path)
        return True

    async def accept(self, event: Event, platform_id: str | None = None) -> bool:
        """Store an inbound event durably, once per platform message id; channels call
        this before telling the platform "received". False: seen before, skip it."""
        return await self.inbound.enqueue(event.to_json(), event.ordering_key, platform_id or event.id)

    async def save_fake_clock(self) -> None:
        """A fake clock outlives the process, so a restarted console resumes its time."""
        if isinstance(self.clock, FakeClock):
            await self.redis.set(self.store.keys.fake_clock(), repr(self.clock.now()))


@asynccontextmanager
async def open_runtime(settings: Settings, fake_clock: bool = False,
                       redis_deadline: float | None = None) -> AsyncIterator[Runtime]:
    """`redis_deadline`: seconds to wait for a Redis that does not answer at start (None:
    as long as it takes, as a service should)."""
    # Check the rule and text files before starting anything, so a bad file stops us early;
    # the classifier itself is built from them on first use.
    Rules.load(settings.rules_file)
    texts = Texts.load(settings.texts_file)

    def load_classifier() -> Classifier:
        classifier = Classifier.from_file(settings.rules_file)
        classifier.add_words(settings.community.dictionary)
        return classifier

    async with connect(settings.redis_url, settings.data_dir, max_connections=settings.redis_max_connections,
                       pool_timeout=settings.redis_pool_timeout,
                       deadline=redis_deadline) as redis:
        store = Store.open(redis, settings.community.id)
        inbound = Inbound(store, dead_letters_max=settings.dead_letters_max)
        await inbound.ensure_groups()
        clock: Clock = SystemClock()
        if fake_clock:
            saved = await redis.get(store.keys.fake_clock())
            clock = FakeClock(float(saved) if saved else SystemClock().now())
        services = Services(store=store, community=settings.community, clock=clock, load_classifier=load_classifier, texts=texts,
                            tickets=Tickets(store, settings.community.tz), jobs=Jobs(store, inbound),
                            audit=Audit(store, keep_days=settings.audit_days), examples=Examples(store),
                            web_url=settings.web_url)
        runtime = Runtime(settings, redis, store, inbound, Outbox(store, settings.dead_letters_max), services,
                          embedded=getattr(redis, "linli_embedded", None))
        path = settings.rules_file or DEFAULT_RULES
        runtime.rules_seen = (os.stat(path).st_mtime, time.monotonic())
        await runtime.save_fake_clock()
        if settings.community.care.people:   # the file's [[care.people]]: enrolled by a job, at once
            await services.jobs.schedule_timer(care.SYNC, "file", clock.now(), "care", {})
        log.info("linli ready: %r", settings)
        yield runtime
