"""Benchmark: how long the web workbench's pages take with many tickets stored.

    .venv/bin/python bench/web_pages.py [--sizes 0,10000,50000] [--rounds 10]

For each size, tickets are stored as bench/tickets_scale.py stores them (the demo's six
buildings, two years, most closed, a few hundred open), then each page is asked for
through the real HTTP server (aiohttp's test client, a signed-in session): 今日 and 工单
for the secretary (the whole community) and for 物业's contact (what is routed to them),
工单 of one building, of a closed state over the default 30 days, with a word search, and
one ticket's page. Medians in ms, session checks and the audit write included. Runs on the
embedded Valkey in a temporary directory. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from bot.app import open_runtime  # noqa: E402
from bot.server import build_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers.clock import FakeClock  # noqa: E402
from storage.web import WebLogins  # noqa: E402
from tickets_scale import DEMO, T0, seed  # noqa: E402

PAGES = (
    ("secretary", "今日", "/web/today"),
    ("secretary", "工单 (open)", "/web/tickets"),
    ("secretary", "工单 3号楼", "/web/tickets?building=3"),
    ("secretary", "工单 已评价, 30 days", "/web/tickets?status=closed"),
    ("secretary", "工单 all states, 30 days, words", "/web/tickets?status=all&q=%E7%81%AF"),
    ("secretary", "one ticket", "/web/tickets/{last}"),
    ("wuye_li", "今日 (物业's contact)", "/web/today"),
    ("wuye_li", "工单 (物业's contact)", "/web/tickets"),
)


async def measure(size: int, rounds: int) -> list[tuple[str, float, int]]:
    with tempfile.TemporaryDirectory() as data_dir:
        env = {"LINLI_WEB_URL": "http://127.0.0.1", "LINLI_WEB_SECRET": "bench-" + "b" * 40}
        settings = Settings.load(DEMO, data_dir=data_dir, env=env)
        async with open_runtime(settings, fake_clock=True) as runtime:
            runtime.services.clock = FakeClock(T0 - 1)
            if size:
                await seed(runtime, size, random.Random(7))
            clients = {}
            for person in {p for p, _, _ in PAGES}:
                client = TestClient(TestServer(build_app(runtime)))
                await client.start_server()
                token = await WebLogins(runtime.store).issue(person)
                await client.post("/web/login", data={"token": token}, allow_redirects=False)
                clients[person] = client
            rows = []
            for person, label, path in PAGES:
                path = path.format(last=max(size, 1))
                times, status = [], 0
                for _ in range(rounds):
                    started = time.perf_counter()
                    answer = await clients[person].get(path)
                    await answer.read()
                    times.append((time.perf_counter() - started) * 1000)
                    status = answer.status
                rows.append((label, statistics.median(times), status))
            open_count = len(await runtime.services.tickets.open_ids())
            for client in clients.values():
                await client.close()
    print(f"\n{size:,} tickets stored, {open_count} open (median of {rounds}, ms; load {os.getloadavg()[0]:.1f}):")
    for label, ms, status in rows:
        print(f"  {label:<36} {ms:8.1f}   ({status})")
    return rows


async def main(sizes: list[int], rounds: int) -> None:
    for size in sizes:
        await measure(size, rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0,10000,50000")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], args.rounds))
