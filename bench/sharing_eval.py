"""Measure 供需 matching end to end: pairs of a need and an offer (or a thing given away),
labelled whether a community worker would put the two neighbours in touch.

    .venv/bin/python bench/sharing_eval.py FILE.tsv [FILE.tsv ...] [--misses]

A `need<TAB>other<TAB>meet<TAB>why` file: `need` is a whole `需要 …` message, `other` a
`提供 …` or `闲置 …` one. For each pair, two neighbours of one building in the demo
community publish them through the console (the clock at Monday 7 December 2026, 09:00),
and the pair met when linli proposed a match between the two; then both close their items,
so no pair meets another's. A `需要` linli took for a report (it opened a ticket instead)
counts as not met. Prints, per file: precision, recall and accuracy of "met" against the
label, and with --misses every pair it got wrong.

Asserts nothing. Files under tests/data/heldout/ are never tuned on: they say how matching
generalises; tests/data/dev/ is what one may look at while changing the words table.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import open_runtime  # noqa: E402
from bot.console import ConsoleSession  # noqa: E402
from bot.settings import Settings  # noqa: E402

MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
ITEM = re.compile(r"X(\d+)")
MATCH = re.compile(r"（M(\d+)）")


async def run_file(path: Path, misses: bool) -> str:
    rows = list(csv.DictReader(path.open(encoding="utf-8"), delimiter="\t"))
    wrong: list[str] = []
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.load(ROOT / "examples" / "demo.toml", data_dir=data_dir, env={})
        community = settings.community
        by_building: dict[str, list[str]] = {}
        for person in community.people.values():
            if person.roles == frozenset({"resident"}) and person.building:
                by_building.setdefault(person.building, []).append(person.id)
        one, other = next(ids for ids in by_building.values() if len(ids) >= 2)[:2]
        async with open_runtime(settings, fake_clock=True) as runtime:
            runtime.clock.set(MONDAY)
            out = io.StringIO()
            async with ConsoleSession(runtime, out=out) as session:
                counts = dict(tp=0, fp=0, fn=0, tn=0, reports=0)

                async def say(person: str, text: str) -> list[dict]:
                    mark = len(out.getvalue())
                    await session.say(person, None, text)
                    return [json.loads(line) for line in out.getvalue()[mark:].splitlines() if line.strip()]

                for row in rows:
                    said = await say(one, row["need"])
                    need = next((ITEM.search(m["text"]) for m in said if m["to"] == f"@{one}" and "已发布" in m["text"]),
                                None)
                    said = await say(other, row["other"])
                    offer = next((ITEM.search(m["text"]) for m in said if m["to"] == f"@{other}" and "已发布" in m["text"]),
                                 None)
                    met = any(MATCH.search(m["text"]) for m in said if m["to"] == f"@{one}")
                    counts["reports"] += need is None
                    label = row["meet"].strip() == "1"
                    counts[("tp" if met else "fn") if label else ("fp" if met else "tn")] += 1
                    if met != label:
                        wrong.append(f"  {'missed' if label else 'wrongly met'}: {row['need']} | {row['other']}"
                                     f"  ({row.get('why', '')})")
                    for person, item in ((one, need), (other, offer)):
                        if item:
                            await say(person, f"关闭 X{item.group(1)}")
    c = counts
    precision = c["tp"] / max(1, c["tp"] + c["fp"])
    recall = c["tp"] / max(1, c["tp"] + c["fn"])
    accuracy = (c["tp"] + c["tn"]) / max(1, len(rows))
    line = (f"{path}: {len(rows)} pairs ({c['tp'] + c['fn']} should meet) | precision {precision:.3f} "
            f"recall {recall:.3f} accuracy {accuracy:.3f} | {c['fp']} wrongly met, {c['fn']} missed, "
            f"{c['reports']} needs taken for reports")
    return line + ("\n" + "\n".join(wrong) if misses and wrong else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--misses", action="store_true", help="list the pairs it got wrong")
    args = parser.parse_args()
    for path in args.files:
        print(asyncio.run(run_file(path, args.misses)), flush=True)


if __name__ == "__main__":
    main()
