"""Commands as residents and staff type them: a Chinese word (`查询 #3`) or a slash form
(`/status 3`, also `/status@linli_bot 3` as Telegram sends it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Awaitable, Callable

from handlers.context import Context
from handlers.permissions import RESIDENT, Permission

Handler = Callable[[Context, str], Awaitable[None]]
_TASK_START = re.compile(r"[TtＴｔ]\d")   # "接单T3" as well as "接单 T3"
_SLASH = re.compile(r"^/([A-Za-z_]+)(?:@\S+)?\s*(.*)$", re.S)


@dataclass(frozen=True)
class Command:
    name: str
    words: tuple[str, ...]
    slash: str
    handler: Handler
    usage: str                  # the texts key of its one-line usage
    # Who may use it (handlers/permissions.py): the router refuses anyone else, 帮助 lists it
    # only to them, the workbench will offer it only to them.
    allowed: Permission = RESIDENT
    # What anyone else is told, wherever they typed it. None: "only staff may", and only to
    # someone who addressed the bot (in a group "待确认" may be neighbours talking).
    refusal: str | None = None
    glued: bool = False         # the Chinese word may run straight into its text ("报修3号楼…")
    menu: str | None = None     # its line in the platforms' command menus (Telegram's /), in table order
    # Its words may not be kept beside their sender (a ballot, which may be secret): a copy
    # of the message kept because it could not be handled keeps the command word only.
    secret: bool = False


def parse(text: str, commands: list[Command]) -> tuple[Command, str] | None:
    """The command a message invokes and its arguments, or None for ordinary text.

    A Chinese word counts as a command only when followed by a space, '#', a digit, a
    task number (T3) or the end, so "处理一下楼道垃圾" stays a report rather than the
    staff command 处理.
    """
    text = text.strip()
    slash = _SLASH.match(text)
    if slash:
        name = slash.group(1).lower()
        for command in commands:
            if command.slash == name:
                return command, slash.group(2).strip()
        return None
    for command in sorted(commands, key=lambda c: -max(len(w) for w in c.words)):
        for word in command.words:
            if not text.startswith(word):
                continue
            rest = text[len(word):]
            if not rest or command.glued or rest[0].isspace() or rest[0] in "#＃" or rest[0].isdigit() \
                    or _TASK_START.match(rest):
                return command, rest.strip()
    return None



def available(ctx: Context, commands: list[Command]) -> list[Command]:
    """The commands this sender may use, in table order: what 帮助 lists, and what the web
    workbench will offer (each command's `allowed`, handlers/permissions.py)."""
    return [command for command in commands if command.allowed.offers(ctx)]


def is_slash(text: str) -> bool:
    return bool(_SLASH.match(text.strip()))


_TICKET = re.compile(r"^[#＃]?(\d+)\s*(.*)$", re.S)


def ticket_ref(args: str) -> tuple[int, str] | None:
    """'#12 some note' -> (12, 'some note')."""
    match = _TICKET.match(args.strip())
    return (int(match.group(1)), match.group(2).strip()) if match else None
