"""One way to get a Redis connection: `REDIS_URL` in production, the embedded server otherwise."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import redis.asyncio as aioredis

from storage.embedded import EmbeddedServer


@asynccontextmanager
async def connect(redis_url: str | None, data_dir: str | Path) -> AsyncIterator[aioredis.Redis]:
    server = None if redis_url else EmbeddedServer(data_dir)
    url = redis_url or server.start()
    client = aioredis.from_url(url, decode_responses=True, health_check_interval=30)
    try:
        await client.ping()
        yield client
    finally:
        await client.aclose()
        if server is not None:
            server.stop()
