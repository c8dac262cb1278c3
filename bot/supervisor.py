"""Long-lived tasks that never die silently.

Every loop of a process (workers, delivery per channel, scheduler, Telegram polling, the
embedded server's watchdog) runs under `supervise`: an unexpected exception is logged
with its traceback and the loop restarts after a backoff that grows to a limit, so one bug
or a Redis blip cannot leave the process accepting webhooks while nothing is handled.

Loops report to a `Health` board: `beat()` once per round (a loop that stops beating is
hung), `outage()` while Redis cannot be reached (logged once per outage, not per retry).
`/healthz` reads the board.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from redis.exceptions import RedisError

from bot import metrics

log = logging.getLogger(__name__)

# What "Redis is unreachable" looks like from redis-py and the sockets under it; redis-py's
# ConnectionError and TimeoutError are RedisErrors, not the built-in exceptions.
UNAVAILABLE = (RedisError, OSError, asyncio.TimeoutError)
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
STALE_AFTER = 60.0      # a loop that has not beaten for this long is hung
HEALTHY_AFTER = 30.0    # a restarted loop counts as restarting until it has run this long


@dataclass
class TaskState:
    name: str
    running: bool = True
    restarts: int = 0
    last_error: str | None = None
    started: float = field(default_factory=time.monotonic)
    beat: float = field(default_factory=time.monotonic)
    outage_since: float | None = None   # Redis unreachable from this loop since (monotonic)

    def problem(self, now: float) -> str | None:
        if not self.running:
            return f"{self.name}: restarting after {self.last_error}"
        if self.outage_since is not None:
            return f"{self.name}: waiting for Redis for {now - self.outage_since:.0f}s ({self.last_error})"
        if now - self.beat > STALE_AFTER:
            return f"{self.name}: no progress for {now - self.beat:.0f}s"
        if self.restarts and now - self.started < HEALTHY_AFTER:
            return f"{self.name}: restarted {self.restarts} time(s), last after {self.last_error}"
        return None


class Health:
    """What this process's loops say about themselves."""

    def __init__(self) -> None:
        self.tasks: dict[str, TaskState] = {}

    def task(self, name: str) -> TaskState:
        return self.tasks.setdefault(name, TaskState(name))

    def beat(self, name: str) -> None:
        state = self.task(name)
        state.beat = time.monotonic()
        if state.outage_since is not None:
            log.info("%s: Redis is back after %.1fs; resuming", name, state.beat - state.outage_since)
            state.outage_since = None
            metrics.task_health(name, True)

    def outage(self, name: str, exc: BaseException) -> float:
        """Note that Redis is unreachable from `name`; returns how long to wait before the
        next try (growing while the outage lasts). Logged once per outage."""
        state = self.task(name)
        now = time.monotonic()
        state.last_error = describe(exc)
        if state.outage_since is None:
            state.outage_since = now
            log.warning("%s: Redis unavailable (%s); retrying until it is back", name, state.last_error)
            metrics.task_health(name, False)
        state.beat = now   # waiting for Redis is not hanging
        return min(2.0, 0.25 * 2 ** min(3, int((now - state.outage_since) // 2)))

    def problems(self) -> list[str]:
        now = time.monotonic()
        return [p for p in (state.problem(now) for state in self.tasks.values()) if p]


def describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


async def supervise(name: str, body: Callable[[], Awaitable[None]], stop: asyncio.Event, health: Health) -> None:
    """Run `body` until `stop` is set, restarting it with backoff whenever it raises."""
    state = health.task(name)
    delay = BACKOFF_FIRST
    while not stop.is_set():
        state.running, state.started, state.beat = True, time.monotonic(), time.monotonic()
        metrics.task_health(name, True)
        try:
            await body()
            if stop.is_set():
                break
            raise RuntimeError("returned before it was asked to stop")
        except asyncio.CancelledError:
            raise
        except BaseException as exc:   # noqa: BLE001 - anything that ends a loop is logged and recovered
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            state.running, state.last_error = False, describe(exc)
            state.restarts += 1
            metrics.task_restarted(name)
            metrics.task_health(name, False)
            if time.monotonic() - state.started > HEALTHY_AFTER:
                delay = BACKOFF_FIRST   # it ran well for a while: this is a new failure
            log.error("%s stopped (%s); restarting in %.1fs", name, state.last_error, delay, exc_info=exc)
            await sleep_unless(stop, delay)
            delay = min(BACKOFF_MAX, delay * 2)
    state.running = True   # stopped on purpose: not a problem


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake as soon as `stop` is set."""
    if seconds <= 0:
        return
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass
