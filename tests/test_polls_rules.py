"""The decision rules at their edges, as a council will be held to them (pure arithmetic)."""

from fractions import Fraction

import pytest

from handlers.polls.rules import Rule, Tally, cn_fraction, decide, parse_fraction, settled, votes_needed
from handlers.polls.syntax import SpecError, parse_rule

PLURALITY = Rule("plurality")
MAJORITY = Rule("majority")
TWO_THIRDS = Rule("threshold", Fraction(2, 3), "eligible")
THREE_QUARTERS = Rule("threshold", Fraction(3, 4), "eligible")
SIXTY_OF_CAST = Rule("threshold", Fraction(3, 5), "cast")
HALF = Fraction(1, 2)


def tally(counts, abstain=0, eligible=9):
    return Tally(tuple(counts), abstain, eligible)


@pytest.mark.parametrize("name, rule, quorum, t, outcome, passed, quorum_met, reason", [
    # 2/3 of a 9-member council: 6 is exactly two thirds and passes, 5 does not
    ("council 6 of 9", TWO_THIRDS, None, tally([6, 3]), 1, True, True, "passed"),
    ("council 6 of 9, 3 stayed away", TWO_THIRDS, None, tally([6, 0]), 1, True, True, "passed"),
    ("council 5 of 9", TWO_THIRDS, None, tally([5, 1], 3), None, False, True, "below"),
    ("council 5 of 9, nobody against", TWO_THIRDS, None, tally([5, 0]), None, False, True, "below"),
    # 3/4 of 8 households: 6 passes, 5 fails
    ("households 6 of 8", THREE_QUARTERS, None, tally([6, 2], eligible=8), 1, True, True, "passed"),
    ("households 5 of 8", THREE_QUARTERS, None, tally([5, 3], eligible=8), None, False, True, "below"),
    ("households 5 of 8, 3 abstain", THREE_QUARTERS, None, tally([5, 0], 3, eligible=8), None, False, True, "below"),
    # plurality
    ("plurality winner", PLURALITY, None, tally([4, 3, 1]), 1, True, True, "passed"),
    ("plurality second option wins", PLURALITY, None, tally([2, 5, 1]), 2, True, True, "passed"),
    ("plurality tie", PLURALITY, None, tally([4, 4, 1]), None, False, True, "tie"),
    ("plurality tie, abstentions do not break it", PLURALITY, None, tally([3, 3], 3), None, False, True, "tie"),
    ("plurality nobody voted", PLURALITY, None, tally([0, 0]), None, False, True, "no_votes"),
    ("plurality only abstentions", PLURALITY, None, tally([0, 0], 4), None, False, True, "no_votes"),
    # quorum: a share of the electorate must vote; abstentions count toward it
    ("quorum missed", PLURALITY, HALF, tally([3, 1]), None, False, False, "no_quorum"),
    ("quorum met by abstentions", PLURALITY, HALF, tally([3, 1], 1), 1, True, True, "passed"),
    ("quorum missed under a threshold", MAJORITY, HALF, tally([4, 0]), None, False, False, "no_quorum"),
    ("quorum 2/3 of 8 households is 6", THREE_QUARTERS, Fraction(2, 3), tally([5, 0], eligible=8),
     None, False, False, "no_quorum"),
    # majority of ballots cast: strictly more than half, abstentions in the base
    ("majority 5 of 9 cast", MAJORITY, None, tally([5, 4]), 1, True, True, "passed"),
    ("majority half is not more than half", MAJORITY, None, tally([4, 4]), None, False, True, "below"),
    ("majority: abstentions count against", MAJORITY, None, tally([4, 2], 2), None, False, True, "below"),
    ("majority of few ballots", MAJORITY, None, tally([2, 1]), 1, True, True, "passed"),
    ("majority: the other option winning is no pass", MAJORITY, None, tally([1, 5]), None, False, True, "below"),
    ("majority nobody voted", MAJORITY, None, tally([0, 0]), None, False, True, "no_votes"),
    # custom threshold on the ballots cast: at least 60%
    ("60% of cast: 3 of 5", SIXTY_OF_CAST, None, tally([3, 2]), 1, True, True, "passed"),
    ("60% of cast: 3 of 6 with an abstention", SIXTY_OF_CAST, None, tally([3, 2], 1), None, False, True, "below"),
])
def test_decisions(name, rule, quorum, t, outcome, passed, quorum_met, reason):
    decision = decide(rule, quorum, t)
    assert (decision.outcome, decision.passed, decision.quorum_met, decision.reason) == \
        (outcome, passed, quorum_met, reason), name


@pytest.mark.parametrize("rule, t, needed", [
    (TWO_THIRDS, tally([0, 0]), 6),
    (THREE_QUARTERS, tally([0, 0], eligible=8), 6),
    (THREE_QUARTERS, tally([0, 0], eligible=9), 7),
    (MAJORITY, tally([3, 3], 1), 4),
    (MAJORITY, tally([3, 3]), 4),
    (SIXTY_OF_CAST, tally([3, 3], 4), 6),
])
def test_votes_needed(rule, t, needed):
    assert votes_needed(rule, t) == needed


@pytest.mark.parametrize("name, rule, quorum, t, expected", [
    ("6 yes of 9 under 2/3: passed whatever comes", TWO_THIRDS, None, tally([6, 0]), True),
    ("5 yes of 9: the rest could still pass it", TWO_THIRDS, None, tally([5, 0]), False),
    ("4 against of 9: 2/3 is out of reach", TWO_THIRDS, None, tally([1, 4]), True),
    ("3 against of 9: 6 yes still possible", TWO_THIRDS, None, tally([0, 3]), False),
    ("3 households against of 8: 3/4 out of reach", THREE_QUARTERS, None, tally([0, 3], eligible=8), True),
    ("plurality lead larger than the rest", PLURALITY, None, tally([5, 1], eligible=9), True),
    ("plurality lead the rest could tie", PLURALITY, None, tally([5, 3], eligible=10), False),
    ("plurality lead of 3 with 2 to come", PLURALITY, None, tally([5, 2], eligible=9), True),
    ("plurality current tie", PLURALITY, None, tally([4, 4], eligible=9), False),
    ("everyone voted", PLURALITY, None, tally([4, 4, 1]), True),
    ("majority of cast: more ballots could still dilute", MAJORITY, None, tally([4, 0]), False),
    ("majority of cast: 5 of 9 yes is more than half of any turnout", MAJORITY, None, tally([5, 0]), True),
    ("majority of cast: 5 of 9 is final", MAJORITY, None, tally([5, 4]), True),
    ("quorum not yet met: staying away would fail it", TWO_THIRDS, Fraction(2, 3), tally([6, 0]), True),
    ("plurality waits for its quorum", PLURALITY, Fraction(2, 3), tally([5, 0]), False),
    ("quorum still reachable", PLURALITY, Fraction(2, 3), tally([2, 0], eligible=9), False),
])
def test_settled(name, rule, quorum, t, expected):
    assert settled(rule, quorum, t) is expected, name


def test_settled_never_closes_a_decision_that_could_change():
    """Brute force: whenever `settled` says so, every completion gives the same decision."""
    rules = [PLURALITY, MAJORITY, TWO_THIRDS, SIXTY_OF_CAST]
    for rule in rules:
        for quorum in (None, HALF):
            for a in range(6):
                for b in range(6 - a):
                    for ab in range(6 - a - b):
                        t = Tally((a, b), ab, 6)
                        if not settled(rule, quorum, t):
                            continue
                        left = 6 - t.ballots
                        now = decide(rule, quorum, t).key
                        for x in range(left + 1):
                            for y in range(left + 1 - x):
                                for z in range(left + 1 - x - y):
                                    later = Tally((a + x, b + y), ab + z, 6)
                                    assert decide(rule, quorum, later).key == now, (rule, quorum, t, later)


@pytest.mark.parametrize("text, value, shown", [
    ("三分之二", Fraction(2, 3), "三分之二"), ("2/3", Fraction(2, 3), "三分之二"),
    ("四分之三", Fraction(3, 4), "四分之三"), ("75%", Fraction(3, 4), "四分之三"),
    ("百分之七十五", Fraction(3, 4), "四分之三"), ("60%", Fraction(3, 5), "60%"), ("0.6", Fraction(3, 5), "60%"),
    ("二分之一", Fraction(1, 2), "二分之一"), ("1.5", None, None), ("0", None, None), ("多数", None, None),
])
def test_fractions(text, value, shown):
    assert parse_fraction(text) == value
    if value is not None:
        assert cn_fraction(value) == shown


@pytest.mark.parametrize("text, rule", [
    ("多数", Rule("plurality")), ("过半", Rule("majority")),
    ("三分之二", Rule("threshold", Fraction(2, 3), "eligible")),
    ("3/4", Rule("threshold", Fraction(3, 4), "eligible")),
    ("60%投票", Rule("threshold", Fraction(3, 5), "cast")),
    ("全体60%", Rule("threshold", Fraction(3, 5), "eligible")),
])
def test_rule_words(text, rule):
    assert parse_rule(text) == rule


def test_an_unknown_rule_is_refused():
    with pytest.raises(SpecError):
        parse_rule("大概")
