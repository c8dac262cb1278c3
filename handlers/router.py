"""The route table: every package's commands and timers joined, and where an event goes.

Each domain package (handlers/tickets, polls, points, tasks, care, people, privacy, rooms,
agenda, sharing) declares its commands
and timers in its commands.py; a new command is a line there, its handler and its texts
(ARCHITECTURE.md). The order here is the order 帮助 and the platforms' menus list them.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

from handlers import agenda, care, people, points, polls, privacy, rooms, sharing, tasks, tickets
from handlers.commands import Command, is_slash, parse
from handlers.community import Chat, Person
from handlers.context import Context
from handlers.events import Event
from handlers.help import help_text, topic_text, unknown_topic
from handlers.permissions import STAFF_ONLY, Refusal
from storage.identities import Identities


async def _help(ctx: Context, args: str) -> None:
    """`帮助`: the short help; `帮助 投票` (a topic or a command word): that topic. Anything
    else after 帮助 may be someone asking for help with a problem ("帮助 楼道灯坏了"): a
    report is taken as one; otherwise the topics they may ask about (in a group only when
    the bot is addressed: there "帮助 一下" may be neighbours talking)."""
    if not args:
        ctx.reply(help_text(ctx, COMMANDS))
        return
    text = topic_text(ctx, COMMANDS, args)
    if text is not None:
        ctx.reply(text)
        return
    addressed = not ctx.in_group or ctx.event.addressed or bool(
        re.search(rf"[@＠]{re.escape(ctx.community.bot_name)}", ctx.event.text or ""))
    if ctx.services.classifier.classify(args, addressed=addressed).actionable:
        await tickets.on_text(ctx, args, addressed)
    elif addressed:
        ctx.reply(unknown_topic(ctx, COMMANDS, args))


HELP = Command("help", ("帮助", "菜单"), "help", _help, "usage.help", menu="帮助")

COMMANDS: list[Command] = [*tickets.COMMANDS, HELP, *polls.COMMANDS, *points.COMMANDS, *tasks.COMMANDS,
                           *care.COMMANDS, *people.COMMANDS, *privacy.COMMANDS, *rooms.COMMANDS,
                           *agenda.COMMANDS, *sharing.COMMANDS]


def _join(*tables: dict[str, Callable]) -> dict[str, Callable]:
    joined: dict[str, Callable] = {}
    for table in tables:
        for kind, handler in table.items():
            if kind in joined:
                raise ValueError(f"timer kind {kind!r} is declared by two packages")
            joined[kind] = handler
    return joined


# What a scheduled job of each kind runs when it falls due (see handlers/timers.py).
TIMERS = _join(tickets.TIMERS, polls.TIMERS, points.TIMERS, tasks.TIMERS, care.TIMERS, people.TIMERS,
               privacy.TIMERS, rooms.TIMERS, agenda.TIMERS, sharing.TIMERS)


def keepable(event: Event) -> Event | None:
    """The copy of an event that may be kept when it cannot be handled, or None when it
    may be kept whole: a ballot (`投票 3 2`, which may be secret) keeps its command word only."""
    found = parse(event.text, COMMANDS) if event.kind == "message" and event.text else None
    if not found or not found[0].secret:
        return None
    return dataclasses.replace(event, text=f"{found[0].words[0]} （内容不保留）")


async def route(ctx: Context) -> None:
    event = ctx.event
    await privacy.screen(ctx)      # an erased person (注销) is nobody, their name 已注销居民
    if event.kind == "timer":
        await TIMERS[event.data["job"]](ctx)
        return
    if event.kind == "device":     # a device's reading (bot/iot.py): care decides what it means
        await care.on_device(ctx)
        return
    community = ctx.community
    ctx.person, ctx.chat = await _who_and_where(ctx)
    if privacy.is_erased(ctx, ctx.person.id if ctx.person else None):
        ctx.person = None
    await care.on_message(ctx)     # from someone in care, any message is a sign of life
    if event.attachments or event.data.get("wechat"):
        await tickets.on_media(ctx)
        return
    text, mentioned = _strip_mention(event.text, community.bot_name)
    addressed = event.addressed or mentioned or not ctx.in_group
    if not text:          # the bot's name alone, or nothing but spaces: what it can do
        if addressed and ctx.person:
            ctx.reply(help_text(ctx, COMMANDS))
        return
    parsed = parse(text, COMMANDS)
    if ctx.person is None:
        if parsed and parsed[0].allowed.admits(ctx):    # 绑定: how a new account becomes someone
            await _run(ctx, *parsed, addressed)
        elif addressed or parsed:
            ctx.reply(ctx.t("person.unknown", bot=community.bot_name))
        return
    if await privacy.interrupts(ctx, parsed[0] if parsed else None):   # a 注销 waiting: anything else cancels it
        return
    if parsed is None:
        if is_slash(text):
            ctx.reply(ctx.t("command.unknown", text=text.split()[0]) + "\n" + help_text(ctx, COMMANDS))
        else:
            await tickets.on_text(ctx, text, addressed)
        return
    await _run(ctx, *parsed, addressed)


async def _run(ctx: Context, command: Command, args: str, addressed: bool) -> None:
    """The command, if its permission lets the sender in; a refusal from the door or from
    the handler is answered here, once."""
    try:
        if not command.allowed.admits(ctx):
            raise Refusal(command.refusal) if command.refusal else Refusal(STAFF_ONLY, quiet=True)
        await command.handler(ctx, args)
    except Refusal as refusal:
        if addressed or not refusal.quiet:
            ctx.reply(ctx.t(refusal.key, **refusal.values))


async def _who_and_where(ctx: Context) -> tuple[Person | None, Chat | None]:
    """The community file first, then identities bound in chat (storage/identities.py)."""
    community, event = ctx.community, ctx.event
    person = community.person_by_identity(event.sender)
    chat = community.chat_by_identity(event.chat) if event.chat else None
    bound = Identities(ctx.services.store)
    if person is None and event.sender and not event.sender.startswith("console:"):
        person = community.people.get((await bound.owner(event.sender) or "").removeprefix("@"))
    if chat is None and event.chat and ctx.in_group and not event.chat.startswith("console:"):
        chat = community.chats.get(await bound.owner(event.chat) or "")
    return person, chat


def _strip_mention(text: str, bot_name: str) -> tuple[str, bool]:
    pattern = re.compile(rf"[@＠]{re.escape(bot_name)}\s*")
    stripped, count = pattern.subn("", text)
    return stripped.strip(), count > 0
