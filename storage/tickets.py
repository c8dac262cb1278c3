"""The ticket repository: one hash per ticket, an append-only history, and indexes.

State changes go through one Lua script that checks the current state and records the
change atomically, once per operation key, so a redelivered command is harmless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from storage.store import Store

STATUSES = ("open", "assigned", "in_progress", "resolved", "closed", "escalated", "duplicate", "rejected")
_NUMBERS = {"created_at", "respond_due", "resolve_due", "responded_at", "resolved_at", "closed_at"}
_INTS = {"rating", "duplicate_of"}
_JSON = {"location"}


@dataclass
class Ticket:
    id: int
    status: str
    reporter: str
    text: str
    created_at: float
    category: str | None = None
    urgent: bool = False
    chat: str | None = None
    building: str | None = None
    location: dict | None = None
    assignee: str | None = None
    department: str | None = None
    rating: int | None = None
    comment: str | None = None
    respond_due: float | None = None
    resolve_due: float | None = None
    responded_at: float | None = None
    resolved_at: float | None = None
    closed_at: float | None = None
    duplicate_of: int | None = None
    reason: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    co_reporters: dict[str, dict[str, Any]] = field(default_factory=dict)  # person -> their report

    @classmethod
    def from_hash(cls, raw: dict[str, str], history: Iterable[str] = (), co: dict[str, str] | None = None) -> "Ticket":
        known = cls.__dataclass_fields__
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in known or name == "history":
                continue
            if name == "id" or name in _INTS:
                values[name] = int(value)
            elif name in _NUMBERS:
                values[name] = float(value)
            elif name == "urgent":
                values[name] = value == "1"
            elif name in _JSON:
                values[name] = json.loads(value)
            else:
                values[name] = value
        return cls(**values, history=[json.loads(h) for h in history],
                   co_reporters={person: json.loads(record) for person, record in (co or {}).items()})


@dataclass(frozen=True)
class Transition:
    result: str          # ok | replay | conflict | missing
    before: str          # the status the ticket had

    @property
    def applied(self) -> bool:
        return self.result in ("ok", "replay")


def to_hash(fields: dict[str, Any], json_fields: Iterable[str] = _JSON) -> dict[str, str]:
    """A record's fields as hash values; None clears a field (the transition script
    deletes empty values). Tasks use it too."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        if value is None:
            out[name] = ""
        elif isinstance(value, bool):
            out[name] = "1" if value else "0"
        elif name in json_fields:
            out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = str(value)
    return out


class Tickets:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.k = store.keys

    async def open(self, event_id: str, fields: dict[str, Any], entry: dict[str, Any]) -> tuple[int, bool]:
        """Create the ticket for `event_id` (or find the one it already created)."""
        existing = await self.store.redis.hget(self.k.ticket_by_event(), event_id)
        if existing:
            return int(existing), False
        ticket_id = int(await self.store.redis.incr(self.k.ticket_seq()))
        values = {k: v for k, v in to_hash({**fields, "id": ticket_id}).items() if v != ""}
        found, created = await self.store.scripts["ticket_create"](
            keys=[self.k.ticket_by_event(), self.k.ticket(ticket_id), self.k.ticket_history(ticket_id),
                  self.k.tickets(), self.k.tickets_of(fields["reporter"])],
            args=[event_id, ticket_id, json.dumps(values, ensure_ascii=False),
                  json.dumps(entry, ensure_ascii=False), fields["created_at"]])
        return int(found), bool(created)

    async def get(self, ticket_id: int) -> Ticket | None:
        async with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.k.ticket(ticket_id))
            pipe.lrange(self.k.ticket_history(ticket_id), 0, -1)
            pipe.hgetall(self._co(ticket_id))
            raw, history, co = await pipe.execute()
        return Ticket.from_hash(raw, history, co) if raw else None

    def _co(self, ticket_id: int) -> str:
        return self.k("ticket", ticket_id, "co")

    async def join(self, ticket_id: int, person_id: str, report: dict[str, Any]) -> bool:
        """Add a co-reporter (their own words kept apart); False if they already are one.
        Their `查询` lists the ticket from now on."""
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(self._co(ticket_id), person_id, json.dumps(report, ensure_ascii=False))
            pipe.zadd(self.k.tickets_of(person_id), {ticket_id: report["at"]})
            added, _ = await pipe.execute()
        return bool(added)

    async def leave(self, ticket_id: int, person_id: str) -> None:
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self._co(ticket_id), person_id)
            pipe.zrem(self.k.tickets_of(person_id), ticket_id)
            await pipe.execute()

    async def since(self, at: float) -> list[int]:
        """Tickets opened at or after `at`, oldest first."""
        return [int(i) for i in await self.store.redis.zrangebyscore(self.k.tickets(), at, "+inf")]

    async def transition(self, ticket_id: int, op_key: str, allowed: Iterable[str] | None,
                         fields: dict[str, Any], entry: dict[str, Any]) -> Transition:
        result, before = await self.store.scripts["ticket_transition"](
            keys=[self.k.ticket(ticket_id), self.k.ticket_history(ticket_id), self.k.ticket_ops(ticket_id)],
            args=[op_key, "*" if allowed is None else ",".join(allowed),
                  json.dumps(to_hash(fields), ensure_ascii=False), json.dumps(entry, ensure_ascii=False)])
        return Transition(result, before)

    async def ids(self, reporter: str | None = None) -> list[int]:
        key = self.k.tickets_of(reporter) if reporter else self.k.tickets()
        return [int(i) for i in await self.store.redis.zrange(key, 0, -1)]

    async def many(self, ids: list[int]) -> list[Ticket]:
        tickets = []
        for start in range(0, len(ids), 200):
            async with self.store.redis.pipeline(transaction=False) as pipe:
                for ticket_id in ids[start:start + 200]:
                    pipe.hgetall(self.k.ticket(ticket_id))
                    pipe.lrange(self.k.ticket_history(ticket_id), 0, -1)
                    pipe.hgetall(self._co(ticket_id))
                replies = await pipe.execute()
            tickets += [Ticket.from_hash(raw, hist, co)
                        for raw, hist, co in zip(replies[::3], replies[1::3], replies[2::3]) if raw]
        return tickets
