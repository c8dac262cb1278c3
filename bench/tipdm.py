"""External benchmark: the rule engine on real citizen letters (TipDM 2020 problem C,
9,210 messages in 7 municipal classes, already jieba-segmented), beside a learned baseline.

    .venv/bin/python bench/tipdm.py [--per-class 1000] [--dev] [--no-baseline]

Split: a message is in the test part when md5(its text) % 5 == 0 (about 20%), so the
split is fixed without a seed file; duplicate texts are dropped first so a message cannot
sit on both sides. Rules are mined from the training part only (log-odds with a Dirichlet
prior, `nlp.suggest`, over words and two-word phrases), written to bench/tipdm_rules.toml
(not kept in git: it is rebuilt from the data on every run) and loaded by the ordinary
Classifier; the 495 raw sample is not used (it is probably inside the 9,210). The mining
settings were chosen with --dev: mine from three quarters of the training part and score
on the fourth (md5 % 4 == 0), the test part untouched. Baseline: TF-IDF over the same
jieba tokens + logistic regression (scikit-learn, the `bench` extra).
Needs ../shared/data; exits 0 with a note when it is absent.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp import Classifier  # noqa: E402
from nlp.evaluate import score  # noqa: E402
from nlp.suggest import log_odds, usable  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tipdm2020c" / "fujian2_full_9210_labeled_segmented.csv"
RULES = ROOT / "bench" / "tipdm_rules.toml"
TEXT, LABEL = "text_jieba_segmented_topic_plus_detail", "一级标签"
# Chosen on a development part of the training letters (--dev), never on the test part.
PER_CLASS = 1000


def load(path: Path = DATA) -> tuple[list, list]:
    seen, train, test = set(), [], []
    with path.open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            text, label = row[TEXT].strip(), row[LABEL].strip()
            if not text or text in seen:
                continue
            seen.add(text)
            side = test if int(hashlib.md5(text.encode()).hexdigest(), 16) % 5 == 0 else train
            side.append((text.split(), label))
    return train, test


def features(tokens: list[str]) -> set[str]:
    """A letter's words and its two-word phrases ("公交" + "站点" -> "公交站点"): a phrase of
    3+ characters is an ordinary rule word to the classifier, matched wherever it occurs."""
    phrases = {a + b for a, b in zip(tokens, tokens[1:]) if usable(a) and usable(b) and len(a + b) >= 3}
    return set(tokens) | phrases


def mine(train, per_class: int = PER_CLASS) -> str:
    """A rule file: for each class its `per_class` most typical words and phrases (log-odds
    z >= 1, in 2+ letters of the class); how much one counts follows the share of its
    letters that are in the class: half -> weak (0.5), 80% -> keyword (1), 90% -> strong (2),
    so a word is listed in one class at most."""
    documents = [(features(tokens), label) for tokens, label in train]
    ranked = log_odds(documents)
    sizes = Counter(label for _, label in train)
    out = ["# Written by bench/tipdm.py from the training part of TipDM 2020 C; not kept in git.",
           "[settings]", "actionable_threshold = 0.0   # every letter is a report: only the category counts",
           "auto_threshold = 0.0", ""]
    for label in sorted(ranked, key=lambda l: -sizes[l]):
        chosen = [c for c in ranked[label] if c.count >= 2 and c.z >= 1][:per_class]
        lists = {"strong": [c.word for c in chosen if c.share >= 0.9],
                 "keywords": [c.word for c in chosen if 0.8 <= c.share < 0.9],
                 "weak": [c.word for c in chosen if 0.5 <= c.share < 0.8]}
        out.append(f'[categories."{label}"]')
        if label == max(sizes, key=sizes.get):
            out.append("fallback = true")
        for key, words in lists.items():
            if words:
                out.append(f"{key} = {json.dumps(words, ensure_ascii=False)}")
        out.append("")
    return "\n".join(out)


def baseline(train, test) -> list[str]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False,
                                 sublinear_tf=True, min_df=2)
    x = vectorizer.fit_transform(" ".join(t) for t, _ in train)
    model = LogisticRegression(max_iter=2000, C=10.0)
    model.fit(x, [l for _, l in train])
    return list(model.predict(vectorizer.transform(" ".join(t) for t, _ in test)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-class", type=int, default=PER_CLASS,
                        help=f"rule words per class (default {PER_CLASS})")
    parser.add_argument("--dev", action="store_true",
                        help="score on a development quarter of the training part, not the test part")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} not available (needs ../shared/data)")
        return 0
    train, test = load()
    if args.dev:
        def quarter(tokens):
            return int(hashlib.md5(" ".join(tokens).encode()).hexdigest(), 16) % 4 == 0
        train, test = [r for r in train if not quarter(r[0])], [r for r in train if quarter(r[0])]
    RULES.write_text(mine(train, args.per_class), encoding="utf-8")
    classifier = Classifier.from_file(RULES)
    classifier.warm_up()
    rules = score((gold, classifier.classify("".join(tokens)).category or "?") for tokens, gold in test)
    part = "development" if args.dev else "test"
    print(f"TipDM 2020 C: {len(train)} train / {len(test)} {part} messages, 7 classes")
    print(f"rules ({RULES.name}, {args.per_class} words a class): macro-F1 {rules.macro_f1:.3f}")
    for c in rules.classes:
        print(f"  {c.label:<8} P {c.precision:.3f}  R {c.recall:.3f}  F1 {c.f1:.3f}  n {c.support}")
    if not args.no_baseline:
        try:
            predicted = baseline(train, test)
        except ImportError:
            print("baseline skipped: pip install -e '.[bench]' (scikit-learn)")
            return 0
        learned = score(zip((g for _, g in test), predicted))
        print(f"baseline (TF-IDF + logistic regression): macro-F1 {learned.macro_f1:.3f}")
        print(f"gap: {100 * (learned.macro_f1 - rules.macro_f1):.1f} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
