"""Telegram out: Bot API messages through python-telegram-bot, with inline keyboards.

Nothing of python-telegram-bot's per-process machinery (Application, user_data, job
queue, its rate limiter) is used: sending is paced by limits kept in Redis and a button's
command is kept in Redis when it does not fit Telegram's 64-byte callback data, so any
number of workers can run. Updates coming in: bot/channels/telegram_updates.py.

The TELEGRAM_* settings are read here (`TelegramChannel.configure`); its command menu
(setMyCommands) is the command table's entries that have a `menu` line, in table order.
"""

from __future__ import annotations

import logging
import secrets
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Mapping, Sequence

from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, ReactionTypeEmoji
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.base import BaseChannel, ChannelConfig, DeliveryError, Loops, Route, TextLimit
from bot.channels.telegram_updates import NAME as POLLING, poll_updates, webhook_handler
from bot.settings import SettingsError, read_number
from handlers.commands import Command
from handlers.events import Buttons, Outgoing
from storage.ratelimit import RateLimiter
from storage.store import Store

log = logging.getLogger(__name__)
API_BASE = "https://api.telegram.org/bot"
MAX_TEXT = 4096          # one message
MAX_CALLBACK_DATA = 64   # bytes of a button's callback_data
TOKEN_MARK = "~"         # callback data starting with it is a token for a longer command
BUTTON_TTL = 30 * 86400  # a button stays usable this long after it was sent
# Telegram's published limits: ~1 message/s per chat, 20/min per group, ~30/s overall.
PER_CHAT, PER_GROUP, OVERALL = (1, 1.0), (20, 60.0), (30, 1.0)


@dataclass(frozen=True)
class TelegramConfig(ChannelConfig):
    token: str = field(repr=False)            # TELEGRAM_BOT_TOKEN
    secret: str | None = field(default=None, repr=False)   # TELEGRAM_WEBHOOK_SECRET
    api_base: str = API_BASE                  # TELEGRAM_API_BASE
    mode: str = "polling"                     # "webhook": POST /telegram; "polling": getUpdates
    per_second: int = OVERALL[0]              # TELEGRAM_MAX_PER_SECOND: the bot's overall pace

    def secrets(self) -> list[str]:
        # The part after the colon is the secret half of a token; it shows up on its own.
        return super().secrets() + ([self.token.split(":", 1)[1]] if ":" in self.token else [])


class TelegramChannel(BaseChannel):
    name = "tg"
    title = "Telegram"
    concurrency = 16   # recipients served side by side; the pace is the rate limiter's
    text_limit = TextLimit(MAX_TEXT, "utf16")   # 4,096 characters (delivery cuts longer ones)

    def __init__(self, bot: Bot, store: Store, username: str | None = None, clock=None,
                 per_second: int = OVERALL[0], commands: Sequence[Command] = ()) -> None:
        self.bot = bot
        self.overall = (per_second, OVERALL[1])   # TELEGRAM_MAX_PER_SECOND
        self.store = store
        self.username = username   # the bot's @username, for mentions (getMe at start)
        self.limiter = RateLimiter(store, clock) if clock else RateLimiter(store)
        self.menu = [(command.slash, command.menu) for command in commands if command.menu]

    # ---- wiring (bot/channels/base.py) ------------------------------------------------------
    @classmethod
    def configure(cls, env: Mapping[str, str]) -> TelegramConfig | None:
        # The mode and the pace are checked even without a token, as they always were.
        mode = env.get("TELEGRAM_MODE") or ("webhook" if env.get("TELEGRAM_WEBHOOK_SECRET") else "polling")
        if mode not in ("webhook", "polling"):
            raise SettingsError(f"TELEGRAM_MODE: {mode!r} is neither webhook nor polling")
        token = env.get("TELEGRAM_BOT_TOKEN") or None
        if token and mode == "webhook" and not env.get("TELEGRAM_WEBHOOK_SECRET"):
            raise SettingsError("TELEGRAM_WEBHOOK_SECRET: required in webhook mode "
                                "(1-256 characters A-Z a-z 0-9 _ -), so only Telegram can post updates")
        per_second = read_number(env, "TELEGRAM_MAX_PER_SECOND", "30", int)
        if not token:
            return None
        return TelegramConfig(token=token, secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
                              api_base=env.get("TELEGRAM_API_BASE", API_BASE), mode=mode, per_second=per_second)

    @classmethod
    def from_settings(cls, runtime, commands: Sequence[Command]) -> "TelegramChannel | None":
        config = runtime.settings.channels.get(cls.name)
        if config is None:
            return None
        return cls(Bot(config.token, base_url=config.api_base), runtime.store, per_second=config.per_second,
                   commands=commands)

    async def start(self) -> None:
        try:
            self.username = (await self.bot.get_me()).username
            await self.register_commands()
        except TelegramError as exc:  # keep serving: updates are stored, replies retried later
            log.warning("Telegram is not reachable at start (%s); mentions are matched without the username", exc)

    def routes(self, runtime) -> list[Route]:
        config = runtime.settings.channels.get(self.name)
        if config and config.mode == "webhook" and config.secret:
            return [("POST", "/telegram", webhook_handler(runtime, self, config.secret))]
        return []

    def loops(self, runtime, stop, health) -> Loops:
        config = runtime.settings.channels.get(self.name)
        if config and config.mode == "polling":
            return {POLLING: lambda: poll_updates(runtime, self, stop, health)}
        return {}

    async def send(self, identity: str, message: Outgoing) -> None:
        chat_id = identity.partition(":")[2]
        windows = [(f"tg:chat:{chat_id}", *PER_CHAT), ("tg:all", *self.overall)]
        if chat_id.startswith("-"):  # group and supergroup ids are negative
            windows.append((f"tg:group:{chat_id}", *PER_GROUP))
        wait = await self.limiter.reserve(windows)
        if wait > 0:  # not now: delivery holds this chat back and goes on with the others
            raise DeliveryError(f"paced: {chat_id} in {wait:.1f}s", retry_after=wait, throttled=True)
        try:
            if message.reaction_to:   # a quiet acknowledgement (👀) on the resident's own message
                await self.bot.set_message_reaction(chat_id=int(chat_id), message_id=int(message.reaction_to),
                                                    reaction=[ReactionTypeEmoji(message.text)])
                return
            await self.bot.send_message(chat_id=int(chat_id), text=message.text[:MAX_TEXT],
                                        reply_markup=await self.keyboard(message.buttons))
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that this becomes a timedelta
                warnings.simplefilter("ignore")
                wait = exc.retry_after
            raise DeliveryError(str(exc), retry_after=wait.total_seconds()
                                if isinstance(wait, timedelta) else float(wait)) from None
        except (Forbidden, BadRequest) as exc:  # blocked by the user, chat gone: retrying cannot help
            raise DeliveryError(f"telegram refused: {exc}", permanent=True) from None
        except (NetworkError, TelegramError) as exc:
            raise DeliveryError(f"telegram: {exc}") from None

    async def keyboard(self, buttons: Buttons) -> InlineKeyboardMarkup | None:
        if not buttons:
            return None
        return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=await self._data(command))
                                      for label, command in row] for row in buttons])

    async def _data(self, command: str) -> str:
        if len(command.encode()) <= MAX_CALLBACK_DATA and not command.startswith(TOKEN_MARK):
            return command
        token = TOKEN_MARK + secrets.token_urlsafe(12)
        await self.store.redis.set(self.store.keys.tg_button(token), command, ex=BUTTON_TTL)
        return token

    async def button_command(self, data: object) -> str | None:
        """The command a tapped button stands for; None when it is unknown or expired."""
        if not isinstance(data, str) or not data.strip():
            return None
        if not data.startswith(TOKEN_MARK):
            return data
        return await self.store.redis.get(self.store.keys.tg_button(data))

    async def answer(self, query_id: str, text: str) -> None:
        """Stop the button's spinner with a short toast. Telegram allows this only within
        seconds of the tap, so it is done as soon as the tap is stored, before handling."""
        await self.bot.answer_callback_query(query_id, text=text)

    async def register_commands(self) -> None:
        """The / menu: every command in it also has its Chinese form."""
        await self.bot.set_my_commands([BotCommand(slash, line) for slash, line in self.menu])
