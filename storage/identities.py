"""Identities bound at run time: a Telegram user who redeemed a link code, a group staff
bound to a building chat, a WeChat follower who registered. The community file's
identities come first; these extend them without a restart and are shared by every
worker."""

from __future__ import annotations

from storage.store import Store


class Identities:
    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.keys = store.keys

    async def bind(self, identity: str, address: str) -> None:
        """Bind a platform identity to a person ("@zhang") or a chat ("b3"); a rebind moves it."""
        owners = self.keys("identity", "owner")
        previous = await self.redis.hget(owners, identity)
        async with self.redis.pipeline(transaction=True) as pipe:
            if previous and previous != address:
                pipe.srem(self.keys("identity", "of", previous), identity)
            pipe.hset(owners, identity, address)
            pipe.sadd(self.keys("identity", "of", address), identity)
            await pipe.execute()

    async def unbind(self, identity: str) -> str | None:
        owners = self.keys("identity", "owner")
        previous = await self.redis.hget(owners, identity)
        if previous:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hdel(owners, identity)
                pipe.srem(self.keys("identity", "of", previous), identity)
                await pipe.execute()
        return previous

    async def owner(self, identity: str | None) -> str | None:
        """"@person", a chat id, or None."""
        if not identity:
            return None
        return await self.redis.hget(self.keys("identity", "owner"), identity)

    async def of(self, address: str) -> tuple[str, ...]:
        """Identities bound to "@person" or a chat id, oldest order not kept (a set)."""
        return tuple(sorted(await self.redis.smembers(self.keys("identity", "of", address))))
