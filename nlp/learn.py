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
# triage_threshold: at least this share of the training reports reaches a ticket or the
# queue. (0.97 until T6: its many plainly worded reports put the 3% point on a steep part of
# the curve, 0.27 at 2.5% and 0.32 at 3%, and short reports said to the bot — "停电 6栋",
# scoring 0.30 — fell below it.)
TARGET_TRIAGE_RECALL = 0.975
# The urgency model's threshold: an urgent alarm wakes the secretary and opens a ticket in
# any group, so at most this share of the training group small talk, and of the reports that
# are not urgent, may raise one in cross-validation.
TARGET_FALSE_URGENT_TALK = 0.002
TARGET_FALSE_URGENT_REPORTS = 0.03
MAX_URGENT_WORDS = 1000
URGENT_FLOOR = float(__import__("os").environ.get("LINLI_LEARN_URGENT_FLOOR", "0.15"))
URGENT_WORD_SCALE = float(__import__("os").environ.get("LINLI_LEARN_URGENT_WORD_SCALE", "1.0"))
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
    urgent: bool | None = None   # None: not known (the urgency model does not learn from it)


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
        import sklearn  # noqa: F401  (the fits in _fit)
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
    dense, rows, cols, listed = [], [], [], []
    for row, example in enumerate(examples):
        ev = reader.evidence(example.text, addressed=example.addressed)
        listed.append(bool(ev.urgent))   # urgent by an [urgency] word: the model is not asked
        dense.append([float(ev.features.get(name, 0.0)) for name in FEATURES])
        for word in ev.learned:
            rows.append(row)
            cols.append(index[word])
    X = hstack([csr_matrix(np.array(dense)),
                csr_matrix((np.full(len(rows), WORD_SCALE), (rows, cols)),
                           shape=(len(examples), len(vocabulary)))]).tocsr()
    y = np.array([1 if e.report else 0 for e in examples])

    strength, loss, scores, fit = _fit(X, y)
    model = _model(fit, vocabulary, max_words)

    urgent = None
    known = [i for i, e in enumerate(examples) if e.urgent is not None]
    if known and len({examples[i].urgent for i in known}) == 2:
        from nlp.classifier import LIFE_FLOOR

        y_urgent = np.array([1 if examples[i].urgent else 0 for i in known])
        # Danger is said in words more than in the rules' evidence ("喷", "还在往下灌",
        # "快来"): the word columns enter the urgency fit at their own scale.
        X_urgent = X[known] @ _scaling(len(FEATURES), len(vocabulary), URGENT_WORD_SCALE / WORD_SCALE)
        _, _, urgent_scores, urgent_fit = _fit(X_urgent, y_urgent)
        # Only messages scoring LIFE_FLOOR as reports are ever asked (nlp/classifier.py).
        asked = [(u, examples[i]) for u, i in zip(urgent_scores, known)
                 if scores[i] >= LIFE_FLOOR and not listed[i]]
        talk = [u for u, e in asked if not e.report and e.group and not e.urgent]
        calm = [u for u, e in asked if e.report and not e.urgent]
        n_talk = sum(1 for i in known if not examples[i].report and examples[i].group)
        n_calm = sum(1 for i in known if examples[i].report and not examples[i].urgent)
        threshold = max(_top_share(talk, TARGET_FALSE_URGENT_TALK * n_talk),
                        _top_share(calm, TARGET_FALSE_URGENT_REPORTS * n_calm))
        urgent = _model(urgent_fit, vocabulary, MAX_URGENT_WORDS, URGENT_WORD_SCALE)
        from dataclasses import replace
        urgent = replace(urgent, threshold=round(min(max(threshold, URGENT_FLOOR), 0.99), 2))
        model = replace(model, urgent=urgent)

    group_quiet = [s for s, e in zip(scores, examples) if not e.report and e.group]
    reports = sorted(s for s, e in zip(scores, examples) if e.report)
    auto = _quantile(group_quiet, 1 - TARGET_FALSE_TICKETS)
    triage = reports[int(len(reports) * (1 - TARGET_TRIAGE_RECALL))] if reports else auto
    auto = round(max(auto, base.actionable_threshold), 2)
    triage = round(min(triage, auto), 2)
    return Learned(model=model, auto_threshold=auto, triage_threshold=triage, strength=strength,
                   cv_log_loss=loss, examples=len(examples), reports=int(y.sum()), words_tried=len(vocabulary))


def _fit(X, y):
    """Logistic regression, its strength chosen by cross-validated log-loss: the strength,
    the loss, each example's score when it was held out, and the fit on all of them."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=7)
    best = None
    for strength in STRENGTHS:
        scores = np.zeros(len(y))
        for train, test in folds.split(X, y):
            fit = LogisticRegression(C=strength, max_iter=2000, solver="liblinear").fit(X[train], y[train])
            scores[test] = fit.predict_proba(X[test])[:, 1]
        clipped = np.clip(scores, 1e-6, 1 - 1e-6)
        loss = float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)))
        if best is None or loss < best[1]:
            best = (strength, loss, scores)
    strength, loss, scores = best
    return strength, loss, scores, LogisticRegression(C=strength, max_iter=2000, solver="liblinear").fit(X, y)


def _scaling(features: int, words: int, factor: float):
    """A diagonal matrix leaving the evidence columns and multiplying the word columns."""
    from scipy.sparse import diags
    return diags([1.0] * features + [factor] * words)


def _model(fit, vocabulary: list[str], max_words: int, scale: float = WORD_SCALE) -> Model:
    """A fitted regression as rule-file weights: the word columns back at their own scale,
    the largest `max_words` kept."""
    weights = fit.coef_[0]
    features = {name: round(float(w), 3) for name, w in zip(FEATURES, weights[:len(FEATURES)])}
    word_weights = weights[len(FEATURES):] * scale   # back to the weight of the word itself
    ranked = sorted(((abs(w), word, float(w)) for word, w in zip(vocabulary, word_weights)
                     if abs(w) >= MIN_WEIGHT), reverse=True)[:max_words]
    words = {word: round(w, 3) for _, word, w in sorted(ranked, key=lambda r: r[1])}
    return Model(bias=round(float(fit.intercept_[0]), 3), features=features, words=words)


def _top_share(values: list[float], allowed: float) -> float:
    """The lowest threshold above which at most `allowed` of `values` lie."""
    ordered = sorted(values, reverse=True)
    k = int(allowed)
    return float(ordered[k]) + 1e-6 if k < len(ordered) else 0.0


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


_URGENT_HEADER = """# 紧急程度：同样的算法，学的是“是否紧急”（有人或东西正处在危险中）。分数到 threshold
# 的诉求算紧急；[urgency] 里的词仍然直接算紧急。
# Urgency, learned the same way from the examples' urgent column: a report scoring
# `threshold` or more is urgent; an [urgency] word still makes it urgent on its own."""


def render(learned: Learned) -> str:
    from nlp.rules import FEATURES as ORDER

    lines = [_MODEL_HEADER, "[model]", f"bias = {learned.model.bias}", "",
             "[model.features]"]
    lines += [f"{name} = {learned.model.features.get(name, 0.0)}" for name in ORDER]
    lines += ["", "[model.words]"]
    lines += [f"{_quote(word)} = {weight}" for word, weight in learned.model.words.items()]
    urgent = learned.model.urgent
    if urgent is not None:
        lines += ["", _URGENT_HEADER, "[model.urgent]", f"bias = {urgent.bias}",
                  f"threshold = {urgent.threshold}", "", "[model.urgent.features]"]
        lines += [f"{name} = {urgent.features.get(name, 0.0)}" for name in ORDER]
        lines += ["", "[model.urgent.words]"]
        lines += [f"{_quote(word)} = {weight}" for word, weight in urgent.words.items()]
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
