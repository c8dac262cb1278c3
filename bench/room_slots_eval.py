"""Measure how 预约 reads the times residents write.

    .venv/bin/python bench/room_slots_eval.py FILE.tsv [--misses]

A `text<TAB>start<TAB>end<TAB>why` file: `text` is what follows `预约 活动室 `, start and
end the slot meant (`2026-12-19 14:00`, Asia/Shanghai), read as if now were Wednesday
16 December 2026, 10:00, for a room open Monday to Saturday 08:00-21:00. Prints how many
were read exactly, how many read as another slot, and how many not read at all; with
--misses, each one it got wrong.

Asserts nothing. tests/data/heldout/room_slots.tsv is never tuned on.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handlers.rooms import slots  # noqa: E402
from handlers.rooms.rules import Room, parse_open  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 16, 10, 0, tzinfo=TZ).timestamp()
ROOM = Room(id="a", name="活动室", hours=parse_open("周一至周六 08:00-21:00"))


def at(text: str) -> float:
    return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=TZ).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--misses", action="store_true", help="list the ones it got wrong")
    args = parser.parse_args()
    rows = list(csv.DictReader(args.file.open(encoding="utf-8"), delimiter="\t"))
    right, other, unread, wrong = 0, 0, 0, []
    for row in rows:
        want = (at(row["start"]), at(row["end"]))
        try:
            got = slots.parse_slot(ROOM, row["text"], NOW, TZ)
        except slots.SlotError as exc:
            unread += 1
            wrong.append(f"  not read ({exc.key}): {row['text']}  want {row['start']}-{row['end'][-5:]}")
            continue
        if isinstance(got, tuple) and tuple(got) == want:
            right += 1
            continue
        other += 1
        shown = slots.span_words(*got, TZ) if isinstance(got, tuple) else str(got)
        wrong.append(f"  read as {shown}: {row['text']}  want {row['start']}-{row['end'][-5:]}")
    print(f"{args.file}: {len(rows)} slots | read exactly {right} ({right / max(1, len(rows)):.1%}), "
          f"as another slot {other}, not read {unread}")
    if args.misses and wrong:
        print("\n".join(wrong))


if __name__ == "__main__":
    main()
