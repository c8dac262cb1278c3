"""Identities bound at run time: a Telegram user who redeemed a link code, a group staff
bound to a building chat, a WeChat follower who registered. The community file's
identities come first; these extend them without a restart and are shared by every
worker."""

from __future__ import annotations

import secrets

from storage.store import Store


class Identities:
    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.keys = store.keys

    async def bind(self, identity: str, address: str) -> None:
        """Bind a platform identity to a person ("@zhang") or a chat ("b3"); a rebind moves it."""
        owners = self.keys.identity_owners()
        previous = await self.redis.hget(owners, identity)
        async with self.redis.pipeline(transaction=True) as pipe:
            if previous and previous != address:
                pipe.srem(self.keys.identities_of(previous), identity)
            pipe.hset(owners, identity, address)
            pipe.sadd(self.keys.identities_of(address), identity)
            await pipe.execute()

    async def unbind(self, identity: str) -> str | None:
        owners = self.keys.identity_owners()
        previous = await self.redis.hget(owners, identity)
        if previous:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hdel(owners, identity)
                pipe.srem(self.keys.identities_of(previous), identity)
                await pipe.execute()
        return previous

    async def owner(self, identity: str | None) -> str | None:
        """"@person", a chat id, or None."""
        if not identity:
            return None
        return await self.redis.hget(self.keys.identity_owners(), identity)

    async def of(self, address: str) -> tuple[str, ...]:
        """Identities bound to "@person" or a chat id, oldest order not kept (a set)."""
        return tuple(sorted(await self.redis.smembers(self.keys.identities_of(address))))


class LinkCodes:
    """One-time codes staff hand a resident, who sends one from a new platform account
    (`绑定 123456`) to become themselves there. A code is taken once (GETDEL); wrong
    guesses are counted per sender, so six digits cannot be tried through."""

    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.keys = store.keys

    async def issue(self, person_id: str, ttl: int) -> str:
        while True:
            code = f"{secrets.randbelow(900000) + 100000}"
            if await self.redis.set(self.keys.link_code(code), person_id, nx=True, ex=ttl):
                return code

    async def redeem(self, code: str) -> str | None:
        return await self.redis.getdel(self.keys.link_code(code))

    async def failed(self, identity: str, window: int) -> int:
        """Count a wrong code from `identity`; how many within the window."""
        key = self.keys.link_failures(identity)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def failures(self, identity: str) -> int:
        return int(await self.redis.get(self.keys.link_failures(identity)) or 0)
