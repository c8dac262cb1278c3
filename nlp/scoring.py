"""Evidence and score: which rule words a message contains, and how likely it is a report.

The score is a logistic function of a handful of counts (topic points, problem cues,
suppressors), so every decision is explained by the rule words that produced it. The
weights were fitted once on tests/data plus real chit-chat corpora and are deliberately
few: behaviour is changed by editing the rule file, not these numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from nlp.rules import SIGNAL_KEYS, Rules
from nlp.segment import Segmenter

WEAK_WEIGHT, KEYWORD_WEIGHT, STRONG_WEIGHT = 0.5, 1.0, 2.0
# Relative strength of the cue lists inside the "cue" features; the rule file's header
# explains them to community workers in the same terms.
PROBLEM, COMPLAINT, CHAR = 1.0, 1.5, 0.75
INTENSITY, REQUEST = 0.5, 0.5
TOPIC_CAP, FIRM_CAP, CHAR_CAP, SOFT_CAP, SUPPRESSOR_CAP = 2.3, 4.0, 1.5, 1.5, 2
# Notices and small talk announce themselves early ("【通知】…", "早上好…"); deep inside a
# long complaint the same words are part of the story ("也没有提前通知").
SHORT_MESSAGE, OPENING = 60, 15
QUESTION_MARKS = ("吗", "?", "？", "怎", "哪", "什么", "多少", "有没有", "能不能", "可不可以",
                  "是否", "能否", "可否", "问", "几", "咋")

# Logistic weights. What they amount to: a topic word alone ("今天电梯里碰到王阿姨")
# scores ~0.15; a topic plus a problem word ("电梯坏了") ~0.7; a strong word alone
# ("狗屎") ~0.7; request words alone ("请问…"), which fill every booking chat, stay low.
WEIGHTS = {
    "bias": -4.7,
    "topic": 1.8,            # best category's points (keyword 1, strong 2), capped
    "firm": 1.6,             # problem words, complaint words, problem characters
    "soft": 0.1,             # frequency words and requests
    "topic_and_firm": 2.15,   # a topic word and a *different* problem word
    "topic_and_soft": 1.1,
    "service_and_ask": 2.7, # a question about a service ("社区有托管班吗？") is a request
    "urgent": 1.3,           # only counted with a topic: "救命" alone is often a joke
    "chitchat": -3.5,
    "notice": -4.0,
    "resolved": -4.5,
}


SUPPRESSORS = ("chitchat", "notice", "resolved")
POSITIVE_CAP = 5.5


@dataclass
class Evidence:
    words: dict[str, int]                       # matched rule words -> position
    chars: list[str]                            # problem characters found in free text
    scores: list[float]                         # per category
    hits: dict[str, list[str]]                  # per signal list
    problems: set[str]                          # problem words incl. strong words
    urgent: list[str]
    resolved: list[str]
    features: dict[str, float] = field(default_factory=dict)

    @property
    def probability(self) -> float:
        plus = WEIGHTS["bias"] + sum(WEIGHTS[k] * v for k, v in self.features.items()
                                     if k not in SUPPRESSORS)
        minus = sum(WEIGHTS[k] * self.features[k] for k in SUPPRESSORS)
        # However many topic words a notice or a thank-you contains ("【公告】物业费收缴"),
        # the suppressor still decides: positive evidence saturates first.
        return 1.0 / (1.0 + math.exp(-(min(plus, POSITIVE_CAP) + minus)))


def _occurrences(text: str, word: str) -> list[int]:
    found, start = [], text.find(word)
    while start >= 0:
        found.append(start)
        start = text.find(word, start + 1)
    return found


def _uncovered(text: str, found: dict[str, int]) -> dict[str, int]:
    """Drop matches that only occur inside a longer match ("通知" inside "不通知")."""
    spans = [(s, s + len(w), len(w)) for w in found for s in _occurrences(text, w)]
    kept: dict[str, int] = {}
    for word in found:
        size = len(word)
        for start in _occurrences(text, word) or [found[word]]:
            end = start + size
            if not any(n > size and s <= start and end <= e for s, e, n in spans):
                kept[word] = start
                break
    return kept


def _place(text: str, parts: tuple[str, ...], blocked: list[tuple[int, int]]) -> int | None:
    """Where a combo starts, if every part occurs on its own stretch of text.

    Parts may not overlap each other ("建议" + "建" needs two separate "建") nor sit
    inside a neutral phrase ("好的建议" is not a suggestion).
    """
    taken = list(blocked)
    first = None
    for part in parts:
        for start in _occurrences(text, part):
            end = start + len(part)
            if not any(a < end and start < b for a, b in taken):
                taken.append((start, end))
                first = start if first is None else min(first, start)
                break
        else:
            return None
    return first


class Scorer:
    def __init__(self, rules: Rules):
        self.categories = tuple(c.name for c in rules.categories)
        # word -> {category index: weight}; a word in both lists counts as strong.
        self.weights: dict[str, dict[int, float]] = {}
        self.strong: set[str] = set()
        for index, cat in enumerate(rules.categories):
            for word in cat.weak:
                self.weights.setdefault(word, {})[index] = WEAK_WEIGHT
            for word in cat.keywords:
                self.weights.setdefault(word, {})[index] = KEYWORD_WEIGHT
            for word in cat.strong:
                self.weights.setdefault(word, {})[index] = STRONG_WEIGHT
                self.strong.add(word)
        # A combo ("电动车" + "充电" anywhere in the message) acts as one strong word,
        # reported under the name "电动车+充电".
        self.combos: list[tuple[str, tuple[str, ...]]] = []
        for index, cat in enumerate(rules.categories):
            for parts in cat.combos:
                name = "+".join(parts)
                self.combos.append((name, parts))
                self.weights.setdefault(name, {})[index] = STRONG_WEIGHT
                self.strong.add(name)
        self.service = frozenset(i for i, c in enumerate(rules.categories) if c.service)
        self.signals = {name: frozenset(getattr(rules.signals, name)) for name in SIGNAL_KEYS}
        # A topic word that is also listed as a problem cue ("孤单", "不让") may not supply
        # the topic half of "topic + problem" by itself; only `strong` words stand alone.
        self.cue_words = (self.signals["problem"] | self.signals["complaint"]) - self.strong
        # Weak words ("孩子", "老人") help choose a category but are never the topic.
        self.weak = frozenset(w for w, by_cat in self.weights.items()
                              if max(by_cat.values()) <= WEAK_WEIGHT)
        self.chars = rules.signals.problem_chars
        self.urgency = frozenset(rules.urgency)
        topics = {w for c in rules.categories for w in c.keywords + c.strong}
        self.segmenter = Segmenter(rules.all_keywords(), fuzzy=topics)

    def _free_chars(self, norm: str, found: dict[str, int]) -> list[str]:
        # A problem character counts only where no rule word already explains the text:
        # "麻烦" is a request, not trouble ("烦"); "臭味" is already a keyword; "心脏" is
        # listed as neutral so its "脏" is not dirt.
        masked = [(s, s + len(w)) for w in found for s in _occurrences(norm, w)]
        return [ch for ch in self.chars
                if any(not any(a <= i < b for a, b in masked) for i in _occurrences(norm, ch))]

    def evidence(self, norm: str) -> Evidence:
        _, found = self.segmenter.find(norm)
        # Neutral phrases take part in the "longer match wins" step and are then dropped:
        # "单元门口" hides "单元门", "好的建议" hides "建议".
        words = {w: p for w, p in _uncovered(norm, found).items()
                 if w not in self.signals["neutral"]}
        chars = self._free_chars(norm, found)
        neutral = [(s, s + len(w)) for w in found if w in self.signals["neutral"]
                   for s in _occurrences(norm, w)]
        for name, parts in self.combos:
            at = _place(norm, parts, neutral)
            if at is not None:
                words.setdefault(name, at)

        scores = [0.0] * len(self.categories)
        plain = [0.0] * len(self.categories)   # the same, without cue words
        for word in words:
            for index, weight in self.weights.get(word, {}).items():
                scores[index] += weight
                if word not in self.cue_words and word not in self.weak:
                    plain[index] += weight

        hits = {name: [w for w in words if w in self.signals[name]] for name in SIGNAL_KEYS}
        problems = set(hits["problem"]) | {w for w in words if w in self.strong}
        urgent = [w for w in words if w in self.urgency]
        resolved = hits["resolved"]
        if resolved:
            # "修好了没几天又坏了": a problem mentioned after the fix reopens the matter.
            last_fix = max(words[w] + len(w) for w in resolved)
            if any(words[w] >= last_fix for w in problems):
                resolved = []

        def early(name: str) -> int:
            if len(norm) <= SHORT_MESSAGE:
                return min(len(hits[name]), SUPPRESSOR_CAP)
            return min(sum(1 for w in hits[name] if words[w] < OPENING), SUPPRESSOR_CAP)

        firm = min(PROBLEM * len(problems) + COMPLAINT * len(hits["complaint"])
                   + min(CHAR * len(chars), CHAR_CAP), FIRM_CAP)
        soft = min(INTENSITY * len(hits["intensity"]) + REQUEST * len(hits["request"]),
                   SOFT_CAP)
        has_topic = min(max(plain), 1.0)
        has_service = min(max((plain[i] for i in self.service), default=0.0), 1.0)
        # Only a real question or an explicit request counts as asking for a service;
        # politeness ("请大家吃糖", "帮我搬了桶水") does not.
        asks = 1.0 if hits["complaint"] or any(
            any(q in w for q in QUESTION_MARKS) for w in words) else 0.0
        features = {
            "topic": min(max(scores), TOPIC_CAP),
            "firm": firm,
            "soft": soft,
            "topic_and_firm": has_topic * min(firm, 1.0),
            "topic_and_soft": has_topic * min(soft, 1.0),
            "service_and_ask": has_service * asks,
            "urgent": min(max(scores), 1.0) if urgent else 0.0,
            "chitchat": early("chitchat"),
            "notice": early("notice"),
            "resolved": min(len(resolved), SUPPRESSOR_CAP),
        }
        return Evidence(words, chars, scores, hits, problems, urgent, resolved, features)
