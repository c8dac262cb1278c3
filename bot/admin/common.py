"""What every admin area shares: who acts, how times read, and the audit record."""

from __future__ import annotations

import getpass
import json
import sys
import uuid
from datetime import datetime
from typing import Any, TextIO

from bot.app import Runtime
from handlers.clock import FakeClock
from handlers.context import Context
from handlers.events import Event


class _Stdout:
    """sys.stdout as it is when written to. A default argument `out=sys.stdout` would keep
    the stream of the moment the module was imported, and miss a later redirection
    (contextlib.redirect_stdout; the tests run the CLI in-process)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(sys.stdout, name)


STDOUT = _Stdout()   # the admin commands' default `out`


def actor() -> str:
    return f"admin:{getpass.getuser()}"


async def context(runtime: Runtime) -> Context:
    """A turn for handler code run from the command line. A console's fake clock, when the
    data directory has one, is the time here too, so deadlines line up with it. What the
    turn would say is not sent: an action that must tell people schedules a job due now,
    which the running bot (or the next console run) handles like any other."""
    saved = await runtime.redis.get(runtime.store.keys.fake_clock())
    if saved:
        runtime.services.clock = FakeClock(float(saved))
    event = Event(id=f"admin:{uuid.uuid4().hex}", channel="admin", kind="timer", received_at=runtime.clock.now())
    return Context(runtime.services, event)


def iso(at: float | None, runtime: Runtime) -> str | None:
    """A timestamp in the community's time zone, ISO 8601 (None stays None)."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, runtime.settings.community.tz).isoformat(timespec="seconds")


async def audit(runtime: Runtime, action: str, subject: str) -> None:
    """Staff reads and changes from the command line go to the same audit log as chat."""
    await runtime.services.audit.record(runtime.clock.now(), actor(), action, subject, "cli")


def print_record(data: dict[str, Any], as_json: bool, out: TextIO) -> None:
    """One ticket or task: JSON, or its fields a line each and then its history."""
    if as_json:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    for key, value in data.items():
        if key != "history":
            out.write(f"{key:13} {value if value not in (None, [], {}) else ''}\n")
    out.write("history:\n")
    for h in data["history"]:
        out.write(f"  {h['at']}  {h['by']:<10} {h['action']:<18} {h['note']}\n")
