"""A poll's timers (announce, remind, close, and telling of a cancellation made from the
command line) and its closing. A cancelled poll is not open: its close and reminder do
nothing.

A poll closes at its deadline, or as soon as the ballots still to come cannot change the
decision (handlers/polls/rules.py, `settled`). The result is counted from a snapshot of the
ballots and stored only if no ballot arrived since (the close script compares the
ballot version), so the published result is always the count of the stored ballots.
"""

from __future__ import annotations

from handlers import agenda, timers
from handlers.context import Context
from handlers.polls.cancel import tell_cancelled
from handlers.polls.create import announce
from handlers.polls.rules import settled
from handlers.polls.view import quorum_of, result_record, rule_of, tally_of
from storage.polls import Poll, Polls

ATTEMPTS = 5


async def on_timer(ctx: Context) -> None:
    data = ctx.event.data
    poll_id, step = int(data["poll"]), data["step"]
    if step == "close":
        await close_poll(ctx, poll_id, "deadline")
    elif step == "remind":
        await remind(ctx, poll_id)
    elif step == "announce":
        poll = await Polls(ctx.services.store).get(poll_id)
        if poll is not None and poll.status == "open":
            announce(ctx, poll)
    elif step == "cancelled":                   # cancelled from the command line: say so
        poll = await Polls(ctx.services.store).get(poll_id)
        if poll is not None and poll.status == "cancelled":
            tell_cancelled(ctx, poll)


async def close_poll(ctx: Context, poll_id: int, reason: str) -> bool:
    """Close the poll now (reason 'deadline') or if its decision is settled ('decided').
    True if this call closed it and posted the result."""
    repo = Polls(ctx.services.store)
    for _ in range(ATTEMPTS):
        snapshot = await repo.snapshot(poll_id)
        if snapshot is None:
            return False
        poll = snapshot.poll
        if poll.status != "open":
            if poll.closed_event == ctx.event.id and poll.result:   # a redelivered event that closed it
                _publish(ctx, poll.chats, poll.result["text"], poll)
                if poll.topic:
                    await agenda.on_poll_closed(ctx, poll.topic, poll.result, poll.id)
                return True
            return False
        tally = tally_of(snapshot)
        if reason == "decided" and (poll.changeable or not settled(rule_of(poll), quorum_of(poll), tally)):
            return False
        result = result_record(ctx, poll, tally, reason)
        done = await repo.close(poll_id, poll.version, result, ctx.now, reason, ctx.event.id)
        if done in ("ok", "replay"):
            await timers.cancel(ctx, "poll", f"{poll_id}:remind", f"{poll_id}:close")
            _publish(ctx, poll.chats, result["text"], poll)
            if poll.topic:       # opened from a 议题: the topic moves on (passed → 落实中)
                await agenda.on_poll_closed(ctx, poll.topic, result, poll.id)
            return True
        if done != "stale":
            return False
        # A ballot came in since the snapshot: count again.
    return False


def _publish(ctx: Context, chats: list[str], text: str, poll: Poll) -> None:
    for chat_id in chats:
        ctx.post(chat_id, text)
    # Voters of a list of people were invited privately; they hear the result the same way.
    private = list(poll.electorate.get("people", [])) if poll.electorate["kind"] == "people" else []
    if not chats and poll.created_by in ctx.community.people and poll.created_by not in private:
        private.append(poll.created_by)
    for person in private:
        ctx.tell(person, text)


async def remind(ctx: Context, poll_id: int) -> None:
    """Eligible people who have not voted (every verified member of a household that has
    not) hear once, privately, before the deadline."""
    repo = Polls(ctx.services.store)
    snapshot = await repo.snapshot(poll_id)
    if snapshot is None or snapshot.poll.status != "open" or ctx.now >= snapshot.poll.deadline:
        return
    poll = snapshot.poll
    who = ctx.t("polls.remind.household") if poll.unit == "household" else ""
    for person, unit in sorted((await repo.voters(poll_id)).items()):
        if unit not in snapshot.ballots:
            ctx.tell(person, ctx.t("polls.remind.text", id=poll.id, question=poll.question,
                                   at=ctx.when(poll.deadline), who=who))
