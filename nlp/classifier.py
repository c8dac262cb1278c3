"""Keyword-rule classifier: does a resident message need a ticket, which kind, how urgent.

Public face of the nlp package. The evidence and the score live in ``nlp.scoring``; this
module turns them into a ``Classification`` the rest of linli stores and routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from nlp.location import Location, extract_location
from nlp.normalize import fold, standard
from nlp.pinyin import PinyinReader
from nlp.rules import Rules
from nlp.scoring import Evidence, Scorer

__all__ = ["Classification", "Classifier", "Location"]

# How much a near-tie between two categories pulls the confidence back towards the
# actionable threshold: an unsure category should not open a ticket unasked.
AMBIGUITY = 0.4
# Pasted articles can run to thousands of characters; what a resident wants is said in
# the first few hundred, and matching cost grows with length.
MAX_CHARS = 1000
# With a learned model, danger to life counts as a report from this score on, far below the
# usual threshold: a missed fire costs more than a false alarm, but a forwarded video of one
# ("抖音上看到有人…着火") scores lower still.
LIFE_FLOOR = 0.2


@dataclass(frozen=True)
class Classification:
    text: str
    actionable: bool
    category: str | None
    urgent: bool
    confidence: float
    # Where the address is read from (the message, or its pinyin/English reading): read on
    # request, as most small talk never needs it.
    address_text: str = field(default="", repr=False, compare=False)
    life_risk: bool = False   # urgent and someone may be hurt: the emergency numbers apply
    # What `keywords` is worked out from, on request: routing a message never needs it.
    explain: tuple[Evidence, dict, int] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def location(self) -> Location | None:
        return extract_location(self.address_text, is_standard=True) if self.address_text else None

    @cached_property
    def keywords(self) -> tuple[str, ...]:
        """The rule words behind the decision, in the order they occur in the message."""
        if self.explain is None:
            return ()
        ev, weights, index = self.explain
        evidence = {w for w in ev.words if index in weights.get(w, {})}
        evidence |= ev.problems | set(ev.urgent) | set(ev.resolved)
        for name in ("intensity", "request", "complaint", "chitchat", "notice"):
            evidence.update(ev.hits[name])
        keywords = sorted(evidence, key=lambda w: (ev.words[w], -len(w), w))
        keywords += [ch for ch in ev.chars if ch not in evidence]
        return tuple(keywords)

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "actionable": self.actionable,
            "category": self.category,
            "urgent": self.urgent,
            "confidence": round(self.confidence, 3),
            "keywords": list(self.keywords),
            "location": self.location.to_dict() if self.location else None,
            "life_risk": self.life_risk,
        }


class Classifier:
    def __init__(self, rules: Rules, vocabulary=()):
        """`vocabulary`: further words whose presence `evidence` reports (for learning)."""
        self._rules = rules
        self._scorer = Scorer(rules, vocabulary)
        self._fallback = self._scorer.categories.index(rules.fallback.name)
        self._pinyin = PinyinReader.from_rules(rules)   # the rule words by their pinyin (#14)

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> "Classifier":
        """Load a rule file; None means the bundled ``nlp/rules/default.toml``."""
        return cls(Rules.load(path))

    @property
    def rules(self) -> Rules:
        return self._rules

    @property
    def auto_threshold(self) -> float:
        return self._rules.auto_threshold

    @property
    def actionable_threshold(self) -> float:
        return self._rules.actionable_threshold

    @property
    def triage_threshold(self) -> float | None:
        """From here up to `auto_threshold`, an `auto` group's message waits for staff
        (待确认); None: the rule file has no triage band."""
        return self._rules.triage_threshold

    @property
    def categories(self) -> tuple[str, ...]:
        return self._scorer.categories

    def add_words(self, words) -> None:
        """The community's user dictionary (place names) for jieba."""
        self._scorer.segmenter.add_words(words)

    def forget_cuts(self) -> None:
        """Drop the remembered jieba cuts (benchmarks start each round cold)."""
        self._scorer.segmenter.forget_cuts()

    def warm_up(self) -> None:
        """Load the jieba dictionary now (about a second) instead of on the first message."""
        self._scorer.segmenter.warm_up()

    def prepare(self, text: str) -> str:
        """The form rule words are matched in (pinyin read as in `classify`)."""
        norm = fold(standard(text[:MAX_CHARS]))
        return self._pinyin.read(norm) or norm

    def evidence(self, text: str, addressed: bool = False) -> Evidence:
        """The rule evidence behind `classify` (learning reads it)."""
        return self._scorer.evidence(self.prepare(text), typos=addressed)

    def classify(self, text: str, addressed: bool = False) -> Classification:
        """`addressed`: the person spoke to the bot (1:1, @mention), so a long topic word
        typed with one character wrong is worth matching; overheard group talk is not —
        there the same leniency would turn chit-chat into tickets (bench/typos.py)."""
        plain = standard(text[:MAX_CHARS])
        norm = fold(plain)
        # Issue #14: a message typed in pinyin ("dianti huai le") is classified as the rule
        # words it spells ("电梯坏了"); `fold` has already put English and dialect words in
        # Mandarin. A pinyin or English message has its address read from that reading
        # ("10 dong" → 10栋, "block 3" → 3栋). `text` stays the message as it was typed.
        read = self._pinyin.read(norm)
        norm = read or norm
        address = norm if read or plain.isascii() else plain
        if not norm:
            return Classification(text, False, None, False, 0.0, address)
        ev = self._scorer.evidence(norm, typos=addressed)
        probability = ev.probability
        scores = ev.scores
        best = scores.index(max(scores))
        ranked = sorted(scores, reverse=True)

        threshold = self._rules.actionable_threshold
        if addressed and self._rules.triage_threshold is not None:
            # Said to the bot (1:1, @mention): what an `auto` group would put before staff is
            # a report here; the person is there to say otherwise, and staff can 驳回.
            threshold = min(threshold, self._rules.triage_threshold)
        confidence = probability
        if ranked[0] > 0 and probability > threshold:
            ambiguity = ranked[1] / ranked[0]
            confidence = threshold + (probability - threshold) * (1 - AMBIGUITY * ambiguity)
        actionable = probability >= threshold
        # Someone may be hurt ("老人摔倒了起不来", "电梯里关着人"): a report however it is
        # worded, unless it is a notice or already over. A greeting or a laugh around it
        # ("大家好，3栋着火了") does not make it small talk: missing a fire costs more than
        # one false alarm.
        if self._rules.model is None:
            life = bool(ev.life) and not (ev.features.get("notice") or ev.features.get("resolved"))
        else:   # the learned model weighs the danger; news from elsewhere, a forwarded
            # warning or "it's over" raises no alarm, however dramatic its words
            life = bool(ev.life) and probability >= LIFE_FLOOR and not _not_here(ev)
        model, learned_urgent = self._rules.model, False
        if model is not None and model.urgent is not None and not ev.urgent \
                and probability >= LIFE_FLOOR and not _not_here(ev):
            # Danger in words no list has ("暖气管爆了，滚烫的水喷了一地", "电梯里是个小孩
            # 一直在哭"): the learned urgency score, sure enough to raise the alarm.
            learned_urgent = self._scorer.learned_urgent(ev)
        urgent = bool(ev.urgent) or learned_urgent
        if life or (learned_urgent and not actionable):
            # sure enough to act on anywhere: it opens a ticket in any group
            actionable = True
            confidence = max(confidence, self._rules.auto_threshold)
        # Ties go to the category listed first in the rule file.
        index = best if ranked[0] > 0 else self._fallback
        return Classification(
            text=text,
            actionable=actionable,
            category=self.categories[index] if actionable else None,
            urgent=actionable and urgent,
            life_risk=actionable and life,
            confidence=max(0.0, min(1.0, confidence)),
            address_text=address,
            explain=(ev, self._scorer.weights, index),
        )


def _not_here(ev: Evidence) -> bool:
    """News from elsewhere, a forwarded warning, a notice or "it's over": however dramatic
    its words, nothing to raise an alarm for here and now."""
    hits = ev.hits
    return bool(hits["elsewhere"] or hits["forward"] or hits["resolved"] or hits["notice"])
