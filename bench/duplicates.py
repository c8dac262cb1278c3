"""Duplicate reports: precision and recall of the merge decision on labelled pairs, at
several similarity thresholds (handlers/tickets/duplicates.py uses the one chosen here).

    .venv/bin/python bench/duplicates.py

Prints figures; asserts nothing (tests/test_duplicates.py holds the bar).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handlers.tickets.duplicates import THRESHOLD, same_problem  # noqa: E402
from nlp import Classifier  # noqa: E402
from storage.tickets import Ticket  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "duplicate_pairs.tsv"
DAY = 86400.0


def load_pairs(path: Path = PAIRS) -> list[tuple[bool, float, str, str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            same, days, building_a, building_b, text_a, text_b = line.split("\t")
            rows.append((same == "1", float(days), building_a, building_b, text_a, text_b))
    return rows


def decide(classifier: Classifier, pair, threshold: float) -> bool:
    """Would the second report join a ticket opened for the first?"""
    _, days, building_a, building_b, text_a, text_b = pair
    first, second = classifier.classify(text_a), classifier.classify(text_b)
    location = first.location.to_dict() if first.location else None
    ticket = Ticket(id=1, status="open", reporter="a", text=text_a, created_at=0.0,
                    category=first.category or "其他", building=building_a, location=location)
    unit = second.location.unit if second.location else None
    return same_problem(text_b, second.category or "其他", building_b, unit, days * DAY, ticket, threshold)


def scores(classifier: Classifier, pairs, threshold: float) -> tuple[float, float, int, int, int]:
    tp = fp = fn = 0
    for pair in pairs:
        merged = decide(classifier, pair, threshold)
        tp += merged and pair[0]
        fp += merged and not pair[0]
        fn += (not merged) and pair[0]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def main() -> None:
    classifier = Classifier.from_file()
    pairs = load_pairs()
    print(f"{len(pairs)} labelled pairs ({sum(p[0] for p in pairs)} the same problem)")
    print("threshold  precision  recall  merged-wrongly  missed")
    for threshold in (0.3, 0.4, 0.5, 0.55, 0.6, 0.67, 0.75, 0.8):
        precision, recall, _, fp, fn = scores(classifier, pairs, threshold)
        mark = "  ← used" if abs(threshold - THRESHOLD) < 1e-9 else ""
        print(f"{threshold:9.2f}  {precision:9.3f}  {recall:6.3f}  {fp:13d}  {fn:6d}{mark}")


if __name__ == "__main__":
    main()
