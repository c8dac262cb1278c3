"""After a decision passes, its implementation is followed like a ticket:

    落实 Y3 @张三 12月31日     who carries it out and by when (council chair, secretary, staff)
    进展 Y3 已联系厂家          a progress note (the person carrying it out, or staff)
    进展 Y3 完成 快递柜已装好   done: the seconders and the proposer are asked to 评议
    评议 Y3 4                  1–5 (五 as well), until the 评议 window ends

and the package's timers: the seconding window (lapse), the secretary's reminder, the due
date, the end of the 评议 window (the average goes to the topic's record and the council
chat)."""

from __future__ import annotations

import re
import unicodedata

from handlers import polls, timers
from handlers.agenda.common import (carries_out, council_chats, entry, load_topic, owner_text, repo, secretaries,
                                    status_label, tell_followers)
from handlers.agenda.propose import DAY
from handlers.context import Context
from handlers.permissions import STAFF, Refusal
from nlp.normalize import cn_to_int
from storage.agenda import Topic

DONE_WORDS = ("完成", "已完成", "办完", "已落实")
_SCORE = re.compile(r"^(?:给|打|评)?\s*([0-9]{1,2}|[一二两三四五])\s*(?:分|星)?\s*(.*)$", re.S)


async def assign(ctx: Context, args: str) -> None:
    topic, rest = await load_topic(ctx, args, "agenda.usage.assign")
    words = rest.split()
    who = next((w for w in words if w.startswith(("@", "＠"))), None)
    person = ctx.community.find_person(who.lstrip("@＠")) if who else None
    if person is None:
        raise Refusal("agenda.assign.who", ref=topic.ref, who=(who or "").lstrip("@＠") or "？")
    when = " ".join(w for w in words if w is not who)
    due = None
    if when:
        try:
            due = polls.parse_when(when, ctx.now, ctx.community.tz)
        except ValueError:
            raise Refusal("agenda.schedule.when", when=when) from None
        if due <= ctx.now:
            raise Refusal("agenda.schedule.past", when=when)
    fields = {"status": "implementing", "owner": person.id, "due": due}
    result, before = await repo(ctx).transition(topic.id, ctx.event.id, "assigned", fields,
                                                entry(ctx, "assigned", "implementing",
                                                      person.name + (f" {ctx.when(due)}" if due else "")))
    if result == "conflict":
        raise Refusal("agenda.wrong_state", ref=topic.ref, status=status_label(ctx, before))
    await repo(ctx).mark_owner(topic.id, person.id, ctx.now)
    if due:
        await timers.schedule(ctx, "agenda", f"{topic.id}:due", due, f"agenda:{topic.id}", topic=topic.id, step="due")
    else:
        await timers.cancel(ctx, "agenda", f"{topic.id}:due")
    topic = await repo(ctx).get(topic.id)
    ctx.reply(ctx.t("agenda.assign.ok", ref=topic.ref, who=owner_text(ctx, topic)))
    ctx.tell(person.id, ctx.t("agenda.assign.you", ref=topic.ref, title=topic.title, who=owner_text(ctx, topic)))
    tell_followers(ctx, topic, ctx.t("agenda.assign.told", ref=topic.ref, title=topic.title,
                                     who=owner_text(ctx, topic)), skip=(person.id,))


async def progress(ctx: Context, args: str) -> None:
    topic, note = await load_topic(ctx, args, "agenda.usage.progress")
    if not (STAFF.allows(ctx) or carries_out(ctx, topic)):
        raise Refusal("agenda.progress.not_yours", ref=topic.ref)
    first, _, rest = note.partition(" ")
    if first in DONE_WORDS:
        await _done(ctx, topic, rest.strip())
        return
    if not note:
        raise Refusal("agenda.usage.progress")
    result, before = await repo(ctx).transition(topic.id, ctx.event.id, "progress", {},
                                                entry(ctx, "progress", topic.status, note))
    if result == "conflict":
        raise Refusal("agenda.wrong_state", ref=topic.ref, status=status_label(ctx, before))
    ctx.reply(ctx.t("agenda.progress.ok", ref=topic.ref))
    tell_followers(ctx, topic, ctx.t("agenda.progress.told", ref=topic.ref, title=topic.title, note=note))


async def _done(ctx: Context, topic: Topic, note: str) -> None:
    rules = ctx.community.agenda
    result, before = await repo(ctx).transition(topic.id, ctx.event.id, "done", {"status": "done", "done_at": ctx.now},
                                                entry(ctx, "done", "done", note))
    if result == "conflict":
        raise Refusal("agenda.wrong_state", ref=topic.ref, status=status_label(ctx, before))
    topic = await repo(ctx).get(topic.id)
    until = topic.done_at + rules.evaluation_days * DAY
    await timers.cancel(ctx, "agenda", f"{topic.id}:due")
    await timers.schedule(ctx, "agenda", f"{topic.id}:evaluate", until, f"agenda:{topic.id}", topic=topic.id,
                          step="evaluate")
    ctx.reply(ctx.t("agenda.done.ok", ref=topic.ref))
    ask = ctx.t("agenda.done.ask", ref=topic.ref, title=topic.title, note=f"（{note}）" if note else "",
                at=ctx.when(until))
    buttons = tuple(((f"{n}分", f"评议 {topic.ref} {n}"),) for n in (5, 4, 3, 2, 1))
    for person in sorted(topic.followers):
        if person in ctx.community.people:
            ctx.tell(person, ask, buttons)
    for chat in council_chats(ctx):
        ctx.post(chat, ctx.t("agenda.done.council", ref=topic.ref, title=topic.title))


def parse_score(text: str) -> tuple[int, str] | None:
    match = _SCORE.match(unicodedata.normalize("NFKC", text).strip())
    if not match:
        return None
    score = cn_to_int(match.group(1))
    return (score, match.group(2).strip()) if score is not None and 1 <= score <= 5 else None


async def evaluate(ctx: Context, args: str) -> None:
    topic, rest = await load_topic(ctx, args, "agenda.usage.evaluate")
    score = parse_score(rest)
    if score is None:
        raise Refusal("agenda.usage.evaluate")
    if ctx.person.id not in topic.followers:
        raise Refusal("agenda.evaluate.not_yours", ref=topic.ref)
    if topic.status != "done":
        raise Refusal("agenda.evaluate.not_now", ref=topic.ref, status=status_label(ctx, topic.status))
    await repo(ctx).rate(topic.id, ctx.person.id, score[0])
    ctx.reply(ctx.t("agenda.evaluate.ok", ref=topic.ref, score=score[0]))


async def on_timer(ctx: Context) -> None:
    data = ctx.event.data
    topic = await repo(ctx).get(int(data["topic"]))
    if topic is None:
        return
    step = data["step"]
    if step == "lapse":
        await _lapse(ctx, topic)
    elif step == "remind":
        await _remind(ctx, topic)
    elif step == "due":
        await _overdue(ctx, topic)
    elif step == "evaluate":
        await _evaluated(ctx, topic)


async def _lapse(ctx: Context, topic: Topic) -> None:
    result, _ = await repo(ctx).transition(topic.id, ctx.event.id, "lapsed", {"status": "lapsed"},
                                           entry(ctx, "lapsed", "lapsed"))
    if result in ("ok", "replay"):
        tell_followers(ctx, topic, ctx.t("agenda.lapsed", ref=topic.ref, title=topic.title,
                                         count=topic.count, threshold=topic.threshold))


async def _remind(ctx: Context, topic: Topic) -> None:
    """Still 待议: the secretary hears again, and again after remind_days, until decided."""
    if topic.status != "agenda":
        return
    days = max(1, round((ctx.now - (topic.reached_at or topic.created_at)) / DAY))
    result, _ = await repo(ctx).transition(topic.id, ctx.event.id, "reminded", {}, entry(ctx, "reminded", "agenda"))
    if result not in ("ok", "replay"):
        return
    for person in secretaries(ctx):
        ctx.tell(person, ctx.t("agenda.remind", ref=topic.ref, title=topic.title, days=days))
    await timers.schedule(ctx, "agenda", f"{topic.id}:remind", ctx.now + ctx.community.agenda.remind_days * DAY,
                          f"agenda:{topic.id}", topic=topic.id, step="remind")


async def _overdue(ctx: Context, topic: Topic) -> None:
    if topic.status != "implementing":
        return
    result, _ = await repo(ctx).transition(topic.id, ctx.event.id, "overdue", {}, entry(ctx, "overdue", topic.status))
    if result not in ("ok", "replay"):
        return
    text = ctx.t("agenda.overdue", ref=topic.ref, title=topic.title, who=owner_text(ctx, topic))
    for person in {*secretaries(ctx), *([topic.owner] if topic.owner else [])}:
        ctx.tell(person, text)


async def _evaluated(ctx: Context, topic: Topic) -> None:
    ratings = list(topic.ratings.values())
    average = round(sum(ratings) / len(ratings), 2) if ratings else None
    fields = {"status": "evaluated", "rating_avg": average, "rating_count": len(ratings)}
    note = f"{average:.1f}（{len(ratings)}）" if ratings else "0"
    result, _ = await repo(ctx).transition(topic.id, ctx.event.id, "evaluated", fields,
                                           entry(ctx, "evaluated", "evaluated", note))
    if result not in ("ok", "replay"):
        return
    key = "agenda.evaluated.council" if ratings else "agenda.evaluated.none"
    for chat in council_chats(ctx):
        ctx.post(chat, ctx.t(key, ref=topic.ref, title=topic.title, avg=f"{average or 0:.1f}", count=len(ratings)))
