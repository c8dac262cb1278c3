"""Tests run against a real Valkey server (the embedded binary), started once per session
and flushed before each test. Nothing here touches the network."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import sys
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.app import open_runtime
from bot.console import ConsoleSession
from bot.settings import Settings
from storage.embedded import EmbeddedServer

pytest_plugins = ["tests.fake_telegram", "tests.conftest_distributed"]   # the fake Bot API; Cluster, Sentinel

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo.toml"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to reach beyond this machine fails the test."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")
                                           or self.family == socket.AF_UNIX):
            raise AssertionError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session", autouse=True)
def one_classifier_per_rule_file():
    """Runtimes in tests share a classifier per rule file: building one (jieba's
    dictionary) takes a second, and every test would otherwise pay it."""
    import bot.app
    from nlp import Classifier

    built = {}

    class Shared:
        @staticmethod
        def from_file(path=None):
            if path not in built:
                built[path] = Classifier.from_file(path)
            return built[path]

    patch = pytest.MonkeyPatch()
    patch.setattr(bot.app, "Classifier", Shared)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = EmbeddedServer(tmp_path_factory.mktemp("valkey"))
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
async def redis(redis_server):
    client = aioredis.from_url(redis_server, decode_responses=True)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def settings(redis_server, tmp_path):
    return Settings.load(DEMO, data_dir=tmp_path, env={"REDIS_URL": redis_server})


@pytest.fixture
async def runtime(settings, redis):
    async with open_runtime(settings, fake_clock=True) as rt:
        yield rt


class Transcript:
    """What the console printed, as parsed JSON lines, consumed as a test reads them."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.seen = 0

    def new(self) -> list[dict]:
        lines = self.buffer.getvalue().splitlines()
        fresh, self.seen = lines[self.seen:], len(lines)
        return [json.loads(line) for line in fresh]


@pytest.fixture
async def console(runtime):
    transcript = Transcript()
    async with ConsoleSession(runtime, out=transcript.buffer) as session:
        session.transcript = transcript
        yield session


@dataclass
class Ran:
    """What a `linli` run left, as subprocess.CompletedProcess has it."""
    returncode: int
    stdout: str
    stderr: str


# The test's own environment must not point a run at a real Redis, data or community.
CLI_ENV = ("REDIS_URL", "LINLI_DATA_DIR", "LINLI_COMMUNITY")
CLI_TIMEOUT = 120.0


def _set_env(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def run_linli(*args: str, stdin: str = "", env: dict[str, str | None] | None = None) -> Ran:
    """`linli ARGS` run in this process (bot.cli.main), as a user runs it: `stdin` is its
    standard input, and what it wrote on stdout and stderr comes back with its exit code.
    `env`: environment variables for the run (None unsets one).

    In-process rather than a subprocess: no interpreter start, imports or classifier build
    per run (runtimes share one classifier per rule file, see above), a second or more
    each. In a thread of its own: the CLI runs its own event loop (asyncio.run), which an
    async test's running loop would refuse. tests/test_cli.py keeps one run of the real
    `linli` script in a subprocess."""
    from bot import cli, logsafe

    changes = {**dict.fromkeys(CLI_ENV), **(env or {})}
    saved_env = {name: os.environ.get(name) for name in changes}
    streams = sys.stdin, sys.stdout, sys.stderr
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out, err = io.StringIO(), io.StringIO()
    outcome: dict = {}

    def main() -> None:
        try:
            outcome["code"] = cli.main(list(args))
        except SystemExit as exc:      # argparse: --help, a usage error
            code = exc.code
            if isinstance(code, str):  # as the interpreter does with sys.exit("message")
                err.write(code + "\n")
                code = 1
            outcome["code"] = 0 if code is None else code
        except BaseException as exc:   # raised again in the test, with its traceback
            outcome["error"] = exc

    _set_env(changes)
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    root.handlers.clear()   # so main()'s logging.basicConfig writes this run's log lines to its stderr
    try:
        thread = threading.Thread(target=main, name="linli " + " ".join(args[:3]), daemon=True)
        thread.start()
        thread.join(CLI_TIMEOUT)
    finally:
        sys.stdin, sys.stdout, sys.stderr = streams
        logsafe.uninstall()    # main() installed the log redaction for its settings
        root.handlers[:] = handlers
        root.setLevel(level)
        _set_env(saved_env)
    if thread.is_alive():
        raise AssertionError(f"linli {' '.join(args)} did not finish within {CLI_TIMEOUT:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return Ran(outcome["code"], out.getvalue(), err.getvalue())


@pytest.fixture
def linli():
    """`linli(*args, stdin="", env=None)`: the command line, in-process (see run_linli)."""
    return run_linli


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return SHARED_DATA


@asynccontextmanager
async def console_of(community: str, tmp_path: Path, redis_url: str):
    """A console session (fake clock, transcript kept) on a community file of a test's own."""
    path = tmp_path / "community.toml"
    path.write_text(community, encoding="utf-8")
    settings = Settings.load(path, data_dir=tmp_path, env={"REDIS_URL": redis_url})
    async with open_runtime(settings, fake_clock=True) as runtime:
        transcript = Transcript()
        async with ConsoleSession(runtime, out=transcript.buffer) as session:
            session.transcript = transcript
            yield session


async def at_local(console, hour, minute=0):
    """Move the fake clock forward to the next hour:minute in the community's time zone."""
    runtime = console.runtime
    now = datetime.fromtimestamp(runtime.clock.now(), runtime.settings.community.tz)
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    await console.advance(target.timestamp() - runtime.clock.now())
    runtime.clock.set(max(runtime.clock.now(), target.timestamp()))   # no float crumbs: exactly hour:minute
    console.transcript.new()
