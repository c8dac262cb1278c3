"""Staff access to residents' data is written down: who looked at what, when, and how.
Entries older than the retention (settings: LINLI_AUDIT_DAYS) are trimmed as new ones come."""

from __future__ import annotations

import time

from storage.store import Store

KEEP_DAYS = 3 * 365


class Audit:
    def __init__(self, store: Store, keep_days: int = KEEP_DAYS) -> None:
        self.store = store
        self.keep_days = keep_days

    async def record(self, at: float, actor: str, action: str, subject: str, via: str) -> None:
        # Stream ids are the server's real time (not a fake clock): trim by that.
        oldest_ms = int((time.time() - self.keep_days * 86400) * 1000)
        await self.store.redis.xadd(self.store.keys.audit(),
                                    {"at": f"{at:.3f}", "actor": actor, "action": action,
                                     "subject": subject, "via": via},
                                    minid=max(0, oldest_ms), approximate=True)

    async def entries(self, count: int = 1000) -> list[dict[str, str]]:
        return [fields for _, fields in await self.store.redis.xrevrange(self.store.keys.audit(), count=count)]
