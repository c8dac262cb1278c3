"""The Lua scripts, loaded once per connection and called by name (EVALSHA, EVAL on a miss)."""

from __future__ import annotations

from importlib import resources

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript


def load_scripts(redis: aioredis.Redis) -> dict[str, AsyncScript]:
    folder = resources.files("storage") / "lua"
    return {entry.name.removesuffix(".lua"): redis.register_script(entry.read_text(encoding="utf-8"))
            for entry in folder.iterdir() if entry.name.endswith(".lua")}


class Scripts:
    """The scripts of one connection, shared by its repositories."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._scripts = load_scripts(redis)

    def __getitem__(self, name: str) -> AsyncScript:
        return self._scripts[name]
