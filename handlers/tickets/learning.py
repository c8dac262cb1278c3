"""Learning from staff (#14): each judgement staff make about a resident's message is kept
as a labelled example for the community (storage/examples.py), masked, so `linli admin
examples export` gives a file `linli rules learn` fits on and `linli eval` measures with.

What is kept, and when:

- `确认 #N` (or `linli admin tickets triage confirm N`): the waiting message, labelled with
  the ticket's category (`confirmed`); `忽略 #N`: the message as small talk (`dismissed`).
  A message that lapsed was judged by nobody: nothing.
- `驳回 #N 理由` when the reason says it was no request at all (NOT_A_REQUEST: 不是诉求,
  不是报修, 不属于诉求, 闲聊, 误报, not negated): the ticket's text as small talk
  (`rejected`). Any other reason (属于业主自家管道, 不属于物业管辖…) refuses a real report:
  nothing.
- A resident who reports to the bot (`报修 …`, `@小邻 …`, or 1:1) in a chat where, within
  QUIET_WINDOW, the bot stayed quiet on a message of theirs that had some report evidence
  (confidence ≥ QUIET_EVIDENCE): that earlier message, labelled with the report's category
  (`reported_after_silence`).

Masked (`mask`): phone, ID-card and bank-card numbers and licence plates as groups see
them (nlp/pii.py), room numbers ("3号楼2单元502" → "3号楼2单元某室": the building and the unit
stay, they name no household), and the names of the community file's people (→ 某某). No
one's id is kept with an example.
"""

from __future__ import annotations

import re

from handlers.community import Community
from handlers.context import Context
from nlp import Classification
from nlp.evaluate import QUIET
from nlp.pii import mask_group
from storage.tickets import Ticket

# A reason for 驳回 that says the message was not a request at all. Kept small and explicit:
# "属于业主自家管道", "不属于物业管辖" or "不属于报修范围" refuse a real report for another
# reason, and a real report labelled as small talk would teach the rules the wrong thing.
NOT_A_REQUEST = ("不是诉求", "不是报修", "不属于诉求", "闲聊", "误报")
_NEGATED = re.compile(r"(?:不是|并非|不算|非)$")

QUIET_WINDOW = 30 * 60     # a report this soon after a quiet message names it
# Only a quiet message with some report evidence is remembered. Most group talk has none,
# so it costs no write, and a message with none followed by a report is seldom that report
# ("好的谢谢" labelled 设施维修 would teach the wrong thing). Measured with the bundled rules
# (their learned [model], triage threshold 0.32): at 0.05, 5.6% of LCCC chit-chat turns (the
# 6,668 of the lines the model was not fitted on) and 90% of the labelled reports in
# tests/data that stay quiet in an `auto` group (40, below the triage threshold; fitted on,
# so this is optimistic) are remembered; at 0.1, 2.8% and 80%; at 0.02, 17% and 95%. One
# SET for one group message in eighteen is little beside the round trips every event costs.
QUIET_EVIDENCE = 0.05

ROOM = "某室"
NAME = "某某"
_D = "[0-9０-９]"
# After the number of a room: not a date, a time, an amount or a count.
_ROOM_END = r"(?![0-9０-９年月日号元块角点分秒时:：%％.．万千百米斤个次天岁层楼])"
_ROOMS = [
    # 3-2-502: building, unit, room
    (re.compile(rf"(?<![0-9０-９\-－*])(?P<keep>{_D}{{1,3}}[-－]{_D}{{1,2}}[-－]){_D}{{3,4}}(?![0-9０-９\-－])"),
     r"\g<keep>" + ROOM),
    # after a building or unit: 3号楼502, 2单元502室, 6栋1202号, 3#502 (not a ticket's #123)
    (re.compile(rf"(?P<keep>(?:单元|号楼|号栋|号幢|栋|幢|座|(?<=[0-9０-９])[#＃])\s*){_D}{{3,4}}"
                rf"(?:室|房间|房|号|户|{_ROOM_END})"), r"\g<keep>" + ROOM),
    # 502室, 1202房间
    (re.compile(rf"(?<![0-9０-９*]){_D}{{3,4}}\s*(?:室|房间|房)"), ROOM),
    # neighbours named by their door: 楼上502, 对门503 (whatever follows: 楼上502天天…)
    (re.compile(rf"(?P<keep>楼上|楼下|隔壁|对门|对面)\s*{_D}{{3,4}}(?:室|房间|房|号|户|(?![0-9０-９]))"),
     r"\g<keep>" + ROOM),
    # …and where someone lives: 住在1202, 家住502室 (not 住了300天)
    (re.compile(rf"(?P<keep>住在|家住|住)\s*{_D}{{3,4}}(?:室|房间|房|号|户|{_ROOM_END})"), r"\g<keep>" + ROOM),
    # 502的, 1202家, 503那户 (not a year: 19xx, 20xx)
    (re.compile(rf"(?<![0-9０-９*])(?!(?:19|20){_D}{{2}})(?:{_D}{{3,4}})(?P<keep>的|家|那户|那家|住户|业主|邻居)"),
     ROOM + r"\g<keep>"),
]

_names: dict[int, tuple[Community, re.Pattern[str] | None]] = {}


def mask(community: Community, text: str) -> str:
    """What an example may keep of a message (see the module's docstring)."""
    text = mask_group(text)
    for pattern, replacement in _ROOMS:
        text = pattern.sub(replacement, text)
    names = _names_of(community)
    return names.sub(NAME, text) if names else text


def _names_of(community: Community) -> re.Pattern[str] | None:
    """The people's names of the community file, longest first (one-character names are
    left alone: they would mask a character everywhere)."""
    cached = _names.get(id(community))
    if cached is None or cached[0] is not community:
        names = sorted({p.name for p in community.people.values() if len(p.name) >= 2}, key=len, reverse=True)
        cached = (community, re.compile("|".join(map(re.escape, names))) if names else None)
        _names[id(community)] = cached
    return cached[1]


def says_not_a_request(reason: str) -> bool:
    """Does a 驳回 reason say the message was no request at all (NOT_A_REQUEST, not negated:
    "不是闲聊" is not 闲聊)?"""
    reason = "".join(reason.split())
    for word in NOT_A_REQUEST:
        start = reason.find(word)
        while start >= 0:
            if word.startswith(("不是", "不属于")) or not _NEGATED.search(reason[:start]):
                return True
            start = reason.find(word, start + 1)
    return False


async def record(ctx: Context, text: str, label: str, source: str, chat_kind: str) -> None:
    await ctx.services.examples.record(ctx.now, mask(ctx.community, text), label, source, chat_kind)


def _chat_kind(ticket: Ticket) -> str:
    return "group" if ticket.chat else "private"


# -- staff judgements ---------------------------------------------------------------------

async def confirmed(ctx: Context, ticket: Ticket) -> None:
    """A waiting message staff confirmed: a report of the ticket's category."""
    await record(ctx, ticket.text, ticket.category or "其他", "confirmed", _chat_kind(ticket))


async def dismissed(ctx: Context, ticket: Ticket) -> None:
    """A waiting message staff dismissed: small talk."""
    await record(ctx, ticket.text, QUIET, "dismissed", _chat_kind(ticket))


async def rejected(ctx: Context, ticket: Ticket, reason: str) -> None:
    """A ticket staff rejected: small talk when the reason says it was no request at all."""
    if says_not_a_request(reason):
        await record(ctx, ticket.text, QUIET, "rejected", _chat_kind(ticket))


# -- a report after the bot stayed quiet --------------------------------------------------

def _chat_of(ctx: Context) -> str:
    if ctx.chat:
        return ctx.chat.id
    return (ctx.event.chat or "group") if ctx.in_group else "private"


async def stayed_quiet(ctx: Context, text: str, result: Classification) -> None:
    """The bot said nothing useful about a message (quiet in a group, nothing in 1:1,
    "没有看出需要处理的问题" when addressed): remember it for QUIET_WINDOW, masked, when it
    had some report evidence. One SET; nothing for plain small talk."""
    if result.confidence < QUIET_EVIDENCE or ctx.person is None:
        return
    await ctx.services.examples.remember_quiet(ctx.person.id, _chat_of(ctx), ctx.now,
                                               mask(ctx.community, text), QUIET_WINDOW)


async def reported(ctx: Context, category: str) -> None:
    """The person reported something to the bot: the message the bot stayed quiet on just
    before, in the same chat, was a report of this category."""
    if ctx.person is None:
        return
    quiet = await ctx.services.examples.take_quiet(ctx.person.id, _chat_of(ctx))
    if quiet is None:
        return
    at, text = quiet
    if 0 <= ctx.now - at <= QUIET_WINDOW:
        await ctx.services.examples.record(ctx.now, text, category, "reported_after_silence",
                                           "group" if ctx.in_group else "private")
