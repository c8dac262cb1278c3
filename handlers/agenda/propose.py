"""议题: propose a topic (`议题 小区东门加装快递柜` and a few lines of why), read the board
(`议题`) or one topic's whole path (`议题 Y3`); 撤回议题 Y3 (the proposer)."""

from __future__ import annotations

import unicodedata

from handlers import people, tickets, timers
from handlers.agenda.common import (count_text, entry, load_topic, owner_text, repo, scope_chats, scope_text,
                                    status_label, tell_followers, topic_ref, why_line)
from handlers.context import Context
from handlers.permissions import Refusal
from storage.agenda import OPEN_STATES, Topic
from storage.households import Households

DAY = 86400.0
BOARD_MAX = 10          # topics the board lists; the rest are counted ("还有 N 个")
TITLE_MAX = 40          # characters of a title; the rest of a long first line goes to the why
SIMILAR = 0.6           # this similar to an open topic's title: offer to second that one instead
FORCE = ("另提",)        # 议题 另提 …: propose it anyway
COMMUNITY = ("范围=全社区", "范围＝全社区", "全社区")


async def command(ctx: Context, args: str) -> None:
    if not args:
        await board(ctx)
        return
    if topic_ref(args) is not None:        # 议题 Y3 (anything after it is ignored)
        await show(ctx, args)
        return
    await propose(ctx, args)


def _core(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text)
                   if not unicodedata.category(ch).startswith(("P", "S", "Z")))


async def propose(ctx: Context, args: str) -> None:
    words = args.split(None, 1)
    force = bool(words) and words[0] in FORCE
    if force:
        args = words[1] if len(words) > 1 else ""
    community_wide = False
    for word in COMMUNITY:      # a word of its own: "全社区推广垃圾分类" is a title
        words = args.split(None, 1)
        if words and words[0] == word:
            args, community_wide = (words[1] if len(words) > 1 else ""), True
        elif args.rstrip().endswith((" " + word, "\n" + word)):
            args, community_wide = args.rstrip()[:-len(word)].rstrip(), True
    first, _, rest = args.strip().partition("\n")
    title, why = first.strip(), rest.strip()
    if len(title) > TITLE_MAX:
        title, why = title[:TITLE_MAX], (title[TITLE_MAX:] + "\n" + why).strip()
    if len(_core(title)) < 4:
        raise Refusal("agenda.vague", quiet=True, title=title)
    topics = repo(ctx)
    if not force and await topics.made_by(ctx.event.id) is None:    # (redelivered: its own topic is no duplicate)
        for raw in await topics.briefs(await topics.in_states(("seconding", "agenda"))):
            if tickets.similarity(title, raw["title"]) >= SIMILAR:
                count = (await topics.counts([int(raw["id"])]))[int(raw["id"])]
                ctx.reply(ctx.t("agenda.similar", ref=f"Y{raw['id']}", title=raw["title"], count=count,
                                status=status_label(ctx, raw["status"]), mine=title))
                return
    rules = ctx.community.agenda
    membership = await people.membership_of(ctx.community, Households(ctx.services.store), ctx.person)
    building = None
    if not community_wide:
        if ctx.in_group and ctx.chat and ctx.chat.kind == "building":
            building = ctx.chat.building
        elif membership is not None and any(c.kind == "building" and c.building == membership.building
                                            for c in ctx.community.chats.values()):
            building = membership.building
    scope = "building" if building else "community"
    threshold = rules.building if building else rules.community
    unit = threshold.unit
    base = await base_of(ctx, unit, building) if threshold.percent else 0
    fields = {"title": title, "text": why, "proposer": ctx.person.id, "created_at": ctx.now,
              "threshold": threshold.of(base), "unit": unit, "scope": scope, "building": building, "base": base,
              "chat": ctx.chat.id if ctx.in_group and ctx.chat else None,
              "lapse_at": ctx.now + rules.window_days * DAY}
    draft = Topic(id=0, title=title, status="seconding", proposer=ctx.person.id, created_at=ctx.now,
                  threshold=fields["threshold"], unit=unit, scope=scope, building=building)
    own_unit = await unit_of(ctx, draft, ctx.person.id)
    own = (own_unit, {"by": ctx.person.id, "at": ctx.now}) if isinstance(own_unit, str) and own_unit else None
    topic_id, created = await topics.create(ctx.event.id, fields, entry(ctx, "proposed", "seconding"), own)
    topic = await topics.get(topic_id)
    if created:
        await timers.schedule(ctx, "agenda", f"{topic_id}:lapse", topic.lapse_at, f"agenda:{topic_id}",
                              topic=topic_id, step="lapse")
    ctx.tell(ctx.person.id, ctx.t("agenda.proposed", ref=topic.ref, title=topic.title, scope=scope_text(ctx, topic),
                                  count=count_text(ctx, topic), at=ctx.when(topic.lapse_at)))
    text = ctx.t("agenda.posted", ref=topic.ref, title=topic.title, why=why_line(ctx, topic),
                 scope=scope_text(ctx, topic), count=count_text(ctx, topic), at=ctx.when(topic.lapse_at))
    button = ((ctx.t("agenda.second_button", ref=topic.ref), f"附议 {topic.ref}"),),
    for chat in scope_chats(ctx, topic):
        ctx.post(chat, text, button)


async def base_of(ctx: Context, unit: str, building: str | None) -> int:
    """The units a percent threshold is taken of: the scope's verified households, or its
    people with a household (the community's known people, community-wide)."""
    households = Households(ctx.services.store)
    if unit == "household":
        return len(await people.verified_households(ctx.community, households, building))
    if building is None:
        return len(ctx.community.people)
    members = await people.memberships(ctx.community, households)
    return sum(1 for m in members.values() if m.building == building)


async def unit_of(ctx: Context, topic: Topic, person_id: str) -> str | tuple[str]:
    """The unit a person seconds for (their verified household, or themselves), or a
    1-tuple with the refusal's key when they may not second it."""
    person = ctx.community.people[person_id]
    membership = await people.membership_of(ctx.community, Households(ctx.services.store), person)
    if membership is None and (topic.scope == "building" or topic.unit == "household"):
        return ("agenda.second.no_household",)
    if topic.scope == "building" and membership.building != topic.building:
        return ("agenda.second.other_building",)
    if topic.unit == "person":
        return person_id
    if not membership.verified:
        return ("agenda.second.no_household",)
    return membership.household


async def board(ctx: Context) -> None:
    topics = repo(ctx)
    ids = await topics.in_states(OPEN_STATES)
    if not ids:
        ctx.reply(ctx.t("agenda.board.empty"))
        return
    briefs = {int(raw["id"]): raw for raw in await topics.briefs(ids)}
    if ctx.in_group and ctx.chat and ctx.chat.kind == "building":     # a building's chat: its own and everyone's
        briefs = {i: raw for i, raw in briefs.items()
                  if raw.get("scope") == "community" or raw.get("building") == ctx.chat.building}
    if not briefs:
        ctx.reply(ctx.t("agenda.board.empty"))
        return
    counts = await topics.counts(briefs)
    order = sorted(briefs, key=lambda i: (-counts.get(i, 0), -float(briefs[i]["created_at"])))
    lines = [ctx.t("agenda.board.header", count=len(order))]
    for topic_id in order[:BOARD_MAX]:
        raw = briefs[topic_id]
        unit = ctx.t("agenda.unit.household" if raw["unit"] == "household" else "agenda.unit.person")
        count = ctx.t("agenda.count", count=counts.get(topic_id, 0), threshold=raw["threshold"], unit=unit) \
            if raw["status"] == "seconding" else ctx.t("agenda.board.seconded", count=counts.get(topic_id, 0),
                                                        unit=unit)
        lines.append(ctx.t("agenda.board.line", ref=f"Y{topic_id}", title=raw["title"],
                           status=status_label(ctx, raw["status"]), count=count))
    if len(order) > BOARD_MAX:
        lines.append(ctx.t("agenda.board.more", count=len(order) - BOARD_MAX))
    lines.append(ctx.t("agenda.board.footer"))
    ctx.reply("\n".join(lines))


async def show(ctx: Context, args: str) -> None:
    topic, _ = await load_topic(ctx, args, "agenda.usage.show")
    lines = [ctx.t("agenda.show.header", ref=topic.ref, title=topic.title, status=status_label(ctx, topic.status))]
    if topic.text:
        lines.append(ctx.t("agenda.why", text=topic.text))
    lines.append(ctx.t("agenda.show.scope", scope=scope_text(ctx, topic), count=count_text(ctx, topic)))
    if topic.meeting_at:
        lines.append(ctx.t("agenda.show.meeting", at=ctx.when(topic.meeting_at)))
    if topic.owner or topic.due:
        lines.append(owner_text(ctx, topic))
    if topic.rating_avg is not None:
        lines.append(ctx.t("agenda.show.rating", avg=f"{topic.rating_avg:.1f}", count=topic.rating_count))
    lines.append(ctx.t("agenda.show.path"))
    for item in topic.history:
        if item["action"] == "seconded":
            continue           # counted above; the path is the topic's steps
        note = f"：{item['note']}" if item.get("note") else ""
        lines.append(ctx.t("agenda.show.step", at=ctx.when(item["at"]), action=ctx.t(f"agenda.action.{item['action']}"),
                           note=note))
    ctx.reply("\n".join(lines))


async def withdraw(ctx: Context, args: str) -> None:
    topic, note = await load_topic(ctx, args, "agenda.usage.withdraw")
    if topic.proposer != ctx.person.id:
        raise Refusal("agenda.withdraw.not_yours", ref=topic.ref)
    result, before = await repo(ctx).transition(topic.id, ctx.event.id, "withdrawn", {"status": "withdrawn"},
                                                entry(ctx, "withdrawn", "withdrawn", note))
    if result == "conflict":
        raise Refusal("agenda.wrong_state", ref=topic.ref, status=status_label(ctx, before))
    await timers.cancel(ctx, "agenda", f"{topic.id}:lapse", f"{topic.id}:remind")
    ctx.reply(ctx.t("agenda.withdraw.ok", ref=topic.ref, title=topic.title))
    tell_followers(ctx, topic, ctx.t("agenda.withdraw.told", ref=topic.ref, title=topic.title))
