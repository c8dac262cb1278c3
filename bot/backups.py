"""Scheduled backups (issue #20): `linli run` takes one every LINLI_BACKUP_HOURS into
LINLI_BACKUP_DIR and keeps the newest LINLI_BACKUP_KEEP, under the supervisor.

Each backup is a directory `linli-YYYYMMDDTHHMMSSZ` (UTC, so names sort by time), written
as `NAME.tmp` and renamed once complete (bot/admin/backup.py `take`): a crash leaves a
`.tmp`, which is never counted as a backup and is removed at the next start. The next one
is due the interval after the newest complete one in the directory, so a restart neither
takes an extra backup nor skips one. Wall-clock time, not the console's fake clock.

Health: besides the supervisor's own checks (a loop that died, or stopped beating), the
task reports in /healthz while its last attempt failed (with the cause, until one
succeeds) and when the newest backup is older than twice the interval.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Awaitable, Callable

from bot.supervisor import Health, TaskState, describe, sleep_unless

log = logging.getLogger(__name__)

NAME = "backups"
PREFIX = "linli-"
STAMP = "%Y%m%dT%H%M%SZ"
PATTERN = re.compile(r"^linli-\d{8}T\d{6}Z$")
BEAT_EVERY = 20.0          # seconds: well inside the supervisor's STALE_AFTER
RETRY_AFTER = 15 * 60.0    # a failed attempt is tried again this much later (or at the interval, if sooner)


class BackupState(TaskState):
    """The supervisor's view of the loop, plus what the backups themselves say."""

    hours: float = 24.0
    failed: str | None = None          # the last attempt's cause, while it has not succeeded since
    failed_at: float | None = None     # wall-clock time of that attempt
    newest: float | None = None        # wall-clock time of the newest complete backup
    taking: bool = False               # a backup is being taken now (the newest is about to change)

    def problem(self, now: float) -> str | None:
        found = super().problem(now)
        if found:
            return found
        if self.failed:
            return f"{self.name}: the last backup failed {_ago(time.time() - (self.failed_at or 0))} ago ({self.failed})"
        if not self.taking and self.newest is not None and time.time() - self.newest > 2 * self.hours * 3600:
            return f"{self.name}: the newest backup is {_ago(time.time() - self.newest)} old"
        return None


def _ago(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def name_at(at: float) -> str:
    return PREFIX + datetime.fromtimestamp(at, timezone.utc).strftime(STAMP)


def time_of(name: str) -> float:
    return datetime.strptime(name[len(PREFIX):], STAMP).replace(tzinfo=timezone.utc).timestamp()


def complete(directory: Path) -> list[Path]:
    """The complete backups in `directory`, oldest first (their names sort by time)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_dir() and PATTERN.match(p.name))


def clean_leftovers(directory: Path) -> list[Path]:
    """Remove what interrupted attempts left (NAME.tmp); returns what was removed."""
    gone = [p for p in directory.glob(PREFIX + "*.tmp") if p.is_dir()] if directory.is_dir() else []
    for path in gone:
        shutil.rmtree(path, ignore_errors=True)
    return gone


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` complete backups; returns what was deleted."""
    backups = complete(directory)
    old = backups[:-keep] if keep > 0 else backups
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
    return old


def install(health: Health, hours: float) -> BackupState:
    """Put the backups' own state on the board before the supervisor first looks it up."""
    state = BackupState(NAME)
    state.hours = hours
    health.tasks[NAME] = state
    return state


def loop(runtime, stop: asyncio.Event, health: Health) -> Callable[[], Awaitable[None]]:
    """The body `supervise` runs, with the task's state installed."""
    settings = runtime.settings
    state = install(health, settings.backup_hours)
    take = _taker(runtime)
    return lambda: run(Path(settings.backup_dir), settings.backup_hours, settings.backup_keep, take, stop,
                       health, state)


def _taker(runtime) -> Callable[[Path], Awaitable[dict]]:
    from bot.admin.backup import source_of, take

    settings = runtime.settings

    async def take_one(dest: Path) -> dict:
        url = settings.redis_url or runtime.embedded.url
        return await take(settings, url, dest, source_of(settings))
    return take_one


async def run(directory: Path, hours: float, keep: int, take: Callable[[Path], Awaitable[dict]],
              stop: asyncio.Event, health: Health, state: BackupState) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for path in clean_leftovers(directory):
        log.warning("removed an unfinished backup %s (an attempt was interrupted)", path)
    interval = hours * 3600
    while not stop.is_set():
        backups = complete(directory)
        state.newest = time_of(backups[-1].name) if backups else None
        due = state.newest + interval if state.newest is not None else time.time()
        if state.failed_at is not None:
            due = max(due, state.failed_at + min(RETRY_AFTER, interval))
        while not stop.is_set() and time.time() < due:
            health.beat(NAME)
            await sleep_unless(stop, min(BEAT_EVERY, due - time.time()))
        if stop.is_set():
            return
        at = time.time()
        dest = directory / name_at(at)
        attempt = asyncio.create_task(take(dest))
        state.taking = True
        try:
            while not attempt.done():   # a large backup takes a while: keep beating
                health.beat(NAME)
                await asyncio.wait({attempt}, timeout=BEAT_EVERY)
            manifest = attempt.result()
        except asyncio.CancelledError:
            attempt.cancel()
            raise
        except Exception as exc:   # noqa: BLE001 - logged with its cause, retried, shown in /healthz
            state.failed, state.failed_at = describe(exc), time.time()
            log.error("scheduled backup into %s failed: %s; trying again in %s", dest, state.failed,
                      _ago(min(RETRY_AFTER, interval)), exc_info=exc)
            continue
        finally:
            state.taking = False
        state.failed = state.failed_at = None
        state.newest = at
        removed = prune(directory, keep)
        log.info("backup %s written (%d keys, %.1f s); %d old backup(s) removed, keeping %d", dest.name,
                 manifest["keyspace"]["keys"], time.time() - at, len(removed), keep)
        if not manifest.get("ledger_verified", True):
            log.error("backup %s: the ledger in the snapshot does not verify: %s", dest.name,
                      "; ".join(manifest.get("ledger_problems", [])[:3]))
