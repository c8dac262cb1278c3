"""What volunteers changed about themselves in chat: one hash per volunteer, laid over
the community file's profile (skills, quiet hours, most open tasks, windows, a pause)."""

from __future__ import annotations

import json
from typing import Any, Iterable

from storage.store import Store

_JSON = {"skills", "available"}


class Profiles:
    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.k = store.keys

    def _key(self, person_id: str) -> str:
        return self.k.volunteer(person_id)

    async def changes(self, people: Iterable[str]) -> dict[str, dict[str, Any]]:
        people = list(people)
        async with self.redis.pipeline(transaction=False) as pipe:
            for person in people:
                pipe.hgetall(self._key(person))
            raws = await pipe.execute()
        return {person: {name: json.loads(value) if name in _JSON else value for name, value in raw.items()}
                for person, raw in zip(people, raws)}

    async def change(self, person_id: str, **fields: Any) -> None:
        """None removes a change (back to the file's value)."""
        drop = [name for name, value in fields.items() if value is None]
        keep = {name: json.dumps(value, ensure_ascii=False) if name in _JSON else str(value)
                for name, value in fields.items() if value is not None}
        async with self.redis.pipeline(transaction=True) as pipe:
            if drop:
                pipe.hdel(self._key(person_id), *drop)
            if keep:
                pipe.hset(self._key(person_id), mapping=keep)
            await pipe.execute()
