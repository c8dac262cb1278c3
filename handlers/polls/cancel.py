"""Cancelling a poll: `取消投票 3 原因` in chat (the poll's creator or staff, commands.py)
or `linli admin polls cancel 3 --reason …`.

A cancelled poll takes no more ballots and publishes no result; its reminder and close
timers are cancelled, and would find it not open anyway. Everyone it was announced to is
told why: its chats, each person of a poll of named people, and its creator when someone
else cancelled it.
"""

from __future__ import annotations

from handlers import timers
from handlers.commands import ticket_ref
from handlers.context import Context
from storage.polls import Poll, Polls


async def cancel_command(ctx: Context, args: str) -> None:
    from handlers.polls.commands import MAY_CANCEL   # commands.py imports this module
    me = ctx.person.id
    ref = ticket_ref(args)
    if ref is None:
        ctx.tell(me, ctx.t("polls.cancel.how"))
        return
    poll_id, reason = ref
    poll = await Polls(ctx.services.store).get(poll_id)
    if poll is None:
        ctx.tell(me, ctx.t("polls.vote.not_found", id=poll_id))
        return
    MAY_CANCEL.require(ctx, poll, "polls.cancel.not_allowed", id=poll.id)
    if poll.status != "open":
        if poll.closed_event != ctx.event.id:       # not this event's own, redelivered
            ctx.tell(me, ctx.t(f"polls.cancel.already_{poll.status}", id=poll.id))
            return
    elif not reason:
        ctx.tell(me, ctx.t("polls.cancel.reason_needed", id=poll.id))
        return
    result, status = await cancel_poll(ctx, poll.id, me, reason)
    if result == "already":
        ctx.tell(me, ctx.t(f"polls.cancel.already_{status}", id=poll.id))
        return
    if result in ("ok", "replay"):
        if result == "ok":
            await ctx.services.audit.record(ctx.now, me, "poll_cancel", f"poll:{poll.id} reason:{reason}", "chat")
        cancelled = await Polls(ctx.services.store).get(poll.id)
        tell_cancelled(ctx, cancelled)
        ctx.tell(me, ctx.t("polls.cancel.done", id=poll.id))


async def cancel_poll(ctx: Context, poll_id: int, by: str, reason: str) -> tuple[str, str]:
    """Cancel the poll if it is open, and its timers: ('ok' | 'replay' | 'missing', '') or
    ('already', closed | cancelled). Saying so is the caller's (tell_cancelled)."""
    result, status = await Polls(ctx.services.store).cancel(poll_id, by, reason, ctx.now, ctx.event.id)
    if result in ("ok", "replay"):
        await timers.cancel(ctx, "poll", f"{poll_id}:remind", f"{poll_id}:close", f"{poll_id}:announce")
    return result, status


def cancelled_text(ctx: Context, poll: Poll) -> str:
    by = poll.cancelled_by or ""
    name = ctx.name_of(by) if by in ctx.community.people else ctx.t("polls.cancel.by_staff")
    return ctx.t("polls.cancel.notice", id=poll.id, question=poll.question, reason=poll.cancel_reason or "",
                 name=name)


def tell_cancelled(ctx: Context, poll: Poll) -> None:
    """Everyone the poll was announced to hears it was cancelled, and why."""
    text = cancelled_text(ctx, poll)
    for chat_id in poll.chats:
        ctx.post(chat_id, text)
    private = list(poll.electorate.get("people", [])) if poll.electorate["kind"] == "people" else []
    if poll.created_by in ctx.community.people and poll.created_by != poll.cancelled_by \
            and poll.created_by not in private:
        private.append(poll.created_by)
    for person in private:
        ctx.tell(person, text)
