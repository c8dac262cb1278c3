"""One way to get a Redis connection: `REDIS_URL` in production, the embedded server otherwise.

The URL forms (see the README's Production section):

    redis://[[user]:password@]host[:port][/db]        one server (rediss:// over TLS)
    unix://[[user]:password@]/path/to/socket[?db=N]   one server on a Unix socket
    redis+sentinel://[[user]:password@]host:port[,host:port...]/service[/db]
    redis+cluster://[[user]:password@]host:port[,host:port...]

The password authenticates to the data servers (not to the sentinels). Every client is
bounded: at most `max_connections` connections (a Cluster: commands in flight, over all
nodes), and a caller finding them all busy waits up to `pool_timeout` seconds for one
rather than failing at once. Commands are retried a few times on a connection error.

A Redis that does not answer at start is waited for: one log line saying which Redis
(password redacted) and why, then retries with backoff, logging again only now and then.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Union
from urllib.parse import parse_qs, unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.asyncio.connection import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import AuthenticationError, AuthorizationError, NoPermissionError, RedisClusterException, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError

from storage.embedded import EmbeddedServer

log = logging.getLogger(__name__)

Client = Union[aioredis.Redis, RedisCluster]

MAX_CONNECTIONS = 64          # LINLI_REDIS_MAX_CONNECTIONS
POOL_TIMEOUT = 5.0            # LINLI_REDIS_POOL_TIMEOUT: seconds to wait for a free connection
COMMAND_RETRIES = 3           # a command meeting a connection error is tried again this often...
RETRY_BASE, RETRY_CAP = 0.05, 1.0   # ...after a jittered exponential pause (seconds)
HEALTH_CHECK_INTERVAL = 30    # an idle connection is PINGed before use after this many seconds
START_DELAY, START_DELAY_CAP = 0.5, 10.0   # the wait for Redis at start: 0.5 s doubling to 10 s
LOG_AGAIN_EVERY = 60.0        # while waiting, one more log line at most this often
SENTINEL_PORT, REDIS_PORT = 26379, 6379
SCHEMES = ("redis", "rediss", "unix", "redis+sentinel", "redis+cluster")


class RedisUrlError(ValueError):
    """REDIS_URL cannot be understood."""


class RedisUnavailable(RedisConnectionError):
    """Redis did not answer within the deadline, or refused our credentials."""


def redact_url(url: str | None) -> str | None:
    """The URL with any password replaced by ***: in the user part (`:pw@`, also in the
    several-host forms) and in a `password=` query option."""
    if not url:
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    if "@" in authority:
        userinfo, _, hosts = authority.rpartition("@")
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        authority = f"{userinfo}@{hosts}"
    tail = re.sub(r"(?i)([?&][a-z_]*password=)[^&#]*", r"\1***", tail)
    return f"{scheme}://{authority}{tail}"


@dataclass(frozen=True)
class RedisTarget:
    """What a REDIS_URL names."""
    kind: str                            # "single" | "sentinel" | "cluster"
    url: str                             # as given (only a single server's is handed to redis-py)
    nodes: tuple[tuple[str, int], ...] = ()   # sentinels, or cluster start-up nodes
    service: str | None = None           # the Sentinel service name
    db: int = 0
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:   # never show the password
        return (f"RedisTarget(kind={self.kind!r}, url={redact_url(self.url)!r}, nodes={self.nodes!r}, "
                f"service={self.service!r}, db={self.db})")


def parse_redis_url(url: str) -> RedisTarget:
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in SCHEMES:
        raise RedisUrlError(f"REDIS_URL {redact_url(url)!r}: the scheme must be one of "
                            + ", ".join(f"{s}://" for s in SCHEMES))
    if scheme in ("redis", "rediss", "unix"):
        parts = urlsplit(url)
        secret = parts.password or next(iter(parse_qs(parts.query).get("password", [])), None)
        return RedisTarget("single", url, username=unquote(parts.username) if parts.username else None,
                           password=unquote(secret) if secret else None)
    if "?" in rest or "#" in rest:
        raise RedisUrlError(f"REDIS_URL {redact_url(url)!r}: {scheme}:// takes no query options")
    authority, _, path = rest.partition("/")
    username = password = None
    if "@" in authority:
        userinfo, _, authority = authority.rpartition("@")
        user, colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon else None
    default_port = SENTINEL_PORT if scheme == "redis+sentinel" else REDIS_PORT
    nodes = tuple(_host_port(part, default_port, url) for part in authority.split(",") if part.strip())
    if not nodes:
        raise RedisUrlError(f"REDIS_URL {redact_url(url)!r}: no host:port given")
    parts = [p for p in path.split("/") if p]
    if scheme == "redis+cluster":
        if parts not in ([], ["0"]):
            raise RedisUrlError(f"REDIS_URL {redact_url(url)!r}: a Cluster has no databases but 0; "
                                "write redis+cluster://host:port[,host:port...]")
        return RedisTarget("cluster", url, nodes, username=username, password=password)
    if not parts or len(parts) > 2:
        raise RedisUrlError(f"REDIS_URL {redact_url(url)!r}: write redis+sentinel://host:port[,host:port...]"
                            "/service_name[/db]")
    try:
        db = int(parts[1]) if len(parts) == 2 else 0
    except ValueError:
        raise RedisUrlError(f"REDIS_URL {redact_url(url)!r}: the database {parts[1]!r} is not a number") from None
    return RedisTarget("sentinel", url, nodes, service=unquote(parts[0]), db=db, username=username,
                       password=password)


def _host_port(part: str, default: int, url: str) -> tuple[str, int]:
    part = part.strip()
    if part.startswith("["):                   # [::1]:26379
        host, _, port = part[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = part.rpartition(":") if ":" in part else (part, "", "")
    try:
        return host, int(port) if port else default
    except ValueError:
        raise RedisUrlError(f"REDIS_URL {redact_url(url)!r}: {part!r} is not host:port") from None


def _retry() -> Retry:
    return Retry(ExponentialWithJitterBackoff(base=RETRY_BASE, cap=RETRY_CAP), COMMAND_RETRIES)


class BlockingSentinelConnectionPool(SentinelConnectionPool, BlockingConnectionPool):
    """The Sentinel master's pool, bounded and waiting like BlockingConnectionPool: the
    Sentinel part finds the master (again, after a failover), the blocking part waits for
    a free connection."""


_holding: contextvars.ContextVar[object] = contextvars.ContextVar("linli_redis_gate", default=None)


class _Gate:
    """At most `size` commands or pipelines of one client in flight at once; more wait
    up to `timeout` seconds, then fail as a busy BlockingConnectionPool does. Re-entrant
    within one call (a pipeline's own retries and redirections go through)."""

    def __init__(self, size: int, timeout: float | None) -> None:
        self.size = size
        self.timeout = timeout
        self._free = asyncio.Semaphore(size)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if _holding.get() is self:
            yield
            return
        try:
            async with asyncio.timeout(self.timeout):
                await self._free.acquire()
        except TimeoutError:
            raise RedisConnectionError("No connection available.") from None
        token = _holding.set(self)
        try:
            yield
        finally:
            _holding.reset(token)
            self._free.release()


class BoundedRedisCluster(RedisCluster):
    """redis-py's async Cluster client bounds each node at `max_connections` but raises
    MaxConnectionsError at once when a node has none free (and does not retry it). Here a
    gate of the same size in front of every command and pipeline makes a burst wait for
    its turn instead; a call holds at most one connection per node, so no node's bound
    is reached."""

    def __init__(self, *args: Any, pool_timeout: float | None = POOL_TIMEOUT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = _Gate(kwargs.get("max_connections", MAX_CONNECTIONS), pool_timeout)

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        async with self.gate.slot():
            return await super().execute_command(*args, **kwargs)

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> ClusterPipeline:
        if shard_hint:
            raise RedisClusterException("shard_hint is deprecated in cluster mode")
        return _GatedPipeline(self, transaction)


class _GatedPipeline(ClusterPipeline):
    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> list[Any]:
        async with self.cluster_client.gate.slot():
            return await super().execute(raise_on_error, allow_redirections)


def open_client(url: str, *, max_connections: int = MAX_CONNECTIONS,
                pool_timeout: float | None = POOL_TIMEOUT) -> tuple[Client, Callable[[], Awaitable[None]]]:
    """A client for `url` (nothing is connected yet) and the coroutine function that
    closes it with everything it opened."""
    target = parse_redis_url(url)
    common = dict(decode_responses=True, health_check_interval=HEALTH_CHECK_INTERVAL, retry=_retry())
    if target.kind == "single":
        pool = BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=pool_timeout, **common)
        client = aioredis.Redis.from_pool(pool)
        return client, client.aclose
    auth = dict(username=target.username, password=target.password)
    if target.kind == "cluster":
        cluster = BoundedRedisCluster(startup_nodes=[ClusterNode(host, port) for host, port in target.nodes],
                                      max_connections=max_connections, pool_timeout=pool_timeout, **auth, **common)
        return cluster, cluster.aclose
    sentinel = Sentinel(target.nodes, sentinel_kwargs={"socket_timeout": 2, "socket_connect_timeout": 2})
    client = sentinel.master_for(target.service, connection_pool_class=BlockingSentinelConnectionPool,
                                 max_connections=max_connections, timeout=pool_timeout, db=target.db,
                                 **auth, **common)

    async def close() -> None:
        await client.aclose()
        for each in sentinel.sentinels:
            await each.aclose()
    return client, close


def _cause(exc: BaseException, secret: str | None) -> str:
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    # MasterNotFoundError names each sentinel by its client's whole repr: keep host:port.
    text = re.sub(r"<redis\.asyncio\.client\.Redis\(.*?host=([^,]+),port=(\d+),.*?\)>\)>\)>", r"sentinel \1:\2", text)
    if secret:
        text = text.replace(secret, "***")
    return text if len(text) < 400 else text[:400] + "…"


async def wait_ready(client: Client, url: str, deadline: float | None = None, *,
                     first_delay: float = START_DELAY, max_delay: float = START_DELAY_CAP) -> None:
    """PING until Redis answers. While it does not: one warning naming the Redis and the
    cause, then retries 0.5 s doubling to 10 s apart, with another line at most once a
    minute. Gives up with RedisUnavailable after `deadline` seconds (None: never), or at
    once if Redis refuses our credentials (waiting would not change that)."""
    shown = redact_url(url)
    secret = parse_redis_url(url).password
    started = time.monotonic()
    delay, failures, logged = first_delay, 0, 0.0
    while True:
        try:
            await client.ping()
        except (AuthenticationError, AuthorizationError, NoPermissionError) as exc:
            message = f"Redis at {shown} refused our credentials: {_cause(exc, secret)}"
            log.error("%s", message)
            raise RedisUnavailable(message) from None
        except (RedisError, RedisClusterException, OSError) as exc:
            failures += 1
            waited = time.monotonic() - started
            cause = _cause(exc, secret)
            if deadline is not None and waited >= deadline:
                message = f"Redis at {shown} did not answer within {deadline:g} s: {cause}"
                log.error("%s", message)
                raise RedisUnavailable(message) from None
            if failures == 1:
                log.warning("cannot reach Redis at %s: %s; retrying (every %g s, doubling to %g s) %s",
                            shown, cause, first_delay, max_delay,
                            "until it answers" if deadline is None else f"for up to {deadline:g} s")
                logged = time.monotonic()
            elif time.monotonic() - logged >= LOG_AGAIN_EVERY:
                log.warning("still cannot reach Redis at %s after %.0f s: %s", shown, waited, cause)
                logged = time.monotonic()
            # With a deadline, the last try is made right at it.
            await asyncio.sleep(delay if deadline is None else max(0.0, min(delay, deadline - waited)))
            delay = min(delay * 2, max_delay)
        else:
            if failures:
                log.info("Redis at %s answers, after %.1f s", shown, time.monotonic() - started)
            return


@asynccontextmanager
async def connect(redis_url: str | None, data_dir: str | Path, *, max_connections: int = MAX_CONNECTIONS,
                  pool_timeout: float | None = POOL_TIMEOUT, deadline: float | None = None) -> AsyncIterator[Client]:
    """The client for `redis_url` (the embedded server of `data_dir` without one), once it
    answers; waits for it up to `deadline` seconds (None: as long as it takes)."""
    server = None if redis_url else EmbeddedServer(data_dir)
    url = redis_url or server.start()
    try:
        client, close = open_client(url, max_connections=max_connections, pool_timeout=pool_timeout)
    except BaseException:
        if server is not None:
            server.stop()
        raise
    client.linli_embedded = server   # bot/app.py hands it to the runtime (None with REDIS_URL)
    try:
        await wait_ready(client, url, deadline)
        yield client
    finally:
        await close()
        if server is not None:
            server.stop()
