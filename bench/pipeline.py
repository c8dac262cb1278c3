"""Benchmark: classifier speed and end-to-end pipeline throughput on the embedded server.

    .venv/bin/python bench/pipeline.py [--events 2000]

Prints figures; asserts nothing (speed is measured here, not in tests).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import open_runtime  # noqa: E402
from bot.channels.console import message_event  # noqa: E402
from bot.delivery import Delivery  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.worker import Worker  # noqa: E402
from nlp import Classifier  # noqa: E402

MESSAGES = ["3号楼2单元楼道灯坏了，晚上看不见", "大家早上好", "楼上天天半夜装修，吵得睡不着",
            "谢谢物业把路灯修好了", "小区门口乱停车，消防通道都堵了", "请问老年卡怎么办理"]


class NullChannel:
    name = "console"

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, identity, message) -> None:
        self.sent += 1


def bench_classifier(rounds: int) -> None:
    classifier = Classifier.from_file()
    classifier.classify("预热")
    samples = []
    for _ in range(rounds):
        for text in MESSAGES:
            start = time.perf_counter()
            classifier.classify(text)
            samples.append(time.perf_counter() - start)
    samples.sort()
    print(f"classifier: {len(samples)} messages, median {statistics.median(samples) * 1e3:.3f} ms, "
          f"p99 {samples[int(len(samples) * 0.99)] * 1e3:.3f} ms")


async def bench_pipeline(events: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.load(ROOT / "examples" / "demo.toml", data_dir=data_dir, env={})
        async with open_runtime(settings, fake_clock=True) as runtime:
            community = runtime.settings.community
            people = [p for p in community.people if p.startswith("r")]
            start = time.perf_counter()
            for i in range(events):
                text = MESSAGES[i % len(MESSAGES)]
                event = message_event(community, people[i % len(people)], f"b{1 + i % 6}", text, 0.0)
                await runtime.accept(event)
            enqueued = time.perf_counter() - start
            pool = [Worker(runtime, name=f"bench-{n}") for n in range(workers)]
            channel = NullChannel()
            delivery = Delivery(runtime, channel, name="bench-delivery")
            await delivery.start()
            start = time.perf_counter()
            while await runtime.inbound.backlog():
                await asyncio.gather(*(w.step(block_ms=None) for w in pool))
            handled = time.perf_counter() - start
            start = time.perf_counter()
            while await delivery.step(block_ms=None):
                pass
            delivered = time.perf_counter() - start
            tickets = len(await runtime.services.tickets.ids())
            for w in pool:
                await w.leave()
    print(f"enqueue (durable, deduped): {events / enqueued:,.0f} events/s")
    print(f"handle ({workers} workers, classify + tickets + outbox): {events / handled:,.0f} events/s "
          f"({tickets} tickets opened)")
    print(f"deliver (outbox to a null channel): {channel.sent / max(delivered, 1e-9):,.0f} messages/s "
          f"({channel.sent} messages)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    bench_classifier(rounds=200)
    asyncio.run(bench_pipeline(args.events, args.workers))


if __name__ == "__main__":
    main()
