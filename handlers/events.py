"""One event type in, one outgoing type out: the contract between channels and handlers."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ChatKind = Literal["private", "group"]


@dataclass(frozen=True)
class Event:
    """Something that happened: a message in a chat, or a scheduled job falling due.

    `sender` and `chat` are platform identities ("console:zhang", "tg:-100123"); the
    router resolves them to the community's people and chats. `id` is unique across
    channels and redeliveries keep it, so handler effects keyed by it are idempotent.
    """

    id: str
    channel: str
    kind: Literal["message", "timer", "device"] = "message"   # "device": bot/iot.py, a reading in `data`
    sender: str | None = None
    chat: str | None = None
    chat_kind: ChatKind = "private"
    text: str = ""
    addressed: bool = False
    attachments: tuple[dict[str, Any], ...] = ()
    received_at: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ordering_key(self) -> str:
        """Events sharing this key are handled in arrival order (one chat, one ticket)."""
        if self.kind == "timer":
            return str(self.data.get("order", self.id))
        return self.chat or self.sender or self.id

    def to_json(self) -> str:
        # Not dataclasses.asdict: its deep copy of every field is most of the cost of
        # storing a webhook's event, and json.dumps reads the fields as they are.
        return json.dumps({name: getattr(self, name) for name in _EVENT_FIELDS}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> "Event":
        data = json.loads(raw)
        data["attachments"] = tuple(data.get("attachments") or ())
        return cls(**data)


_EVENT_FIELDS = tuple(Event.__dataclass_fields__)

Buttons = tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class Outgoing:
    """A message for a community chat (`to="b3"`) or a person (`to="@zhang"`).

    A reply (`via` set) goes back through the identity the event came from; a push
    (`via` None) goes to the addressee's first identity on a running channel.

    `buttons` are rows of (label, command): a tap sends the command as if the tapper had
    typed it, so the text must still say what to type where a channel has no buttons.

    `reaction_to` set makes it a reaction, not a message: `text` (an emoji) is put on the
    platform message of that id, quietly, where the platform can (Telegram); channels that
    cannot drop it.

    `cut_note`: what a text longer than its platform allows ends with once cut
    ("…（全文见工单 #12）" when it carries a ticket's text); empty: the generic
    `message.cut` (bot/channels/base.py `fit`).
    """

    to: str
    text: str
    via: str | None = None
    in_reply_to: str | None = None
    buttons: Buttons = ()
    reaction_to: str | None = None
    cut_note: str = ""

    @property
    def is_private(self) -> bool:
        return self.to.startswith("@")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> "Outgoing":
        return cls.from_dict(json.loads(raw))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Outgoing":
        buttons = tuple(tuple((str(label), str(command)) for label, command in row)
                        for row in data.pop("buttons", None) or ())
        return cls(**data, buttons=buttons)
