"""The council decides a topic's path in one command (council chair, secretary, staff):

    决定 Y3 投票 [规则=… 范围=… 截止=…]   a poll from it, with the poll rules linli has (范围 默认议事会)
    决定 Y3 转交 城管 [说明]             referred to a department: its contact is told (the 吹哨 path)
    决定 Y3 合并 Y1                      the same as Y1: its followers follow Y1
    决定 Y3 不采纳 原因                   declined, with the reason

and 排期 Y3 12月20日 19:00 (the meeting that will discuss it). A poll opened from a topic
tells it when it closes (`on_poll_closed`): passed → 落实中, otherwise 未通过.
"""

from __future__ import annotations

import re

from handlers import polls, timers
from handlers.agenda.common import (council_chats, entry, load_topic, repo, secretaries, status_label,
                                    tell_followers, topic_ref, why_line)
from handlers.agenda.propose import DAY
from handlers.context import Context
from handlers.permissions import Refusal
from storage.agenda import Topic
from storage.polls import Polls

POLL = ("投票", "表决")
REFER = ("转交", "吹哨", "转")
MERGE = ("合并",)
DECLINE = ("不采纳", "不予采纳", "否决")
DONE_STATES = ("merged", "declined", "withdrawn", "lapsed", "failed", "evaluated")


async def decide(ctx: Context, args: str) -> None:
    topic, rest = await load_topic(ctx, args, "agenda.usage.decide")
    how, _, rest = rest.partition(" ")
    rest = rest.strip()
    if how not in (*POLL, *REFER, *MERGE, *DECLINE):
        raise Refusal("agenda.usage.decide", quiet=True)
    if topic.status == "voting":
        topic = await _poll_cancelled(ctx, topic)
    if how in POLL:
        await _poll(ctx, topic, rest)
    elif how in REFER:
        await _refer(ctx, topic, rest)
    elif how in MERGE:
        await _merge(ctx, topic, rest)
    else:
        await _decline(ctx, topic, rest)


async def _poll_cancelled(ctx: Context, topic: Topic) -> Topic:
    """A topic whose poll was cancelled may be decided again (back to 待议 first)."""
    poll = await Polls(ctx.services.store).get(topic.poll) if topic.poll else None
    if poll is not None and poll.status == "cancelled":
        await repo(ctx).transition(topic.id, f"{ctx.event.id}:reopen", "reopened", {"status": "agenda", "poll": None},
                                   entry(ctx, "reopened", "agenda", f"投票 {poll.id}"))
        return await repo(ctx).get(topic.id)
    return topic


async def _change(ctx: Context, topic: Topic, action: str, fields: dict, note: str = "") -> None:
    result, before = await repo(ctx).transition(topic.id, ctx.event.id, action, fields,
                                                entry(ctx, action, fields.get("status", topic.status), note))
    if result == "conflict":
        raise Refusal("agenda.wrong_state", ref=topic.ref, status=status_label(ctx, before))


async def _poll(ctx: Context, topic: Topic, settings: str) -> None:
    if topic.status != "agenda":
        raise Refusal("agenda.wrong_state", ref=topic.ref, status=status_label(ctx, topic.status))
    if not re.search(r"(?:^|\s)范围\s*[=＝:：]", settings):
        settings = f"{settings} 范围=议事会".strip()
    title = topic.title.replace("|", " ").replace("｜", " ")
    try:
        spec = polls.parse_spec(f"{topic.ref} {title} {settings}", ctx.community,
                                ctx.chat if ctx.in_group else None, ctx.now)
        poll = await polls.create_poll(ctx, spec, ctx.person.id, ctx.chat.id if ctx.in_group and ctx.chat else None,
                                       topic=topic.id)
    except polls.SpecError as exc:
        ctx.reply(ctx.t(exc.key, **exc.values) + "\n" + ctx.t("agenda.usage.decide"))
        return
    try:
        await _change(ctx, topic, "poll", {"status": "voting", "poll": poll.id}, f"投票 {poll.id}")
    except Refusal:
        # Another decision on the topic (two council members at once) came first: the poll
        # made for this one is withdrawn before anyone hears of it.
        await polls.cancel_poll(ctx, poll.id, ctx.person.id, "议题已有别的决定")
        raise
    await timers.cancel(ctx, "agenda", f"{topic.id}:remind")
    polls.announce(ctx, poll)
    ctx.reply(ctx.t("agenda.decide.poll_ok", ref=topic.ref, poll=poll.id, at=ctx.when(poll.deadline)))
    tell_followers(ctx, topic, ctx.t("agenda.decide.poll_told", ref=topic.ref, title=topic.title, poll=poll.id,
                                     at=ctx.when(poll.deadline)))


async def _refer(ctx: Context, topic: Topic, rest: str) -> None:
    key, _, note = rest.partition(" ")
    department = ctx.community.department(key)
    if department is None:
        names = "、".join(d.name for d in ctx.community.departments.values())
        raise Refusal("agenda.decide.unknown_department", key=key or "？", names=names or "无")
    await _change(ctx, topic, "referred", {"status": "referred", "department": department.id},
                  f"{department.name} {note}".strip())
    await timers.cancel(ctx, "agenda", f"{topic.id}:remind")
    ctx.tell(department.contact, ctx.t("agenda.decide.referred_you", ref=topic.ref, title=topic.title,
                                       department=department.name, note=note or "无",
                                       why=why_line(ctx, topic)))
    ctx.reply(ctx.t("agenda.decide.referred_ok", ref=topic.ref, department=department.name))
    tell_followers(ctx, topic, ctx.t("agenda.decide.referred_told", ref=topic.ref, title=topic.title,
                                     department=department.name))


async def _merge(ctx: Context, topic: Topic, rest: str) -> None:
    ref = topic_ref(rest)
    other = await repo(ctx).get(ref[0]) if ref else None
    if other is None or other.id == topic.id:
        raise Refusal("agenda.usage.decide")
    while other.merged_into:                 # merged into what Y1 was merged into
        other = await repo(ctx).get(other.merged_into)
    if other.status in DONE_STATES:
        raise Refusal("agenda.decide.merge_closed", ref=other.ref, status=status_label(ctx, other.status))
    await _change(ctx, topic, "merged", {"status": "merged", "merged_into": other.id}, other.ref)
    await timers.cancel(ctx, "agenda", f"{topic.id}:lapse", f"{topic.id}:remind")
    await repo(ctx).follow(other.id, topic.followers, ctx.now)
    await repo(ctx).transition(other.id, f"{ctx.event.id}:followed", "followed", {},
                               entry(ctx, "followed", other.status, topic.ref))
    ctx.reply(ctx.t("agenda.decide.merged_ok", ref=topic.ref, other=other.ref))
    tell_followers(ctx, topic, ctx.t("agenda.decide.merged_told", ref=topic.ref, title=topic.title,
                                     other=other.ref, other_title=other.title))


async def _decline(ctx: Context, topic: Topic, reason: str) -> None:
    if not reason:
        raise Refusal("agenda.decide.reason_needed", ref=topic.ref)
    if topic.status != "agenda":
        raise Refusal("agenda.wrong_state", ref=topic.ref, status=status_label(ctx, topic.status))
    await _change(ctx, topic, "declined", {"status": "declined", "reason": reason}, reason)
    await timers.cancel(ctx, "agenda", f"{topic.id}:remind")
    ctx.reply(ctx.t("agenda.decide.declined_ok", ref=topic.ref))
    tell_followers(ctx, topic, ctx.t("agenda.decide.declined_told", ref=topic.ref, title=topic.title, reason=reason))


async def schedule(ctx: Context, args: str) -> None:
    """排期 Y3 12月20日 19:00: the meeting that will discuss it; its followers hear when."""
    topic, when = await load_topic(ctx, args, "agenda.usage.schedule")
    try:
        at = polls.parse_when(when, ctx.now, ctx.community.tz)
    except ValueError:
        raise Refusal("agenda.schedule.when", when=when or "？") from None
    if at <= ctx.now:
        raise Refusal("agenda.schedule.past", when=when)
    await _change(ctx, topic, "scheduled", {"meeting_at": at}, ctx.when(at))
    # No reminder before the meeting; one a day after it if still undecided.
    await timers.schedule(ctx, "agenda", f"{topic.id}:remind", at + DAY, f"agenda:{topic.id}", topic=topic.id,
                          step="remind")
    ctx.reply(ctx.t("agenda.schedule.ok", ref=topic.ref, at=ctx.when(at)))
    tell_followers(ctx, topic, ctx.t("agenda.schedule.told", ref=topic.ref, title=topic.title, at=ctx.when(at)))


async def on_poll_closed(ctx: Context, topic_id: int, result: dict, poll_id: int | None = None) -> None:
    """The poll opened from a topic closed: option 1 (赞成) passed → 落实中, the secretary
    asked for who carries it out and by when; anything else → 未通过. Followers hear either
    way. Keyed by the closing event, so a redelivered close changes nothing twice."""
    topic = await repo(ctx).get(topic_id)
    if topic is None or (poll_id is not None and topic.poll != poll_id):   # not the poll linked to it
        return
    passed = bool(result.get("passed")) and result.get("outcome") == 1
    action = "passed" if passed else "failed"
    status = "implementing" if passed else "failed"
    done, _ = await repo(ctx).transition(topic.id, f"{ctx.event.id}:topic", action, {"status": status},
                                         entry(ctx, action, status, f"投票 {topic.poll}"))
    if done not in ("ok", "replay"):
        return
    if passed:
        for chat in council_chats(ctx):
            ctx.post(chat, ctx.t("agenda.poll.passed_council", ref=topic.ref, title=topic.title))
        for person in secretaries(ctx):
            ctx.tell(person, ctx.t("agenda.poll.passed_secretary", ref=topic.ref, title=topic.title))
    tell_followers(ctx, topic, ctx.t(f"agenda.poll.{action}_told", ref=topic.ref, title=topic.title,
                                     poll=topic.poll), me_too=True)
