"""Benchmark: what publishing a 供需 need costs (reading it, finding candidates through the
inverted index, checking and proposing) with many open offers already stored, against
reading every open item (the scan the index avoids).

    .venv/bin/python bench/sharing_match.py [--sizes 0,1000,5000] [--needs 40]

For each size, that many open offers and things (20 wordings, spread over 12 buildings
and 60 people) are stored first through the repository; then the same needs (20 wordings,
each twice) are published through the real handler (handlers/sharing/publish.py), on the
embedded Valkey with a fake clock. Printed: the median time of one publication, the
candidates the index returned for it (median), and the median time to merely load every
open item once (what a scan would cost before any checking). Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import open_runtime  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers.context import Context  # noqa: E402
from handlers.events import Event  # noqa: E402
from handlers.sharing import publish  # noqa: E402
from handlers.sharing.words import about  # noqa: E402
from storage.sharing import Sharing  # noqa: E402

T0 = 1_900_000_000.0     # "now" of every run (a fake clock ahead of the real one): runs are identical
OFFERS = [("offer", t) for t in (
    "可以帮忙搬家具", "维修家电，免费上门", "会修自行车", "每周三下午免费理发", "退休教师，可以辅导小学作业",
    "教老人用手机、微信", "每天上午可以帮忙买菜跑腿", "可以陪老人看病", "可以帮忙打扫卫生", "周末可以帮忙接送孩子",
    "会修水管马桶", "会换灯泡修插座", "可以帮忙遛狗")] + [("thing", t) for t in (
    "儿童自行车一辆 免费送", "一台八成新洗衣机 免费送", "轮椅一个 可以借", "一箱童书和绘本", "冲击钻 可以借",
    "闲置棉袄外套几件", "婴儿车 九成新")]
NEEDS = ["周六上午有人帮忙搬个衣柜", "冰箱坏了，谁能帮忙修一下", "修一下自行车链条", "想找人剪个头发",
         "孩子数学作业需要辅导", "想学用智能手机视频聊天", "帮忙买菜，腿脚不方便", "需要人陪我去医院看病",
         "家里需要大扫除", "放学后需要有人帮忙接孩子", "马桶漏水了谁会修", "插座不通电了", "出差几天想找人遛狗",
         "给孙子找辆小单车", "想要一台旧洗衣机", "需要轮椅，借用几天", "孩子上学缺课外书", "借个电钻用一下",
         "冬天了想要几件厚衣服", "需要一辆婴儿车"]


def community_file(path: Path) -> Path:
    lines = ['[community]\nid = "sharing-bench"\nname = "供需基准"\n\n[sharing]\nproposals = 3\nmax_open = 50\n']
    for n in range(60):
        lines.append(f'[[people]]\nid = "p{n}"\nname = "居民{n}"\nhousehold = "{n % 12 + 1}-1-{100 + n}"\n')
    lines.append('[[people]]\nid = "grid"\nname = "网格员"\nroles = ["grid_worker"]\nbuildings = ["1", "2", "3"]\n')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


async def seed(runtime, size: int) -> None:
    repo = Sharing(runtime.store)
    for n in range(size):
        kind, text = OFFERS[n % len(OFFERS)]
        words = about(text)
        await repo.publish(f"seed:{n}", {
            "kind": kind, "text": text, "owner": f"p{n % 60}", "created_at": T0 - 3600 + n * 0.001,
            "expires_at": T0 + 14 * 86400, "keys": words.keys, "spans": [], "when": "", "building": str(n % 12 + 1),
            "acts": ",".join(sorted(words.acts)), "things": ",".join(sorted(words.things)),
            "words": ",".join(sorted(words.words))})


async def run(size: int, needs: int) -> dict:
    with tempfile.TemporaryDirectory() as data_dir:
        path = community_file(Path(data_dir) / "community.toml")
        settings = Settings.load(path, data_dir=data_dir, env={})
        async with open_runtime(settings, fake_clock=True) as runtime:
            runtime.services.clock.set(T0)
            community = settings.community
            about("预热")                     # jieba's dictionary, once
            runtime.services.classifier.classify("预热")
            await seed(runtime, size)
            repo = Sharing(runtime.store)
            times, found = [], []
            for n in range(needs):
                text = NEEDS[n % len(NEEDS)]
                person = community.people[f"p{(n * 7) % 60}"]
                event = Event(id=f"bench:{size}:{n}", channel="console", kind="message", received_at=T0,
                              sender=f"console:{person.id}", chat_kind="private", text=f"需要 {text}")
                ctx = Context(runtime.services, event, person=person)
                found.append(len(await repo.candidates(("offer", "thing"), about(text).keys)))
                start = time.perf_counter()
                await publish.need(ctx, text)
                times.append(time.perf_counter() - start)
            scans = []
            for _ in range(3):
                start = time.perf_counter()
                items = await repo.many(await repo.ids())
                scans.append(time.perf_counter() - start)
            return {"size": size, "publish_ms": statistics.median(times) * 1000,
                    "candidates": statistics.median(found), "scan_ms": statistics.median(scans) * 1000,
                    "items": len(items)}


async def main(sizes: list[int], needs: int) -> None:
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'open items':>10} {'publish a need (median ms)':>28} {'index candidates (median)':>27} "
          f"{'load every item once (ms)':>27}")
    for size in sizes:
        r = await run(size, needs)
        print(f"{r['size']:>10} {r['publish_ms']:>28.1f} {r['candidates']:>27.0f} {r['scan_ms']:>27.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,1000,5000")
    parser.add_argument("--needs", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], args.needs))
