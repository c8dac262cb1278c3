"""Recount a poll from its stored ballots and compare with what was published.

Used by `linli admin polls audit P`: a council can be shown that the announced result is
the count of the ballots on record, that every ballot came from the fixed electorate
before the deadline, and (anonymous polls) that the box holds one choice per voter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.polls.rules import decide
from handlers.polls.view import quorum_of, rule_of, tally_of
from storage.polls import Polls, Snapshot

COMPARED = ("counts", "abstain", "ballots", "eligible", "quorum_met", "outcome", "passed")


@dataclass
class AuditReport:
    poll_id: int
    status: str
    recount: dict
    published: dict | None
    problems: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {"id": self.poll_id, "status": self.status, "matches": self.matches,
                "recount": self.recount, "published": self.published, "problems": self.problems}


def recount(snapshot: Snapshot) -> dict:
    poll = snapshot.poll
    tally = tally_of(snapshot)
    decision = decide(rule_of(poll), quorum_of(poll), tally)
    return {"counts": list(tally.counts), "abstain": tally.abstain, "ballots": tally.ballots,
            "eligible": tally.eligible, "quorum_met": decision.quorum_met, "outcome": decision.outcome,
            "passed": decision.passed}


async def audit(repo: Polls, poll_id: int) -> AuditReport | None:
    snapshot = await repo.snapshot(poll_id)
    if snapshot is None:
        return None
    poll = snapshot.poll
    voters = await repo.voters(poll_id)
    counted = recount(snapshot)
    published = {k: poll.result.get(k) for k in COMPARED} if poll.result else None
    report = AuditReport(poll_id, poll.status, counted, published)
    problems = report.problems
    if poll.status == "closed" and published is None:
        problems.append("closed without a published result")
    for name in COMPARED if published else ():
        if published[name] != counted[name]:
            problems.append(f"{name}: published {published[name]!r}, recounted {counted[name]!r}")
    units = set(voters.values())
    if len(units) != poll.eligible:
        problems.append(f"eligible: poll says {poll.eligible}, electorate on record has {len(units)}")
    for unit, ballot in sorted(snapshot.ballots.items()):
        if unit not in units:
            problems.append(f"ballot of {unit}: not in the electorate")
        elif voters.get(ballot.by) != unit:
            problems.append(f"ballot of {unit}: cast by {ballot.by}, who does not vote for {unit}")
        if ballot.at >= poll.deadline:
            problems.append(f"ballot of {unit}: cast after the deadline")
        if poll.status == "cancelled" and poll.closed_at is not None and ballot.at >= poll.closed_at:
            problems.append(f"ballot of {unit}: cast after the poll was cancelled")
        if ballot.proxy and not ballot.reason:
            problems.append(f"ballot of {unit}: proxy ballot without a reason")
        if not poll.anonymous and (ballot.option is None or not 0 <= ballot.option <= len(poll.options)):
            problems.append(f"ballot of {unit}: no valid choice")
    if poll.anonymous and len(snapshot.box) != len(snapshot.ballots):
        problems.append(f"ballot box holds {len(snapshot.box)} choices for {len(snapshot.ballots)} voters")
    if poll.anonymous and any(not 0 <= c <= len(poll.options) for c in snapshot.box):
        problems.append("ballot box holds a choice that is not an option")
    return report
