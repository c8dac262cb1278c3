"""What other packages may ask about the polls going on, to help someone who talks instead
of voting: "我同意" in the council's group while a poll is open there (the tickets package
answers it with how to vote, handlers/tickets/short_messages.py)."""

from __future__ import annotations

from handlers.context import Context
from storage.polls import Poll, Polls


async def votable(ctx: Context) -> Poll | None:
    """The newest open poll the sender may vote in and has not voted in yet: of those posted
    in this chat when in a group, of all when 1:1; None if there is none."""
    repo = Polls(ctx.services.store)
    chat = ctx.chat.id if ctx.in_group and ctx.chat else None
    if ctx.in_group and chat is None:
        return None
    polls = [p for p in [await repo.get(i) for i in await repo.open_ids()]
             if p is not None and p.status == "open" and p.deadline > ctx.now and (chat is None or chat in p.chats)]
    for poll in sorted(polls, key=lambda p: p.created_at, reverse=True):
        unit = await repo.unit_of(poll.id, ctx.person.id)
        if unit and not await ctx.services.store.redis.hexists(ctx.services.store.keys.poll_ballots(poll.id), unit):
            return poll
    return None
