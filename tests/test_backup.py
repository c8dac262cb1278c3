"""Backups and restore (#20): `linli admin backup DIR` from the running data (the session's
Valkey), `linli admin restore DIR` into a fresh data dir, compared entity by entity through
the repositories; a backup under load; a deadline scheduled before the backup fires once
after the restore; refusals (a target not empty, a damaged file); scheduled backups
(names, retention, leftovers, failures in /healthz)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import shutil
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot import backups
from bot.app import open_runtime
from bot.console import ConsoleSession
from bot.settings import Settings
from bot.supervisor import Health
from storage.backup import BackupError, SnapshotServer, fetch_snapshot, keyspace_facts
from storage.connection import connect
from storage.inbound import Inbound
from storage.jobs import Jobs
from storage.ledger import POOL, Ledger, Transfer, Txn
from storage.polls import Polls
from storage.store import Store
from storage.tasks import Tasks
from storage.tickets import Tickets
from tests.conftest import DEMO, Transcript

COUNCIL = ["r101", "r104", "r201", "r204", "r301"]


async def fill(console) -> None:
    """Tickets, a poll with ballots (each ballot also books points: ledger entries), pending
    deadline jobs, and one more ledger entry."""
    await console.say("zhang", None, "报修 3号楼楼道灯坏了，晚上很黑")
    await console.say("r201", None, "报修 2号楼门口下水道堵了")
    await console.say("r101", "council", "发起投票 是否同意调整物业费 规则=三分之二 范围=议事会 截止=3天")
    for n, person in enumerate(COUNCIL):
        await console.say(person, None, f"投票 1 {1 + n % 2}")
    await console.say("zhang", None, "议题 小区东门加装快递柜\n快递总是堆在门卫室")
    await console.say("r201", None, "需要 周六上午有人帮忙搬个衣柜")
    await console.say("r101", None, "预约 活动室 周六 14:00-16:00")
    await Ledger(console.runtime.store).post(Txn(key="grant:1", event="grant:1", at=console.runtime.clock.now(),
                                                 transfers=[Transfer("points", POOL, "person:zhang", 5, "test")]))
    console.transcript.new()


def cli_env(redis_url: str | None) -> dict:
    return {"REDIS_URL": redis_url}


@asynccontextmanager
async def store_of(data_dir: Path):
    """A bare connection to a data dir's embedded server: the repositories, no runtime (a
    runtime would schedule and create things)."""
    async with connect(None, data_dir) as client:
        yield Store.open(client, "demo")


async def entities(store: Store, tz) -> dict:
    """Every ticket, poll (with its ballots), task, ledger entry and pending job, read
    through the repositories, in a form that compares."""
    tickets, polls, tasks = Tickets(store, tz), Polls(store), Tasks(store)
    ledger = Ledger(store)
    return {
        "tickets": {i: dataclasses.asdict(await tickets.get(i)) for i in await tickets.ids()},
        "polls": {i: repr(await polls.snapshot(i)) for i in await polls.ids()},
        "tasks": {i: repr(await tasks.get(i)) for i in await tasks.ids()},
        "ledger": [e.hash for e in await ledger.entries(1, 10_000)],
        "balances": await ledger.all_balances(),
        "jobs": await Jobs(store, Inbound(store)).pending(),
    }


async def test_round_trip_everything_identical_and_the_manifest_counts_the_snapshot(console, linli, redis_server,
                                                                                      tmp_path):
    await fill(console)
    runtime = console.runtime
    before = await entities(runtime.store, runtime.settings.community.tz)
    assert len(before["tickets"]) == 2 and before["polls"] and len(before["ledger"]) >= 2 and before["jobs"]

    ran = linli("admin", "backup", str(tmp_path / "b"), "--community", str(DEMO), env=cli_env(redis_server))
    assert ran.returncode == 0, ran.stderr
    assert "backup written to" in ran.stdout
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    counts = manifest["counts"]
    assert (counts["tickets"], counts["polls"], counts["ballots"]) == (2, 1, len(COUNCIL))
    assert counts["ledger_entries"] == len(before["ledger"]) and counts["pending_jobs"] == len(before["jobs"])
    assert manifest["ledger_head"]["seq"] == len(before["ledger"])
    assert manifest["ledger_head"]["hash"] == before["ledger"][-1]
    assert manifest["ledger_verified"] is True and manifest["community"] == "demo"
    assert manifest["redis_version"].startswith("valkey ")
    assert set(manifest["files"]) == {"dump.rdb", "files/community.toml", "files/rules.toml"}
    assert (tmp_path / "b" / "files" / "community.toml").read_bytes() == DEMO.read_bytes()
    assert not (tmp_path / "b.tmp").exists()

    target = tmp_path / "restored"
    ran = linli("admin", "restore", str(tmp_path / "b"), "--data-dir", str(target), env=cli_env(None))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "ledger verify: ok" in ran.stdout and "content matches the backup" in ran.stdout

    async with store_of(target) as store:
        after = await entities(store, runtime.settings.community.tz)
    assert after == before

    # A backup of the restored data dir (the embedded server: no REDIS_URL) is the same data.
    ran = linli("admin", "backup", str(tmp_path / "again"), "--community", str(DEMO), "--data-dir", str(target),
                env=cli_env(None))
    assert ran.returncode == 0, ran.stderr
    again = json.loads((tmp_path / "again" / "manifest.json").read_text())
    assert again["source"] == f"embedded Valkey in {target}"
    assert (again["counts"], again["ledger_head"], again["keyspace"]["digest"]) == \
        (manifest["counts"], manifest["ledger_head"], manifest["keyspace"]["digest"])


async def test_a_deadline_scheduled_before_the_backup_fires_once_after_the_restore(console, linli, redis_server,
                                                                                     tmp_path):
    await console.say("zhang", None, "报修 3号楼楼道灯坏了，晚上很黑")
    console.transcript.new()
    assert linli("admin", "backup", str(tmp_path / "b"), "--community", str(DEMO),
                 env=cli_env(redis_server)).returncode == 0
    target = tmp_path / "restored"
    assert linli("admin", "restore", str(tmp_path / "b"), "--data-dir", str(target), env=cli_env(None)).returncode == 0

    settings = Settings.load(DEMO, data_dir=target, env={})
    async with open_runtime(settings, fake_clock=True) as restored:
        # The restored fake clock is the backup's: the deadline is still ahead.
        assert restored.clock.now() == console.runtime.clock.now()
        transcript = Transcript()
        async with ConsoleSession(restored, out=transcript.buffer) as session:
            def overdue(lines):
                return [o for o in lines if "#1" in o["text"] and "请督办" in o["text"]]

            await session.advance(23 * 3600)
            assert overdue(transcript.new()) == []
            await session.advance(2 * 3600)      # past the 24-hour response deadline
            fired = overdue(transcript.new())
            assert len(fired) == 1, fired
            await session.advance(3600)
            assert overdue(transcript.new()) == []
            pending = [job for job, _ in await restored.services.jobs.pending()]
            assert "ticket:1:respond_overdue" not in pending and "ticket:1:resolve_overdue" in pending


async def test_a_backup_under_load_is_one_instant_and_restores_exactly(console, linli, redis_server, tmp_path):
    await fill(console)
    books = Ledger(console.runtime.store)
    stop = asyncio.Event()
    posted = 0

    async def writer():
        nonlocal posted
        while not stop.is_set():
            await books.post(Txn(key=f"load:{posted}", event=f"load:{posted}", at=1.0,
                                 transfers=[Transfer("points", POOL, f"person:r{posted % 7}", 1, "load")]))
            await console.runtime.redis.hset(console.runtime.store.keys("load"), str(posted), "x" * 50)
            posted += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.05)
    start = posted
    ran = await asyncio.to_thread(linli, "admin", "backup", str(tmp_path / "b"), "--community", str(DEMO),
                                  env=cli_env(redis_server))
    end = posted
    stop.set()
    await task
    assert ran.returncode == 0, ran.stderr
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    head = manifest["ledger_head"]["seq"]
    base = manifest["counts"]["ledger_entries"] - head   # 0: the list and the head are of one instant
    assert base == 0 and manifest["ledger_verified"]
    assert start < end, "nothing was written while the backup ran: not a test under load"
    assert head < await books.length()   # the live ledger moved on after the snapshot

    target = tmp_path / "restored"
    ran = linli("admin", "restore", str(tmp_path / "b"), "--data-dir", str(target), "--json", env=cli_env(None))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    result = json.loads(ran.stdout)
    assert result["ok"] and result["counts"] == manifest["counts"] and result["ledger"]["ok"]
    async with store_of(target) as store:
        restored = Ledger(store)
        assert await restored.length() == head
        # Entry by entry, the restored books are the live books' first `head` entries.
        assert [e.hash for e in await restored.entries(1, head)] == [e.hash for e in await books.entries(1, head)]
        # The load's second write per entry is there for each entry booked before the
        # instant (the last one may have been caught between its two commands).
        booked = len([e for e in await restored.entries(1, head) if e.kind == "load"])
        assert await store.redis.hlen(store.keys("load")) in (booked, booked - 1)


async def test_restore_refuses_a_target_that_is_not_empty_unless_forced(console, linli, redis_server, tmp_path):
    await fill(console)
    assert linli("admin", "backup", str(tmp_path / "b"), "--community", str(DEMO),
                 env=cli_env(redis_server)).returncode == 0
    # The session's Valkey holds the data the backup was taken from: not empty.
    ran = linli("admin", "restore", str(tmp_path / "b"), env=cli_env(redis_server))
    assert ran.returncode == 1
    assert "is not empty" in ran.stderr and "tickets 2" in ran.stderr and "--force" in ran.stderr
    await console.runtime.redis.set("stray", "1")   # not in the backup: --force removes it
    ran = linli("admin", "restore", str(tmp_path / "b"), "--force", env=cli_env(redis_server))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "after deleting the" in ran.stdout
    assert await console.runtime.redis.get("stray") is None


@pytest.mark.parametrize("damage, said", [
    (lambda b: (b / "files" / "community.toml").write_text("# changed\n", encoding="utf-8"),
     "files/community.toml: its SHA-256 differs"),
    (lambda b: (b / "dump.rdb").unlink(), "dump.rdb: missing"),
    (lambda b: (b / "manifest.json").unlink(), "not a linli backup"),
])
async def test_a_damaged_backup_is_refused_before_anything_is_written(console, linli, redis_server, tmp_path,
                                                                      damage, said):
    await fill(console)
    assert linli("admin", "backup", str(tmp_path / "b"), "--community", str(DEMO),
                 env=cli_env(redis_server)).returncode == 0
    damage(tmp_path / "b")
    target = tmp_path / "restored"
    ran = linli("admin", "restore", str(tmp_path / "b"), "--data-dir", str(target), env=cli_env(None))
    assert ran.returncode == 1 and said in ran.stderr
    assert not (target / "appendonly").exists()   # no server was even started there


async def test_a_backup_of_another_community_is_refused_when_the_community_is_named(console, linli, redis_server,
                                                                                    tmp_path):
    await fill(console)
    assert linli("admin", "backup", str(tmp_path / "b"), "--community", str(DEMO),
                 env=cli_env(redis_server)).returncode == 0
    other = tmp_path / "other.toml"
    other.write_text(DEMO.read_text(encoding="utf-8").replace('id = "demo"', 'id = "other"', 1), encoding="utf-8")
    target = tmp_path / "r"
    ran = linli("admin", "restore", str(tmp_path / "b"), "--community", str(other), "--data-dir", str(target),
                env=cli_env(None))
    assert ran.returncode == 1 and "a backup of community 'demo', not 'other'" in ran.stderr
    assert not (target / "appendonly").exists()
    ran = linli("admin", "restore", str(tmp_path / "b"), "--community", str(DEMO), "--data-dir", str(target),
                env=cli_env(None))
    assert ran.returncode == 0 and "topics 1, sharing_items 1, room_bookings 1" in ran.stdout


async def test_a_restore_that_does_not_match_says_what_differs(console, linli, redis_server, tmp_path):
    await fill(console)
    assert linli("admin", "backup", str(tmp_path / "b"), "--community", str(DEMO),
                 env=cli_env(redis_server)).returncode == 0
    path = tmp_path / "b" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["counts"]["tickets"] += 1   # as if a ticket had been lost on the way
    path.write_text(json.dumps(manifest))
    ran = linli("admin", "restore", str(tmp_path / "b"), "--data-dir", str(tmp_path / "r"), env=cli_env(None))
    assert ran.returncode == 1
    assert "MISMATCH tickets: the backup has 3, the target 2" in ran.stdout


async def test_a_backup_never_overwrites_a_directory_with_something_in_it(linli, redis_server, tmp_path, redis):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("mine")
    ran = linli("admin", "backup", str(tmp_path / "b"), "--community", str(DEMO), env=cli_env(redis_server))
    assert ran.returncode == 1 and "not an empty directory" in ran.stderr
    assert (tmp_path / "b" / "keep.txt").read_text() == "mine"


def test_the_snapshot_is_the_servers_keyspace_at_one_instant(redis_server, tmp_path):
    import redis as sync_redis
    client = sync_redis.Redis.from_url(redis_server)
    client.flushall()
    client.set("a", "1")
    client.hset("h", mapping={"x": "1", "y": "2"})
    client.set("lease", "me", px=600_000)
    size = fetch_snapshot(redis_server, "a", tmp_path / "dump.rdb")
    assert size == (tmp_path / "dump.rdb").stat().st_size and (tmp_path / "dump.rdb").read_bytes()[:5] == b"REDIS"
    client.set("a", "2")   # after the instant: not in it
    with SnapshotServer(tmp_path / "dump.rdb") as server:
        snap = server.client()
        assert snap.get("a") == b"1" and snap.hgetall("h") == {b"x": b"1", b"y": b"2"}
        assert 0 < snap.pttl("lease") <= 600_000
        facts = keyspace_facts(snap)
        snap.close()
    assert (facts["keys"], facts["volatile_keys"]) == (2, 1)
    client.set("a", "1")
    assert keyspace_facts(client)["digest"] == facts["digest"]
    client.hset("h", "y", "3")
    assert keyspace_facts(client)["digest"] != facts["digest"]
    client.close()


@pytest.mark.parametrize("password, said", [("pw", "refused SYNC"), ("wrong", "refused our credentials")])
def test_a_user_who_may_not_replicate_is_told_so(redis_server, tmp_path, password, said):
    import redis as sync_redis
    client = sync_redis.Redis.from_url(redis_server)
    client.acl_setuser("nosync", enabled=True, passwords=["+pw"], commands=["+@all", "-sync", "-psync"], keys=["*"])
    try:
        url = redis_server.replace("unix://", f"unix://nosync:{password}@")
        with pytest.raises(BackupError, match=said):
            fetch_snapshot(url, "a", tmp_path / "dump.rdb")
        assert not list(tmp_path.iterdir())
    finally:
        client.acl_deluser("nosync")
        client.close()


def fake_primary(path: Path, reply: bytes) -> "threading.Thread":
    """A server on a Unix socket that answers REPLCONF with +OK and SYNC with `reply`, as a
    Redis streaming its snapshot diskless does (keep-alive newlines first)."""
    import socket
    import threading

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        seen = b""
        with conn:
            while b"SYNC\r\n" not in seen:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                if b"REPLCONF" in chunk:
                    conn.sendall(b"+OK\r\n")
                seen += chunk
            for i in range(0, len(reply), 7):   # in small pieces: the end mark straddles reads
                conn.sendall(reply[i:i + 7])
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_the_diskless_form_is_read_up_to_its_end_mark(tmp_path):
    mark = b"0123456789abcdef0123456789abcdef01234567"
    rdb = b"REDIS0011" + bytes(range(256)) * 3 + mark[:20]   # a prefix of the mark inside the data
    thread = fake_primary(tmp_path / "p.sock", b"\n\n\n$EOF:" + mark + b"\r\n" + rdb + mark)
    size = fetch_snapshot(f"unix://{tmp_path / 'p.sock'}", "a", tmp_path / "dump.rdb")
    thread.join(5)
    assert size == len(rdb) and (tmp_path / "dump.rdb").read_bytes() == rdb


@pytest.mark.parametrize("reply, said", [
    (b"\n$100\r\nREDIS0011", "stopped after 9 of 100 bytes"),
    (b"$EOF:" + b"m" * 40 + b"\r\nREDIS0011", "before its end mark"),
    (b"$5\r\nHELLO", "not an RDB snapshot"),
    (b"-ERR unknown command 'SYNC'\r\n", "refused SYNC"),
])
def test_a_snapshot_cut_short_or_not_one_is_refused_and_leaves_no_file(tmp_path, reply, said):
    thread = fake_primary(tmp_path / "p.sock", reply)
    with pytest.raises(BackupError, match=said):
        fetch_snapshot(f"unix://{tmp_path / 'p.sock'}", "a", tmp_path / "dump.rdb")
    thread.join(5)
    assert [p.name for p in tmp_path.iterdir()] == ["p.sock"]


def test_a_file_that_is_no_snapshot_does_not_load(tmp_path):
    (tmp_path / "dump.rdb").write_bytes(b"REDIS0011 this is not an rdb")
    with pytest.raises(BackupError, match="does not load"):
        SnapshotServer(tmp_path / "dump.rdb").start()


# --- scheduled backups ----------------------------------------------------------------------

def make(directory: Path, at: float) -> Path:
    path = directory / backups.name_at(at)
    path.mkdir(parents=True)
    return path


def test_names_sort_by_time_and_only_complete_backups_count(tmp_path):
    old = make(tmp_path, 1_700_000_000)
    new = make(tmp_path, 1_700_090_000)
    (tmp_path / (backups.name_at(1_700_100_000) + ".tmp")).mkdir()
    (tmp_path / "notes").mkdir()
    assert old.name == "linli-20231114T221320Z"
    assert backups.complete(tmp_path) == [old, new]
    assert backups.time_of(new.name) == 1_700_090_000
    assert [p.name for p in backups.clean_leftovers(tmp_path)] == [backups.name_at(1_700_100_000) + ".tmp"]
    assert backups.prune(tmp_path, 1) == [old] and backups.complete(tmp_path) == [new]


async def test_the_loop_takes_one_when_due_keeps_the_newest_and_reports_failures(tmp_path, monkeypatch):
    monkeypatch.setattr(backups, "RETRY_AFTER", 0.2)
    import time
    for hours_ago in (30, 50, 70):
        make(tmp_path, time.time() - hours_ago * 3600)
    (tmp_path / (backups.name_at(time.time() - 3600) + ".tmp")).mkdir()   # a crash's leftover
    health, stop = Health(), asyncio.Event()
    state = backups.install(health, 24)
    attempts = []

    async def take(dest: Path) -> dict:
        attempts.append(dest)
        if len(attempts) == 1:
            raise OSError(28, "No space left on device")
        dest.mkdir()
        stop.set()
        return {"keyspace": {"keys": 1}}

    task = asyncio.create_task(backups.run(tmp_path, 24, 2, take, stop, health, state))
    for _ in range(100):
        if state.failed or stop.is_set():
            break
        await asyncio.sleep(0.01)
    problems = health.problems()
    assert any("backups: the last backup failed" in p and "No space left on device" in p for p in problems), problems
    await asyncio.wait_for(task, 5)
    assert len(attempts) == 2 and state.failed is None and health.problems() == []
    names = [p.name for p in backups.complete(tmp_path)]
    assert len(names) == 2 and names[-1] == attempts[1].name   # the newest two: the new one and 30 h ago
    assert not list(tmp_path.glob("*.tmp"))


async def test_the_loop_waits_for_the_interval_after_the_newest_backup(tmp_path):
    import time
    make(tmp_path, time.time() - 3600)   # one hour ago, every 24 h: not due
    health, stop = Health(), asyncio.Event()
    state = backups.install(health, 24)
    taken = []

    async def take(dest):
        taken.append(dest)
        return {"keyspace": {"keys": 0}}

    task = asyncio.create_task(backups.run(tmp_path, 24, 7, take, stop, health, state))
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert taken == [] and health.problems() == []


async def test_linli_runs_scheduled_backups_into_its_backup_dir(runtime, tmp_path):
    """The loop `linli run` starts (bot/service.py), with the real backup, on the runtime."""
    runtime.settings = dataclasses.replace(runtime.settings, backup_dir=tmp_path / "backups", backup_hours=24,
                                           backup_keep=3)
    await runtime.services.tickets.ensure_indexed()
    health, stop = Health(), asyncio.Event()
    body = backups.loop(runtime, stop, health)
    task = asyncio.create_task(body())
    for _ in range(300):
        if backups.complete(tmp_path / "backups"):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 10)
    [made] = backups.complete(tmp_path / "backups")
    manifest = json.loads((made / "manifest.json").read_text())
    assert manifest["community"] == "demo" and manifest["ledger_verified"]
    assert isinstance(health.tasks["backups"], backups.BackupState)


def test_backup_settings_come_from_the_environment(tmp_path):
    settings = Settings.load(DEMO, data_dir=tmp_path, env={"LINLI_BACKUP_DIR": str(tmp_path / "b"),
                                                           "LINLI_BACKUP_HOURS": "6", "LINLI_BACKUP_KEEP": "14"})
    assert (settings.backup_dir, settings.backup_hours, settings.backup_keep) == (tmp_path / "b", 6, 14)
    assert Settings.load(DEMO, data_dir=tmp_path, env={}).backup_dir is None


@pytest.mark.parametrize("kind", ["cluster", "sentinel"])
async def test_a_cluster_or_sentinel_round_trip(kind, request, linli, tmp_path):
    """A Cluster: the snapshot is of the master holding the community's slot (all its keys
    share one hash tag); Sentinel: of the master the sentinels name. Restored into the same
    Redis, emptied, through its REDIS_URL (a Cluster: each key to its slot's node)."""
    from tests.conftest import console_of

    servers = request.getfixturevalue("cluster" if kind == "cluster" else "sentinel_set")
    async with console_of(DEMO.read_text(encoding="utf-8"), tmp_path, servers.url) as console:
        await fill(console)
        before = await entities(console.runtime.store, console.runtime.settings.community.tz)
        community = str(tmp_path / "community.toml")
        ran = linli("admin", "backup", str(tmp_path / "b"), "--community", community, env=cli_env(servers.url))
        assert ran.returncode == 0, ran.stderr
        servers.flush()
        ran = linli("admin", "restore", str(tmp_path / "b"), env=cli_env(servers.url))
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert await entities(console.runtime.store, console.runtime.settings.community.tz) == before


def test_health_names_a_newest_backup_older_than_twice_the_interval_unless_one_is_being_taken():
    import time
    health = Health()
    state = backups.install(health, 24)
    state.newest = time.time() - 47 * 3600
    assert health.problems() == []
    state.newest = time.time() - 50 * 3600
    assert health.problems() == ["backups: the newest backup is 50.0 h old"]
    state.taking = True
    assert health.problems() == []
