"""Benchmark: what `linli admin backup` and `linli admin restore` cost, and how long the
running server is held up while a backup is taken.

    .venv/bin/python bench/backup.py [--tickets 20000] [--entries 50000]

Fills the embedded Valkey of a temporary data dir with the shape a community reaches:
`--tickets` tickets (a hash of 16 fields, a history list of 5 steps, the all-ticket and
reporter indexes), `--entries` ledger entries (booked for real: the hash chain, the head, balances), and a few
thousand pending jobs. Then takes a backup (the same function as the CLI) while another
process PINGs the server every 2 ms, and restores it into a second, empty data dir. Prints the
time of each phase, the snapshot's size, and the PING latencies during the backup (the
longest is what the fork and the key-by-key reading cost a request). Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bot.admin.backup import backup_command, restore_command  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.embedded import EmbeddedServer  # noqa: E402
from storage.keys import EMBEDDED_USERS, Keys  # noqa: E402

DEMO = ROOT / "examples" / "demo.toml"


async def post_entries(url: str, community: str, entries: int) -> None:
    """Real ledger entries (the hash chain, balances): booked 500 at a time."""
    from storage.connection import open_client
    from storage.ledger import POOL, Ledger, Transfer, Txn
    from storage.store import Store

    client, close = open_client(url)
    books = Ledger(Store.open(client, community))
    try:
        for start in range(0, entries, 500):
            await asyncio.gather(*(books.post(Txn(key=f"b:{n}", event=f"b:{n}", at=1.75e9 + n, transfers=[
                Transfer("points", POOL, f"person:r{n % 300}", 1, "vote")])) for n in range(start, min(entries, start + 500))))
    finally:
        await close()


def fill(client: redis.Redis, keys: Keys, tickets: int) -> None:
    pipe = client.pipeline(transaction=False)
    for i in range(1, tickets + 1):
        pipe.hset(keys.ticket(i), mapping={
            "id": i, "status": "closed", "category": "设施维修", "reporter": f"r{i % 300}",
            "text": "3号楼楼道灯坏了，晚上很黑，老人上下楼不方便" + str(i), "building": str(i % 6 + 1),
            "assignee": "wang", "created_at": 1.75e9 + i, "respond_due": 1.75e9 + i + 86400,
            "resolve_due": 1.75e9 + i + 3 * 86400, "responded_at": 1.75e9 + i + 600,
            "resolved_at": 1.75e9 + i + 7200, "closed_at": 1.75e9 + i + 9000, "rating": 5,
            "comment": "很及时", "event": f"tg:{i}"})
        pipe.rpush(keys.ticket_history(i), *(json.dumps({"at": 1.75e9 + i + s, "by": "wang", "action": a})
                                              for s, a in enumerate(("opened", "assigned", "started", "resolved", "rated"))))
        pipe.zadd(keys.tickets(), {str(i): 1.75e9 + i})
        pipe.zadd(keys.tickets_of(f"r{i % 300}"), {str(i): 1.75e9 + i})
        if i % 1000 == 0:
            pipe.execute()
    for j in range(3000):
        pipe.zadd(keys.jobs(), {f"ticket:{j}:autoclose": 1.76e9 + j})
        pipe.hset(keys.job_payloads(), f"ticket:{j}:autoclose", '{"s":0,"o":"t","d":{}}')
    pipe.execute()


def ping(path: str, stop, results) -> None:
    probe = redis.Redis(unix_socket_path=path)
    latencies = []
    while not stop.is_set():
        at = time.perf_counter()
        probe.ping()
        latencies.append(time.perf_counter() - at)
        time.sleep(0.002)   # a request every 2 ms, not a busy loop taking a core from the backup
    probe.close()
    results.put(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20000)
    parser.add_argument("--entries", type=int, default=50000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
        tmp = Path(tmp)
        settings = Settings.load(DEMO, data_dir=tmp / "data", env={})
        server = EmbeddedServer(settings.data_dir)
        server.start()
        try:
            client = redis.Redis(unix_socket_path=str(server.socket))
            # The backup's own connection leaves the server as this process: another live
            # pid among its users keeps it up for the restore's comparison and the PINGs.
            client.sadd(EMBEDDED_USERS, os.getppid())
            started = time.perf_counter()
            fill(client, Keys(settings.community.id), args.tickets)
            asyncio.run(post_entries(server.url, settings.community.id, args.entries))
            print(f"filled: {client.dbsize()} keys, used_memory {client.info('memory')['used_memory_human']} "
                  f"in {time.perf_counter() - started:.1f} s")
            # PINGs from a process of their own, so this one's work (and its GIL) is not in them.
            stop = multiprocessing.Event()
            results = multiprocessing.Queue()
            pinger = multiprocessing.Process(target=ping, args=(str(server.socket), stop, results))
            pinger.start()
            time.sleep(0.5)
            started = time.perf_counter()
            asyncio.run(backup_command(settings, tmp / "backup", False, out=io.StringIO()))
            took = time.perf_counter() - started
            stop.set()
            latencies = results.get()
            pinger.join()
            size = (tmp / "backup" / "dump.rdb").stat().st_size
            print(f"backup: {took:.2f} s, snapshot {size / 1e6:.1f} MB; {len(latencies)} PINGs meanwhile, "
                  f"median {statistics.median(latencies) * 1e3:.2f} ms, max {max(latencies) * 1e3:.1f} ms")
            client.srem(EMBEDDED_USERS, os.getppid())
            client.close()
        finally:
            server.stop()
        started = time.perf_counter()
        out = io.StringIO()
        code = asyncio.run(restore_command(tmp / "backup", None, tmp / "restored", False, False, out=out))
        print(f"restore: {time.perf_counter() - started:.2f} s, exit {code}")
        print(out.getvalue().splitlines()[0] if code == 0 else out.getvalue())


if __name__ == "__main__":
    main()
