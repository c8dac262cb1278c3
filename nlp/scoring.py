"""Evidence and score: which rule words a message contains, and how likely it is a report.

The score is a logistic function of a dozen counts (topic points, problem cues,
suppressors), so every decision is explained by the rule words that produced it. The
weights were fitted by logistic regression on tests/data plus samples of real chit-chat
(LCCC, SMP2017, CrossWOZ), then rounded and nudged towards recall while false tickets on
chit-chat stayed near 1%. They are deliberately few: behaviour is changed by editing the
rule file, not these numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from nlp.rules import SIGNAL_KEYS, Rules
from nlp.segment import Segmenter

WEAK_WEIGHT, KEYWORD_WEIGHT, STRONG_WEIGHT = 0.5, 1.0, 2.0
# Inside the cue features, the lists count as the rule file's header tells community
# workers: a complaint word is worth more than a problem word, a problem character less.
PROBLEM, COMPLAINT, CHAR = 1.0, 1.5, 0.75
INTENSITY, REQUEST = 0.5, 0.5
TOPIC_CAP, FIRM_CAP, CHAR_CAP, SOFT_CAP, SUPPRESSOR_CAP = 2.3, 4.0, 1.5, 1.5, 2
# Small talk and notices frame a message: they open it ("【通知】…", "早上好…") or close
# it ("…私聊", "…哈哈"). Inside a longer sentence the same words are part of a report
# ("交费时说好的免费维修…", "也没有提前通知"), so there they do not count.
SHORT_CHITCHAT, SHORT_NOTICE, OPENING, CLOSING = 16, 40, 12, 8
NEGATIONS = frozenset("不没未别")
QUESTION_MARKS = ("吗", "?", "？", "怎", "哪", "什么", "多少", "有没有", "能不能", "可不可以",
                  "是否", "能否", "可否", "问", "几", "咋")

# Logistic weights. What they amount to: a topic word alone ("今天电梯里碰到王阿姨")
# ~0.07; a topic plus a different problem word ("电梯坏了") ~0.8; a strong word alone
# ("狗屎") ~0.98; a question about a service ("社区有托管班吗") ~0.8; request words with
# no topic ("请问…", the whole of a booking chat) ~0.01.
WEIGHTS = {
    "bias": -4.9,
    "topic": 2.3,               # best category's points (weak .5, keyword 1, strong 2)
    "firm": 2.0,                # problem and complaint words, problem characters
    "soft": 0.1,                # frequency words and requests
    "topic_and_firm": 2.1,      # a topic word and a *different* problem word
    "topic_and_soft": 1.1,
    "topic_and_negation": 1.5,  # trouble said in words we lack: "合不上", "没人理"
    "service_and_ask": 3.6,     # a question about a service category's topic
    "urgent": 1.2,              # only with a topic: "救命" alone is as often a joke
    "chitchat": -4.5,
    "notice": -3.9,
    "resolved": -7.0,
}
SUPPRESSORS = ("chitchat", "notice", "resolved")
# However many topic words a notice or a thank-you contains ("【公告】物业费收缴…",
# "下水道堵了，今天修好了"), the suppressor decides: positive evidence saturates first.
POSITIVE_CAP = 5.5


@dataclass
class Evidence:
    words: dict[str, int]                 # matched rule words (and combos) -> position
    chars: list[str]                      # problem characters found in unexplained text
    scores: list[float]                   # points per category, in rule-file order
    hits: dict[str, list[str]]            # matched words per signal list
    problems: set[str]                    # problem words, strong words and combos
    urgent: list[str]
    resolved: list[str]                   # resolved words still in force
    features: dict[str, float] = field(default_factory=dict)
    life: list[str] = field(default_factory=list)   # life-at-risk words and combos

    @property
    def probability(self) -> float:
        plus = WEIGHTS["bias"] + sum(WEIGHTS[k] * v for k, v in self.features.items()
                                     if k not in SUPPRESSORS)
        minus = sum(WEIGHTS[k] * self.features[k] for k in SUPPRESSORS)
        return 1.0 / (1.0 + math.exp(-(min(plus, POSITIVE_CAP) + minus)))


def _occurrences(text: str, word: str) -> list[int]:
    found, start = [], text.find(word)
    while start >= 0:
        found.append(start)
        start = text.find(word, start + 1)
    return found


def _spans(text: str, words) -> list[tuple[int, int]]:
    return [(s, s + len(w)) for w in words for s in _occurrences(text, w)]


def _inside(i: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= i < b for a, b in spans)


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
    taken, first = list(blocked), None
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
        # word -> {category index: points}; a word in several lists of one category
        # takes the strongest.
        self.weights: dict[str, dict[int, float]] = {}
        self.strong: set[str] = set()
        # Combos are grouped by their first word, so a message is only checked against
        # combos whose first word it contains; a combo counts as one strong word,
        # reported as "电动车+充电".
        self.combo_heads: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for index, cat in enumerate(rules.categories):
            for words, points in ((cat.weak, WEAK_WEIGHT), (cat.keywords, KEYWORD_WEIGHT),
                                  (cat.strong, STRONG_WEIGHT)):
                for word in words:
                    self.weights.setdefault(word, {})[index] = points
            self.strong.update(cat.strong)
            for parts in cat.combos:
                name = "+".join(parts)
                self.combo_heads.setdefault(parts[0], []).append((name, parts))
                self.weights.setdefault(name, {})[index] = STRONG_WEIGHT
                self.strong.add(name)
        self.service = frozenset(i for i, c in enumerate(rules.categories) if c.service)
        self.signals = {name: frozenset(getattr(rules.signals, name)) for name in SIGNAL_KEYS}
        # A topic word that is also a problem cue ("孤单", "不让") cannot be both halves of
        # "topic + problem" at once; only strong words stand alone.
        self.cue_words = (self.signals["problem"] | self.signals["complaint"]) - self.strong
        # Weak words ("孩子", "楼道") help choose a category but are never the topic.
        self.weak = frozenset(w for w, by_cat in self.weights.items()
                              if max(by_cat.values()) <= WEAK_WEIGHT)
        self.chars = rules.signals.problem_chars
        self.urgency = frozenset(rules.urgency) | frozenset(rules.life)
        self.life = frozenset(rules.life)
        self.life_combos = rules.life_combos
        # Homophone slips are forgiven in category words, which are what the text is
        # about; not in signal words, where one character is the whole meaning.
        topics = {w for c in rules.categories for w in c.keywords + c.strong}
        self.segmenter = Segmenter(rules.all_keywords(), fuzzy=topics)

    def evidence(self, norm: str, typos: bool = False) -> Evidence:
        _, found = self.segmenter.find(norm, typos=typos)
        neutral = _spans(norm, (w for w in found if w in self.signals["neutral"]))
        # Neutral phrases take part in the "longer match wins" step and are then dropped:
        # "单元门口" hides "单元门", "好的建议" hides "建议".
        words = {w: p for w, p in _uncovered(norm, found).items()
                 if w not in self.signals["neutral"]}
        # A problem character counts only where no rule word already explains the text:
        # "麻烦" is a request, not trouble ("烦"); "臭味" is already a keyword.
        explained = _spans(norm, found)
        chars = [ch for ch in self.chars
                 if any(not _inside(i, explained) for i in _occurrences(norm, ch))]
        for head, combos in self.combo_heads.items():
            if head in norm:
                for name, parts in combos:
                    at = _place(norm, parts, neutral) if all(p in norm for p in parts) else None
                    if at is not None:
                        words.setdefault(name, at)

        scores = [0.0] * len(self.categories)
        plain = [0.0] * len(self.categories)   # the same without cue and weak words
        for word in words:
            for index, points in self.weights.get(word, {}).items():
                scores[index] += points
                if word not in self.cue_words and word not in self.weak:
                    plain[index] += points

        hits = {name: [w for w in words if w in self.signals[name]] for name in SIGNAL_KEYS}
        problems = set(hits["problem"]) | {w for w in words if w in self.strong}
        urgent = [w for w in words if w in self.urgency]
        resolved = hits["resolved"]
        if resolved:
            # "修好了没几天又坏了": a problem mentioned after the fix reopens the matter.
            last_fix = max(words[w] + len(w) for w in resolved)
            if any(words[w] >= last_fix for w in problems):
                resolved = []
        # A life word inside a longer rule word ("晕倒" in "老人晕倒") still counts.
        life = [w for w in found if w in self.life]
        hosts = [f for f in found if (f in self.strong or f in self.urgency) and f not in self.life]
        if hosts:
            life += [w for w in self.life if w not in found and any(w in f for f in hosts)]
        for word in life:
            found.setdefault(word, norm.find(word))
        for word in life:
            words.setdefault(word, found[word])
        for combo in self.life_combos:
            found_parts = [next((a for a in alts if a in norm), None) for alts in combo]
            if all(found_parts):
                name = "+".join(found_parts)
                life.append(name)
                words.setdefault(name, min(norm.find(part) for part in found_parts))
        urgent += [w for w in life if w not in urgent]
        evidence = Evidence(words, chars, scores, hits, problems, urgent, resolved, life=life)
        evidence.features = self._features(norm, evidence, plain, neutral)
        return evidence

    def _features(self, norm: str, ev: Evidence, plain: list[float],
                  neutral: list[tuple[int, int]]) -> dict[str, float]:
        hits = ev.hits

        def framing(name: str, short: int) -> int:
            if len(norm) <= short:
                return min(len(hits[name]), SUPPRESSOR_CAP)
            return min(sum(1 for w in hits[name] if ev.words[w] < OPENING
                           or ev.words[w] + len(w) > len(norm) - CLOSING), SUPPRESSOR_CAP)

        firm = min(PROBLEM * len(ev.problems) + COMPLAINT * len(hits["complaint"])
                   + min(CHAR * len(ev.chars), CHAR_CAP), FIRM_CAP)
        soft = min(INTENSITY * len(hits["intensity"]) + REQUEST * len(hits["request"]),
                   SOFT_CAP)
        # An explicit report ("投诉…", "社区能不能…") is about something even when no rule
        # word says what; the fallback category takes it if nothing else does.
        has_topic = 1.0 if hits["complaint"] else min(max(plain), 1.0)
        has_service = min(max((plain[i] for i in self.service), default=0.0), 1.0)
        # A service question needs a real question mark or word; politeness ("请大家吃
        # 糖", "帮我搬了桶水") is not a request.
        asks = 1.0 if hits["complaint"] or any(q in norm for q in QUESTION_MARKS) else 0.0
        negated = 1.0 if any(ch in NEGATIONS and not _inside(i, neutral)
                             for i, ch in enumerate(norm)) else 0.0
        return {
            "topic": min(max(ev.scores), TOPIC_CAP),
            "firm": firm,
            "soft": soft,
            "topic_and_firm": has_topic * min(firm, 1.0),
            "topic_and_soft": has_topic * min(soft, 1.0),
            "topic_and_negation": has_topic * negated,
            "service_and_ask": has_service * asks,
            "urgent": min(max(ev.scores), 1.0) if ev.urgent else 0.0,
            "chitchat": framing("chitchat", SHORT_CHITCHAT),
            "notice": framing("notice", SHORT_NOTICE),
            "resolved": min(len(ev.resolved), SUPPRESSOR_CAP),
        }
