"""What every repository of one community needs: the connection, its keys, its scripts."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from storage.keys import Keys
from storage.scripts import Scripts


@dataclass(frozen=True)
class Store:
    redis: aioredis.Redis
    keys: Keys
    scripts: Scripts

    @classmethod
    def open(cls, redis: aioredis.Redis, community_id: str) -> "Store":
        return cls(redis=redis, keys=Keys(community_id), scripts=Scripts(redis))
