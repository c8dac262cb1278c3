"""Short messages that are not reports: "有人吗", "催一下", "怎么报修", "人工客服", "谢谢",
"好的", "🙏". They never open a ticket (nor go to the triage queue) whatever the classifier
makes of them; said to the bot (1:1, or @小邻 in a group) each gets a useful answer; in a
group unaddressed they are neighbours talking and get nothing.

Only a whole message counts (punctuation, the bot's name, spaces and a trailing particle
aside), so "你好，3号楼电梯坏了" is still a report. Emoji and WeChat's [表情] codes count as
the words they stand for ("🙏🙏" is thanks, "[强]" is OK).

Also here, for messages said to the bot:
- a longer follow-up on an open ticket ("怎么还没修好啊，都好几天了", `follow_up`) gets its
  state like "催一下", and whoever holds the ticket is nudged (at most once a day a ticket);
- a bare score ("5分", "五分", "4") after a rating request rates the ticket (`rate_bare`);
- what is none of these, nor a report, gets `not_understood`: 1:1, every message is answered.
"""

from __future__ import annotations

import re
import unicodedata

from handlers.context import Context
from handlers.permissions import Refusal
from handlers.tickets.common import OPEN_STATES, handlers_of, place, summary
from handlers.tickets.duplicates import THRESHOLD, similarity

GREETING, PROGRESS, HOW_TO, CONTACT, THANKS, ACK = "greeting", "progress", "how_to", "contact", "thanks", "ack"
_PHRASES = {
    GREETING: ("有人吗", "有人在吗", "有没有人", "有人没", "在吗", "在么", "在不在", "在不", "你好", "您好", "你们好",
               "哈喽", "嗨", "hello", "hi", "早上好", "上午好", "中午好", "下午好", "晚上好", "早", "请问有人吗",
               "喂", "你好呀", "你是谁", "你是干什么的", "你是做什么的", "你能干什么", "你能做什么", "你会干什么",
               "你会什么", "能干啥", "你能干啥", "你是机器人吗", "是机器人吗"),
    PROGRESS: ("催一下", "催催", "催一催", "再催一下", "怎么还没修", "怎么还没修好", "怎么还没人来", "怎么还没处理",
               "怎么还没来", "还没修好", "还没人来", "还没修", "还没处理", "什么时候修", "什么时候来修", "什么时候修好",
               "进度怎么样", "有进展吗", "怎么样了", "处理得怎么样了"),
    HOW_TO: ("怎么报修", "如何报修", "我要报修", "我想报修", "报修怎么弄", "怎么投诉", "如何投诉", "我要投诉",
             "我想投诉", "怎么反映问题", "我要反映问题", "我想反映问题", "我要反映", "我要举报", "怎么举报"),
    CONTACT: ("人工客服", "人工", "转人工", "找人工", "人工服务", "客服", "找客服", "真人", "有真人吗", "工作人员",
              "找工作人员", "联系工作人员", "我要找人", "找社区"),
    THANKS: ("谢谢", "谢谢你", "谢谢您", "谢谢你们", "谢了", "多谢", "多谢你", "感谢", "感谢你", "感谢你们", "非常感谢",
             "太感谢了", "太谢谢了", "谢谢啦", "辛苦了", "辛苦你了", "辛苦你们了", "麻烦你了", "麻烦了", "thanks",
             "thankyou", "thx", "3q"),
    ACK: ("好的", "好", "好滴", "好嘞", "嗯", "嗯嗯", "哦", "噢", "知道了", "晓得了", "收到", "明白", "明白了", "了解",
          "行", "可以", "ok", "okay", "对", "是的", "没事了", "没事", "没问题", "再见", "拜拜", "晚安", "88"),
}
_KIND = {phrase: kind for kind, phrases in _PHRASES.items() for phrase in phrases}
# Emoji and WeChat's [表情] codes, as the words they stand for (others are left to the rest).
_PICTURES = {"🙏": "谢谢", "🤝": "谢谢", "🌹": "谢谢", "💐": "谢谢", "❤": "谢谢", "❤️": "谢谢", "👍": "好的",
             "👌": "好的", "🆗": "好的", "😊": "好的", "🙂": "好的", "😄": "好的", "😀": "好的", "☺": "好的",
             "[抱拳]": "谢谢", "[合十]": "谢谢", "[玫瑰]": "谢谢", "[握手]": "谢谢", "[爱心]": "谢谢", "[强]": "好的",
             "[ok]": "好的", "[微笑]": "好的", "[愉快]": "好的", "[憨笑]": "好的", "[呲牙]": "好的", "[好的]": "好的"}
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_PARTICLES = "啊呀吧呢哈嘛哦噢喔呗啦"
PROGRESS_LIMIT = 5
NUDGE_SECONDS = 86400      # whoever holds a ticket is nudged about it at most once a day


def _plain(text: str) -> str:
    plain = unicodedata.normalize("NFKC", text).lower()
    for picture, word in _PICTURES.items():
        plain = plain.replace(picture, word)
    return _NOISE.sub("", plain)


def kind_of(text: str, bot_name: str = "小邻") -> str | None:
    """Which short message this is (GREETING, PROGRESS, HOW_TO, CONTACT, THANKS, ACK), or None."""
    plain = _plain(text)
    if len(plain) > 12:
        return None
    named = bot_name.lower() in plain
    plain = plain.replace(bot_name.lower(), "")
    if not plain:
        return GREETING if named else None
    for candidate in (plain, plain.rstrip(_PARTICLES)):
        if candidate in _KIND:
            return _KIND[candidate]
        kinds = _phrases_in(candidate)   # "在吗在吗", "你好在吗", "好的谢谢", "🙏🙏🙏", "嗯嗯嗯"
        if kinds:
            return min(kinds, key=_STRONGEST.index)
    return None


# When a message is several short ones ("你好，人工客服"), the one that asks the most is answered.
_STRONGEST = (CONTACT, PROGRESS, HOW_TO, GREETING, THANKS, ACK)


def _phrases_in(text: str) -> set[str] | None:
    """The kinds of the phrases `text` is made of, end to end ("你好在吗": {GREETING}), or None
    if it is not made of them only (a particle may follow each)."""
    ends: dict[int, set[str]] = {0: set()}     # position -> kinds of a split of text[:position]
    for start in range(len(text)):
        if start not in ends:
            continue
        for phrase, kind in _KIND.items():
            if text.startswith(phrase, start):
                end = start + len(phrase)
                while end < len(text) and text[end] in _PARTICLES:
                    end += 1
                ends.setdefault(end, ends[start] | {kind})
    return ends.get(len(text)) or None


# A longer message asking after a report: what it says once these are taken out is only
# filler ("怎么还没修好啊，都好几天了", "我报的事到底什么时候来修").
_ASKING = ("怎么还没", "还没修", "还没好", "还没人", "还没来", "还没处理", "还没解决", "还没弄", "还没有修", "还没有人",
           "还没有来", "什么时候修", "什么时候来", "什么时候能修", "什么时候能好", "什么时候处理", "什么时候弄",
           "什么时候解决", "要等多久", "还要等", "等了好久", "等了很久", "好几天了", "几天了", "这么多天", "这么久",
           "催一下", "催催", "催一催", "有进展吗", "进度", "怎么样了", "有人管吗", "没人管", "没人来", "没有人来")
_ASKING_RE = re.compile("|".join(sorted(map(re.escape, _ASKING), key=len, reverse=True)))
_FILLER = set("啊呀吧呢哈嘛哦噢喔呗啦了的都也还又就我你您们这那个些事情件问题到底究竟怎么么修好来人弄处理一下呗"
              "上次之前前天昨天报反映说过跟讲请帮忙看看快点赶紧能不能可以吗是已经为什么咋样")


def asks_after(text: str) -> bool:
    """Whether `text` asks how a report is going ("…怎么还没修好", "…好几天了")."""
    return bool(_ASKING_RE.search(_plain(text)))


def follow_up(text: str) -> bool:
    """Whether `text` only asks after a report already made ("怎么还没修好啊，都好几天了"),
    naming no problem of its own."""
    plain = _plain(text)
    if not _ASKING_RE.search(plain):
        return False
    rest = _ASKING_RE.sub("", plain)
    return sum(ch not in _FILLER for ch in rest) <= 1


_CN_NUMBERS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
               "十": 10}


def number(word: str) -> int | None:
    """'5' -> 5, '五' -> 5, '十' -> 10; None if `word` is no number."""
    word = unicodedata.normalize("NFKC", word).strip()
    if word.isdigit():
        return int(word)
    if word and all(ch in _CN_NUMBERS for ch in word) and len(word) <= 2:
        if len(word) == 1:
            return _CN_NUMBERS[word]
        if word[0] == "十":
            return 10 + _CN_NUMBERS[word[1]]
        return _CN_NUMBERS[word[0]] * 10 if word[1] == "十" else None
    return None


# A score as people type it: "5", "5分", "五分", "5星", "给5分", "打四分 很满意", "4分，还行".
_SCORE = re.compile(r"^(?:给|打|评)?\s*(?P<n>[0-9]{1,3}|[零一二两三四五六七八九十]{1,2})"
                    r"(?P<unit>\s*(?:分|星|颗星))?(?P<space>\s*)(?P<rest>.*)$", re.S)


def score_of(text: str, strict: bool = False) -> tuple[int, str] | None:
    """(score, comment) when `text` starts with a score, else None: words after the number
    need 分 or 星, or a space, between ("5号楼…" is no score); `strict`, 分 or 星 ("5 号楼…"
    is none either). The score may be out of 1-5."""
    match = _SCORE.match(unicodedata.normalize("NFKC", text).strip())
    if not match:
        return None
    rest = match.group("rest").strip(" ，,。.!！、")
    if rest and (rest.startswith("钟") or not (match.group("unit") or (match.group("space") and not strict))):
        return None
    if rest and match.group("n") == "十":      # "十分满意": very satisfied, not ten points
        return None
    n = number(match.group("n"))
    return None if n is None else (n, rest)


async def answer(ctx: Context, kind: str) -> None:
    bot = ctx.community.bot_name
    if kind == GREETING:
        ctx.reply(ctx.t("short.greeting_group" if ctx.in_group else "short.greeting", bot=bot))
    elif kind == HOW_TO:
        ctx.reply(how_to(ctx))
    elif kind == PROGRESS:
        await progress(ctx)
    elif kind in (THANKS, ACK):
        await _thanks(ctx, kind)
    else:
        await _contact(ctx)


def how_to(ctx: Context) -> str:
    """How to report, with one example (also the answer to a bare 报修 / 投诉)."""
    return ctx.t("report.how_to_group" if ctx.in_group else "report.how_to", bot=ctx.community.bot_name)


def not_understood(ctx: Context, text: str) -> str:
    """The answer to a message said to the bot that is neither a command nor a report: what
    it made of it, how to report, 帮助. Latin letters only: say so in a line of English too."""
    if re.search(r"[A-Za-z]", text) and not re.search(r"[\u3400-\u9fff]", text):
        return ctx.t("short.not_chinese")
    return ctx.t("report.not_understood", bot=ctx.community.bot_name)


async def _thanks(ctx: Context, kind: str) -> None:
    """"谢谢", "好的", "🙏": a short word back; 1:1, a ticket still waiting for the sender's
    score is asked for once more, with its buttons."""
    waiting = [] if ctx.in_group else await awaiting_rating(ctx)
    text = ctx.t("short.thanks" if kind == THANKS else "short.ack")
    if len(waiting) == 1:
        ticket = waiting[0]
        ctx.reply(text + "\n" + ctx.t("short.rate_again", id=ticket.id), rate_buttons(ticket.id))
    else:
        ctx.reply(text)


def rate_buttons(ticket_id: int) -> tuple:
    return (tuple((f"{n}分", f"评价 #{ticket_id} {n}") for n in range(5, 0, -1)),)


async def awaiting_rating(ctx: Context) -> list:
    """The resolved tickets waiting for the sender's score, newest first: theirs, and those
    their own ticket was merged into (they were asked to rate those too) not rated yet."""
    tickets, me = ctx.services.tickets, ctx.person.id
    ids = list(reversed(await tickets.ids(reporter=me)))
    waiting = []
    for brief in await tickets.briefs(ids[:20]):
        if brief.status != "resolved":
            continue
        if brief.reporter == me:
            waiting.append(brief)
            continue
        ticket = await tickets.get(brief.id)
        report = ticket.co_reporters.get(me) if ticket else None
        if isinstance(report, dict) and report.get("merged_from") and not report.get("rating"):
            waiting.append(brief)
    return waiting


async def rate_bare(ctx: Context, text: str, strict: bool = True) -> bool:
    """"5分" typed after a rating request (instead of a button or 评价 #N 5), or `评价 5`: the
    rating of the one ticket waiting for the sender's score; with several, which one. False
    when `text` is no score (`strict`: see score_of) or nothing waits for one."""
    scored = score_of(text, strict=strict)
    if scored is None:
        return False
    waiting = await awaiting_rating(ctx)
    if not waiting or (not strict and scored[0] in {t.id for t in waiting}):   # `评价 3`: ticket #3
        return False
    if len(waiting) > 1:
        ids = "、".join(f"#{t.id}" for t in waiting[:5])
        ctx.reply(ctx.t("short.rate_which", ids=ids, id=waiting[0].id, score=min(max(scored[0], 1), 5)))
        return True
    from handlers.tickets.actions import rate     # (actions imports this module's package)
    try:
        await rate(ctx, f"#{waiting[0].id} {scored[0]}分 {scored[1]}".strip())
    except Refusal as refusal:
        ctx.reply(ctx.t(refusal.key, **refusal.values))
    return True


async def progress(ctx: Context) -> None:
    """"催一下", "怎么还没修好啊": where the asker's open tickets stand (reported or
    co-reported), and whoever holds each is nudged, at most once a day a ticket; with none
    open, a ticket finished lately (and how to reopen it); else the usual "not understood"."""
    tickets = ctx.services.tickets
    ids = list(reversed(await tickets.ids(reporter=ctx.person.id)))
    recent = await tickets.briefs(ids[:50])
    mine = [t for t in recent if t.status in OPEN_STATES][:PROGRESS_LIMIT]
    if not mine:
        ctx.reply(await _finished_lately(ctx, recent) or ctx.t("report.not_understood", bot=ctx.community.bot_name))
        return
    lines = [ctx.t("short.progress_header")]
    for t in mine:
        due = t.resolve_due or ctx.now
        key = "short.progress_line" if due >= ctx.now else "short.progress_line_overdue"
        lines.append(ctx.t(key, summary=summary(ctx, t), at=ctx.when(due)))
    nudged = [await _nudge(ctx, t) for t in mine]
    if any(nudged):
        lines.append(ctx.t("short.progress_nudged"))
    else:
        lines.append(ctx.t("short.progress_nudged_today"))
    lines.append(ctx.t("short.progress_footer"))
    ctx.reply("\n".join(lines))


async def _finished_lately(ctx: Context, recent: list) -> str | None:
    """The sender's newest ticket, when it was finished within the days it may be reopened:
    "it was resolved; say 重开 if the problem is back"."""
    newest = next((t for t in recent if t.reporter == ctx.person.id), None)
    if newest is None or newest.status not in ("resolved", "closed", "rejected"):
        return None
    ticket = await ctx.services.tickets.get(newest.id)
    finished = ticket.resolved_at or ticket.closed_at if ticket else None
    days = ctx.community.sla.reopen_days
    if not finished or ctx.now - finished > days * 86400:
        return None
    return ctx.t("short.progress_finished", summary=summary(ctx, ticket), id=ticket.id, days=f"{days:g}")


async def _once_a_day(ctx: Context, subject: str) -> bool:
    """True the first time in a day (the community's clock) `subject` comes up, and again for
    the same event (a redelivered event's first messages were never sent)."""
    redis, key = ctx.services.store.redis, ctx.services.store.keys.nudged(subject)
    last = await redis.get(key)
    if last:
        event, _, at = last.rpartition(" ")
        if event == ctx.event.id:
            return True
        if ctx.now - float(at) < NUDGE_SECONDS:
            return False
    await redis.set(key, f"{ctx.event.id} {ctx.now:.0f}", ex=int(2 * NUDGE_SECONDS))
    return True


async def _nudge(ctx: Context, ticket) -> bool:
    """Tell whoever holds `ticket` that its reporter asked after it, once a day a ticket
    (a redelivered event nudges again: its first messages were never sent). True if told."""
    if not await _once_a_day(ctx, f"ticket:{ticket.id}"):
        return False
    full = await ctx.services.tickets.get(ticket.id)
    excerpt = excerpt_of(full.text if full else "")
    due = ticket.resolve_due or ctx.now
    when = ctx.t("short.nudge_due", at=ctx.when(due)) if due >= ctx.now else \
        ctx.t("short.nudge_overdue", late=how_long(ctx, ctx.now - due))
    for person_id in handlers_of(ctx, full or ticket):
        ctx.tell(person_id, ctx.t("short.nudge", name=ctx.person.name, id=ticket.id, category=ticket.category or "其他",
                                  place=place(ctx, full or ticket), text=excerpt, when=when))
    return True


def excerpt_of(text: str, most: int = 30) -> str:
    """The start of a resident's words, on one line: enough to know which report it is."""
    line = " ".join((text or "").split())
    return line if len(line) <= most else line[:most] + "…"


def how_long(ctx: Context, seconds: float) -> str:
    """"2天3小时", "5小时", "20分钟"."""
    minutes = max(1, int(seconds // 60))
    days, hours = minutes // 1440, minutes % 1440 // 60
    if days:
        return ctx.t("short.days_hours", days=days, hours=hours) if hours else ctx.t("short.days", days=days)
    if hours:
        return ctx.t("short.hours", hours=hours)
    return ctx.t("short.minutes", minutes=minutes)


_AGREEING = {"同意", "赞成", "支持", "附议", "举手", "反对", "不同意", "不赞成", "不支持", "弃权"}


def agrees(text: str) -> bool:
    """Whether `text` is only a word people vote with ("我同意", "我也赞成", "反对！", "+1"):
    said while a poll is open, it gets how to vote (vote_hint)."""
    if text.strip() in ("+1", "＋1"):
        return True
    plain = _plain(text).rstrip(_PARTICLES)
    for lead in ("我们也", "我们", "我也", "我"):
        if plain.startswith(lead):
            plain = plain[len(lead):]
            break
    return plain in _AGREEING


async def followed_up(ctx: Context, text: str, result) -> bool:
    """A message said to the bot that asks after a report made before: "怎么还没修好啊，都好几天了"
    (nothing but asking), or "3号楼电梯怎么还没修好" when one of the sender's open tickets is of
    that category and place and says much the same (duplicates.similarity, the asking words
    aside): answered like "催一下" (`progress`). An urgent message never is: it raises its
    own alarm. True if answered."""
    if result.urgent or not asks_after(text):
        return False
    if not follow_up(text):
        if not result.category or result.category == "其他":
            return False
        building = result.location.building if result.location else None
        said = _ASKING_RE.sub("", _plain(text))       # "3号楼电梯怎么还没修好" → "3号楼电梯修好"
        tickets = ctx.services.tickets
        ids = list(reversed(await tickets.ids(reporter=ctx.person.id)))
        open_ids = [t.id for t in await tickets.briefs(ids[:50]) if t.status in OPEN_STATES]
        if not any(t.category == result.category and (building is None or t.building in (None, building))
                   and similarity(said, t.text) >= THRESHOLD
                   for t in await tickets.many(open_ids, history=False, co=False)):
            return False
    await progress(ctx)
    return True


def vote_hint(ctx: Context, poll, text: str) -> str:
    """How to vote in `poll`, for someone who said "我同意" instead: the option their word
    names (by number, which always works) and the others."""
    plain = _plain(text)
    against = any(word in plain for word in ("不同意", "反对", "不赞成", "不支持"))
    wanted = 0 if "弃权" in plain else None
    if wanted is None:
        words = ("反对", "不同意", "不赞成", "不支持") if against else ("赞成", "同意", "支持")
        wanted = next((i for i, option in enumerate(poll.options, 1) if option in words),
                      2 if against and len(poll.options) >= 2 else 1)
    options = "，".join(f"{i} {option}" for i, option in enumerate(poll.options, 1))
    example = f"投票 {poll.id} {wanted if wanted else '弃权'}"
    return ctx.t("short.vote_hint", id=poll.id, example=example, options=options)


async def _contact(ctx: Context) -> None:
    """"人工客服": who to reach — the asker's building's grid worker and the secretary (or
    else the staff) by name and role; a phone number only when the community file gives a
    public office one. In a group the answer goes privately. The first of them (the grid
    worker, else the secretary, else staff) is told the asker wants a person, so someone
    on duty reaches out to them (once a day an asker)."""
    community = ctx.community
    people = [*(community.grid_workers_for(ctx.person.building) if community.with_role("grid_worker") else []),
              *community.with_role("secretary")]
    if not people:
        people = community.with_role("staff")[:3]
    people = list({p.id: p for p in people}.values())
    people = [p for p in people if p.id != ctx.person.id] or people
    if people:
        names = "、".join(f"{p.name}（{_role(ctx, p)}）" for p in people)
        lines = [ctx.t("short.contact", names=names)]
    else:
        lines = [ctx.t("short.contact_none")]
    if community.office_phone:
        lines.append(ctx.t("short.contact_phone", phone=community.office_phone))
    on_duty = next((p for p in people if p.id != ctx.person.id), None)
    if on_duty is not None:
        if await _once_a_day(ctx, f"contact:{ctx.person.id}"):
            where = f"{ctx.person.building}号楼" if ctx.person.building else ctx.t("ticket.no_place")
            ctx.tell(on_duty.id, ctx.t("short.contact_wanted", name=ctx.person.name, place=where))
        lines.append(ctx.t("short.contact_told", name=on_duty.name))
    ctx.reply_privately("\n".join(lines), ctx.t("short.contact_private"))


def _role(ctx: Context, person) -> str:
    for role in ("grid_worker", "secretary", "staff"):
        if person.has(role):
            return ctx.t(f"short.role_{role}")
    return ctx.t("short.role_staff")
