"""What every channel adapter provides to the runtime."""

from __future__ import annotations

from typing import Protocol

from handlers.events import Outgoing


class DeliveryError(RuntimeError):
    """A send failed in a way worth retrying later (network, rate limit, platform error)."""

    def __init__(self, message: str, retry_after: float | None = None, permanent: bool = False,
                 throttled: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent  # retrying cannot help (user blocked the bot, chat gone)
        self.throttled = throttled  # not tried at all: our own rate limit said wait (not an attempt)


class Channel(Protocol):
    name: str  # the identity prefix it serves: "console", "tg", "wx", "wecom"
    # How many recipients delivery serves side by side (1 when absent: strictly one after
    # another, as the console prints). The platform's pace is kept by the channel itself.
    concurrency: int

    async def send(self, identity: str, message: Outgoing) -> None:
        """Deliver `message` to the platform identity (a chat or a person)."""
