"""Scheduled work for any feature: a job is a future event on the inbound stream.

A job is named by its kind and a key ("ticket", "12:resolve_overdue"); scheduling the same
name again moves it, so redelivered events and reopened tickets never double a job.
When it falls due the router passes the event to the handler registered for its kind.
"""

from __future__ import annotations

from typing import Any

from handlers.context import Context
from handlers.events import Event


def job_id(kind: str, key: str) -> str:
    return f"{kind}:{key}"


async def schedule(ctx: Context, kind: str, key: str, due: float, order: str, **data: Any) -> None:
    """Fire `kind` at `due` with `data`; `order` keeps it in line with related events
    (e.g. "ticket:12", "poll:3")."""
    name = job_id(kind, key)
    timer = Event(id=f"timer:{name}@{due:.0f}", channel="timer", kind="timer",
                  data={**data, "job": kind, "key": key, "due": due, "order": order})
    await ctx.services.jobs.schedule(name, due, timer.to_json(), order)


async def cancel(ctx: Context, kind: str, *keys: str) -> None:
    await ctx.services.jobs.cancel(*(job_id(kind, key) for key in keys))
