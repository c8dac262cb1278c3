"""Backups of the Redis data: a point-in-time image taken online, read back in a throw-away
server, and restored key by key.

Taking one (`fetch_snapshot`): we connect as a replica would and send `SYNC`, as
`redis-cli --rdb` does. The server forks and writes an RDB of the whole keyspace as it is
at that instant — the bot keeps running, no write is held up — and sends it as
`$<length>\\r\\n<bytes>`, or, when it streams it straight from the fork ("diskless"), as
`$EOF:<40-byte mark>\\r\\n<bytes><the same mark>`; while it prepares, it sends a bare
newline every second to keep the connection alive. We do not announce `capa eof`, so the
server starts at once (a diskless sync waits `repl-diskless-sync-delay`, 5 s, for more
replicas); `REPLCONF rdb-only 1` (Redis >= 7) says we want no replication stream after it.
This works for the embedded Valkey (over its Unix socket) and for a remote Redis or Valkey
whose user may run SYNC; a managed Redis that forbids replication commands refuses it, and
we say so.

Reading one (`SnapshotServer`): the RDB is loaded by a temporary embedded Valkey (no
persistence, a socket in a temporary directory), which proves the file is readable, and
whose keys are then counted, fingerprinted (`facts`) and copied (`copy_keys`).

Restoring one (`copy_keys`): every key of the snapshot is written into the target with
DUMP and RESTORE, keeping its remaining time to live. The same path serves the embedded
data directory (whose server then keeps it in its append-only file, which it prefers to
an RDB at start) and a Redis URL, Sentinel or Cluster (each key goes to its slot's node).

This module is synchronous (redis-py's blocking client and sockets): callers run it in a
thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from storage.connection import parse_redis_url, redact_url
from storage.embedded import server_binary
from storage.keys import EMBEDDED_USERS, Keys

SNAPSHOT = "dump.rdb"
MANIFEST = "manifest.json"
FILES = "files"
EOF_MARK = 40                  # the diskless form's end mark, in bytes
READ_TIMEOUT = 120.0           # seconds without a byte (or keep-alive) from the server
START_TIMEOUT = 120.0          # seconds the temporary server may take to load a snapshot
BATCH = 200                    # keys per pipeline when reading, fingerprinting, copying
CHUNK = 1 << 20


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why, for the operator."""


# --- where the snapshot comes from -----------------------------------------------------

@dataclass(frozen=True)
class Endpoint:
    """One server to speak to directly: a Unix socket or host:port (TLS or not)."""
    path: str | None = None
    host: str | None = None
    port: int = 6379
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    db: int = 0

    def describe(self) -> str:
        return self.path or f"{self.host}:{self.port}"


def endpoint_of(url: str, slot_key: str) -> Endpoint:
    """The one server holding `slot_key`'s data: the URL's server; a Sentinel service's
    current master; a Cluster's master for the key's slot (every key of a community has
    one hash tag, so one master holds all of it)."""
    target = parse_redis_url(url)
    if target.kind == "single":
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        secret = parts.password or next(iter(query.get("password", [])), None)
        auth = dict(username=unquote(parts.username) if parts.username else None,
                    password=unquote(secret) if secret else None)
        if parts.scheme == "unix":
            return Endpoint(path=unquote(parts.path), db=int(next(iter(query.get("db", ["0"])))), **auth)
        db = int(parts.path.strip("/") or next(iter(query.get("db", ["0"]))))
        return Endpoint(host=parts.hostname or "localhost", port=parts.port or 6379,
                        tls=parts.scheme == "rediss", db=db, **auth)
    auth = dict(username=target.username, password=target.password)
    if target.kind == "sentinel":
        from redis.sentinel import Sentinel
        sentinel = Sentinel(list(target.nodes), socket_timeout=5)
        try:
            host, port = sentinel.discover_master(target.service)
        except redis.RedisError as exc:
            raise BackupError(f"the sentinels at {redact_url(url)} name no master for {target.service!r}: {exc}") from None
        return Endpoint(host=host, port=port, db=target.db, **auth)
    from redis.cluster import ClusterNode, RedisCluster
    cluster = RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in target.nodes], **auth)
    try:
        node = cluster.get_node_from_key(slot_key)
        return Endpoint(host=node.host, port=node.port, **auth)
    finally:
        cluster.close()


def client_of(url: str, binary: bool = True) -> Any:
    """A blocking client for `url` (any linli URL form): raw bytes unless told otherwise."""
    target = parse_redis_url(url)
    common = dict(decode_responses=not binary, socket_timeout=READ_TIMEOUT)
    if target.kind == "single":
        return redis.Redis.from_url(url, **common)
    auth = dict(username=target.username, password=target.password)
    if target.kind == "cluster":
        from redis.cluster import ClusterNode, RedisCluster
        return RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in target.nodes], **auth, **common)
    from redis.sentinel import Sentinel
    return Sentinel(list(target.nodes), socket_timeout=5).master_for(target.service, db=target.db, **auth, **common)


def server_version(url: str, slot_key: str) -> str:
    """'valkey 8.1.8' or 'redis 7.2.4', from INFO server of the server a backup reads."""
    point = endpoint_of(url, slot_key)
    client = redis.Redis(unix_socket_path=point.path, host=point.host or "localhost", port=point.port,
                         ssl=point.tls, username=point.username, password=point.password, socket_timeout=10)
    try:
        info = client.info("server")
    finally:
        client.close()
    if "valkey_version" in info:
        return f"valkey {info['valkey_version']}"
    return f"redis {info.get('redis_version', '?')}"


# --- taking the snapshot ---------------------------------------------------------------

def _command(*parts: str | bytes) -> bytes:
    encoded = [p.encode() if isinstance(p, str) else p for p in parts]
    return b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded)


def _connect(point: Endpoint) -> socket.socket:
    if point.path:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(READ_TIMEOUT)
        sock.connect(point.path)
        return sock
    sock = socket.create_connection((point.host, point.port), timeout=READ_TIMEOUT)
    if point.tls:
        sock = ssl.create_default_context().wrap_socket(sock, server_hostname=point.host)
    return sock


def fetch_snapshot(url: str, slot_key: str, dest: Path) -> int:
    """Write the server's RDB, taken at one instant, to `dest`; returns its size. The
    server keeps serving while it forks and writes it."""
    point = endpoint_of(url, slot_key)
    shown = redact_url(url) if not point.path else point.path
    try:
        sock = _connect(point)
    except OSError as exc:
        raise BackupError(f"cannot reach Redis at {shown}: {exc}") from None
    with sock, sock.makefile("rb") as stream:
        def ask(*parts: str) -> bytes:
            sock.sendall(_command(*parts))
            return stream.readline()

        if point.password:
            auth = ("AUTH", point.username, point.password) if point.username else ("AUTH", point.password)
            reply = ask(*auth)
            if not reply.startswith(b"+"):
                raise BackupError(f"Redis at {shown} refused our credentials: {reply.decode(errors='replace').strip()}")
        ask("REPLCONF", "rdb-only", "1")   # an older server answers an error: it sends the stream too, we close
        sock.sendall(_command("SYNC"))
        while True:
            line = stream.readline()
            if not line:
                raise BackupError(f"Redis at {shown} closed the connection before sending its snapshot")
            if line.strip():          # bare newlines: keep-alives while the server forks and saves
                break
        if line.startswith(b"-"):
            raise BackupError(f"Redis at {shown} refused SYNC ({line.decode(errors='replace').strip()[1:]}); "
                              "the backup needs a user allowed to replicate (a managed Redis that forbids SYNC "
                              "cannot be backed up this way: use its own snapshots)")
        if not line.startswith(b"$"):
            raise BackupError(f"Redis at {shown} answered SYNC with {line[:80]!r}, not a snapshot")
        header = line[1:].strip()
        tmp = dest.with_name(dest.name + ".part")
        try:
            with open(tmp, "wb") as out:
                if header.startswith(b"EOF:"):
                    size = _copy_until_mark(stream, out, header[4:4 + EOF_MARK])
                else:
                    size = _copy_exactly(stream, out, int(header))
                out.flush()
                os.fsync(out.fileno())
            with open(tmp, "rb") as check:
                if check.read(5) != b"REDIS":
                    raise BackupError(f"what Redis at {shown} sent is not an RDB snapshot")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, dest)
    return size


def _copy_exactly(stream, out, length: int) -> int:
    left = length
    while left:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            raise BackupError(f"the snapshot stopped after {length - left} of {length} bytes")
        out.write(chunk)
        left -= len(chunk)
    return length


def _copy_until_mark(stream, out, mark: bytes) -> int:
    """The diskless form: the bytes up to the 40-byte mark the header named."""
    if len(mark) != EOF_MARK:
        raise BackupError("the snapshot's end mark is malformed")
    held, size = b"", 0
    while True:
        chunk = stream.read1(CHUNK)
        if not chunk:
            raise BackupError(f"the snapshot stopped after {size + len(held)} bytes, before its end mark")
        held += chunk
        if held.endswith(mark):
            out.write(held[:-EOF_MARK])
            return size + len(held) - EOF_MARK
        keep = held[-EOF_MARK:]   # the mark may straddle two reads
        out.write(held[:-EOF_MARK])
        size += len(held) - len(keep)
        held = keep


# --- reading a snapshot ----------------------------------------------------------------

class SnapshotServer:
    """A temporary Valkey (the embedded binary) serving one RDB file, persisting nothing.
    Its `url` is a Unix socket; `stop()` ends it and removes its directory."""

    def __init__(self, rdb: Path, db: int = 0) -> None:
        self.rdb = Path(rdb)
        self.db = db
        self.dir: Path | None = None
        self.process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.dir / "s.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db={self.db}"

    def start(self) -> "SnapshotServer":
        self.dir = Path(tempfile.mkdtemp(prefix="linli-rdb-"))
        try:
            os.link(self.rdb, self.dir / SNAPSHOT)   # the server only reads it: no copy needed
        except OSError:
            shutil.copyfile(self.rdb, self.dir / SNAPSHOT)
        log = self.dir / "valkey.log"
        args = [str(server_binary()), "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
                "--dir", str(self.dir), "--dbfilename", SNAPSHOT, "--appendonly", "no", "--save", "",
                "--daemonize", "no", "--logfile", str(log)]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
                self.stop()
                raise BackupError(f"the snapshot {self.rdb} does not load in Valkey: {' | '.join(tail) or 'no log'}")
            if self.socket.exists():
                try:
                    with self.client() as client:
                        client.ping()
                        return self
                except redis.BusyLoadingError:
                    pass
                except (redis.ConnectionError, OSError):
                    pass
            time.sleep(0.05)
        self.stop()
        raise BackupError(f"the snapshot {self.rdb} did not load within {START_TIMEOUT:.0f} s")

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket), db=self.db, socket_timeout=READ_TIMEOUT,
                           retry=Retry(NoBackoff(), 0))

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()   # nothing to save: --save "" and no AOF
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> "SnapshotServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- what a keyspace holds -------------------------------------------------------------

def process_keys(keys: Keys) -> tuple[bytes, ...]:
    """The prefixes of the keys that say which processes run now, not what the community
    holds: the leases on the inbound shards and delivery queues, and the workers'
    heartbeats. Restored, they would name processes of the old deployment (a restored bot
    would wait for their leases to run out, and share its shards with ghosts), so they are
    neither copied, counted nor fingerprinted."""
    return keys.lease("").encode(), keys.workers().encode()


def _each_key(client: Any, skip: tuple[bytes, ...] = ()) -> Iterator[bytes]:
    """Every key but the embedded server's own bookkeeping (which processes use it: it
    belongs to the server running, not to the data) and those starting with `skip`."""
    users = EMBEDDED_USERS.encode()
    for key in client.scan_iter(count=1000):
        key = key if isinstance(key, bytes) else key.encode()
        if key != users and not key.startswith(skip):
            yield key


def _batches(items: Iterable[bytes], size: int = BATCH) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _size(client: Any, key: str) -> int:
    """How many things one key holds, whatever its type (0 when missing)."""
    kind = client.type(key)
    kind = kind.decode() if isinstance(kind, bytes) else kind
    return {"hash": client.hlen, "zset": client.zcard, "list": client.llen, "set": client.scard,
            "stream": client.xlen, "string": lambda k: 1}.get(kind, lambda k: 0)(key)


def entity_counts(client: Any, keys: Keys) -> dict[str, int]:
    """The community's entities by kind, read through the indexes its repositories keep
    (no scan): what the manifest records and a restore must find again."""
    polls = [p.decode() if isinstance(p, bytes) else p for p in client.zrange(keys.polls(), 0, -1)]
    ballots = 0
    if polls:
        pipe = client.pipeline(transaction=False)
        for poll in polls:
            pipe.hlen(keys.poll_ballots(poll))
        ballots = sum(pipe.execute())
    return {
        "tickets": _size(client, keys.tickets()),
        "open_tickets": _size(client, keys.tickets_open()),
        "polls": len(polls),
        "ballots": ballots,
        "tasks": _size(client, keys.tasks()),
        "ledger_entries": _size(client, keys.ledger_entries()),
        "ledger_balances": _size(client, keys.ledger_balances()),
        "pending_jobs": _size(client, keys.jobs()),
        "households_registered": _size(client, keys.household_registered()),
        "identities_bound": _size(client, keys.identity_owners()),
        "care_people": _size(client, keys.care_people()),
        "reward_items": _size(client, keys.reward_items()),
        "audit_entries": _size(client, keys.audit()),
        "topics": _size(client, keys.topics()),
        "sharing_items": _size(client, keys.sharing_items()),
        "room_bookings": _size(client, keys.room_bookings()),
    }


def ledger_head(client: Any, keys: Keys) -> dict[str, Any]:
    seq, digest = client.hmget(keys.ledger_head(), ["seq", "hash"])
    return {"seq": int(seq or 0), "hash": digest.decode() if isinstance(digest, bytes) else digest}


def _feed(digest: "hashlib._Hash", *parts: bytes) -> None:
    for part in parts:   # length-prefixed: no two different contents feed the same bytes
        digest.update(b"%d:" % len(part))
        digest.update(part)


def _score(value: float) -> bytes:
    return repr(float(value)).encode()


def keyspace_facts(client: Any, skip: tuple[bytes, ...] = ()) -> dict[str, Any]:
    """Every key's content, fingerprinted: `keys` (persistent keys), `volatile_keys` (with
    a time to live: leases, day caps, sign-in links — they may expire at any moment, so
    they are counted apart and left out of the fingerprint), `by_type`, and `digest`, the
    SHA-256 over each persistent key's name, type and whole value in key order (a hash's
    fields sorted, a sorted set with its scores, a stream's entries and its consumer
    groups' positions). Two keyspaces with the same digest hold the same data."""
    digest = hashlib.sha256()
    persistent, volatile, by_type = 0, 0, {}
    for batch in _batches(sorted(_each_key(client, skip))):
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.type(key)
            pipe.pttl(key)
        meta = pipe.execute()
        kinds: list[tuple[bytes, str]] = []
        for i, key in enumerate(batch):
            kind, ttl = meta[2 * i], meta[2 * i + 1]
            kind = kind.decode() if isinstance(kind, bytes) else kind
            if kind == "none":
                continue
            if ttl >= 0:
                volatile += 1
                continue
            kinds.append((key, kind))
        pipe = client.pipeline(transaction=False)
        for key, kind in kinds:
            if kind == "string":
                pipe.get(key)
            elif kind == "hash":
                pipe.hgetall(key)
            elif kind == "list":
                pipe.lrange(key, 0, -1)
            elif kind == "set":
                pipe.smembers(key)
            elif kind == "zset":
                pipe.zrange(key, 0, -1, withscores=True)
            elif kind == "stream":
                pipe.xrange(key, "-", "+")
                pipe.xinfo_groups(key)
            else:
                pipe.dump(key)   # a module type: its serialized form
        values = iter(pipe.execute())
        for key, kind in kinds:
            persistent += 1
            by_type[kind] = by_type.get(kind, 0) + 1
            _feed(digest, key, kind.encode())
            value = next(values)
            if kind == "string" or kind not in ("hash", "list", "set", "zset", "stream"):
                _feed(digest, value or b"")
            elif kind == "hash":
                for field_, item in sorted(value.items()):
                    _feed(digest, field_, item)
            elif kind in ("list",):
                for item in value:
                    _feed(digest, item)
            elif kind == "set":
                for item in sorted(value):
                    _feed(digest, item)
            elif kind == "zset":
                for member, score in value:
                    _feed(digest, member, _score(score))
            else:
                for entry_id, fields in value:
                    _feed(digest, entry_id, *(x for pair in sorted(fields.items()) for x in pair))
                for group in sorted(next(values), key=lambda g: g["name"]):
                    _feed(digest, b"group", _text(group["name"]), _text(group["last-delivered-id"]),
                          str(group["pending"]).encode())
    return {"keys": persistent, "volatile_keys": volatile, "by_type": dict(sorted(by_type.items())),
            "digest": digest.hexdigest()}


def _text(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def key_count(client: Any, skip: tuple[bytes, ...] = ()) -> int:
    """Every key but the embedded bookkeeping and `skip` (what makes a target "not empty")."""
    return sum(1 for _ in _each_key(client, skip))


# --- restoring -------------------------------------------------------------------------

def empty(client: Any) -> int:
    """Delete every key of the target but the embedded bookkeeping (restore --force)."""
    removed = 0
    for batch in _batches(_each_key(client), 500):
        for key in batch:   # one by one: on a Cluster each key may live on another node
            removed += client.unlink(key)
    return removed


def copy_keys(source: Any, target: Any, skip: tuple[bytes, ...] = ()) -> int:
    """Copy every key of `source` into `target` (DUMP, RESTORE with the time it has left;
    REPLACE, so a restore interrupted and run again with --force converges). Returns how
    many keys were written. A key that expires between reading and writing is skipped,
    and so are the keys starting with `skip`."""
    written = 0
    for batch in _batches(_each_key(source, skip)):
        pipe = source.pipeline(transaction=True)   # one instant per batch: a value with its ttl
        for key in batch:
            pipe.dump(key)
            pipe.pttl(key)
        read = pipe.execute()
        writes = target.pipeline(transaction=False)   # on a Cluster: grouped by node
        for i, key in enumerate(batch):
            payload, ttl = read[2 * i], read[2 * i + 1]
            if payload is None or ttl == -2:
                continue
            writes.restore(key, max(ttl, 0), payload, replace=True)
            written += 1
        writes.execute()
    return written


# --- files ----------------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_json(path: Path, data: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())


def fsync_dir(path: Path) -> None:
    """So a rename into it survives a power cut."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
