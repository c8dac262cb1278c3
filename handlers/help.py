"""`帮助`: a few lines of what this person does most, here, one example each; `帮助 投票`
(a topic, or any command word: `帮助 派单`) explains one topic with every command of it
this person may use.

Who may use what is each command's permission (handlers/permissions.py, read through
`commands.available`): a ticket command is offered to staff and to the contacts tickets
are sent to (departments', and those `[routing]` names); an assignee may use it on the
ticket they were given, and is told so when it is given to them.

The short help is LINES, in order (what is used most first: a ticket handler's work, then
what every resident does); a line is shown when the person may use the command it names
and the chat is right for it (绑定 works only 1:1, 绑定群 only in a group). A topic's
detail is its first line (`help.topic.<name>`) and the usage line of each of its commands
the person may use. A command belongs to the topic that names it in TOPICS, else to the
topic of its package (`package=`), so a new command is explained without a change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.commands import Command, available
from handlers.context import Context

ANYWHERE, PRIVATE, GROUP = "anywhere", "private", "group"


@dataclass(frozen=True)
class Line:
    key: str                 # its text: help.line.<key> ({bot} may be used)
    command: str             # shown to whoever may use this command (by name)
    where: str = ANYWHERE    # PRIVATE: only in a 1:1 chat; GROUP: only in a group


@dataclass(frozen=True)
class Topic:
    name: str                       # its first line: help.topic.<name>
    words: tuple[str, ...]          # 帮助 <word> (besides its commands' own words and slash names)
    commands: tuple[str, ...] = ()  # its commands by name, in the order explained
    package: str | None = None      # and every other command of this package (handlers/<package>/)


LINES = (
    Line("todo", "todo"),
    Line("details", "start"),        # 查询 #12, to those who handle tickets
    Line("start", "start"),
    Line("resolve", "resolve"),
    Line("assign", "assign"),
    Line("reject", "reject"),
    Line("triage", "triage"),
    Line("report", "report", PRIVATE),
    Line("report_group", "report", GROUP),
    Line("status", "status"),
    Line("claim", "claim"),
    Line("vote", "vote"),
    Line("topic", "topic"),
    Line("newpoll", "newpoll"),
    Line("points", "points"),
    Line("newtask", "newtask"),
    Line("register", "register"),
    Line("linkcode", "linkcode"),
    Line("bind", "bind", GROUP),
)

TOPICS = (
    Topic("handle", ("处理", "工单", "办理", "确认", "待确认"), package="tickets"),
    Topic("report", ("报修", "工单", "反映", "投诉", "修"), ("report", "status", "rate", "reopen")),
    Topic("polls", ("投票", "议事会", "表决"), package="polls"),
    Topic("points", ("积分", "爱心超市", "兑换", "排行"), ("points", "rank", "rewards", "redeem", "unredeem"),
          package="points"),
    Topic("timebank", ("时间银行", "互助", "确认"), ("timebank", "confirm", "dispute", "convert")),
    Topic("tasks", ("志愿者", "志愿", "任务", "志愿任务"), package="tasks"),
    Topic("sharing", ("供需", "闲置", "配对", "需要", "提供"), package="sharing"),
    Topic("households", ("登记", "住户", "核实"), ("register", "verify")),
    Topic("linking", ("绑定", "账号", "解绑"), package="people"),
    Topic("care", ("关爱", "独居", "老人", "平安", "探访"), package="care"),
    Topic("rooms", ("预约", "活动室", "场地", "借用", "轮椅"), package="rooms"),
    Topic("agenda", ("议题", "附议", "评议", "提议"), package="agenda"),
    Topic("privacy", ("隐私", "我的数据", "个人信息", "注销"), package="privacy"),
)

_NOISE = re.compile(r"[\s#＃/“”\"'‘’?？!！。，,、：:]+")


def package_of(command: Command) -> str:
    """handlers/<package>/… where its handler lives ('' for the router's own)."""
    parts = command.handler.__module__.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "handlers" else ""


def topic_of(command: Command) -> Topic | None:
    return next((t for t in TOPICS if command.name in t.commands), None) \
        or next((t for t in TOPICS if t.package and t.package == package_of(command)), None)


def _commands_of(topic: Topic, commands: list[Command]) -> list[Command]:
    named = {c.name: c for c in commands}
    listed = [named[n] for n in topic.commands if n in named]
    return listed + [c for c in commands if c not in listed and topic_of(c) is topic]


def _here(ctx: Context, line: Line) -> bool:
    return line.where == ANYWHERE or (line.where == GROUP) == ctx.in_group


def _topics_for(ctx: Context, commands: list[Command]) -> list[Topic]:
    mine = available(ctx, commands)
    return [t for t in TOPICS if any(c in mine for c in _commands_of(t, commands))]


def more(ctx: Context, commands: list[Command]) -> str:
    """'看详细说明请发“帮助 报修”，还可以问：投票、积分…': the topics this person may ask about."""
    words = [t.words[0] for t in _topics_for(ctx, commands)]
    if not words:
        return ""
    return ctx.t("help.more", example=words[0], topics="、".join(words[1:]) or words[0])


def help_text(ctx: Context, commands: list[Command]) -> str:
    """The short help: what this person may do here, most used first, one example each."""
    mine = {c.name for c in available(ctx, commands)}
    bot = ctx.community.bot_name
    lines = [ctx.t("help.header", bot=bot)]
    lines += [ctx.t(f"help.line.{line.key}", bot=bot) for line in LINES if line.command in mine and _here(ctx, line)]
    lines.append(more(ctx, commands))
    return "\n".join(line for line in lines if line)


def _matching(word: str, commands: list[Command]) -> list[Topic]:
    found = [t for t in TOPICS if word in t.words]
    for command in commands:
        if word in command.words or word.lower() == command.slash:
            topic = topic_of(command)
            if topic and topic not in found:
                found.insert(0, topic)
    return found


def topic_text(ctx: Context, commands: list[Command], about: str) -> str | None:
    """`帮助 投票`: the topic (or the topic of the command) `about` names, with every command
    of it this person may use, an example each; None when it names nothing we know."""
    word = _NOISE.sub("", about)
    topics = _matching(word, commands)
    if not topics:
        return None
    mine = available(ctx, commands)
    lines: list[str] = []
    for topic in topics:
        usable = [c for c in _commands_of(topic, commands) if c in mine]
        if usable:
            lines += [ctx.t(f"help.topic.{topic.name}", bot=ctx.community.bot_name)]
            lines += [ctx.t(c.usage) for c in usable]
    if lines:
        return "\n".join(lines)
    for topic in topics:        # nothing of it is theirs: the refusal its commands give, if one says why
        for command in _commands_of(topic, commands):
            if command.refusal:
                try:
                    return ctx.t(command.refusal)
                except KeyError:    # it names the thing refused ({id}): not for here
                    continue
    return ctx.t("help.not_yours", word=word)


def unknown_topic(ctx: Context, commands: list[Command], about: str) -> str:
    return "\n".join(filter(None, [ctx.t("help.unknown", word=_NOISE.sub("", about)[:20]), more(ctx, commands)]))
