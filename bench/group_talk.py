"""Benchmark: labelled messages end to end through the console, as residents send them.

    .venv/bin/python bench/group_talk.py FILE.tsv [FILE.tsv ...] [--rules FILE]

Each message of a `text<TAB>label<TAB>urgent<TAB>chat` file is sent by its own resident
(rotating over the demo community's residents), group messages into an `auto` group of
their building, private ones 1:1, a quarter of an hour apart on the fake clock. What the
bot did is read back: whether the group was told of a ticket, whether a ticket or a triage
entry (待确认) was made or joined, whether it was urgent. Prints, per file:

- chit-chat announced: small talk after which the group was told of a ticket (the bar: <= 3%)
- reports reached: reports that became a ticket, joined one, or wait in the triage queue (>= 92%)
- urgent flagged: urgent reports whose ticket is marked urgent (every one)

Asserts nothing. Files under tests/data/heldout/ are what this is for: they are never fitted on.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import open_runtime  # noqa: E402
from bot.console import ConsoleSession  # noqa: E402
from bot.settings import Settings  # noqa: E402

GAP = 15 * 60.0   # seconds on the fake clock between two messages


async def run_file(path: Path, rules: str | None) -> str:
    rows = list(csv.DictReader(path.open(encoding="utf-8"), delimiter="\t"))
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.load(ROOT / "examples" / "demo.toml", data_dir=data_dir, rules_file=rules, env={})
        community = settings.community
        residents = [p for p in community.people.values() if p.roles == frozenset({"resident"}) and p.building]
        groups = {c.building: c.id for c in community.chats.values() if c.mode == "auto" and c.building}
        async with open_runtime(settings, fake_clock=True) as runtime:
            runtime.services.classifier.warm_up()
            out = io.StringIO()
            async with ConsoleSession(runtime, out=out) as session:
                tickets = runtime.services.tickets
                stats = dict(reports=0, reached=0, chit=0, announced=0, urgent=0, flagged=0, right=0, filed=0)
                for i, row in enumerate(rows):
                    person = residents[i % len(residents)]
                    group = row["chat"] == "group"
                    chat = groups.get(person.building) or next(iter(groups.values())) if group else None
                    before_ids = set(await tickets.ids())
                    before_queue = set(await tickets.queue_ids())
                    mark = len(out.getvalue())
                    await session.say(person.id, chat, row["text"])
                    await session.advance(GAP)
                    lines = [json.loads(line) for line in out.getvalue()[mark:].splitlines() if line.strip()]
                    told_group = any(line["to"] == chat and "工单" in line["text"] for line in lines) if group else \
                        any(line["to"] == f"@{person.id}" and "工单" in line["text"] for line in lines)
                    new = (set(await tickets.ids()) - before_ids) | (set(await tickets.queue_ids()) - before_queue)
                    mine = [t for t in await tickets.many(sorted(set(await tickets.ids(reporter=person.id))))
                            if t.created_at >= runtime.clock.now() - GAP - 1 or person.id in t.co_reporters]
                    reached = bool(new) or told_group
                    if row["label"] == "chitchat":
                        stats["chit"] += 1
                        stats["announced"] += told_group
                    else:
                        stats["reports"] += 1
                        stats["reached"] += reached
                        opened = [t for t in mine if t.id in new]
                        if opened:
                            stats["filed"] += 1
                            stats["right"] += opened[0].category == row["label"]
                        if row["urgent"] == "1":
                            stats["urgent"] += 1
                            stats["flagged"] += any(t.urgent for t in opened)
    s = stats
    return (f"{path.name}: {s['reports']} reports, {s['chit']} chit-chat | chit-chat announced "
            f"{s['announced']}/{s['chit']} = {s['announced'] / max(1, s['chit']):.1%} | reports reached "
            f"{s['reached'] / max(1, s['reports']):.3f} | category of new tickets {s['right'] / max(1, s['filed']):.3f} "
            f"| urgent flagged {s['flagged']}/{s['urgent']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--rules", help="a rule file instead of the bundled one")
    args = parser.parse_args()
    for path in args.files:
        print(asyncio.run(run_file(path, args.rules)), flush=True)


if __name__ == "__main__":
    main()
