"""`linli rules check FILE` and `linli rules suggest --labeled FILE`: tools for the
community worker who keeps the rule file."""

from __future__ import annotations

import argparse
import json
import sys

from nlp.evaluate import QUIET, DataError, read_labeled
from nlp.rulecheck import check_file
from nlp.rules import DEFAULT_RULES, Rules
from nlp.segment import Segmenter
from nlp.normalize import normalize
from nlp.suggest import format_toml, suggest


def register(commands) -> None:
    rules = commands.add_parser("rules", help="check a rule file, or mine candidate rules from labelled messages")
    actions = rules.add_subparsers(dest="action", required=True, metavar="ACTION")

    check = actions.add_parser("check", help="list every problem of a rule file, with its line")
    check.add_argument("file", metavar="FILE", nargs="?", default=str(DEFAULT_RULES),
                       help="rule file (default: the bundled rules)")
    check.add_argument("--sample", metavar="FILE",
                       help="labelled CSV/TSV (column text) whose messages show which short words jieba never cuts out")
    check.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    check.set_defaults(offline=run_check)

    mine = actions.add_parser("suggest", help="print candidate rule entries per class (log-odds with a prior)")
    mine.add_argument("--labeled", metavar="FILE", required=True, help="CSV or TSV with text and label columns")
    mine.add_argument("--text-column", default="text", metavar="C")
    mine.add_argument("--label-column", default="label", metavar="L")
    mine.add_argument("--rules", metavar="FILE",
                      help="leave out words this rule file already has (and segment with its words)")
    mine.add_argument("--quiet-label", default=QUIET, metavar="L",
                      help=f"label of messages that must stay quiet (default {QUIET})")
    mine.add_argument("--top", type=int, default=30, help="candidates per class (default 30)")
    mine.add_argument("--min-count", type=int, default=3, help="least messages with the word (default 3)")
    mine.add_argument("--json", action="store_true", help="JSON instead of TOML-shaped text")
    mine.set_defaults(offline=run_suggest)

    learn = actions.add_parser("learn", help="fit the rule file's model weights on labelled messages "
                                             "(needs scikit-learn: pip install 'linli[learn]')")
    learn.add_argument("--labeled", metavar="FILE", action="append", required=True,
                       help="CSV/TSV with text and label columns (and optionally chat = group|private); repeatable")
    learn.add_argument("--chitchat", metavar="FILE", action="append", default=[],
                       help="small talk, one message a line (tabs: turns; JSON lines: their text); repeatable")
    learn.add_argument("--reports", metavar="FILE", action="append", default=[],
                       help="CSV/TSV whose every row is a report (e.g. citizens' letters); repeatable")
    learn.add_argument("--reports-column", default="text", metavar="C",
                       help="the text column of the --reports files (default text)")
    learn.add_argument("--sample", type=int, default=3000, metavar="N",
                       help="at most N messages from each --chitchat or --reports file (spread over it; default 3000)")
    learn.add_argument("--leave-out-every", type=int, default=0, metavar="K",
                       help="leave every K-th line of each --chitchat file out of the fit, for measuring "
                            "(the tests measure LCCC on lines 0, 3, 6…: use 3 with it)")
    learn.add_argument("--rules", metavar="FILE", help="the rule file to start from (default: the bundled one)")
    learn.add_argument("--out", metavar="FILE", required=True, help="where to write the rule file with its model")
    learn.add_argument("--quiet-label", default=QUIET, metavar="L")
    learn.set_defaults(offline=run_learn)


def run_check(args: argparse.Namespace) -> int:
    sample = []
    if args.sample:
        try:
            sample = [text for text, _ in read_labeled(args.sample)]
        except DataError as exc:
            print(f"linli: error: {exc}", file=sys.stderr)
            return 2
    problems = check_file(args.file, sample)
    for problem in problems:
        print(problem.format(args.file))
    errors = sum(p.error for p in problems)
    warnings = len(problems) - errors
    print(f"{args.file}: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors or (args.strict and warnings) else 0


def run_suggest(args: argparse.Namespace) -> int:
    try:
        rows = read_labeled(args.labeled, args.text_column, args.label_column)
    except DataError as exc:
        print(f"linli: error: {exc}", file=sys.stderr)
        return 2
    known: set[str] = set()
    order: list[str] = []
    if args.rules:
        rules = Rules.load(args.rules)   # RuleError: reported by bot.cli
        known = rules.all_keywords()
        order = [c.name for c in rules.categories]
    segmenter = Segmenter(known)
    documents = [(segmenter.tokens(normalize(text)), label) for text, label in rows]
    found = suggest(documents, top=args.top, min_count=args.min_count, known=known)
    if args.json:
        print(json.dumps({label: [c.to_dict() for c in cands] for label, cands in found.items()},
                         ensure_ascii=False))
    else:
        print(format_toml(found, order, quiet=args.quiet_label))
    return 0


def _lines_for_fitting(path: str, leave_out_every: int) -> list[str]:
    """The messages of a chit-chat file, without the lines kept for measuring."""
    from pathlib import Path

    from nlp.evaluate import DataError, messages

    try:
        raw = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc
    kept = [line for i, line in enumerate(raw) if not leave_out_every or i % leave_out_every]
    return [text for line in kept for text in messages(line)]


def _column(path: str, name: str, count: int, default: str | None) -> list[str | None]:
    """A labelled file's optional column (`chat`, `urgent`), or `default` for every row."""
    try:
        return [value for _, value in read_labeled(path, "text", name)]
    except DataError:
        return [default] * count


def run_learn(args: argparse.Namespace) -> int:
    from nlp.evaluate import read_lines
    from nlp.learn import Example, LearnError, guard, learn, write

    if args.leave_out_every < 0 or args.sample < 1:
        print("linli: error: --leave-out-every must be 0 or more and --sample at least 1", file=sys.stderr)
        return 2
    try:
        examples: list[Example] = []
        for path in args.labeled:
            guard(path)
            rows = read_labeled(path)
            chats = _column(path, "chat", len(rows), "group")
            urgency = _column(path, "urgent", len(rows), None)
            for (text, label), chat, urgent in zip(rows, chats, urgency):
                private = chat == "private"
                report = label != args.quiet_label
                examples.append(Example(text, report, addressed=private, group=not private,
                                        urgent=None if urgent is None and report else urgent == "1"))
        for path in args.reports:
            guard(path)
            texts = [text for text, _ in read_labeled(path, args.reports_column, args.reports_column)]
            step = max(1, len(texts) // args.sample)
            examples += [Example(text, True) for text in texts[::step][:args.sample]]
        for path in args.chitchat:
            guard(path)
            lines = _lines_for_fitting(path, args.leave_out_every)
            step = max(1, len(lines) // args.sample)
            examples += [Example(text, False, urgent=False) for text in lines[::step][:args.sample]]
        learned = learn(args.rules, examples)
        write(args.rules, learned, args.out)
    except (DataError, LearnError) as exc:
        print(f"linli: error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: learned from {learned.examples} messages ({learned.reports} reports); "
          f"{learned.words_tried} words tried, {len(learned.model.words)} kept; "
          f"strength C={learned.strength:g} (cross-validated log-loss {learned.cv_log_loss:.3f}); "
          f"auto_threshold {learned.auto_threshold}, triage_threshold {learned.triage_threshold}"
          + (f"; urgency: {len(learned.model.urgent.words)} words, threshold {learned.model.urgent.threshold}"
             if learned.model.urgent else ""))
    return 0
