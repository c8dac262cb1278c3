"""Volunteer tasks: one hash per task, who claimed and who finished in their own hashes,
an append-only history, and each volunteer's set of open tasks (their load).

A task is made once per event, with its history and indexes, in one script
(storage/create_once.py). Claiming, giving back and finishing go through Lua scripts, so
twenty volunteers pressing 接单 at once leave exactly as many claimants as there are
places. Status changes reuse the tickets' guarded transition script (one state check, one
history entry, once per key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple

from storage.create_once import Created, CreateOnce
from storage.keys import NEW_ID
from storage.store import Store
from storage.tickets import to_hash

STATUSES = ("open", "full", "completed", "confirmed", "cancelled")
OPEN = ("open", "full")
_NUMBERS = {"created_at", "at", "confirmed_at"}
_INTS = {"id", "places", "ticket", "batch", "rating"}
_BOOLS = {"party", "urgent", "exhausted"}
_JSON = {"skills"}


@dataclass
class Task:
    id: int
    title: str
    status: str
    places: int
    created_at: float
    created_by: str
    ticket: int | None = None
    beneficiary: str | None = None
    detail: str | None = None           # what volunteers are told (no phone or ID numbers)
    skills: list[str] = field(default_factory=list)
    party: bool = False
    urgent: bool = False
    building: str | None = None
    place: str | None = None
    at: float | None = None
    batch: int = 0
    exhausted: bool = False
    rating: int | None = None
    comment: str | None = None
    confirmed_at: float | None = None
    confirmed_by: str | None = None
    claims: dict[str, float] = field(default_factory=dict)
    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    pushed: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"T{self.id}"

    @property
    def left(self) -> int:
        return max(self.places - len(self.claims), 0)

    def claimants(self) -> list[str]:
        """In the order they claimed."""
        return sorted(self.claims, key=lambda person: self.claims[person])


class Claim(NamedTuple):
    """What task_claim.lua answered, and the places taken and offered after it."""
    result: str          # ok | replay | already | taken | closed | busy | missing
    claimed: int
    places: int


class MemberChange(NamedTuple):
    """What task_release.lua answered for a claimant giving a place back or reporting done
    (who asks is checked before the task's state: not_claimed and already_done come first)."""
    result: str          # ok | replay | not_claimed | already_done | closed | missing
    status: str          # the task's status after it


def _decode(raw: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in Task.__dataclass_fields__:
            continue
        if name in _INTS:
            values[name] = int(value)
        elif name in _NUMBERS:
            values[name] = float(value)
        elif name in _BOOLS:
            values[name] = value == "1"
        elif name in _JSON:
            values[name] = json.loads(value)
        else:
            values[name] = value
    return values


def _encode(fields: dict[str, Any]) -> dict[str, str]:
    return to_hash(fields, _JSON)


class Tasks:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        self.scripts = store.scripts
        self.k = store.keys

    def _keys(self, task_id: int) -> dict[str, str]:
        k = self.k
        return {"claims": k.task_claims(task_id), "done": k.task_done(task_id), "pushed": k.task_pushed(task_id),
                "history": k.task_history(task_id), "ops": k.task_ops(task_id)}

    def load_key(self, person_id: str) -> str:
        return self.k.tasks_open_of(person_id)

    async def create(self, event_id: str, fields: dict[str, Any], entry: dict[str, Any]) -> Created:
        """The task `event_id` creates, once however often the event is redelivered: the
        event's mark, the task, its history and its indexes are written in one script, so
        no crash can leave the event pointing at a task that does not exist."""
        k = self.k
        values = {name: value for name, value in _encode({**fields, "status": "open"}).items() if value != ""}
        once = (CreateOnce(event_id, k.task_by_event(), k.task_seq())
                .hset(k.task(NEW_ID), {**values, "id": NEW_ID})
                .rpush(k.task_history(NEW_ID), json.dumps(entry, ensure_ascii=False))
                .zadd(k.tasks(), fields["created_at"], NEW_ID))
        if fields.get("ticket"):
            once.sadd(k.tasks_of_ticket(fields["ticket"]), NEW_ID)
        return await once.run(self.store)

    async def get(self, task_id: int) -> Task | None:
        keys = self._keys(task_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.k.task(task_id))
            pipe.hgetall(keys["claims"])
            pipe.hgetall(keys["done"])
            pipe.hgetall(keys["pushed"])
            pipe.lrange(keys["history"], 0, -1)
            raw, claims, done, pushed, history = await pipe.execute()
        if not raw:
            return None
        return Task(**_decode(raw), claims={p: float(t) for p, t in claims.items()},
                    done={p: json.loads(d) for p, d in done.items()},
                    pushed={p: float(t) for p, t in pushed.items()},
                    history=[json.loads(h) for h in history])

    async def ids(self) -> list[int]:
        return [int(i) for i in await self.redis.zrange(self.k.tasks(), 0, -1)]

    async def of_ticket(self, ticket_id: int) -> list[int]:
        return sorted(int(i) for i in await self.redis.smembers(self.k.tasks_of_ticket(ticket_id)))

    async def open_of(self, person_id: str) -> list[int]:
        return sorted(int(i) for i in await self.redis.smembers(self.load_key(person_id)))

    async def loads(self, people: Iterable[str]) -> dict[str, int]:
        people = list(people)
        async with self.redis.pipeline(transaction=False) as pipe:
            for person in people:
                pipe.scard(self.load_key(person))
            counts = await pipe.execute()
        return dict(zip(people, counts))

    async def claim(self, task_id: int, op_key: str, person_id: str, now: float, entry: dict[str, Any],
                    most_open: int) -> Claim:
        keys = self._keys(task_id)
        result, claimed, places = await self.scripts["task_claim"](
            keys=[self.k.task(task_id), keys["claims"], keys["history"], keys["ops"], self.load_key(person_id)],
            args=[op_key, person_id, now, json.dumps(entry, ensure_ascii=False), most_open])
        return Claim(result, int(claimed), int(places))

    async def release(self, task_id: int, op_key: str, person_id: str, entry: dict[str, Any]) -> MemberChange:
        return await self._member(task_id, op_key, person_id, "release", entry, {})

    async def finish(self, task_id: int, op_key: str, person_id: str, entry: dict[str, Any],
                     report: dict[str, Any]) -> MemberChange:
        return await self._member(task_id, op_key, person_id, "done", entry, report)

    async def _member(self, task_id: int, op_key: str, person_id: str, action: str, entry: dict[str, Any],
                      report: dict[str, Any]) -> MemberChange:
        keys = self._keys(task_id)
        result, status = await self.scripts["task_release"](
            keys=[self.k.task(task_id), keys["claims"], keys["done"], keys["history"], keys["ops"],
                  self.load_key(person_id)],
            args=[op_key, person_id, action, json.dumps(entry, ensure_ascii=False),
                  json.dumps(report, ensure_ascii=False)])
        return MemberChange(result, status)

    async def transition(self, task: Task, op_key: str, allowed: Iterable[str], fields: dict[str, Any],
                         entry: dict[str, Any]) -> str:
        """ok | replay | conflict | missing. Leaving the open states frees the claimants' load."""
        keys = self._keys(task.id)
        result, _ = await self.scripts["ticket_transition"](
            keys=[self.k.task(task.id), keys["history"], keys["ops"]],
            args=[op_key, ",".join(allowed), json.dumps(_encode(fields), ensure_ascii=False),
                  json.dumps(entry, ensure_ascii=False)])
        if result in ("ok", "replay") and fields.get("status") not in OPEN:
            async with self.redis.pipeline(transaction=False) as pipe:
                for person in task.claims:
                    pipe.srem(self.load_key(person), task.id)
                await pipe.execute()
        return result

    async def set_fields(self, task_id: int, fields: dict[str, Any]) -> None:
        """Bookkeeping that needs no state check (the push batch, the exhausted mark)."""
        await self.redis.hset(self.k.task(task_id), mapping=_encode(fields))

    async def mark_pushed(self, task_id: int, people: dict[str, float]) -> None:
        """Who was offered the task and when (by due time, for pushes held over quiet hours)."""
        if not people:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(self._keys(task_id)["pushed"], mapping=people)
            pipe.hset(self.k.volunteers_last_push(), mapping=people)
            await pipe.execute()

    async def last_pushed(self, people: Iterable[str]) -> dict[str, float]:
        people = list(people)
        values = await self.redis.hmget(self.k.volunteers_last_push(), people) if people else []
        return {p: float(v) for p, v in zip(people, values) if v}
