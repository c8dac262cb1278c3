"""Decision rules of polls: pure arithmetic, no Redis, no texts, so every edge is a table
row in tests/test_polls_rules.py. The README's definitions are these functions in words.

A *unit* is what one ballot stands for: a person, or a household in household polls.
`ballots` counts every ballot cast, abstentions included; an abstention counts toward
the quorum and toward the base "ballots cast", never for an option.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

CN_DIGITS = "零一二三四五六七八九十"


@dataclass(frozen=True)
class Rule:
    kind: str                          # plurality | majority | threshold
    fraction: Fraction | None = None   # threshold only
    base: str = "eligible"             # threshold only: eligible | cast

    def to_dict(self) -> dict:
        if self.kind == "threshold":
            return {"kind": "threshold", "fraction": str(self.fraction), "base": self.base}
        return {"kind": self.kind}

    @classmethod
    def from_dict(cls, raw: dict) -> "Rule":
        if raw["kind"] == "threshold":
            return cls("threshold", Fraction(raw["fraction"]), raw.get("base", "eligible"))
        return cls(raw["kind"])


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


def votes_needed(rule: Rule, tally: Tally) -> int | None:
    """Votes option 1 needs under a threshold rule, given the ballots as they stand."""
    if rule.kind == "majority":
        return tally.ballots // 2 + 1                  # strictly more than half of the ballots cast
    if rule.kind == "threshold":
        base = tally.eligible if rule.base == "eligible" else tally.ballots
        return max(1, ceil_share(rule.fraction, base))  # at least the share, and never zero votes
    return None


def decide(rule: Rule, quorum: Fraction | None, tally: Tally) -> Decision:
    quorum_needed = ceil_share(quorum, tally.eligible) if quorum else 0
    quorum_met = tally.ballots >= quorum_needed
    if rule.kind == "plurality":
        top = max(tally.counts, default=0)
        leaders = tuple(i + 1 for i, c in enumerate(tally.counts) if c == top and top > 0)
        if not quorum_met:
            return Decision(None, False, False, quorum_needed, None, "no_quorum")
        if not leaders:
            return Decision(None, False, True, quorum_needed, None, "no_votes")
        if len(leaders) > 1:
            return Decision(None, False, True, quorum_needed, None, "tie", leaders)
        return Decision(leaders[0], True, True, quorum_needed, None, "passed")
    needed = votes_needed(rule, tally)
    if not quorum_met:
        return Decision(None, False, False, quorum_needed, needed, "no_quorum")
    if tally.ballots and tally.counts and tally.counts[0] >= needed:
        return Decision(1, True, True, quorum_needed, needed, "passed")
    return Decision(None, False, True, quorum_needed, needed, "below" if tally.ballots else "no_votes")


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
