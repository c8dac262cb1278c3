"""`linli rules learn`: fit the weights of a rule file's model on labelled messages.

The rule file stays what community workers read and edit; learning adds a `[model]` table
to it: a bias, a weight for each piece of rule evidence (topic, problem words, small talk,
said to the neighbours, somewhere else, planned, lost and found…) and a weight for each
jieba word that told reports from small talk in the examples. At run time a message's
score is bias + Σ evidence × weight + Σ the weights of the model words it contains,
through the logistic function: only jieba and the file, no learning library.

Fitting is logistic regression (scikit-learn, an optional extra: `pip install
'linli[learn]'`), its strength chosen by cross-validation on the training messages; the
thresholds written with it are chosen on the same cross-validated scores. Files under a
`heldout/` folder are refused: those sets are kept for measuring, never for fitting.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from nlp.rules import FEATURES, Model, Rules

MIN_COUNT = 3          # a word must occur in this many training messages to be tried
MAX_WORDS = 3000       # the model keeps the words with the largest weights, at most this many
MIN_WEIGHT = 0.05      # smaller weights are dropped (they change no decision)
STRENGTHS = (0.1, 0.3, 1.0, 3.0, 10.0)   # inverse regularisation strengths tried (C)
FOLDS = 5
# auto_threshold: at most this share of the training group small talk would open a ticket in
# cross-validation. Strict, because new talk scores less cleanly than the examples do
# (measured on a development set: 0.5% here came out near 2% there).
TARGET_FALSE_TICKETS = 0.005
TARGET_TRIAGE_RECALL = 0.97   # triage_threshold: at least this share of reports reaches a ticket or the queue
NGRAMS = False
# Word columns enter the fit scaled down, so the regulariser holds their weights back more
# than the evidence features': a word seen in a few examples should not outvote what the
# rules know (it is the difference between remembering the examples and generalising).
WORD_SCALE = float(__import__("os").environ.get("LINLI_LEARN_WORD_SCALE", "0.3"))
_HAN_PAIR = re.compile(r"^[\u4e00-\u9fff]{2}$")
_WORDLIKE = re.compile(r"^[\u4e00-\u9fffa-z][\u4e00-\u9fffa-z0-9]*$")


class LearnError(ValueError):
    pass


@dataclass(frozen=True)
class Example:
    text: str
    report: bool
    addressed: bool = False   # said to the bot (1:1): read as the classifier reads such messages
    group: bool = True        # counts towards the group false-ticket target


@dataclass
class Learned:
    model: Model
    auto_threshold: float
    triage_threshold: float
    strength: float
    cv_log_loss: float
    examples: int
    reports: int
    words_tried: int


def guard(path: str | Path) -> None:
    if "heldout" in Path(path).parts:
        raise LearnError(f"{path}: held-out sets are for measuring only; nothing is fitted on them")


def candidates(classifier, examples: list[Example], min_count: int = MIN_COUNT) -> list[str]:
    """jieba words (two to six characters) found in at least `min_count` messages."""
    counts: Counter[str] = Counter()
    segmenter = classifier._scorer.segmenter
    for example in examples:
        text = classifier.prepare(example.text)
        tokens = {t for t in segmenter.tokens(text) if 2 <= len(t) <= 6 and _WORDLIKE.match(t)}
        if NGRAMS:   # pairs of characters: they carry over to words the examples never used
            tokens |= {text[i:i + 2] for i in range(len(text) - 1) if _HAN_PAIR.match(text[i:i + 2])}
        counts.update(tokens)
    return sorted(w for w, n in counts.items() if n >= min_count)


def learn(rules_path: str | Path | None, examples: list[Example], min_count: int = MIN_COUNT,
          max_words: int = MAX_WORDS, dictionary: tuple[str, ...] = ()) -> Learned:
    try:
        import numpy as np
        from scipy.sparse import csr_matrix, hstack
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold
    except ImportError as exc:
        raise LearnError("learning needs scikit-learn: pip install 'linli[learn]'") from exc
    from nlp.classifier import Classifier

    if len({e.report for e in examples}) < 2:
        raise LearnError("learning needs both reports and small talk among the examples")
    base = Rules.load(rules_path)
    plain = Classifier(_without_model(base))
    plain.add_words(dictionary)
    vocabulary = candidates(plain, examples, min_count)
    reader = Classifier(_without_model(base), vocabulary=vocabulary)
    reader.add_words(dictionary)
    index = {w: i for i, w in enumerate(vocabulary)}
    dense, rows, cols = [], [], []
    for row, example in enumerate(examples):
        ev = reader.evidence(example.text, addressed=example.addressed)
        dense.append([float(ev.features.get(name, 0.0)) for name in FEATURES])
        for word in ev.learned:
            rows.append(row)
            cols.append(index[word])
    X = hstack([csr_matrix(np.array(dense)),
                csr_matrix((np.full(len(rows), WORD_SCALE), (rows, cols)),
                           shape=(len(examples), len(vocabulary)))]).tocsr()
    y = np.array([1 if e.report else 0 for e in examples])

    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=7)
    best = None
    for strength in STRENGTHS:
        scores = np.zeros(len(examples))
        for train, test in folds.split(X, y):
            fit = LogisticRegression(C=strength, max_iter=2000, solver="liblinear").fit(X[train], y[train])
            scores[test] = fit.predict_proba(X[test])[:, 1]
        clipped = np.clip(scores, 1e-6, 1 - 1e-6)
        loss = float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)))
        if best is None or loss < best[1]:
            best = (strength, loss, scores)
    strength, loss, scores = best
    fit = LogisticRegression(C=strength, max_iter=2000, solver="liblinear").fit(X, y)
    weights = fit.coef_[0]
    features = {name: round(float(w), 3) for name, w in zip(FEATURES, weights[:len(FEATURES)])}
    word_weights = weights[len(FEATURES):] * WORD_SCALE   # back to the weight of the word itself
    ranked = sorted(((abs(w), word, float(w)) for word, w in zip(vocabulary, word_weights)
                     if abs(w) >= MIN_WEIGHT), reverse=True)[:max_words]
    words = {word: round(w, 3) for _, word, w in sorted(ranked, key=lambda r: r[1])}
    model = Model(bias=round(float(fit.intercept_[0]), 3), features=features, words=words)

    group_quiet = [s for s, e in zip(scores, examples) if not e.report and e.group]
    reports = sorted(s for s, e in zip(scores, examples) if e.report)
    auto = _quantile(group_quiet, 1 - TARGET_FALSE_TICKETS)
    triage = reports[int(len(reports) * (1 - TARGET_TRIAGE_RECALL))] if reports else auto
    auto = round(max(auto, base.actionable_threshold), 2)
    triage = round(min(triage, auto), 2)
    return Learned(model=model, auto_threshold=auto, triage_threshold=triage, strength=strength,
                   cv_log_loss=loss, examples=len(examples), reports=int(y.sum()), words_tried=len(vocabulary))


def _quantile(values: list[float], share: float) -> float:
    if not values:
        return 0.5
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)))])


def _without_model(rules: Rules) -> Rules:
    from dataclasses import replace
    return replace(rules, model=None)


_MODEL_HEADER = """# ── 学到的权重 Learned weights ─────────────────────────────────────────────────────────
# 由 `linli rules learn` 根据标注过的消息算出。分数 = bias + 各项证据×权重 + 消息里每个词的
# 权重；正数让消息更像“要处理的事”，负数更像闲聊。可以手改，也可以重新学习。
# Written by `linli rules learn`: score = bias + Σ evidence × weight + Σ word weights
# (positive: a report; negative: small talk). Edit by hand or learn again.
"""


def render(learned: Learned) -> str:
    from nlp.rules import FEATURES as ORDER

    lines = [_MODEL_HEADER, "[model]", f"bias = {learned.model.bias}", "",
             "[model.features]"]
    lines += [f"{name} = {learned.model.features.get(name, 0.0)}" for name in ORDER]
    lines += ["", "[model.words]"]
    lines += [f"{_quote(word)} = {weight}" for word, weight in learned.model.words.items()]
    return "\n".join(lines) + "\n"


def _quote(word: str) -> str:
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(rules_path: str | Path | None, learned: Learned, out: str | Path) -> None:
    """The rule file with its thresholds and `[model]` replaced by the learned ones."""
    from nlp.rules import DEFAULT_RULES

    source = Path(rules_path) if rules_path else DEFAULT_RULES
    text = source.read_text(encoding="utf-8")
    start = text.find(_MODEL_HEADER.splitlines()[0])
    if start < 0:
        start = text.find("\n[model]")
    if start >= 0:
        text = text[:start].rstrip("\n") + "\n"
    text = _set(text, "auto_threshold", learned.auto_threshold)
    text = _set(text, "triage_threshold", learned.triage_threshold)
    Path(out).write_text(text + "\n" + render(learned), encoding="utf-8")
    Rules.load(out)   # what was written loads


def _set(text: str, key: str, value: float) -> str:
    pattern = re.compile(rf"^{key}\s*=.*$", re.M)
    if pattern.search(text):
        return pattern.sub(f"{key} = {value}", text, count=1)
    return re.sub(r"^\[settings\]\s*$", f"[settings]\n{key} = {value}", text, count=1, flags=re.M)
