"""Decision rules of polls: pure arithmetic, no Redis, no texts (only the keys and values
its texts are given), so every edge is a table row in tests/test_polls_rules.py. Each kind
of rule is one class (`Kind`): how it is written, how it decides, what its texts say. The
README's definitions are these classes in words.

A *unit* is what one ballot stands for: a person, or a household in household polls.
`ballots` counts every ballot cast, abstentions included; an abstention counts toward
the quorum and toward the base "ballots cast", never for an option.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

CN_DIGITS = "零一二三四五六七八九十"


@dataclass(frozen=True)
class Rule:
    kind: str                          # a name in KINDS: plurality | majority | threshold
    fraction: Fraction | None = None   # threshold only
    base: str = "eligible"             # threshold only: eligible | cast

    @property
    def of(self) -> "Kind":
        """Its kind, where everything that depends on it is."""
        return KINDS[self.kind]

    def to_dict(self) -> dict:
        return self.of.to_dict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> "Rule":
        return KINDS[raw["kind"]].from_dict(raw)


@dataclass(frozen=True)
class Tally:
    counts: tuple[int, ...]   # votes per option, option 1 first
    abstain: int
    eligible: int             # units that may vote

    @property
    def ballots(self) -> int:
        return sum(self.counts) + self.abstain

    @classmethod
    def of(cls, choices: list[int], options: int, eligible: int) -> "Tally":
        counts = [0] * options
        abstain = 0
        for choice in choices:
            if choice == 0:
                abstain += 1
            elif 0 < choice <= options:      # anything else is not a ballot (the audit names it)
                counts[choice - 1] += 1
        return cls(tuple(counts), abstain, eligible)


@dataclass(frozen=True)
class Decision:
    outcome: int | None       # the adopted option (1-based), or None
    passed: bool
    quorum_met: bool
    quorum_needed: int        # ballots the quorum asks for (0: no quorum)
    needed: int | None        # threshold rules: votes option 1 needed
    reason: str               # passed | below | no_quorum | tie | no_votes
    tied: tuple[int, ...] = ()

    @property
    def key(self) -> tuple[int | None, bool]:
        return self.outcome, self.passed


def ceil_share(share: Fraction, of: int) -> int:
    """The smallest whole number at or above share × of."""
    return -((-share.numerator * of) // share.denominator)


# -- the kinds of rule: each in one place ------------------------------------------------

class Kind:
    """One kind of decision rule: the words that name it after 规则= (handlers/polls/syntax.py),
    how the ballots decide, whom a share is of, and what its texts are given
    (polls.rule.<name> in the announcement, polls.result.<verdict> at the close;
    handlers/polls/view.py). A new kind is a class here, a line in KINDS and its texts in
    handlers/polls/texts.toml."""

    name = ""
    words: tuple[str, ...] = ()        # as written after 规则=
    proposal = False                   # option 1 is a proposal the others decline: 同意 is 1, 反对 the other of two

    def parse(self, text: str) -> Rule | None:
        """The rule `text` writes, if it is of this kind (ValueError: it is, but unreadable)."""
        return Rule(self.name) if text in self.words else None

    def to_dict(self, rule: Rule) -> dict:
        return {"kind": self.name}

    def from_dict(self, raw: dict) -> Rule:
        return Rule(self.name)

    def on_ballots_cast(self, rule: Rule) -> Rule:
        """The rule counted on the ballots cast rather than on everyone eligible, where that
        means anything (`linli admin polls create --base cast`)."""
        return rule

    def base(self, rule: Rule) -> str | None:
        """Whom a share is of: "eligible", "cast", or None for a rule without one."""
        return None

    def values(self, rule: Rule) -> dict[str, Any]:
        """What its texts say beyond the option and the base (the share of a threshold)."""
        return {}

    def needed(self, rule: Rule, tally: Tally) -> int | None:
        """Votes option 1 needs, given the ballots as they stand (None: no such number)."""
        return None

    def decide(self, rule: Rule, tally: Tally, quorum_needed: int, quorum_met: bool) -> Decision:
        raise NotImplementedError

    def verdict(self, rule: Rule, tally: Tally, decision: Decision, options: list[str]) -> tuple[str, dict[str, Any]]:
        """The result line of a decided poll (quorum met, ballots cast): polls.result.<key>
        and its values."""
        raise NotImplementedError


class Plurality(Kind):
    """The option with the most votes; a tie adopts nothing."""

    name = "plurality"
    words = ("多数", "相对多数", "得票最多", "最多")

    def decide(self, rule: Rule, tally: Tally, quorum_needed: int, quorum_met: bool) -> Decision:
        top = max(tally.counts, default=0)
        leaders = tuple(i + 1 for i, c in enumerate(tally.counts) if c == top and top > 0)
        if not quorum_met:
            return Decision(None, False, False, quorum_needed, None, "no_quorum")
        if not leaders:
            return Decision(None, False, True, quorum_needed, None, "no_votes")
        if len(leaders) > 1:
            return Decision(None, False, True, quorum_needed, None, "tie", leaders)
        return Decision(leaders[0], True, True, quorum_needed, None, "passed")

    def verdict(self, rule: Rule, tally: Tally, decision: Decision, options: list[str]) -> tuple[str, dict[str, Any]]:
        if decision.reason == "tie":
            names = "、".join(f"“{options[i - 1]}”" for i in decision.tied)
            return "tie", {"options": names, "votes": tally.counts[decision.tied[0] - 1]}
        return "plurality", {"option": options[decision.outcome - 1], "votes": tally.counts[decision.outcome - 1]}


class _OptionOneNeeds(Kind):
    """Option 1 (赞成) is adopted when it has at least `needed` votes."""

    proposal = True

    def decide(self, rule: Rule, tally: Tally, quorum_needed: int, quorum_met: bool) -> Decision:
        needed = self.needed(rule, tally)
        if not quorum_met:
            return Decision(None, False, False, quorum_needed, needed, "no_quorum")
        if tally.ballots and tally.counts and tally.counts[0] >= needed:
            return Decision(1, True, True, quorum_needed, needed, "passed")
        return Decision(None, False, True, quorum_needed, needed, "below" if tally.ballots else "no_votes")

    def verdict(self, rule: Rule, tally: Tally, decision: Decision, options: list[str]) -> tuple[str, dict[str, Any]]:
        return (f"{'passed' if decision.passed else 'below'}_{self.name}",
                {"option": options[0], "votes": tally.counts[0], "needed": decision.needed, **self.values(rule)})


class Majority(_OptionOneNeeds):
    """Strictly more than half of the ballots cast."""

    name = "majority"
    words = ("过半", "过半数", "半数以上", "简单多数")

    def base(self, rule: Rule) -> str:
        return "cast"

    def needed(self, rule: Rule, tally: Tally) -> int:
        return tally.ballots // 2 + 1


class Threshold(_OptionOneNeeds):
    """A share (三分之二, 2/3, 75%) of everyone eligible, or of the ballots cast when written
    with 投票 or 参与: 60%投票."""

    name = "threshold"
    _BASES = (("投票", "cast"), ("参与", "cast"), ("全体", "eligible"), ("应投", "eligible"))

    def parse(self, text: str) -> Rule | None:
        base = "eligible"
        for word, name in self._BASES:
            if text.endswith(word):
                text, base = text[: -len(word)], name
                break
            if text.startswith(word):
                text, base = text[len(word):], name
                break
        share = parse_fraction(text.strip("的 "))
        if share is None:
            raise ValueError(text)      # what could not be read, for the person's correction
        return Rule(self.name, share, base)

    def to_dict(self, rule: Rule) -> dict:
        return {"kind": self.name, "fraction": str(rule.fraction), "base": rule.base}

    def from_dict(self, raw: dict) -> Rule:
        return Rule(self.name, Fraction(raw["fraction"]), raw.get("base", "eligible"))

    def on_ballots_cast(self, rule: Rule) -> Rule:
        return replace(rule, base="cast")

    def base(self, rule: Rule) -> str:
        return rule.base

    def values(self, rule: Rule) -> dict[str, Any]:
        return {"share": cn_fraction(rule.fraction)}

    def needed(self, rule: Rule, tally: Tally) -> int:
        base = tally.eligible if rule.base == "eligible" else tally.ballots
        return max(1, ceil_share(rule.fraction, base))  # at least the share, and never zero votes


# In the order a rule's words are tried: the named kinds first, a share last.
KINDS: dict[str, Kind] = {kind.name: kind for kind in (Plurality(), Majority(), Threshold())}


def votes_needed(rule: Rule, tally: Tally) -> int | None:
    """Votes option 1 needs under a threshold rule, given the ballots as they stand."""
    return rule.of.needed(rule, tally)


def decide(rule: Rule, quorum: Fraction | None, tally: Tally) -> Decision:
    quorum_needed = ceil_share(quorum, tally.eligible) if quorum else 0
    return rule.of.decide(rule, tally, quorum_needed, tally.ballots >= quorum_needed)


def settled(rule: Rule, quorum: Fraction | None, tally: Tally) -> bool:
    """True when no ballots still to come can change the decision (which option, if any,
    is adopted). Ballots already cast are taken as final: a poll whose ballots may be
    changed is never settled early.

    The extremes suffice: the units still to vote all choose one option (for each
    option), all abstain, or none votes. Concentrating them is what can overtake a
    leader or reach a threshold, abstaining is what lowers a share of the ballots
    cast, and staying away is what can miss a quorum."""
    remaining = tally.eligible - tally.ballots
    if remaining <= 0:
        return True
    now = decide(rule, quorum, tally).key
    for option in range(len(tally.counts)):
        counts = list(tally.counts)
        counts[option] += remaining
        if decide(rule, quorum, Tally(tuple(counts), tally.abstain, tally.eligible)).key != now:
            return False
    return decide(rule, quorum, Tally(tally.counts, tally.abstain + remaining, tally.eligible)).key == now


# -- fractions as people write them: 三分之二, 2/3, 75%, 0.6 ---------------------------

_CN_FRACTION = re.compile(r"^([一二三四五六七八九十百]+)分之([一二三四五六七八九十]+)$")
_SLASH = re.compile(r"^(\d+)\s*/\s*(\d+)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)\s*[%％]$")
_DECIMAL = re.compile(r"^0?\.\d+$|^1(?:\.0+)?$")


def _cn_number(text: str) -> int | None:
    """一 … 九十九, and 百 (as in 百分之七十五)."""
    if text == "百":
        return 100
    tens, sep, ones = text.partition("十")
    if any(ch not in CN_DIGITS[1:10] for ch in tens + ones) or len(tens) > 1 or len(ones) > 1:
        return None
    if not sep:
        return CN_DIGITS.index(tens) if tens else None
    return (CN_DIGITS.index(tens) if tens else 1) * 10 + (CN_DIGITS.index(ones) if ones else 0)


def parse_fraction(text: str) -> Fraction | None:
    """A share in (0, 1], or None if `text` is not one."""
    text = text.strip()
    value: Fraction | None = None
    if match := _CN_FRACTION.match(text):
        den, num = _cn_number(match.group(1)), _cn_number(match.group(2))
        value = Fraction(num, den) if den and num is not None else None
    elif match := _SLASH.match(text):
        den = int(match.group(2))
        value = Fraction(int(match.group(1)), den) if den else None
    elif match := _PERCENT.match(text):
        value = Fraction(match.group(1)) / 100
    elif _DECIMAL.match(text):
        value = Fraction(text)
    return value if value is not None and 0 < value <= 1 else None


def cn_fraction(share: Fraction) -> str:
    """三分之二, 四分之三, 二分之一; 60% where a percentage is plainer."""
    if share == 1:
        return "全部"
    if share.denominator <= 4 or (share.denominator <= 10 and 100 % share.denominator):
        return f"{CN_DIGITS[share.denominator]}分之{CN_DIGITS[share.numerator]}"
    if 100 % share.denominator == 0:
        return f"{share.numerator * 100 // share.denominator}%"
    return f"{share.numerator}/{share.denominator}"
