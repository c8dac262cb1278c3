"""What every channel adapter provides to the runtime, and how a channel joins linli.

A channel is one module in this package and one line in bot/channels/registry.py. Like a
NoneBot2 adapter (which registers its own HTTP routes with the driver) or an errbot
backend (chosen by name, serving its platform on its own), a channel brings everything of
its platform: its settings, read from the environment (`configure`); its construction from
those settings (`from_settings`); the HTTP routes it answers (`routes`) and the loops that
fetch its updates (`loops`, e.g. long polling); what it does at start and at the end
(`start`, `close`); and sending (`send`). bot/settings.py, bot/server.py and
bot/service.py loop over the registry and never name a platform.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping, Protocol, Sequence

from handlers.events import Outgoing

if TYPE_CHECKING:
    from aiohttp import web

    from handlers.commands import Command

# (method, path, handler): one HTTP endpoint of a channel, added by bot/server.py.
Route = tuple[str, str, "Callable[[web.Request], Awaitable[web.StreamResponse]]"]
# name -> body: a long-lived loop of a channel, run supervised by bot/service.py.
Loops = dict[str, Callable[[], Awaitable[None]]]


@dataclass(frozen=True)
class TextLimit:
    """The longest text a platform takes in one message: `size` in `unit` — "chars",
    "utf16" (UTF-16 code units: an emoji counts two, as Telegram counts) or "bytes" (UTF-8:
    a Chinese character counts three, as WeChat and WeCom count)."""
    size: int
    unit: str = "chars"

    def measure(self, text: str) -> int:
        if self.unit == "bytes":
            return len(text.encode("utf-8"))
        if self.unit == "utf16":
            return len(text.encode("utf-16-le")) // 2
        return len(text)


def fit(text: str, limit: TextLimit | None, note: str) -> str:
    """`text` as it fits `limit`: whole when it does, else cut and ended with `note`
    ("…（全文见工单 #12）") — at the end of a line when one ends in the last fifth of what
    fits (a list loses whole lines), else in the middle of a line."""
    if limit is None or limit.measure(text) <= limit.size:
        return text
    budget = limit.size - limit.measure(note) - 1
    low, high = 0, len(text)              # the longest prefix within budget
    while low < high:
        middle = (low + high + 1) // 2
        if limit.measure(text[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    kept = text[:low]
    line_end = kept.rfind("\n")
    if line_end >= 0.8 * len(kept):
        return kept[:line_end].rstrip() + "\n" + note
    return kept.rstrip() + note


def fitted(message: Outgoing, limit: TextLimit | None, note: str) -> Outgoing:
    """`message` with its text cut to `limit` (`fit`), ending with its own cut_note, else
    `note` (the generic one); a reaction is left as it is."""
    if limit is None or message.reaction_to:
        return message
    text = fit(message.text, limit, message.cut_note or note)
    return message if text is message.text else replace(message, text=text)


class DeliveryError(RuntimeError):
    """A send failed in a way worth retrying later (network, rate limit, platform error)."""

    def __init__(self, message: str, retry_after: float | None = None, permanent: bool = False,
                 throttled: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent  # retrying cannot help (user blocked the bot, chat gone)
        self.throttled = throttled  # not tried at all: our own rate limit said wait (not an attempt)


@dataclass(frozen=True)
class ChannelConfig:
    """A channel's own settings, kept in `Settings.channels[name]` when it is configured.
    Fields declared with repr=False are secrets: bot/logsafe.py masks them in every log
    line, so a new channel's secrets are covered by declaring them so."""

    def secrets(self) -> list[str]:
        return [str(getattr(self, spec.name)) for spec in fields(self)
                if not spec.repr and getattr(self, spec.name)]


class Channel(Protocol):
    name: str   # the identity prefix it serves: "console", "tg", "wx", "wecom"
    title: str  # how people call the platform, in log lines ("Telegram")
    # The longest text one message may carry (None: no limit, the console); delivery cuts
    # what is longer (`fit`), ending it with the message's cut_note.
    text_limit: TextLimit | None
    # How many recipients delivery serves side by side (1 when absent: strictly one after
    # another, as the console prints). The platform's pace is kept by the channel itself.
    concurrency: int

    @classmethod
    def configure(cls, env: Mapping[str, str]) -> ChannelConfig | None:
        """Its settings from the environment; None when it is not configured. Raises
        SettingsError naming the variable that is wrong."""

    @classmethod
    def from_settings(cls, runtime: Any, commands: Sequence[Command]) -> Channel | None:
        """The channel for a runtime whose settings configure it, else None. `commands` is
        the command table (the platform's menus are made from it): channels never import
        the router."""

    def routes(self, runtime: Any) -> list[Route]:
        """The HTTP endpoints it answers (webhooks, callbacks), added to `linli run`'s server."""

    def loops(self, runtime: Any, stop: Any, health: Any) -> Loops:
        """Loops that bring updates in without HTTP (long polling), run by `linli run`."""

    async def start(self) -> None:
        """Once, before serving: tell the platform what it needs (Telegram's menu)."""

    async def close(self) -> None:
        """Once, at the end: release what it holds (HTTP sessions)."""

    async def send(self, identity: str, message: Outgoing) -> None:
        """Deliver `message` to the platform identity (a chat or a person)."""


class BaseChannel:
    """Defaults for the parts of `Channel` a platform may not need: no settings, no routes,
    no loops, nothing to do at start or at the end."""

    name = ""
    title = ""
    concurrency = 1
    text_limit: TextLimit | None = None

    @classmethod
    def configure(cls, env: Mapping[str, str]) -> ChannelConfig | None:
        return None

    @classmethod
    def from_settings(cls, runtime: Any, commands: Sequence[Command]) -> Channel | None:
        return None

    def routes(self, runtime: Any) -> list[Route]:
        return []

    def loops(self, runtime: Any, stop: Any, health: Any) -> Loops:
        return {}

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None
