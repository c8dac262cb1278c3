"""Elders in care (关爱): who is enrolled, their state (last sign of life, declared
absence, the open alarm and its claim) and their care log.

- `care_people()`: a hash, person id -> the enrolment (JSON: guardians, check time,
  consent, who enrolled them and how);
- `care_state(person)`: a hash of the person's state; the claim of an alarm is a field
  of its own (`claim:ALARM`), set by `step` only if nobody holds it, so that of two
  guardians claiming at once exactly one wins;
- `care_steps(person)`: which alarm steps which events applied (storage/lua/care_step.lua):
  every change of the open alarm and every claim goes through `step`, applied only if the
  alarm is still the one the step belongs to and unchanged since it was read, once per
  event and step; a redelivered event gets back the alarm as it found it, to say the same again;
- `care_log(person)` and `care_log_entries(person)`: the log, a sorted set of entry ids
  by time and their bodies. An entry id is made from the event that wrote it, so a
  redelivered event logs nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.store import Store

# As long as an event can come again (storage/tickets.py REMEMBER_SECONDS).
REMEMBER_SECONDS = 8 * 86400


@dataclass(frozen=True)
class Step:
    """What Care.step did: result ok | replay | stale | retry | taken | claimed; `before`
    the alarm it found (stale: the alarm now; taken: None, `holder` who holds the claim),
    `after` the alarm it left; `current`: the alarm is still as this step left it."""
    result: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    current: bool
    holder: str | None = None


class Care:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        self.k = store.keys

    # enrolment
    async def enrol(self, person_id: str, record: dict[str, Any]) -> bool:
        """Store (or replace) an enrolment; True when the person was not enrolled before."""
        return bool(await self.redis.hset(self.k.care_people(), person_id, json.dumps(record, ensure_ascii=False)))

    async def enrol_once(self, person_id: str, record: dict[str, Any]) -> bool:
        """Enrol unless already enrolled (the community file's entries, at every start)."""
        return bool(await self.redis.hsetnx(self.k.care_people(), person_id, json.dumps(record, ensure_ascii=False)))

    async def enrolment(self, person_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self.k.care_people(), person_id)
        return json.loads(raw) if raw else None

    async def is_enrolled(self, person_id: str) -> bool:
        return bool(await self.redis.hexists(self.k.care_people(), person_id))

    async def enrolled(self) -> dict[str, dict[str, Any]]:
        raw = await self.redis.hgetall(self.k.care_people())
        return {person: json.loads(value) for person, value in sorted(raw.items())}

    # state
    async def state(self, person_id: str) -> dict[str, Any]:
        raw = await self.redis.hgetall(self.k.care_state(person_id))
        state: dict[str, Any] = dict(raw)
        for name in ("last_sign", "last_water", "away_until"):
            if name in state:
                state[name] = float(state[name])
        state["alarm"] = json.loads(raw["alarm"]) if raw.get("alarm") else None
        return state

    async def set(self, person_id: str, **fields: Any) -> None:
        """Set state fields; None removes one. `alarm` is stored as JSON."""
        drop = [name for name, value in fields.items() if value is None]
        keep = {name: json.dumps(value, ensure_ascii=False) if name == "alarm" else str(value)
                for name, value in fields.items() if value is not None}
        async with self.redis.pipeline(transaction=True) as pipe:
            if drop:
                pipe.hdel(self.k.care_state(person_id), *drop)
            if keep:
                pipe.hset(self.k.care_state(person_id), mapping=keep)
            await pipe.execute()

    async def alarm_raw(self, person_id: str) -> str:
        """The open alarm as stored (its JSON; "" for none): what `step` compares."""
        return await self.redis.hget(self.k.care_state(person_id), "alarm") or ""

    async def step(self, person_id: str, op: str, alarm_id: str, read: str, after: dict[str, Any] | None,
                   claimant: str = "", unless_claimed: bool = False) -> Step:
        """Apply one step of the alarm `alarm_id` ("": none open, the step opens one) once per
        `op` (event id | step), if the alarm is still `read` (its raw JSON)."""
        new = json.dumps(after, ensure_ascii=False) if after is not None else ""
        result, before, done, current = await self.store.scripts["care_step"](
            keys=[self.k.care_state(person_id), self.k.care_steps(person_id)],
            args=[op, alarm_id, read, new, REMEMBER_SECONDS, claimant, "1" if unless_claimed else ""])
        if result == "taken":
            return Step(result, None, None, False, holder=before)
        return Step(result, json.loads(before) if before else None, json.loads(done) if done else None,
                    current == "1")

    async def applied(self, person_id: str, op: str) -> dict[str, Any] | None:
        """{before, after} (the alarms, parsed) if `op` was applied."""
        raw = await self.redis.hget(self.k.care_steps(person_id), op)
        if not raw:
            return None
        record = json.loads(raw)
        return {name: json.loads(record[name]) if record.get(name) else None for name in ("before", "after")}

    async def claimant(self, person_id: str, alarm_id: str) -> str | None:
        return await self.redis.hget(self.k.care_state(person_id), f"claim:{alarm_id}")

    # the care log
    async def log(self, person_id: str, entry_id: str, at: float, entry: dict[str, Any]) -> None:
        n = await self.redis.hlen(self.k.care_log_entries(person_id))   # orders entries of the same second
        body = json.dumps({"at": at, "n": n, **entry}, ensure_ascii=False)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(self.k.care_log_entries(person_id), entry_id, body)
            pipe.zadd(self.k.care_log(person_id), {entry_id: at}, nx=True)
            await pipe.execute()

    async def entries(self, person_id: str, since: float = 0) -> list[dict[str, Any]]:
        ids = await self.redis.zrangebyscore(self.k.care_log(person_id), since, "+inf")
        if not ids:
            return []
        bodies = await self.redis.hmget(self.k.care_log_entries(person_id), ids)
        return sorted((json.loads(body) for body in bodies if body), key=lambda e: (e["at"], e.get("n", 0)))

    async def latest(self, person_id: str, count: int) -> list[dict[str, Any]]:
        """The newest `count` entries of the log, newest first (from its index: no full read)."""
        ids = await self.redis.zrevrange(self.k.care_log(person_id), 0, count - 1)
        if not ids:
            return []
        bodies = await self.redis.hmget(self.k.care_log_entries(person_id), ids)
        return sorted((json.loads(body) for body in bodies if body), key=lambda e: (e["at"], e.get("n", 0)),
                      reverse=True)
