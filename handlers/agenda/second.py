"""附议 Y3: one seconding per household (or per person, where the scope's threshold counts
people), checked with the threshold in one script: the seconding that reaches it puts the
topic on the council's agenda, and that happens once however many second at once."""

from __future__ import annotations

from handlers import timers
from handlers.agenda.common import (count_text, council_chats, entry, load_topic, repo, scope_chats, secretaries,
                                    status_label, tell_followers, why_line)
from handlers.agenda.propose import DAY, unit_of
from handlers.context import Context
from handlers.permissions import Refusal
from storage.agenda import Topic


async def second(ctx: Context, args: str) -> None:
    topic, _ = await load_topic(ctx, args, "agenda.usage.second")
    unit = await unit_of(ctx, topic, ctx.person.id)
    if isinstance(unit, tuple):
        raise Refusal(unit[0], ref=topic.ref, building=topic.building or "")
    done = await repo(ctx).second(topic.id, ctx.event.id, unit, ctx.person.id, ctx.now,
                                  entry(ctx, "seconded", "seconding"), entry(ctx, "reached", "agenda"))
    result = done.detail if done.result == "replay" else done.result
    if result == "already":
        if done.detail == ctx.person.id:
            ctx.reply(ctx.t("agenda.second.already_you", ref=topic.ref))
        else:             # names a neighbour: said 1:1 only
            ctx.tell(ctx.person.id, ctx.t("agenda.second.already_household", ref=topic.ref,
                                          name=ctx.name_of(done.detail)))
        return
    if result == "closed":
        raise Refusal("agenda.second.closed", ref=topic.ref, status=status_label(ctx, done.detail))
    if result == "missing":
        raise Refusal("agenda.not_found", ref=topic.ref)
    ctx.reply(ctx.t("agenda.second.ok", ref=topic.ref, title=topic.title, count=count_text(ctx, topic, done.count)))
    if result == "reached":
        topic = await repo(ctx).get(topic.id)
        await on_agenda(ctx, topic)


async def on_agenda(ctx: Context, topic: Topic) -> None:
    """The threshold was reached: the council chat hears, the secretary is asked to
    schedule it, every seconder hears; the seconding window no longer applies."""
    await timers.cancel(ctx, "agenda", f"{topic.id}:lapse")
    remind = ctx.now + ctx.community.agenda.remind_days * DAY
    await timers.schedule(ctx, "agenda", f"{topic.id}:remind", remind, f"agenda:{topic.id}", topic=topic.id,
                          step="remind")
    count = count_text(ctx, topic)
    for chat in council_chats(ctx):
        ctx.post(chat, ctx.t("agenda.reached.council", ref=topic.ref, title=topic.title, count=count,
                             why=why_line(ctx, topic)))
    for person in secretaries(ctx):
        ctx.tell(person, ctx.t("agenda.reached.secretary", ref=topic.ref, title=topic.title, count=count))
    for chat in scope_chats(ctx, topic):
        ctx.post(chat, ctx.t("agenda.reached.public", ref=topic.ref, title=topic.title, count=count))
    tell_followers(ctx, topic, ctx.t("agenda.reached.follower", ref=topic.ref, title=topic.title, count=count),
                   me_too=True)
