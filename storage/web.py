"""The web workbench's sign-in: one-time links and sessions, kept in Redis.

A link's token and a session's id are random (32 bytes) and only their SHA-256 is a key,
so a copy of the database holds nothing a browser could use. A link is taken once
(GETDEL) and expires; a session expires and can be ended (sign-out). Failed sign-ins are
counted per client address within a window, so repeated guessing is slowed down.
"""

from __future__ import annotations

import hashlib
import secrets

from storage.store import Store

LINK_SECONDS = 600     # a sign-in link is good for 10 minutes, once


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class WebLogins:
    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.keys = store.keys

    async def issue(self, person_id: str, ttl: int = LINK_SECONDS) -> str:
        """A fresh one-time token for `person_id`, good for `ttl` seconds."""
        while True:
            token = secrets.token_urlsafe(32)
            if await self.redis.set(self.keys.web_login(digest(token)), person_id, nx=True, ex=ttl):
                return token

    async def peek(self, token: str) -> str | None:
        """Whose link it is, without taking it (the page that asks to confirm)."""
        return await self.redis.get(self.keys.web_login(digest(token)))

    async def redeem(self, token: str) -> str | None:
        """The person the link is for, once: a second use finds nothing."""
        return await self.redis.getdel(self.keys.web_login(digest(token)))

    async def failed(self, client: str, window: int) -> int:
        """Count a failed sign-in from `client`; how many within the window."""
        key = self.keys.web_failures(client)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def failures(self, client: str) -> int:
        return int(await self.redis.get(self.keys.web_failures(client)) or 0)

    async def retry_after(self, client: str) -> int:
        """Seconds until the client's failures are forgotten."""
        return max(0, int(await self.redis.ttl(self.keys.web_failures(client))))


class WebSessions:
    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.keys = store.keys

    async def open(self, person_id: str, ttl: int) -> str:
        """A new session id for `person_id`, ending after `ttl` seconds."""
        sid = secrets.token_urlsafe(32)
        await self.redis.set(self.keys.web_session(digest(sid)), person_id, ex=ttl)
        return sid

    async def person(self, sid: str) -> str | None:
        return await self.redis.get(self.keys.web_session(digest(sid)))

    async def close(self, sid: str) -> None:
        await self.redis.delete(self.keys.web_session(digest(sid)))
