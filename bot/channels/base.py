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

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping, Protocol, Sequence

from handlers.events import Outgoing

if TYPE_CHECKING:
    from aiohttp import web

    from handlers.commands import Command

# (method, path, handler): one HTTP endpoint of a channel, added by bot/server.py.
Route = tuple[str, str, "Callable[[web.Request], Awaitable[web.StreamResponse]]"]
# name -> body: a long-lived loop of a channel, run supervised by bot/service.py.
Loops = dict[str, Callable[[], Awaitable[None]]]


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
