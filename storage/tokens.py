"""Platform access tokens shared by every worker: one Redis key per app with a TTL a few
minutes short of the platform's `expires_in`, refreshed by one process at a time (a lock)."""

from __future__ import annotations

import uuid

from storage.store import Store

MARGIN = 300        # seconds before the platform's expiry that we stop using a token
LOCK_MS = 15_000


class Tokens:
    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.keys = store.keys

    async def get(self, app: str) -> str | None:
        return await self.redis.get(self.keys.token(app))

    async def put(self, app: str, token: str, expires_in: int) -> None:
        await self.redis.set(self.keys.token(app), token, ex=max(60, int(expires_in) - MARGIN))

    async def drop(self, app: str, token: str) -> None:
        """Forget `token` (the platform said it expired) unless another worker already replaced it."""
        key = self.keys.token(app)
        if await self.redis.get(key) == token:
            await self.redis.delete(key)

    async def lock(self, app: str) -> str | None:
        """The refresh lock's owner id, or None when another process is refreshing."""
        owner = uuid.uuid4().hex
        return owner if await self.redis.set(self.keys.token_lock(app), owner, nx=True, px=LOCK_MS) else None

    async def unlock(self, app: str, owner: str) -> None:
        key = self.keys.token_lock(app)
        if await self.redis.get(key) == owner:
            await self.redis.delete(key)
