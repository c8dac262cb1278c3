"""Measuring a rule file: per-class precision/recall/F1, macro-F1, a confusion matrix and
the false-ticket rate on chit-chat.

Pure functions over (gold, predicted) label pairs, plus the small readers the CLI and the
benchmarks share. A message the classifier leaves alone is predicted as the quiet
label ("chitchat" by default), so "no ticket" is a class of its own in the matrix, while
macro-F1 averages the report categories only: staying quiet is not a category.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

QUIET = "chitchat"


class DataError(ValueError):
    """A labelled or chit-chat file that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class ClassScore:
    label: str
    support: int        # gold messages of this class
    predicted: int      # messages predicted as this class
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    labels: list[str]                         # report categories, then the quiet label
    classes: list[ClassScore]                 # one per report category with gold support
    matrix: dict[str, Counter]                # gold -> Counter(predicted)
    quiet: str = QUIET
    chitchat: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (tickets, n)

    @property
    def macro_f1(self) -> float:
        return sum(c.f1 for c in self.classes) / len(self.classes) if self.classes else 0.0

    @property
    def reports(self) -> int:
        return sum(sum(row.values()) for gold, row in self.matrix.items() if gold != self.quiet)

    @property
    def actionable_recall(self) -> float:
        """Share of real reports that would open a ticket, whatever the category."""
        found = sum(n for gold, row in self.matrix.items() if gold != self.quiet
                    for pred, n in row.items() if pred != self.quiet)
        return found / self.reports if self.reports else 0.0

    @property
    def category_accuracy(self) -> float:
        """Among reports that open a ticket, the share filed in the right category."""
        found = right = 0
        for gold, row in self.matrix.items():
            if gold == self.quiet:
                continue
            for pred, n in row.items():
                if pred != self.quiet:
                    found += n
                    right += n if pred == gold else 0
        return right / found if found else 0.0

    @property
    def false_tickets(self) -> float:
        """Share of the labelled file's quiet messages that would open a ticket."""
        row = self.matrix.get(self.quiet, Counter())
        total = sum(row.values())
        return (total - row[self.quiet]) / total if total else 0.0

    def to_dict(self) -> dict:
        return {
            "macro_f1": round(self.macro_f1, 4),
            "actionable_recall": round(self.actionable_recall, 4),
            "category_accuracy": round(self.category_accuracy, 4),
            "false_tickets": round(self.false_tickets, 4),
            "classes": {c.label: {"precision": round(c.precision, 4), "recall": round(c.recall, 4),
                                  "f1": round(c.f1, 4), "support": c.support}
                        for c in self.classes},
            "labels": self.labels,
            "confusion": {gold: {p: self.matrix[gold][p] for p in self.labels if self.matrix[gold][p]}
                          for gold in self.labels if gold in self.matrix},
            "chitchat": {name: {"messages": n, "tickets": t, "false_ticket_rate": round(t / n, 4) if n else 0.0}
                         for name, (t, n) in self.chitchat.items()},
        }


def score(pairs: Iterable[tuple[str, str]], categories: Sequence[str] = (),
          quiet: str = QUIET) -> Report:
    """Score (gold, predicted) pairs; `categories` fixes the order of the labels."""
    matrix: dict[str, Counter] = {}
    for gold, pred in pairs:
        matrix.setdefault(gold, Counter())[pred] += 1
    seen = set(matrix) | {p for row in matrix.values() for p in row}
    labels = [c for c in categories if c in seen and c != quiet]
    labels += sorted(seen - set(labels) - {quiet})
    if quiet in seen:
        labels.append(quiet)
    predicted = Counter()
    for row in matrix.values():
        predicted.update(row)
    classes = [ClassScore(label, sum(matrix[label].values()), predicted[label], matrix[label][label])
               for label in labels if label != quiet and label in matrix]
    return Report(labels=labels, classes=classes, matrix=matrix, quiet=quiet)


def false_ticket_rate(predictions: Iterable[bool]) -> tuple[int, int]:
    """(tickets opened, messages) over chit-chat predictions (True = would open a ticket)."""
    flags = list(predictions)
    return sum(flags), len(flags)


def format_report(report: Report) -> str:
    """The report as the plain-text tables `linli eval` prints."""
    lines = [f"{'class':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}"]
    for c in report.classes:
        lines.append(f"{_pad(c.label, 10)} {c.precision:9.3f} {c.recall:7.3f} {c.f1:6.3f} {c.support:8d}")
    lines.append(f"{'macro-F1':<10} {'':>9} {'':>7} {report.macro_f1:6.3f} {report.reports:8d}")
    lines.append("")
    lines.append(f"actionable recall {report.actionable_recall:.3f}   "
                 f"category accuracy {report.category_accuracy:.3f}   "
                 f"false tickets {report.false_tickets:.2%}")
    lines.append("")
    lines.append("confusion (rows: gold, columns: predicted, in label order)")
    width = max(4, *(len(str(n)) for row in report.matrix.values() for n in row.values())) + 1
    lines.append(" " * 10 + "".join(f"{i + 1:>{width}}" for i in range(len(report.labels))))
    for i, gold in enumerate(report.labels):
        row = report.matrix.get(gold, Counter())
        cells = "".join(f"{row[p] or '.':>{width}}" for p in report.labels)
        lines.append(f"{i + 1:>2} {_pad(gold, 7)}{cells}")
    for name, (tickets, n) in report.chitchat.items():
        lines.append("")
        lines.append(f"chit-chat {name}: {tickets}/{n} false tickets "
                     f"({tickets / n if n else 0:.2%})")
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    # Chinese characters take two columns in a terminal.
    used = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(1, width - used)


def read_labeled(path: str | Path, text_column: str = "text",
                 label_column: str = "label") -> list[tuple[str, str]]:
    """(text, label) rows of a CSV or TSV file with a header naming its columns.

    Tab-separated when the header line has a tab, else comma-separated (quoted as CSV).
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc
    first = raw.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter,
                        quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
    header = next(reader, None)
    if not header:
        raise DataError(f"{path}: empty file")
    for column in (text_column, label_column):
        if column not in header:
            raise DataError(f"{path}: line 1: no column {column!r} (columns: {', '.join(header)})")
    ti, li = header.index(text_column), header.index(label_column)
    rows = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(ti, li):
            raise DataError(f"{path}: line {line}: expected {len(header)} columns, got {len(row)}")
        text, label = row[ti].strip(), row[li].strip()
        if not label:
            raise DataError(f"{path}: line {line}: empty label")
        if text:
            rows.append((text, label))
    return rows


def messages(line: str) -> list[str]:
    """The messages on one line of a chat dump: the line itself; the turns of one
    conversation when tabs separate them (LCCC); the "text" of a JSON object (CrossWOZ,
    chat exports). A bot sees each turn as a message of its own, so each is one message."""
    line = line.strip()
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict) and isinstance(record.get("text"), str):
            return [record["text"].strip()] if record["text"].strip() else []
    return [part.strip() for part in line.split("\t") if part.strip()]


def read_lines(path: str | Path) -> list[str]:
    """The chit-chat messages of a plain-text file: one a line (see `messages`)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc
    return [text for line in lines for text in messages(line)]
