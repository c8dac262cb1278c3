"""`linli admin examples …`: the labelled examples kept from staff judgements
(handlers/tickets/learning.py): list them, count them by source, and export them as a TSV file that
`linli rules learn --labeled` fits on and `linli eval --labeled` measures with. The texts
are masked; reading them is audited all the same."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TextIO

from bot.admin.common import audit, iso, STDOUT
from bot.app import Runtime
from storage.examples import SOURCES, Example

HEADER = "text\tlabel\tchat\n"


def _cell(text: str) -> str:
    """One TSV cell: no tab or line break inside (the file is read without quoting)."""
    return " ".join(text.split())


async def list_examples(runtime: Runtime, source: str | None, limit: int, as_json: bool,
                        out: TextIO = STDOUT) -> int:
    """The newest `limit` examples (of one source), newest first."""
    repo = runtime.services.examples
    found = list(reversed(await repo.all())) if source else await repo.latest(limit)
    found = [e for e in found if source is None or e.source == source][:limit]
    await audit(runtime, "list", f"examples source={source or '*'}")
    if as_json:
        json.dump([{"at": iso(e.at, runtime), "text": e.text, "label": e.label, "source": e.source,
                    "chat": e.chat_kind} for e in found], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for e in found:
        out.write(f"{iso(e.at, runtime)}  {e.source:<22} {e.label:<8} {e.chat_kind:<7} {_cell(e.text)}\n")
    out.write(f"{len(found)} example(s)\n")
    return 0


async def count_examples(runtime: Runtime, out: TextIO = STDOUT) -> int:
    counts: Counter[str] = await runtime.services.examples.count()
    for source in SOURCES:
        out.write(f"{source:<22} {counts.get(source, 0)}\n")
    out.write(f"{'total':<22} {sum(counts.values())}\n")
    return 0


def write_tsv(examples: list[Example], path: Path) -> None:
    rows = "".join(f"{_cell(e.text)}\t{_cell(e.label)}\t{e.chat_kind}\n" for e in examples if _cell(e.text))
    path.write_text(HEADER + rows, encoding="utf-8")


async def export_examples(runtime: Runtime, path: str, out: TextIO = STDOUT) -> int:
    """Every example kept, oldest first: `text<TAB>label<TAB>chat` with a header."""
    examples = await runtime.services.examples.all()
    try:
        write_tsv(examples, Path(path))
    except OSError as exc:
        print(f"linli: error: {path}: {exc}", file=sys.stderr)
        return 1
    await audit(runtime, "export", f"examples -> {path}")
    out.write(f"{path}: {len(examples)} example(s); learn from them with "
              f"`linli rules learn --labeled {path} --out rules.toml`\n")
    return 0


def register(areas: argparse._SubParsersAction, community_options) -> None:
    examples = areas.add_parser("examples", help="labelled examples from staff judgements: list, count, export")
    actions = examples.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the newest examples, newest first")
    community_options(listing)
    listing.add_argument("--source", choices=SOURCES, help="only this source")
    listing.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50)")
    listing.add_argument("--json", action="store_true", help="JSON output")
    count = actions.add_parser("count", help="how many are kept, by source")
    community_options(count)
    export = actions.add_parser("export", help="all of them as TSV (text, label, chat) for `linli rules learn` "
                                               "and `linli eval`")
    community_options(export)
    export.add_argument("--out", metavar="FILE.tsv", required=True, help="the file to write")


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    if args.action == "list":
        if args.limit < 1:
            print("linli: error: --limit must be 1 or more", file=sys.stderr)
            return 2
        return await list_examples(runtime, args.source, args.limit, args.json)
    if args.action == "count":
        return await count_examples(runtime)
    return await export_examples(runtime, args.out)
