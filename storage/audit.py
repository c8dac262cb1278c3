"""Staff access to residents' data is written down: who looked at what, when, and how."""

from __future__ import annotations

from storage.store import Store


class Audit:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, at: float, actor: str, action: str, subject: str, via: str) -> None:
        await self.store.redis.xadd(self.store.keys.audit(),
                                    {"at": f"{at:.3f}", "actor": actor, "action": action,
                                     "subject": subject, "via": via})

    async def entries(self, count: int = 1000) -> list[dict[str, str]]:
        return [fields for _, fields in await self.store.redis.xrevrange(self.store.keys.audit(), count=count)]
