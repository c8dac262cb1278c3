"""`linli eval`: how well a rule file does on labelled messages and on chit-chat."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nlp import Classifier
from nlp.evaluate import QUIET, DataError, false_ticket_rate, format_report, read_labeled, read_lines, score


def register(commands) -> None:
    parser = commands.add_parser(
        "eval", help="measure a rule file: per-class precision/recall/F1, confusion, false tickets")
    parser.add_argument("--rules", metavar="FILE", help="rule file (default: the bundled rules)")
    parser.add_argument("--labeled", metavar="FILE", required=True,
                        help="CSV or TSV with a header: one message and its label a row")
    parser.add_argument("--text-column", default="text", metavar="C", help="text column (default text)")
    parser.add_argument("--label-column", default="label", metavar="L", help="label column (default label)")
    parser.add_argument("--quiet-label", default=QUIET, metavar="L",
                        help=f"the label of messages that must not open a ticket (default {QUIET})")
    parser.add_argument("--chitchat", metavar="FILE", action="append", default=[],
                        help="chit-chat, one message a line; tab-separated turns and JSON lines with a "
                             "\"text\" field are read too (repeatable)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.set_defaults(offline=run)


def run(args: argparse.Namespace) -> int:
    classifier = Classifier.from_file(args.rules)
    classifier.warm_up()
    try:
        rows = read_labeled(args.labeled, args.text_column, args.label_column)
        chitchat = {Path(f).name: read_lines(f) for f in args.chitchat}
    except DataError as exc:
        print(f"linli: error: {exc}", file=sys.stderr)
        return 2

    def predict(text: str) -> str:
        result = classifier.classify(text)
        return result.category if result.actionable else args.quiet_label

    report = score(((label, predict(text)) for text, label in rows),
                   classifier.categories, quiet=args.quiet_label)
    for name, texts in chitchat.items():
        report.chitchat[name] = false_ticket_rate(classifier.classify(t).actionable for t in texts)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(format_report(report))
    return 0
