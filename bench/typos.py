"""Typos beyond the known pinyin slips: how many reports a rapidfuzz match of long topic
words rescues, and how much chit-chat it wrongly turns into tickets, per threshold, for
messages addressed to the bot (1:1 or @mention; overheard group talk is never matched
leniently).

    .venv/bin/python bench/typos.py

Typo'd reports are made from the labelled resident messages: one character of a matched
topic word of 4+ characters is replaced by a random common character (seeded), and only
messages the exact rules then miss are kept. Chit-chat: tests/data/chitchat_messages.txt
and, when ../shared is beside this checkout, its chit-chat corpora. Prints figures only.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp import Classifier  # noqa: E402
from nlp.normalize import normalize  # noqa: E402
from nlp.segment import TYPO_MIN_LEN, TYPO_THRESHOLD  # noqa: E402

COMMON = "的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感"


def typo_reports(classifier: Classifier, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    segmenter = classifier._scorer.segmenter
    long_topics = set(segmenter._typo_words)
    out = []
    with open(ROOT / "tests" / "data" / "resident_messages.tsv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            text = normalize(row["text"])
            found = [w for w in segmenter.find(text) if w in long_topics]
            if not found:
                continue
            word = rng.choice(sorted(found))
            i = rng.randrange(len(word))
            typo = word[:i] + rng.choice([c for c in COMMON if c != word[i]]) + word[i + 1:]
            out.append(text.replace(word, typo, 1))
    return out


def chitchat() -> list[str]:
    lines = (ROOT / "tests" / "data" / "chitchat_messages.txt").read_text(encoding="utf-8").splitlines()
    shared = ROOT.parent / "shared" / "data" / "chitchat"
    if shared.is_dir():
        lines += (shared / "lccc_toy_train.txt").read_text(encoding="utf-8").splitlines()
        for raw in (shared / "smp2017_ecdt_task1.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            parts = raw.split("\t")   # split, label, query
            if len(parts) == 3 and parts[1] == "chat":
                lines.append(parts[2])
        for raw in (shared / "crosswoz_test_user_turns.jsonl").read_text(encoding="utf-8").splitlines():
            try:
                lines.append(json.loads(raw).get("text", ""))
            except ValueError:
                pass
    return [line.strip() for line in lines if line.strip()]


def actionable(classifier: Classifier, texts: list[str], threshold: float | None) -> int:
    """As if each message were addressed to the bot, the only place typos are matched."""
    classifier._scorer.segmenter.typo_threshold = threshold
    return sum(1 for text in texts if classifier.classify(text, addressed=True).actionable)


def main() -> None:
    classifier = Classifier.from_file()
    classifier.warm_up()
    reports = [t for t in typo_reports(classifier) if not _exact(classifier, t)]
    quiet = [t for t in chitchat() if not _exact(classifier, t)]
    print(f"{len(reports)} typo'd reports the exact rules miss; {len(quiet)} chit-chat messages they keep quiet")
    print(f"threshold  rescued  of typo'd  new false tickets  rate   (words of {TYPO_MIN_LEN}+ characters)")
    for threshold in (65.0, 70.0, 75.0, 80.0, 85.0, 90.0):
        rescued = actionable(classifier, reports, threshold)
        false = actionable(classifier, quiet, threshold)
        mark = "  ← used" if threshold == TYPO_THRESHOLD else ""
        print(f"{threshold:9.0f}  {rescued:7d}  {rescued / max(len(reports), 1):9.1%}  {false:17d}  "
              f"{false / max(len(quiet), 1):5.2%}{mark}")
    classifier._scorer.segmenter.typo_threshold = TYPO_THRESHOLD


def _exact(classifier: Classifier, text: str) -> bool:
    classifier._scorer.segmenter.typo_threshold = None
    return classifier.classify(text).actionable


if __name__ == "__main__":
    main()
