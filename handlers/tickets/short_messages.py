"""Short messages that are not reports: "有人吗", "催一下", "怎么报修", "人工客服". They never
open a ticket (nor go to the triage queue) whatever the classifier makes of them; said to
the bot (1:1, or @小邻 in a group) each gets a useful answer; in a group unaddressed they
are neighbours talking and get nothing.

Only a whole message counts (punctuation, the bot's name, spaces and a trailing particle
aside), so "你好，3号楼电梯坏了" is still a report.
"""

from __future__ import annotations

import re
import unicodedata

from handlers.context import Context
from handlers.tickets.common import OPEN_STATES, summary

GREETING, PROGRESS, HOW_TO, CONTACT = "greeting", "progress", "how_to", "contact"
_PHRASES = {
    GREETING: ("有人吗", "有人在吗", "有没有人", "有人没", "在吗", "在么", "在不在", "在不", "你好", "您好", "你们好",
               "哈喽", "嗨", "hello", "hi", "早上好", "上午好", "中午好", "下午好", "晚上好", "早", "请问有人吗"),
    PROGRESS: ("催一下", "催催", "催一催", "再催一下", "怎么还没修", "怎么还没修好", "怎么还没人来", "怎么还没处理",
               "怎么还没来", "还没修好", "还没人来", "还没修", "还没处理", "什么时候修", "什么时候来修", "什么时候修好",
               "进度怎么样", "有进展吗", "怎么样了", "处理得怎么样了"),
    HOW_TO: ("怎么报修", "如何报修", "我要报修", "我想报修", "报修怎么弄", "怎么投诉", "如何投诉", "我要投诉",
             "我想投诉", "怎么反映问题", "我要反映问题", "我想反映问题", "我要反映", "我要举报", "怎么举报"),
    CONTACT: ("人工客服", "人工", "转人工", "找人工", "人工服务", "客服", "找客服", "真人", "有真人吗", "工作人员",
              "找工作人员", "联系工作人员", "我要找人", "找社区"),
}
_KIND = {phrase: kind for kind, phrases in _PHRASES.items() for phrase in phrases}
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_PARTICLES = "啊呀吧呢哈嘛哦噢喔呗啦"
PROGRESS_LIMIT = 5


def kind_of(text: str, bot_name: str = "小邻") -> str | None:
    """Which short message this is (GREETING, PROGRESS, HOW_TO, CONTACT), or None."""
    plain = _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())
    if len(plain) > 12:
        return None
    named = bot_name.lower() in plain
    plain = plain.replace(bot_name.lower(), "")
    if not plain:
        return GREETING if named else None
    for candidate in (plain, plain.rstrip(_PARTICLES)):
        if candidate in _KIND:
            return _KIND[candidate]
        for phrase, kind in _KIND.items():   # "在吗在吗", "催一下催一下"
            if len(phrase) > 1 and candidate == phrase * (len(candidate) // len(phrase)):
                return kind
    return None


async def answer(ctx: Context, kind: str) -> None:
    bot = ctx.community.bot_name
    if kind == GREETING:
        ctx.reply(ctx.t("short.greeting_group" if ctx.in_group else "short.greeting", bot=bot))
    elif kind == HOW_TO:
        ctx.reply(how_to(ctx))
    elif kind == PROGRESS:
        await _progress(ctx)
    else:
        _contact(ctx)


def how_to(ctx: Context) -> str:
    """How to report, with one example (also the answer to a bare 报修 / 投诉)."""
    return ctx.t("report.how_to_group" if ctx.in_group else "report.how_to", bot=ctx.community.bot_name)


async def _progress(ctx: Context) -> None:
    """"催一下": where the asker's open tickets stand (reported or co-reported); with none,
    the usual "not understood"."""
    tickets = ctx.services.tickets
    ids = list(reversed(await tickets.ids(reporter=ctx.person.id)))
    mine = [t for t in await tickets.briefs(ids[:50]) if t.status in OPEN_STATES][:PROGRESS_LIMIT]
    if not mine:
        ctx.reply(ctx.t("report.not_understood", bot=ctx.community.bot_name))
        return
    lines = [ctx.t("short.progress_header")]
    lines += [ctx.t("short.progress_line", summary=summary(ctx, t), at=ctx.when(t.resolve_due or ctx.now))
              for t in mine]
    lines.append(ctx.t("short.progress_footer"))
    ctx.reply("\n".join(lines))


def _contact(ctx: Context) -> None:
    """"人工客服": who to reach — the asker's building's grid worker and the secretary (or
    else the staff) by name and role; a phone number only when the community file gives a
    public office one. In a group the answer goes privately."""
    community = ctx.community
    people = [*(community.grid_workers_for(ctx.person.building) if community.with_role("grid_worker") else []),
              *community.with_role("secretary")]
    if not people:
        people = community.with_role("staff")[:3]
    people = list({p.id: p for p in people}.values())
    if people:
        names = "、".join(f"{p.name}（{_role(ctx, p)}）" for p in people)
        lines = [ctx.t("short.contact", names=names)]
    else:
        lines = [ctx.t("short.contact_none")]
    if community.office_phone:
        lines.append(ctx.t("short.contact_phone", phone=community.office_phone))
    ctx.reply_privately("\n".join(lines), ctx.t("short.contact_private"))


def _role(ctx: Context, person) -> str:
    for role in ("grid_worker", "secretary", "staff"):
        if person.has(role):
            return ctx.t(f"short.role_{role}")
    return ctx.t("short.role_staff")
