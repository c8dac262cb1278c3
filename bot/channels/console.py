"""The console channel: a local stand-in for a chat platform, for trying linli out and for
scenario tests. Lines in become events on the same stream as any platform's; outgoing
messages come back as JSON lines (or readable lines on a terminal)."""

from __future__ import annotations

import json
import sys
import uuid
from typing import TextIO

from bot.channels.base import BaseChannel
from handlers.community import Community
from handlers.events import Event, Outgoing


class ConsoleInputError(ValueError):
    pass


class ConsoleChannel(BaseChannel):
    """Not in the registry: `linli console` assembles it with its output stream; it has no
    settings, routes or loops (BaseChannel's defaults)."""

    name = "console"
    title = "console"

    def __init__(self, out: TextIO | None = None, pretty: bool = False) -> None:
        self.out = out or sys.stdout
        self.pretty = pretty

    async def send(self, identity: str, message: Outgoing) -> None:
        if message.reaction_to:   # no messages to react to here: a reaction says nothing
            return
        if self.pretty:
            buttons = "".join(f" [{label}]" for row in message.buttons for label, _ in row)
            self.out.write(f"  → {message.to}：{message.text}{buttons}\n")
        else:
            line = {"to": message.to, "text": message.text}
            if message.buttons:
                line["buttons"] = [[{"label": label, "command": command} for label, command in row]
                                   for row in message.buttons]
            self.out.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.out.flush()


def message_event(community: Community, sender: str, chat: str | None, text: str,
                  at: float, message_id: str | None = None) -> Event:
    """A console message as an event; `chat` None or "@person" means a 1:1 chat."""
    if sender not in community.people:
        raise ConsoleInputError(f"unknown person {sender!r} (not in {community.source})")
    if chat and not chat.startswith("@"):
        if chat not in community.chats:
            raise ConsoleInputError(f"unknown chat {chat!r} (known: {', '.join(community.chats) or 'none'})")
        chat_identity, kind = f"console:{chat}", "group"
    else:
        chat_identity, kind = None, "private"
    return Event(id=f"console:{message_id or uuid.uuid4().hex}", channel="console",
                 sender=f"console:{sender}", chat=chat_identity, chat_kind=kind, text=text, received_at=at)


def parse_line(line: str) -> dict:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConsoleInputError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise ConsoleInputError('expected an object such as {"from": "zhang", "chat": "b3", "text": "…"}')
    if "advance" in data:
        if not isinstance(data["advance"], str):
            raise ConsoleInputError('"advance" takes a duration such as "25h"')
        return data
    unknown = set(data) - {"from", "chat", "text", "id"}
    if unknown:
        raise ConsoleInputError(f"unknown field {sorted(unknown)[0]!r} (use from, chat, text, id or advance)")
    if not isinstance(data.get("from"), str) or not isinstance(data.get("text"), str):
        raise ConsoleInputError('"from" and "text" are required strings')
    if data.get("chat") is not None and not isinstance(data["chat"], str):
        raise ConsoleInputError('"chat" must be a chat id or "@person"')
    return data
