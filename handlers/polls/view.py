"""How a poll reads to people: its announcement, its rule and electorate in words, and its
result in plain Chinese ("赞成 6 票，达到全体委员三分之二（需 6 票），通过。")."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from handlers.context import Context
from handlers.polls.rules import Decision, Rule, Tally, cn_fraction, decide
from storage.polls import Poll, Snapshot


def rule_of(poll: Poll) -> Rule:
    return Rule.from_dict(poll.rule)


def quorum_of(poll: Poll) -> Fraction | None:
    return Fraction(poll.quorum) if poll.quorum else None


def tally_of(snapshot: Snapshot) -> Tally:
    return Tally.of(snapshot.choices(), len(snapshot.poll.options), snapshot.poll.eligible)


def unit_word(ctx: Context, poll: Poll) -> str:
    return ctx.t(f"polls.base.unit_{poll.unit}")


def base_word(ctx: Context, poll: Poll, rule: Rule) -> str:
    """Whom a share is of: 全体委员 / 全体住户 / … or 投票人数 / 投票户数."""
    if rule.of.base(rule) == "cast":
        return ctx.t(f"polls.base.cast_{poll.unit}")
    return ctx.t(f"polls.base.{poll.electorate['kind']}")


def electorate_text(ctx: Context, poll: Poll) -> str:
    electorate = poll.electorate
    kind = electorate["kind"]
    if kind == "chat":
        chat = ctx.community.chats.get(electorate["chat"])
        return ctx.t("polls.electorate.chat", chat=chat.name if chat else electorate["chat"], count=poll.eligible)
    if kind == "households":
        if electorate.get("building"):
            return ctx.t("polls.electorate.households_building", building=electorate["building"],
                         count=poll.eligible)
        return ctx.t("polls.electorate.households_all", count=poll.eligible)
    return ctx.t(f"polls.electorate.{kind}", count=poll.eligible)


def rule_text(ctx: Context, poll: Poll) -> str:
    rule = rule_of(poll)
    return ctx.t(f"polls.rule.{rule.kind}", **_rule_values(ctx, poll, rule))


def _rule_values(ctx: Context, poll: Poll, rule: Rule) -> dict[str, Any]:
    """What a rule's texts may say: option 1, whom a share is of, the kind's own values."""
    values: dict[str, Any] = {"option": poll.options[0], **rule.of.values(rule)}
    if rule.of.base(rule):
        values["base"] = base_word(ctx, poll, rule)
    return values


def choice_text(ctx: Context, poll: Poll, option: int) -> str:
    if option == 0:
        return ctx.t("polls.vote.abstain_choice")
    return ctx.t("polls.vote.choice", number=option, option=poll.options[option - 1])


def counts_text(ctx: Context, poll: Poll, tally: Tally) -> str:
    parts = [ctx.t("polls.result.count", option=o, votes=c) for o, c in zip(poll.options, tally.counts)]
    parts.append(ctx.t("polls.result.abstain", votes=tally.abstain))
    return "，".join(parts)


def announcement(ctx: Context, poll: Poll) -> str:
    t = ctx.t
    lines = [t("polls.announce.header", id=poll.id, question=poll.question)]
    lines += [t("polls.announce.option", number=i, option=o) for i, o in enumerate(poll.options, 1)]
    lines.append(t("polls.announce.scope", electorate=electorate_text(ctx, poll)))
    lines.append(t("polls.announce.rule", rule=rule_text(ctx, poll)))
    quorum = quorum_of(poll)
    if quorum:
        needed = decide(rule_of(poll), quorum, Tally((0,) * len(poll.options), 0, poll.eligible)).quorum_needed
        lines.append(t("polls.announce.quorum", share=cn_fraction(quorum), needed=needed, unit=unit_word(ctx, poll)))
    lines.append(t("polls.announce.deadline", at=ctx.when(poll.deadline)))
    lines.append(t("polls.announce.style",
                   anonymous=t(f"polls.announce.anonymous_{'yes' if poll.anonymous else 'no'}"),
                   changeable=t(f"polls.announce.changeable_{'yes' if poll.changeable else 'no'}"),
                   counts=t(f"polls.announce.counts_{'yes' if poll.show_counts else 'no'}")))
    if poll.unit == "household":
        lines.append(t("polls.announce.household_note"))
    lines.append(t("polls.announce.how_anonymous" if poll.anonymous else "polls.announce.how", id=poll.id))
    return "\n".join(lines)


def result_record(ctx: Context, poll: Poll, tally: Tally, reason: str) -> dict[str, Any]:
    """What is published at the close, kept with the poll for `linli admin polls audit`."""
    decision = decide(rule_of(poll), quorum_of(poll), tally)
    return {"counts": list(tally.counts), "abstain": tally.abstain, "ballots": tally.ballots,
            "eligible": tally.eligible, "quorum_needed": decision.quorum_needed,
            "quorum_met": decision.quorum_met, "outcome": decision.outcome,
            "outcome_text": poll.options[decision.outcome - 1] if decision.outcome else None,
            "passed": decision.passed, "reason": decision.reason, "needed": decision.needed,
            "tied": list(decision.tied), "text": result_text(ctx, poll, tally, decision, reason)}


def result_text(ctx: Context, poll: Poll, tally: Tally, decision: Decision, reason: str) -> str:
    t, unit = ctx.t, unit_word(ctx, poll)
    turnout = f"{round(100 * tally.ballots / tally.eligible)}%" if tally.eligible else "0%"
    lines = [t("polls.result.header", id=poll.id, question=poll.question, why=t(f"polls.result.why_{reason}")),
             counts_text(ctx, poll, tally) + "。",
             t("polls.result.turnout", ballots=tally.ballots, eligible=tally.eligible, unit=unit, turnout=turnout)]
    if decision.quorum_needed:
        key = "polls.result.quorum_met" if decision.quorum_met else "polls.result.quorum_missed"
        lines.append(t(key, needed=decision.quorum_needed, ballots=tally.ballots, unit=unit))
    lines.append(decision_text(ctx, poll, tally, decision))
    return "\n".join(lines)


def decision_text(ctx: Context, poll: Poll, tally: Tally, decision: Decision) -> str:
    if decision.reason in ("no_quorum", "no_votes"):
        return ctx.t(f"polls.result.{decision.reason}")
    rule = rule_of(poll)
    key, values = rule.of.verdict(rule, tally, decision, poll.options)
    return ctx.t(f"polls.result.{key}", **{**_rule_values(ctx, poll, rule), **values})
