"""What every admin area shares: who acts, how times read, and the audit record."""

from __future__ import annotations

import getpass
from datetime import datetime

from bot.app import Runtime


def actor() -> str:
    return f"admin:{getpass.getuser()}"


def iso(at: float | None, runtime: Runtime) -> str | None:
    """A timestamp in the community's time zone, ISO 8601 (None stays None)."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, runtime.settings.community.tz).isoformat(timespec="seconds")


async def audit(runtime: Runtime, action: str, subject: str) -> None:
    """Staff reads and changes from the command line go to the same audit log as chat."""
    await runtime.services.audit.record(runtime.clock.now(), actor(), action, subject, "cli")
