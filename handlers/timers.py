"""Scheduled work for any feature: a job is a future event on the inbound stream.

A job is named by its kind and a key ("ticket", "12:resolve_overdue"); scheduling the same
name again moves it, so redelivered events and reopened tickets never double a job.
When it falls due the router passes the event to the handler registered for its kind.
Only the job's name, due time, order and data are stored; its event is made when it
fires (storage/lua/fire_due.lua): id `timer:KIND:KEY@DUE`, channel and kind "timer",
data `{**data, "job": KIND, "key": KEY, "due": DUE, "order": ORDER}`.
"""

from __future__ import annotations

from typing import Any

from handlers.context import Context


def job_id(kind: str, key: str) -> str:
    return f"{kind}:{key}"


async def schedule(ctx: Context, kind: str, key: str, due: float, order: str, **data: Any) -> None:
    """Fire `kind` at `due` with `data` (small: numbers and short strings); `order` keeps
    it in line with related events (e.g. "ticket:12", "poll:3")."""
    await ctx.services.jobs.schedule_timer(kind, key, due, order, data)


async def cancel(ctx: Context, kind: str, *keys: str) -> None:
    await ctx.services.jobs.cancel(*(job_id(kind, key) for key in keys))
