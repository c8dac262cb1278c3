"""What every admin area shares: who acts, how times read, and the audit record."""

from __future__ import annotations

import difflib
import getpass
import json
import sys
import uuid
from datetime import datetime
from typing import Any, Iterable, TextIO

from bot.app import Runtime
from handlers.clock import FakeClock
from handlers.community import Community, Person
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


class AdminError(Exception):
    """A mistake in what was asked (an unknown person, category, state…): `linli: error:
    MESSAGE` on stderr and exit 2, as argparse does for its own."""


def fail(message: str, code: int = 2) -> int:
    print(f"linli: error: {message}", file=sys.stderr)
    return code


def unknown(what: str, value: str, known: Iterable[str], listed: int = 30) -> AdminError:
    """'unknown category '不存在' (did you mean: 设施维修?) (one of: …)': the close ones
    first, then every valid value when there are few enough to read."""
    known = list(dict.fromkeys(known))
    close = difflib.get_close_matches(value, known, n=3, cutoff=0.5)
    close += [k for k in known if value and k not in close and (value in k or k in value)][:3 - len(close)]
    message = f"unknown {what} {value!r}"
    if close:
        message += f" (did you mean: {', '.join(close)}?)"
    if known and len(known) <= listed:
        message += f" (one of: {', '.join(known)})"
    return AdminError(message)


def person_of(community: Community, ref: str) -> Person:
    """A person by id or by full name ('zhang', '@zhang', '张阿姨'); AdminError naming the
    close ones otherwise."""
    person = community.find_person(ref)
    if person is not None:
        return person
    names = [p.id for p in community.people.values()] + [p.name for p in community.people.values()]
    error = unknown("person", ref.strip().lstrip("@＠"), names, listed=0)
    raise AdminError(f"{error}; give a person's id or full name from {community.source or 'the community file'}")
