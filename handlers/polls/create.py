"""Creating a poll: `发起投票 …` in chat (council chair, secretary, staff) or
`linli admin polls create`. The electorate is resolved and fixed when the poll is
created, so "2/3 of the council" means 2/3 of the members on that day."""

from __future__ import annotations

from handlers import people, timers
from handlers.context import Context
from handlers.polls.syntax import PollSpec, SpecError, check_question, parse_spec
from handlers.polls.view import announcement
from storage.households import Households
from storage.polls import Poll, Polls

HOUR = 3600.0
# Who "the members" of a chat are, for chats that are not a building's (see README).
CHAT_ROLES = {"council": ("council",), "volunteers": ("volunteer",), "staff": ("staff", "grid_worker", "secretary")}


async def create_command(ctx: Context, args: str) -> None:
    if not args.strip():
        ctx.reply(ctx.t("polls.create.help"))
        return
    try:
        spec = parse_spec(args, ctx.community, ctx.chat if ctx.in_group else None, ctx.now)
        check_question(spec.question)
        poll = await create_poll(ctx, spec, ctx.person.id, ctx.chat.id if ctx.in_group and ctx.chat else None)
    except SpecError as exc:
        ctx.reply(ctx.t(exc.key, **exc.values) + "\n" + ctx.t("polls.usage.create"))
        return
    announce(ctx, poll)
    if poll.chats:
        names = "、".join(ctx.community.chats[c].name for c in poll.chats if c in ctx.community.chats)
        ctx.tell(ctx.person.id, ctx.t("polls.create.created", id=poll.id, at=ctx.when(poll.deadline), chats=names))
    else:
        ctx.tell(ctx.person.id, ctx.t("polls.create.created_private", id=poll.id, at=ctx.when(poll.deadline)))


async def create_poll(ctx: Context, spec: PollSpec, created_by: str, origin_chat: str | None,
                      topic: int | None = None) -> Poll:
    """Store the poll of this event (once, however often the event is redelivered) and
    schedule its reminder and close. Raises SpecError for an empty electorate. `topic`:
    the 议题 it decides (the agenda package is told when it closes)."""
    voters = await resolve_electorate(ctx, spec.electorate)
    if not voters:
        raise SpecError("polls.error.empty_electorate")
    poll = Poll(id=0, question=spec.question, options=spec.options, electorate=spec.electorate,
                unit="household" if spec.electorate["kind"] == "households" else "person",
                rule=spec.rule.to_dict(), eligible=len(set(voters.values())), deadline=spec.deadline,
                created_at=ctx.now, created_by=created_by,
                quorum=str(spec.quorum) if spec.quorum else None, anonymous=spec.anonymous,
                changeable=spec.changeable, show_counts=spec.show_counts,
                chats=chats_for(ctx, spec.electorate, origin_chat), topic=topic)
    repo = Polls(ctx.services.store)
    poll_id, created = await repo.create(ctx.event.id, poll, voters)
    if created:
        await schedule(ctx, poll)
    return await repo.get(poll_id)


async def schedule(ctx: Context, poll: Poll) -> None:
    length = poll.deadline - poll.created_at
    # One reminder: a day before the deadline, or halfway through a poll shorter than two days.
    remind = poll.deadline - 24 * HOUR if length >= 48 * HOUR else poll.created_at + length / 2
    order = f"poll:{poll.id}"
    await timers.schedule(ctx, "poll", f"{poll.id}:remind", remind, order, poll=poll.id, step="remind")
    await timers.schedule(ctx, "poll", f"{poll.id}:close", poll.deadline, order, poll=poll.id, step="close")


async def resolve_electorate(ctx: Context, electorate: dict) -> dict[str, str]:
    """person -> the unit they vote for: themselves, or their verified household."""
    community = ctx.community
    repo = Households(ctx.services.store)
    kind = electorate["kind"]
    if kind == "households":
        households = await people.verified_households(community, repo, electorate.get("building"))
        return {person: household for household, people in households.items() for person in people}
    if kind == "people":
        return {p: p for p in electorate["people"] if p in community.people}
    if kind == "council":
        return {p.id: p.id for p in community.with_role("council")}
    chat = community.chats[electorate["chat"]]
    if chat.kind == "building":
        # A building chat's members are the people with a verified household in that building.
        members = await people.memberships(community, repo)
        return {m.person: m.person for m in members.values() if m.verified and m.building == chat.building}
    roles = CHAT_ROLES.get(chat.kind, ())
    return {p.id: p.id for p in community.people.values() if p.has(*roles)}


def chats_for(ctx: Context, electorate: dict, origin_chat: str | None) -> list[str]:
    """Where the poll is posted: the chats of its electorate, and the chat it was created in."""
    chats = ctx.community.chats.values()
    kind = electorate["kind"]
    if kind == "council":
        found = [c.id for c in chats if c.kind == "council"]
    elif kind == "chat":
        found = [electorate["chat"]]
    elif kind == "households":
        building = electorate.get("building")
        found = [c.id for c in chats if c.kind == "building" and (building is None or c.building == building)]
    else:
        found = []
    if origin_chat and origin_chat not in found:
        found.append(origin_chat)
    return found


def announce(ctx: Context, poll: Poll) -> None:
    """Post the poll to its chats; a poll of a list of people also invites each of them."""
    text = announcement(ctx, poll)
    buttons = ballot_buttons(ctx, poll)
    for chat_id in poll.chats:
        ctx.post(chat_id, text, buttons)
    if poll.electorate["kind"] == "people":
        for person in poll.electorate.get("people", []):
            ctx.tell(person, ctx.t("polls.announce.invite", text=text), buttons)


def ballot_buttons(ctx: Context, poll: Poll) -> tuple:
    """One button per option, then 弃权: a tap casts `投票 P N` as the tapper, who is
    checked like anyone typing it."""
    rows = [((f"{n}. {option}"[:30], f"投票 {poll.id} {n}"),) for n, option in enumerate(poll.options, 1)]
    return tuple(rows) + (((ctx.t("polls.announce.abstain_button"), f"投票 {poll.id} 弃权"),),)
