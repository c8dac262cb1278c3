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
from itertools import repeat
from operator import mul
from dataclasses import dataclass, field
from typing import Iterable

from nlp.rules import SIGNAL_KEYS, Rules
from nlp.segment import Segmenter

WEAK_WEIGHT, KEYWORD_WEIGHT, STRONG_WEIGHT = 0.5, 1.0, 2.0
# Inside the cue features, the lists count as the rule file's header tells community
# workers: a complaint word is worth more than a problem word, a problem character less.
PROBLEM, COMPLAINT, CHAR = 1.0, 1.5, 0.75
INTENSITY, REQUEST = 0.5, 0.5
# A word said again counts again in choosing the category, up to three times: a letter
# naming 公交 three times and 道路 once is about transport. Chosen on a development part of
# the TipDM letters (bench/tipdm.py --dev: caps 2 to 5 score alike, counting once 2 points
# lower). Whether a message is a report at all still counts each word once, so repeating
# "电梯电梯" does not make small talk a ticket. A short word's later occurrences are not
# re-checked as jieba tokens: they only weigh between categories.
REPEAT_CAP = 3
TOPIC_CAP, FIRM_CAP, CHAR_CAP, SOFT_CAP, SUPPRESSOR_CAP = 2.3, 4.0, 1.5, 1.5, 2
# Small talk and notices frame a message: they open it ("【通知】…", "早上好…") or close
# it ("…私聊", "…哈哈"). Inside a longer sentence the same words are part of a report
# ("交费时说好的免费维修…", "也没有提前通知"), so there they do not count.
SHORT_CHITCHAT, SHORT_NOTICE, OPENING, CLOSING = 16, 40, 12, 8
NEGATIONS = frozenset("不没未别")
QUESTION_MARKS = frozenset(("吗", "?", "怎", "哪", "什么", "多少", "有没有", "能不能", "可不可以",
                            "是否", "能否", "可否", "问", "几", "咋", "啥"))

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
    "chitchat": -5.6,           # just outweighs POSITIVE_CAP: small talk framing a message wins
    "notice": -3.9,
    "resolved": -7.0,
}
SUPPRESSORS = ("chitchat", "notice", "resolved")
CHAR, COMBO_HEAD, LIFE_HEAD, LEARNED = 1, 2, 4, 8   # what a string found in a message is for
_POSITIVE = [(k, w) for k, w in WEIGHTS.items() if k not in SUPPRESSORS and k != "bias"]
_NEGATIVE = [(k, WEIGHTS[k]) for k in SUPPRESSORS]
# However many topic words a notice or a thank-you contains ("【公告】物业费收缴…",
# "下水道堵了，今天修好了"), the suppressor decides: positive evidence saturates first.
POSITIVE_CAP = 5.5


# What a message does, beyond what it is about: said to the neighbours, about somewhere
# else, planned, lost and found, a forward, a sale, thanks. Evidence with a learned weight
# (`[model.features]`), not a veto: a fire reported with thanks is still a fire.
DISCOURSE = ("neighbours", "elsewhere", "planned", "lost_found", "forward", "sale", "thanks")
DISCOURSE_CAP = 2
NOT_HERE = ("elsewhere", "planned", "lost_found", "forward", "sale", "notice", "resolved")


@dataclass
class Evidence:
    words: dict[str, int]                 # matched rule words (and combos) -> position
    chars: list[str]                      # problem characters found in unexplained text
    scores: list[float]                   # points per category, in rule-file order, repeats counted
    hits: dict[str, list[str]]            # matched words per signal list
    problems: set[str]                    # problem words, strong words and combos
    urgent: list[str]
    resolved: list[str]                   # resolved words still in force
    features: dict[str, float] = field(default_factory=dict)
    life: list[str] = field(default_factory=list)   # life-at-risk words and combos
    probability: float = 0.0
    learned: list[str] = field(default_factory=list)   # model words the message contains


def _inside(i: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= i < b for a, b in spans)


def _uncovered(word: str, first: int, hosts: list[str], at: dict[str, list[int]]) -> list[int]:
    """Where `word` occurs outside every occurrence of the longer found words containing it;
    empty when it only occurs inside them ("通知" inside "不通知")."""
    size = len(word)
    spans = [(s, s + len(h)) for h in hosts for s in at.get(h, ())]
    return [start for start in at.get(word) or (first,)
            if not any(a <= start and start + size <= b for a, b in spans)]


def _place(at: dict[str, list[int]], parts: tuple[str, ...], blocked: list[tuple[int, int]]) -> int | None:
    """Where a combo starts, if every part occurs on its own stretch of text.

    Parts may not overlap each other ("建议" + "建" needs two separate "建") nor sit
    inside a neutral phrase ("好的建议" is not a suggestion).
    """
    taken, first = list(blocked), None
    for part in parts:
        for start in at.get(part, ()):
            end = start + len(part)
            if not any(a < end and start < b for a, b in taken):
                taken.append((start, end))
                first = start if first is None else min(first, start)
                break
        else:
            return None
    return first


class Scorer:
    def __init__(self, rules: Rules, vocabulary: Iterable[str] = ()):
        """`vocabulary`: further words whose presence is reported in `Evidence.learned`
        (`linli rules learn` tries them); the rule file's model words always are."""
        self.model = rules.model
        model_words = set(rules.model.words) if rules.model else set()
        if rules.model and rules.model.urgent:
            model_words |= set(rules.model.urgent.words)
        self.vocabulary = frozenset(vocabulary) | frozenset(model_words)
        # A model's feature names and weights side by side, for a dot product in C (map).
        self.report_dot = _dot_of(rules.model) if rules.model else None
        urgent = rules.model.urgent if rules.model else None
        self.urgent_dot = _dot_of(urgent) if urgent else None
        self.urgent_positive = frozenset(w for w, weight in urgent.words.items() if weight > 0) if urgent else frozenset()
        # the score's threshold as a logit: no exp() to compare with it
        self.urgent_logit = math.log(urgent.threshold / (1 - urgent.threshold)) if urgent and 0 < urgent.threshold < 1 \
            else (math.inf if urgent is None or urgent.threshold >= 1 else -math.inf)
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
        self.service = [i for i, c in enumerate(rules.categories) if c.service]
        self.signals = {name: frozenset(getattr(rules.signals, name)) for name in SIGNAL_KEYS}
        self.signal_lists: dict[str, list[str]] = {}   # word -> the signal lists naming it
        for name in SIGNAL_KEYS:
            for word in self.signals[name]:
                self.signal_lists.setdefault(word, []).append(name)
        # A topic word that is also a problem cue ("孤单", "不让") cannot be both halves of
        # "topic + problem" at once; only strong words stand alone.
        self.cue_words = (self.signals["problem"] | self.signals["complaint"]) - self.strong
        # Weak words ("孩子", "楼道") help choose a category but are never the topic.
        self.weak = frozenset(w for w, by_cat in self.weights.items()
                              if max(by_cat.values()) <= WEAK_WEIGHT)
        self.chars = rules.signals.problem_chars
        self.char_rank = {ch: i for i, ch in enumerate(self.chars)}
        # Words that count towards a category's topic: neither cue nor weak words.
        self.plain = frozenset(w for w in self.weights if w not in self.cue_words and w not in self.weak)
        self.urgency = frozenset(rules.urgency) | frozenset(rules.life)
        self.life = frozenset(rules.life)
        # Combos of word groups (`|` alternatives): life at risk, or urgent only. Indexed by
        # every alternative of their first part, so a message is checked only against the
        # combos it could complete. Each entry: (parts, counts as life).
        self.life_combos = rules.life_combos
        self.all_combos = [(combo, True) for combo in rules.life_combos] + \
                          [(combo, False) for combo in rules.urgent_combos]
        self.life_combo_heads: dict[str, list[int]] = {}   # a first part -> its combos
        for i, (combo, _) in enumerate(self.all_combos):
            for alt in combo[0]:
                self.life_combo_heads.setdefault(alt, []).append(i)
        # Homophone slips are forgiven in category words, which are what the text is
        # about; not in signal words, where one character is the whole meaning.
        topics = {w for c in rules.categories for w in c.keywords + c.strong}
        # A life word inside a longer strong or urgent word ("晕倒" in "老人晕倒").
        keywords = rules.all_keywords()
        self.life_inside = {}
        for host in keywords:
            if (host in self.strong or host in self.urgency) and host not in self.life:
                inside = [w for w in self.life if w in host]
                if inside:
                    self.life_inside[host] = inside
        self.life_related = self.life | self.life_inside.keys()
        extra = {p for parts in (c for cat in rules.categories for c in cat.combos) for p in parts}
        extra |= {a for combo, _ in self.all_combos for alts in combo for a in alts}
        extra |= set(self.chars) | NEGATIONS | QUESTION_MARKS
        # Neutral words block combos and life words count wherever they are, so both are
        # found even inside a longer word.
        self.segmenter = Segmenter(keywords, fuzzy=topics, extra=extra,
                                   even_inside=self.signals["neutral"] | self.life, presence=self.vocabulary)
        self.roles: dict[str, int] = {}
        for words, role in ((self.char_rank, CHAR), (self.combo_heads, COMBO_HEAD),
                            (self.life_combo_heads, LIFE_HEAD), (self.vocabulary, LEARNED)):
            for word in words:
                self.roles[word] = self.roles.get(word, 0) | role

    def evidence(self, norm: str, typos: bool = False) -> Evidence:
        at, present = self.segmenter.scan(norm)
        found = self.segmenter.find(norm, typos=typos, at=at)
        neutral_words = self.signals["neutral"]
        neutral = [(s, s + len(w)) for w in found if w in neutral_words for s in at.get(w, ())]
        # The longer match wins ("单元门口" hides "单元门"); neutral phrases take part in
        # that and are then dropped ("好的建议" is not a suggestion).
        words: dict[str, int] = {}
        repeats: dict[str, int] = {}   # words said more than once -> how often, up to the cap
        longest = max(map(len, found), default=0)
        for word, first in found.items():
            if word in neutral_words:
                continue
            size = len(word)
            if size == longest:
                hosts = None
            elif word in at:
                hosts = [h for h in found if len(h) > size and word in h]
            else:   # a slip or a typo: whatever longer word covers where it was read
                hosts = [h for h in found if len(h) > size]
            if hosts:
                starts = _uncovered(word, first, hosts, at)
            else:
                starts = at.get(word) or [first]
            if starts:
                words[word] = starts[0]
                if len(starts) > 1:
                    repeats[word] = min(len(starts), REPEAT_CAP)
        # A problem character counts only where no rule word already explains the text:
        # "麻烦" is a request, not trouble ("烦"); "臭味" is already a keyword.
        # One pass over what the text contains sorts out the few strings each later step
        # needs (a message holds dozens of matches, most of them model words).
        chars, combo_heads, life_heads, learned = [], [], [], []
        roles = self.roles
        for word in at:
            role = roles.get(word)
            if role:
                if role & CHAR:
                    chars.append(word)
                if role & COMBO_HEAD:
                    combo_heads.append(word)
                if role & LIFE_HEAD:
                    life_heads.append(word)
                if role & LEARNED:
                    learned.append(word)
        if chars:
            explained = [(s, s + len(w)) for w in found for s in at.get(w, ())]
            chars = sorted((ch for ch in chars if any(not _inside(i, explained) for i in at[ch])),
                           key=self.char_rank.__getitem__)
        for head in combo_heads:
            for name, parts in self.combo_heads[head]:
                for part in parts:
                    if part not in at:
                        break
                else:
                    place = _place(at, parts, neutral)
                    if place is not None:
                        words.setdefault(name, place)

        scores = [0.0] * len(self.categories)
        once = [0.0] * len(self.categories)    # the same with every word counted once
        plain = [0.0] * len(self.categories)   # ... and without cue and weak words
        hits: dict[str, list[str]] = {name: [] for name in SIGNAL_KEYS}
        problems: set[str] = set()
        urgent: list[str] = []
        for word in words:
            by_cat = self.weights.get(word)
            if by_cat:
                times = repeats.get(word, 1)
                for index, points in by_cat.items():
                    scores[index] += points * times
                    once[index] += points
                if word in self.plain:
                    for index, points in by_cat.items():
                        plain[index] += points
                if word in self.strong:
                    problems.add(word)
            for name in self.signal_lists.get(word, ()):
                hits[name].append(word)
            if word in self.urgency:
                urgent.append(word)
        problems.update(hits["problem"])
        resolved = hits["resolved"]
        if resolved:
            # "修好了没几天又坏了": a problem mentioned after the fix reopens the matter.
            last_fix = max(words[w] + len(w) for w in resolved)
            if any(words[w] >= last_fix for w in problems):
                resolved = []
        life = []
        if not self.life_related.isdisjoint(found):
            life = [w for w in found if w in self.life]
            # A life word inside a longer rule word ("晕倒" in "老人晕倒") still counts.
            for host in list(found):
                for word in self.life_inside.get(host, ()):
                    if word not in found:
                        life.append(word)
                        found[word] = at[word][0] if word in at else -1
            for word in life:
                words.setdefault(word, found[word])
        heads = life_heads
        for i in sorted({i for w in heads for i in self.life_combo_heads[w]}) if heads else ():
            combo, is_life = self.all_combos[i]
            found_parts = [next((a for a in alts if a in at), None) for alts in combo]
            if all(found_parts):
                name = "+".join(found_parts)
                (life if is_life else urgent).append(name)
                words.setdefault(name, min(at[part][0] for part in found_parts))
        urgent += [w for w in life if w not in urgent]
        evidence = Evidence(words, chars, scores, hits, problems, urgent, resolved, life=life)
        evidence.features = features = self._features(norm, at, evidence, max(once), plain, neutral)
        if self.vocabulary:
            evidence.learned = learned + list(present)
        model = self.model
        if model is None:   # the hand-set weights of a rule file without a learned model
            plus = WEIGHTS["bias"] + sum([w * features[k] for k, w in _POSITIVE])
            minus = sum([w * features[k] for k, w in _NEGATIVE])
            z = min(plus, POSITIVE_CAP) + minus
        else:
            names, weights = self.report_dot
            z = model.bias + sum(map(mul, weights, map(features.__getitem__, names)))
            z += sum(map(model.words.get, evidence.learned, repeat(0.0)))
        evidence.probability = _logistic(z)
        return evidence

    def learned_urgent(self, evidence: Evidence) -> bool:
        """Whether `[model.urgent]` finds the message urgent (False without one). Asked only of
        messages that may be reports; most have none of its positive words, and then the
        evidence alone decides, with no pass over the words (they could only lower the score)."""
        urgent = self.model.urgent if self.model else None
        if urgent is None:
            return False
        names, weights = self.urgent_dot
        z = urgent.bias + sum(map(mul, weights, map(evidence.features.__getitem__, names)))
        if z < self.urgent_logit and self.urgent_positive.isdisjoint(evidence.learned):
            return False
        z += sum(map(urgent.words.get, evidence.learned, repeat(0.0)))
        return z >= self.urgent_logit

    def _features(self, norm: str, at: dict[str, list[int]], ev: Evidence, topic: float,
                  plain: list[float], neutral: list[tuple[int, int]]) -> dict[str, float]:
        hits, size = ev.hits, len(norm)

        def framing(name: str, short: int) -> int:
            if size <= short:
                return min(len(hits[name]), SUPPRESSOR_CAP)
            return min(sum(1 for w in hits[name] if ev.words[w] < OPENING
                           or ev.words[w] + len(w) > size - CLOSING), SUPPRESSOR_CAP)

        firm = min(PROBLEM * len(ev.problems) + COMPLAINT * len(hits["complaint"])
                   + min(CHAR * len(ev.chars), CHAR_CAP), FIRM_CAP)
        soft = min(INTENSITY * len(hits["intensity"]) + REQUEST * len(hits["request"]),
                   SOFT_CAP)
        # An explicit report ("投诉…", "社区能不能…") is about something even when no rule
        # word says what; the fallback category takes it if nothing else does.
        has_topic = 1.0 if hits["complaint"] else min(max(plain), 1.0)
        has_service = min(max([plain[i] for i in self.service], default=0.0), 1.0)
        # A service question needs a real question mark or word; politeness ("请大家吃
        # 糖", "帮我搬了桶水") is not a request, nor is a question put to the neighbours
        # ("请问大家娃上的哪家幼儿园？"): they answer it, not the community.
        asks = 1.0 if hits["complaint"] or (not QUESTION_MARKS.isdisjoint(at)
                                            and not hits["neighbours"]) else 0.0
        negated = 0.0
        for ch in NEGATIONS.intersection(at):
            if any(not _inside(i, neutral) for i in at[ch]):
                negated = 1.0
                break
        return {
            "topic": min(topic, TOPIC_CAP),
            "firm": firm,
            "soft": soft,
            "topic_and_firm": has_topic * min(firm, 1.0),
            "topic_and_soft": has_topic * min(soft, 1.0),
            "topic_and_negation": has_topic * negated,
            "service_and_ask": has_service * asks,
            "urgent": min(topic, 1.0) if ev.urgent else 0.0,
            "chitchat": framing("chitchat", SHORT_CHITCHAT) if hits["chitchat"] else 0,
            "notice": framing("notice", SHORT_NOTICE) if hits["notice"] else 0,
            "resolved": min(len(ev.resolved), SUPPRESSOR_CAP),
            **{name: min(len(found), DISCOURSE_CAP) if (found := hits[name]) else 0 for name in DISCOURSE},
            "life": 1.0 if ev.life else 0.0,
            # A topic said of somewhere else, of a plan, a lost cat or a forward: the more the
            # message is about a problem, the more "not here, not now" has to take back.
            "topic_not_here": min(topic, TOPIC_CAP) if any(map(hits.__getitem__, NOT_HERE)) else 0.0,
        }


def _dot_of(model) -> tuple[tuple[str, ...], tuple[float, ...]]:
    pairs = [(name, weight) for name, weight in model.features.items() if weight]
    return tuple(n for n, _ in pairs), tuple(w for _, w in pairs)


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
