"""Create a record once per event: the one way tickets, polls, time-bank exchanges and
volunteer tasks are made (storage/lua/create_once.lua).

As arq's `enqueue_job` takes a job id and makes the job only if none has it, a record is
made for an event only if the event has made none: the check, the new id and every write
(the record, its history, the indexes it belongs in) are one script, so a redelivered
event finds what it made and a crash in between cannot leave half a record, or an event
pointing at one that does not exist.

    created = await (CreateOnce(event_id, keys.task_by_event(), keys.task_seq())
                     .hset(keys.task(NEW_ID), {"id": NEW_ID, ...})
                     .zadd(keys.tasks(), created_at, NEW_ID)
                     .run(store))

NEW_ID, in a key or as a value, stands for the id drawn (such a key is a storage/keys.py
method called with NEW_ID, so it has the community's hash tag like every other key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from storage.keys import NEW_ID
from storage.store import Store


class Created(NamedTuple):
    id: int
    created: bool        # False: the event had already created it (this is its id)


@dataclass
class CreateOnce:
    """What one event creates. `by_event` maps event ids to what they created (read always;
    written unless `remember=False`, when the record keeps its event itself and `find`
    says where to look for it); `seq` is the id counter."""

    event: str
    by_event: str
    seq: str
    remember: bool = True
    keys: list[str] = field(default_factory=list)
    spec: dict[str, Any] = field(default_factory=dict)

    def _key(self, key: str) -> int | str:
        """A template (made with NEW_ID) as itself, any other key as its index in KEYS."""
        if NEW_ID in key:
            return key
        if key not in self.keys:
            self.keys.append(key)
        return self.keys.index(key) + 3

    def find(self, index: str, low: float, high: float, record: str, name: str, value: str) -> "CreateOnce":
        """The event's record may also be one of `index`'s members scored `low`..`high`
        (the newest 50) whose hash `record` (a template) holds `value` in field `name`."""
        self.spec["find"] = {"k": self._key(index), "min": _score(low), "max": _score(high), "key": record,
                             "field": name, "value": value}
        return self

    def hset(self, key: str, values: dict[str, Any]) -> "CreateOnce":
        flat: list[str] = []
        for name, value in values.items():
            flat += [str(name), str(value)]
        self.spec.setdefault("hset", []).append({"key": self._key(key), "set": flat})
        return self

    def rpush(self, key: str, value: str) -> "CreateOnce":
        self.spec.setdefault("rpush", []).append({"key": self._key(key), "value": str(value)})
        return self

    def zadd(self, key: str, score: float, member: Any) -> "CreateOnce":
        self.spec.setdefault("zadd", []).append({"key": self._key(key), "score": _score(score),
                                                 "member": str(member)})
        return self

    def sadd(self, key: str, member: Any) -> "CreateOnce":
        self.spec.setdefault("sadd", []).append({"key": self._key(key), "member": str(member)})
        return self

    def hincrby(self, key: str, name: str, by: int) -> "CreateOnce":
        self.spec.setdefault("hincrby", []).append({"key": self._key(key), "field": str(name), "by": int(by)})
        return self

    async def run(self, store: Store) -> Created:
        spec = {**self.spec, "remember": self.remember}
        found, created = await store.scripts["create_once"](
            keys=[self.by_event, self.seq, *self.keys],
            args=[self.event, json.dumps(spec, ensure_ascii=False)])
        return Created(int(found), bool(created))


def _score(value: float) -> str:
    # As text: a float keeps every digit (repr), which a JSON number read by Lua would not.
    return str(value)
