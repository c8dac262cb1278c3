"""Voting: `投票 P N` (`/vote P N`), `投票 P 弃权`, `投票 P` (the poll and my ballot),
`投票` (polls I may vote in), and staff's `代投 P @人员 N 原因`.

Every answer about a ballot goes to the voter privately, even when they voted in a
group: the group does not learn who was refused, or which household a voter lives in.
"""

from __future__ import annotations

from handlers import people, points
from handlers.commands import ticket_ref
from handlers.context import Context
from handlers.polls.cancel import cancelled_text
from handlers.polls.close import close_poll
from handlers.polls.syntax import parse_option
from handlers.polls.view import announcement, choice_text, counts_text, electorate_text, rule_of, tally_of, unit_word
from storage.households import Households
from storage.polls import Poll, Polls


async def vote(ctx: Context, args: str) -> None:
    me = ctx.person.id
    if not args.strip():
        await list_mine(ctx)
        return
    ref = ticket_ref(args)
    if ref is None:
        ctx.tell(me, ctx.t("polls.usage.vote"))
        return
    poll = await Polls(ctx.services.store).get(ref[0])
    if poll is None:
        ctx.tell(me, ctx.t("polls.vote.not_found", id=ref[0]))
        return
    if not ref[1]:
        await show(ctx, poll)
        return
    option = parse_option(ref[1], poll.options, rule_of(poll).of.proposal)
    if option is None:
        ctx.tell(me, bad_option(ctx, poll, ref[1]))
        return
    await cast_ballot(ctx, poll, me, option)
    if ctx.in_group and poll.anonymous:
        ctx.tell(me, ctx.t("polls.vote.suggest_private"))


async def proxy_vote(ctx: Context, args: str) -> None:
    """`代投 3 @r305 1 行动不便，电话告知`: staff enter a ballot for a resident without a phone."""
    me = ctx.person.id
    ref = ticket_ref(args)
    words = ref[1].split(None, 2) if ref else []
    if ref is None or len(words) < 2:
        ctx.tell(me, ctx.t("polls.usage.proxy"))
        return
    if len(words) < 3 or not words[2].strip():
        ctx.tell(me, ctx.t("polls.vote.proxy_reason_needed"))
        return
    person = ctx.community.find_person(words[0])
    if person is None:
        ctx.tell(me, ctx.t("polls.vote.unknown_person", who=words[0].lstrip("@＠")))
        return
    poll = await Polls(ctx.services.store).get(ref[0])
    if poll is None:
        ctx.tell(me, ctx.t("polls.vote.not_found", id=ref[0]))
        return
    option = parse_option(words[1], poll.options, rule_of(poll).of.proposal)
    if option is None:
        ctx.tell(me, bad_option(ctx, poll, words[1]))
        return
    await cast_ballot(ctx, poll, person.id, option, proxy=me, reason=words[2].strip())


async def cast_ballot(ctx: Context, poll: Poll, person_id: str, option: int, proxy: str = "",
                      reason: str = "") -> str:
    """The one place a ballot is cast, in chat or by proxy. Returns the outcome of
    storage/lua/poll_cast.lua: ok | changed | same | replay | already | closed | ineligible
    | bad_option | missing. A counted ballot is 'ok' or 'changed' (or 'replay' when a
    redelivered event finds its own ballot)."""
    repo = Polls(ctx.services.store)
    reply = await repo.cast(poll.id, person_id, option, ctx.now, ctx.event.id, proxy, reason)
    result = reply[0]
    answer_to = proxy or person_id
    name = ctx.name_of(person_id)
    if result in ("ok", "changed", "replay"):
        choice = choice_text(ctx, poll, option)
        if proxy:
            await ctx.services.audit.record(ctx.now, proxy, "poll_proxy_ballot",
                                            f"poll:{poll.id}:person:{person_id} reason:{reason}", "chat")
            done = "polls.vote.proxy_done_anonymous" if poll.anonymous else "polls.vote.proxy_done"
            ctx.tell(proxy, ctx.t(done, name=name, id=poll.id, choice=choice))
            ctx.tell(person_id, ctx.t("polls.vote.proxy_you", staff=ctx.name_of(proxy), id=poll.id,
                                      question=poll.question, reason=reason))
        else:
            ctx.tell(person_id, confirmation(ctx, poll, reply, choice))
        await points.earn(ctx, person_id, "ballot_cast", f"vote:{poll.id}:{person_id}", f"投票 #{poll.id}")
        if poll.show_counts:
            snapshot = await repo.snapshot(poll.id)
            tally = tally_of(snapshot)
            ctx.tell(answer_to, ctx.t("polls.vote.running", counts=counts_text(ctx, poll, tally),
                                      ballots=tally.ballots, eligible=tally.eligible))
        if not poll.changeable:
            await close_poll(ctx, poll.id, "decided")
        return result
    ctx.tell(answer_to, await refusal(ctx, poll, reply, person_id, option, proxy))
    return result


def confirmation(ctx: Context, poll: Poll, reply: list[str], choice: str) -> str:
    if reply[0] == "changed":
        return ctx.t("polls.vote.changed", id=poll.id, old=choice_text(ctx, poll, int(reply[2])), choice=choice)
    if poll.anonymous:
        return ctx.t("polls.vote.confirmed_anonymous", id=poll.id, choice=choice)
    if poll.unit == "household":
        return ctx.t("polls.vote.confirmed_household", id=poll.id, choice=choice, household=people.describe(reply[1]))
    return ctx.t("polls.vote.confirmed", id=poll.id, choice=choice)


async def refusal(ctx: Context, poll: Poll, reply: list[str], person_id: str, option: int, proxy: str) -> str:
    result, t = reply[0], ctx.t
    if result == "same":
        text = t("polls.vote.same", id=poll.id, choice=choice_text(ctx, poll, option))
    elif result == "already" and poll.unit == "household" and reply[2] != person_id:
        text = t("polls.vote.already_household", household=people.describe(reply[1]), name=ctx.name_of(reply[2]),
                 id=poll.id)
    elif result == "already":
        text = t("polls.vote.already", id=poll.id)
    elif result == "closed":
        now = await Polls(ctx.services.store).get(poll.id)
        text = t("polls.vote.cancelled" if now and now.status == "cancelled" else "polls.vote.closed", id=poll.id)
    elif result == "ineligible":
        text = await ineligible(ctx, poll, person_id)
    elif result == "bad_option":
        text = bad_option(ctx, poll, str(option))
    else:
        text = t("polls.vote.not_found", id=poll.id)
    return t("polls.vote.proxy_refused", name=ctx.name_of(person_id), why=text) if proxy else text


async def ineligible(ctx: Context, poll: Poll, person_id: str) -> str:
    person = ctx.community.people.get(person_id)
    if poll.unit == "household" and person is not None:
        member = await people.membership_of(ctx.community, Households(ctx.services.store), person)
        if member is None:
            return ctx.t("polls.vote.ineligible_unregistered", id=poll.id)
        if not member.verified:
            return ctx.t("polls.vote.ineligible_unverified", id=poll.id)
    return ctx.t("polls.vote.ineligible", id=poll.id, electorate=electorate_text(ctx, poll))


def bad_option(ctx: Context, poll: Poll, text: str) -> str:
    choices = "、".join(f"{i}（{o}）" for i, o in enumerate(poll.options, 1))
    return ctx.t("polls.vote.bad_option", id=poll.id, text=text, choices=choices)


async def show(ctx: Context, poll: Poll) -> None:
    """One poll as the asker may see it: the poll, turnout, counts only once shown, their ballot."""
    snapshot = await Polls(ctx.services.store).snapshot(poll.id)
    poll, tally = snapshot.poll, tally_of(snapshot)
    if poll.status == "closed" and poll.result:
        lines = [poll.result["text"]]
    elif poll.status == "cancelled":
        lines = [cancelled_text(ctx, poll)]
    else:
        lines = [announcement(ctx, poll),
                 ctx.t("polls.view.status", ballots=tally.ballots, eligible=tally.eligible, unit=unit_word(ctx, poll))]
        lines.append(counts_text(ctx, poll, tally) + "。" if poll.show_counts else ctx.t("polls.view.counts_hidden"))
    unit = await Polls(ctx.services.store).unit_of(poll.id, ctx.person.id)
    ballot = snapshot.ballots.get(unit) if unit else None
    if ballot and ballot.by != ctx.person.id:
        lines.append(ctx.t("polls.view.your_household", name=ctx.name_of(ballot.by)))
    elif ballot:
        choice = choice_text(ctx, poll, ballot.option) if ballot.option is not None else ctx.t("polls.view.mine_voted")
        lines.append(ctx.t("polls.view.your_ballot", choice=choice))
    elif unit and poll.status == "open":
        lines.append(ctx.t("polls.view.not_voted"))
    ctx.tell(ctx.person.id, "\n".join(lines))


async def list_mine(ctx: Context) -> None:
    repo = Polls(ctx.services.store)
    lines = []
    for poll_id in await repo.open_ids():
        unit = await repo.unit_of(poll_id, ctx.person.id)
        if unit is None:
            continue
        snapshot = await repo.snapshot(poll_id)
        state = "mine_voted" if unit in snapshot.ballots else "mine_open"
        lines.append(ctx.t("polls.view.mine_line", id=poll_id, question=snapshot.poll.question,
                           at=ctx.when(snapshot.poll.deadline), state=ctx.t(f"polls.view.{state}")))
    ctx.tell(ctx.person.id, "\n".join([ctx.t("polls.view.mine_header"), *lines]) if lines
             else ctx.t("polls.view.mine_none"))
