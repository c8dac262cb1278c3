"""External benchmark: the rule engine on real citizen letters (TipDM 2020 problem C,
9,210 messages in 7 municipal classes, already jieba-segmented), beside a learned baseline.

    .venv/bin/python bench/tipdm.py [--per-class 150] [--no-baseline]

Split: a message is in the test part when md5(its text) % 5 == 0 (about 20%), so the
split is fixed without a seed file; duplicate texts are dropped first so a message cannot
sit on both sides. Rules are mined from the training part only (log-odds with a Dirichlet
prior, `nlp.suggest`), written to bench/tipdm_rules.toml and loaded by the ordinary
Classifier; the 495 raw sample is not used (it is probably inside the 9,210). Baseline:
TF-IDF over the same jieba tokens + logistic regression (scikit-learn, the `bench` extra).
Needs ../shared/data; exits 0 with a note when it is absent.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp import Classifier  # noqa: E402
from nlp.evaluate import score  # noqa: E402
from nlp.suggest import log_odds  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tipdm2020c" / "fujian2_full_9210_labeled_segmented.csv"
RULES = ROOT / "bench" / "tipdm_rules.toml"
TEXT, LABEL = "text_jieba_segmented_topic_plus_detail", "一级标签"


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


def mine(train, per_class: int) -> str:
    """A rule file: each word goes to the class where it is most typical; the higher its
    z-score, the more it counts (strong 2, keyword 1, weak 0.5)."""
    ranked = log_odds(train)
    best: dict[str, tuple[float, str]] = {}
    for label, cands in ranked.items():
        for c in cands[:per_class * 3]:
            if c.count >= 5 and c.z >= 3 and len(c.word) >= 2 and c.z > best.get(c.word, (0, ""))[0]:
                best[c.word] = (c.z, label)
    sizes = {label: sum(1 for _, l in train if l == label) for label in ranked}
    fallback = max(sizes, key=sizes.get)
    out = ["# Mined by bench/tipdm.py from the training part of TipDM 2020 C (do not edit by hand).",
           "[settings]", "actionable_threshold = 0.0   # every letter is a report: only the category counts",
           "auto_threshold = 0.0", ""]
    for label in sorted(ranked, key=lambda l: -sizes[l]):
        words = sorted(((z, w) for w, (z, l) in best.items() if l == label), reverse=True)[:per_class]
        lists = {"strong": [w for z, w in words if z >= 8],
                 "keywords": [w for z, w in words if 5 <= z < 8],
                 "weak": [w for z, w in words if z < 5]}
        out.append(f'[categories."{label}"]')
        if label == fallback:
            out.append("fallback = true")
        for key, ws in lists.items():
            if ws:
                out.append(f"{key} = {json.dumps(ws, ensure_ascii=False)}")
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
    parser.add_argument("--per-class", type=int, default=150, help="rule words per class (default 150)")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} not available (needs ../shared/data)")
        return 0
    train, test = load()
    RULES.write_text(mine(train, args.per_class), encoding="utf-8")
    classifier = Classifier.from_file(RULES)
    classifier.warm_up()
    rules = score((gold, classifier.classify("".join(tokens)).category or "?") for tokens, gold in test)
    print(f"TipDM 2020 C: {len(train)} train / {len(test)} test messages, 7 classes")
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
