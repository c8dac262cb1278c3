"""A process's health on disk, for health checks that cannot ask over HTTP.

A `linli worker` has no HTTP server, so `/healthz` cannot speak for it (a container whose
check asks `/healthz` would call every worker unhealthy). Instead every `linli run` and
`linli worker` writes its health board — the same `Health.problems()` that `/healthz`
reports: loops restarting, hung, or waiting for Redis — to a file of its own every
WRITE_EVERY seconds, and `linli health` reads the files of the processes on this machine
(in a container: of this container) and exits 0 only when

- at least one linli process is alive here (a file whose process is gone is ignored and
  removed; the process's start time is recorded, so a reused pid is not taken for it),
- every live one wrote its file within the last `--max-age` seconds (a process that is
  stopped, or whose event loop is stuck, stops writing), and
- none reports a problem.

The files live in LINLI_HEALTH_DIR, by default a directory of this user's in the system's
temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Mapping

from bot.supervisor import Health, sleep_unless

DIR_ENV = "LINLI_HEALTH_DIR"
WRITE_EVERY = 2.0
MAX_AGE = 30.0   # a file older than this: the process is stopped or its event loop stuck
NAME = "health-file"


def health_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get(DIR_ENV) or Path(tempfile.gettempdir()) / f"linli-health-{os.getuid()}")


def _started(pid: int) -> str | None:
    """The process's start time (clock ticks since boot, /proc/PID/stat field 22), which
    tells a process from a later one given the same pid; None where /proc is missing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()   # after the command name, which may hold spaces
    return None if fields[0] == "Z" else fields[19]   # a zombie has ended


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass   # someone else's process: it exists
    if Path("/proc/self/stat").exists():
        now = _started(pid)
        return now is not None and (started is None or now == started)
    return True


def snapshot(health: Health, role: str) -> dict:
    now = time.monotonic()
    return {"pid": os.getpid(), "started": _started(os.getpid()), "role": role, "time": time.time(),
            "problems": health.problems(),
            "loops": {name: {"restarts": state.restarts, "beat_seconds_ago": round(now - state.beat, 1)}
                      for name, state in sorted(health.tasks.items())}}


def write(directory: Path, health: Health, role: str) -> Path:
    """Write this process's file (atomically: a reader never sees half of it)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if directory.stat().st_uid != os.getuid():   # someone else's (a shared /tmp): not to be trusted
        raise PermissionError(f"{directory} belongs to another user; set {DIR_ENV}")
    path = directory / f"{os.getpid()}.json"
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(snapshot(health, role)), encoding="utf-8")
    os.replace(partial, path)
    return path


async def keep_written(health: Health, stop: asyncio.Event, role: str, directory: Path | None = None) -> None:
    """The loop `linli run` and `linli worker` run: write the board, beat, repeat; the
    file is removed when the process stops on purpose."""
    directory = directory or health_dir()
    path = None
    try:
        while not stop.is_set():
            path = await asyncio.to_thread(write, directory, health, role)
            health.beat(NAME)
            await sleep_unless(stop, WRITE_EVERY)
    finally:
        if stop.is_set() and path is not None:
            path.unlink(missing_ok=True)


def check(directory: Path, max_age: float = MAX_AGE, now: float | None = None) -> tuple[list[str], list[str]]:
    """(problems, healthy processes) of the linli processes that write into `directory`."""
    now = time.time() if now is None else now
    problems, healthy = [], []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else ():
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            pid = int(report["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue   # being replaced, or not ours
        if not _alive(pid, report.get("started")):
            path.unlink(missing_ok=True)   # left by a process that is gone
            continue
        who = f"linli {report.get('role', '?')} (pid {pid})"
        age = now - float(report.get("time", 0))
        if age > max_age:
            problems.append(f"{who}: no health report for {age:.0f}s (stopped or stuck)")
        elif report.get("problems"):
            problems += [f"{who}: {problem}" for problem in report["problems"]]
        else:
            healthy.append(f"{who}: ok, {len(report.get('loops', {}))} loops, reported {age:.0f}s ago")
    if not problems and not healthy:
        problems.append(f"no linli process is running here (no live health report in {directory})")
    return problems, healthy


def register(commands) -> None:
    health = commands.add_parser(
        "health", help="exit 0 when the linli processes on this machine (this container) are alive and their "
                       "loops healthy; the check of a worker, which has no /healthz")
    health.add_argument("--max-age", type=float, default=MAX_AGE, metavar="SECONDS",
                        help=f"a process that has not reported for this long is stuck (default {MAX_AGE:.0f})")
    health.set_defaults(offline=command)


def command(args: argparse.Namespace) -> int:
    problems, healthy = check(health_dir(), max_age=args.max_age)
    for line in healthy:
        print(line)
    for line in problems:
        print(f"unhealthy: {line}", file=sys.stderr)
    return 1 if problems else 0
