"""How a poll is written in chat:

    发起投票 问题 | 选项1 | 选项2 … 规则=三分之二 范围=议事会 截止=3天 法定=1/2 匿名 可改票 公开计票

Settings are whitespace-separated `key=value` words and flags anywhere in the message;
the rest is the question and the options, separated by `|`. With no options the poll is
a motion: 赞成 | 反对. The same parsing serves `linli admin polls create`, so the two
can never disagree about what a rule or an electorate means. A deadline is read by
dates.py (明天, 下周五, 周日晚上8点, 20号 18:00); a ballot's words by `parse_option`
(同意, 反对, 弃权 and their everyday forms).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from handlers.community import Chat, Community
from handlers.polls.dates import TIME_WORD, parse_when
from handlers.polls.rules import KINDS, Rule, parse_fraction
from nlp.normalize import cn_to_int

MAX_OPTIONS = 10
MAX_DAYS = 90
DEFAULT_DEADLINE = "3d"
MOTION = ("赞成", "反对")
ABSTAIN_WORDS = ("弃权", "0")

_KEYS = {"规则": "rule", "范围": "electorate", "截止": "deadline", "期限": "deadline", "法定": "quorum",
         "法定人数": "quorum"}
_FLAGS = {"匿名": ("anonymous", True), "记名": ("anonymous", False), "可改票": ("changeable", True),
          "不可改票": ("changeable", False), "公开计票": ("show_counts", True), "隐藏计票": ("show_counts", False)}
_SETTING = re.compile(r"^(规则|范围|截止|期限|法定人数|法定)\s*[=＝:：]\s*(.*)$")
_BUILDING = re.compile(r"^([0-9]+|[一二三四五六七八九十]+)\s*(?:号楼|号栋|栋|幢|号)(?:住户|业主|各户|全体住户)?$")
_ALL_HOUSEHOLDS = ("全体住户", "全社区住户", "全社区", "全体业主", "所有住户", "全部住户")
_COUNCIL = ("议事会", "议事会成员", "议事会全体", "议事会委员", "委员", "全体委员")


# Words people type to try the command, not a question anyone could vote on.
_PLACEHOLDERS = {"测试", "测试一下", "测试投票", "投票测试", "试试", "试一下", "试试看", "试验", "问题", "投票", "题目",
                 "标题", "随便", "随便写", "无", "没有", "哈哈", "哈哈哈", "你好", "test", "testing", "demo", "asdf",
                 "abc", "xxx", "xx", "aaa", "qwe", "hello", "poll", "vote", "question", "todo", "tbd"}


class SpecError(ValueError):
    """A mistake in a poll's settings: a texts key and its values, for a Chinese reply."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass
class PollSpec:
    question: str
    options: list[str]
    electorate: dict
    rule: Rule
    deadline: float
    quorum: Fraction | None = None
    anonymous: bool = False
    changeable: bool = False
    show_counts: bool = False
    settings: dict = field(default_factory=dict)


def split_settings(text: str) -> tuple[str, dict[str, str], dict[str, bool]]:
    """The body (question | options) and the settings written among it."""
    values: dict[str, str] = {}
    flags: dict[str, bool] = {}
    body: list[str] = []
    people_list = time_next = False
    for word in text.split():
        setting = _SETTING.match(word)
        if time_next and TIME_WORD.match(word):
            values["deadline"] += " " + word               # 截止=明天 晚上8点
            time_next = False
            continue
        time_next = False
        if setting:
            key = _KEYS[setting.group(1)]
            values[key] = setting.group(2).strip()
            people_list = key == "electorate" and values[key].startswith(("@", "＠"))
            time_next = key == "deadline"
        elif word in _FLAGS:
            name, value = _FLAGS[word]
            flags[name] = value
            people_list = False
        elif people_list and word.startswith(("@", "＠")):
            values["electorate"] += "," + word       # 范围=@a @b @c
        else:
            body.append(word)
            people_list = False
    return " ".join(body), values, flags


def parse_spec(text: str, community: Community, chat: Chat | None, now: float) -> PollSpec:
    body, values, flags = split_settings(text)
    parts = [p.strip() for p in re.split(r"[|｜]", body)]
    question, options = parts[0], [p for p in parts[1:] if p]
    if not question:
        raise SpecError("polls.error.no_question")
    options = options or list(MOTION)
    check_options(options)
    rule = parse_rule(values.get("rule"), explicit_options=len(parts) > 1)
    spec = PollSpec(question=question, options=options, rule=rule,
                    electorate=parse_electorate(values.get("electorate"), community, chat),
                    deadline=parse_deadline(values.get("deadline", DEFAULT_DEADLINE), now, community.tz),
                    quorum=parse_quorum(values.get("quorum")), settings=values, **flags)
    check(spec)
    return spec


def check_options(options: list[str]) -> None:
    if len(options) < 2 or len(options) > MAX_OPTIONS:
        raise SpecError("polls.error.option_count", count=len(options), most=MAX_OPTIONS)
    if len(set(options)) != len(options):
        raise SpecError("polls.error.option_twice")
    for option in options:
        if option in ABSTAIN_WORDS or option.isdigit():
            raise SpecError("polls.error.option_reserved", option=option)


def check_question(question: str) -> None:
    """A question people can decide: not one or two characters, nor only punctuation or
    numbers, nor a lone placeholder ("x", "测试"). Checked when a poll is made in chat or by
    `linli admin polls create`, after its settings."""
    core = "".join(ch for ch in unicodedata.normalize("NFKC", question).lower()
                   if not unicodedata.category(ch).startswith(("P", "S", "Z")))
    if not core:
        raise SpecError("polls.error.no_question")
    if len(core) <= 2 or core.isdigit() or core in _PLACEHOLDERS or len(set(core)) == 1:
        raise SpecError("polls.error.vague_question", question=question)


def check(spec: PollSpec) -> None:
    if spec.anonymous and spec.changeable:
        # Changing a ballot means finding it again, and nothing links an anonymous one to its voter.
        raise SpecError("polls.error.anonymous_changeable")


def parse_rule(text: str | None, explicit_options: bool = True) -> Rule:
    """多数 | 过半 | a share (三分之二, 2/3, 75%) of everyone eligible, or of the ballots
    cast when followed by 投票: 60%投票 — whichever kind of rule (handlers/polls/rules.py
    KINDS) reads it. Unwritten: the most votes among options, more than half for a motion."""
    if not text:
        return Rule("plurality") if explicit_options else Rule("majority")
    for kind in KINDS.values():
        try:
            rule = kind.parse(text)
        except ValueError as unreadable:
            raise SpecError("polls.error.rule", rule=str(unreadable)) from None
        if rule is not None:
            return rule
    raise SpecError("polls.error.rule", rule=text)


def parse_quorum(text: str | None) -> Fraction | None:
    if not text or text in ("无", "不设"):
        return None
    share = parse_fraction(text)
    if share is None:
        raise SpecError("polls.error.quorum", quorum=text)
    return share


def parse_electorate(text: str | None, community: Community, chat: Chat | None) -> dict:
    if not text or text == "本群":
        if chat is None:
            raise SpecError("polls.error.electorate_needed")
        return {"kind": "council"} if chat.kind == "council" else {"kind": "chat", "chat": chat.id}
    if text in _COUNCIL:
        return {"kind": "council"}
    if text in _ALL_HOUSEHOLDS:
        return {"kind": "households", "building": None}
    building = _BUILDING.match(text)
    if building:
        return {"kind": "households", "building": str(cn_to_int(building.group(1)))}
    if text.startswith(("@", "＠")):
        people = []
        for who in re.split(r"[,，、\s]+", text):
            who = who.lstrip("@＠").strip()
            if not who:
                continue
            person = community.find_person(who)
            if person is None:
                raise SpecError("polls.error.unknown_person", who=who)
            if person.id not in people:
                people.append(person.id)
        return {"kind": "people", "people": people}
    found = community.chats.get(text) or next((c for c in community.chats.values() if c.name == text), None)
    if found is None:
        named = [c for c in community.chats.values() if text in c.name]
        found = named[0] if len(named) == 1 else None
    if found is None:
        raise SpecError("polls.error.electorate", electorate=text)
    return {"kind": "council"} if found.kind == "council" else {"kind": "chat", "chat": found.id}


def parse_deadline(text: str, now: float, tz: ZoneInfo) -> float:
    """3天, 12小时, 两周, 3d, 36h; 明天, 下周五, 周日晚上8点, 本周日, 12月20日, 20号 18:00,
    2025-01-20 (a day without a time: 23:59) — handlers/polls/dates.py — in the community's
    time zone. SpecError if unreadable, past, or more than MAX_DAYS away."""
    try:
        due = parse_when(text, now, tz)
    except ValueError:
        raise SpecError("polls.error.deadline", deadline=text) from None
    if due <= now:
        local = datetime.fromtimestamp(due, tz)
        raise SpecError("polls.error.deadline_past", deadline=text, at=f"{local.month}月{local.day}日 {local:%H:%M}")
    if due - now > timedelta(days=MAX_DAYS).total_seconds():
        raise SpecError("polls.error.deadline_range", deadline=text, days=MAX_DAYS)
    return due


# The usual ways of saying yes, no and abstain, once a ballot's words are trimmed
# (_ballot_words: "我同意！" -> 同意, "投反对票" -> 反对). Mapped onto the poll's options by
# _option_for: 同意 is the option 赞成 or 同意 or 支持…
YES = ("同意", "赞成", "支持", "赞同", "拥护", "认同", "通过", "可以", "行", "好", "好的", "要", "需要", "是", "对",
       "没问题", "没意见", "yes", "y", "ok", "okay", "agree", "👍", "√", "✓", "✔", "○")
NO = ("反对", "不同意", "不赞成", "不支持", "不赞同", "不认同", "不通过", "不可以", "不行", "不好", "不要", "不需要",
      "否", "不", "不是", "不对", "有意见", "no", "n", "disagree", "👎", "×", "✗", "✘")
ABSTAIN = ("弃权", "0", "〇", "零", "弃票", "不投", "不表态", "中立", "放弃", "abstain", "pass")
_LEADING = ("我们家", "我家", "我们", "我", "投", "选", "第")
_TRAILING = ("票", "项", "的", "了", "吧", "啊", "呀", "哈", "哦", "噢", "嗯")
_SIGNS = {"👍", "👎", "√", "✓", "✔", "×", "✗", "✘", "○"}


def _ballot_words(text: str) -> str:
    """Lower case, half-width, no punctuation or spaces, without "我", "投", "选" in front or
    "票", "的", "吧" behind: "我投同意票！" -> 同意."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch for ch in text if ch in _SIGNS or not unicodedata.category(ch).startswith(("P", "Z", "S")))
    for _ in range(3):
        before = text
        for word in _LEADING:
            if text.startswith(word) and len(text) > len(word):
                text = text[len(word):]
        for word in _TRAILING:
            if text.endswith(word) and len(text) > len(word):
                text = text[:-len(word)]
        if text == before:
            break
    return text


def _side(words: str) -> str | None:
    """yes | no | abstain for the usual words, an option written as one ("同意加装") too."""
    for side, said in (("abstain", ABSTAIN), ("no", NO), ("yes", YES)):
        if words in said:
            return side
    for side, said in (("no", NO), ("yes", YES)):   # 不同意加装 before 同意加装
        if any(len(w) > 1 and words.startswith(w) for w in said):
            return side
    return None


def parse_option(text: str, options: list[str], proposal: bool = False) -> int | None:
    """'2' -> 2, '弃权' -> 0, an option's own words -> its number; the usual words for yes
    and no -> the option that says so (同意 -> 赞成), or under a rule where option 1 is the
    proposal (`proposal`), yes -> 1 and no -> the other of two. None if no such option."""
    text = text.strip()
    if text in options:
        return options.index(text) + 1
    words = _ballot_words(text)
    number = cn_to_int(words) if words and words not in ABSTAIN else None
    if number is not None:
        return number if 1 <= number <= len(options) else None
    trimmed = [_ballot_words(o) for o in options]
    if words and words in trimmed:
        return trimmed.index(words) + 1
    side = _side(words)
    if side == "abstain":
        return 0
    if side is None:
        return None
    matching = [n for n, o in enumerate(trimmed, 1) if _side(o) == side]
    if len(matching) == 1:
        return matching[0]
    if proposal and not matching and side == "yes":
        return 1
    if proposal and not matching and side == "no" and len(options) == 2:
        return 2
    return None
