"""Telegram out: Bot API messages through python-telegram-bot, with inline keyboards.

Nothing of python-telegram-bot's per-process machinery (Application, user_data, job
queue, its rate limiter) is used: sending is paced by limits kept in Redis and a button's
command is kept in Redis when it does not fit Telegram's 64-byte callback data, so any
number of workers can run. Updates coming in: bot/channels/telegram_updates.py.
"""

from __future__ import annotations

import secrets
import warnings
from datetime import timedelta

from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, ReactionTypeEmoji
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.base import DeliveryError
from handlers.events import Buttons, Outgoing
from storage.ratelimit import RateLimiter
from storage.store import Store

MAX_TEXT = 4096          # one message
MAX_CALLBACK_DATA = 64   # bytes of a button's callback_data
TOKEN_MARK = "~"         # callback data starting with it is a token for a longer command
BUTTON_TTL = 30 * 86400  # a button stays usable this long after it was sent
# Telegram's published limits: ~1 message/s per chat, 20/min per group, ~30/s overall.
PER_CHAT, PER_GROUP, OVERALL = (1, 1.0), (20, 60.0), (30, 1.0)

# The command menu (setMyCommands). Every command also has its Chinese form.
COMMANDS = [("report", "报修：描述问题"), ("status", "查询我的工单"), ("rate", "评价工单 1-5 分"),
            ("vote", "投票"), ("claim", "接单：认领志愿任务"), ("mytasks", "我的志愿任务"),
            ("points", "我的积分和时间银行"), ("link", "绑定账号：/link 绑定码"), ("help", "帮助")]


class TelegramChannel:
    name = "tg"
    concurrency = 16   # recipients served side by side; the pace is the rate limiter's

    def __init__(self, bot: Bot, store: Store, username: str | None = None, clock=None,
                 per_second: int = OVERALL[0]) -> None:
        self.bot = bot
        self.overall = (per_second, OVERALL[1])   # TELEGRAM_MAX_PER_SECOND
        self.store = store
        self.username = username   # the bot's @username, for mentions (getMe at start)
        self.limiter = RateLimiter(store, clock) if clock else RateLimiter(store)

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
        await self.store.redis.set(self.store.keys("tg", "button", token), command, ex=BUTTON_TTL)
        return token

    async def button_command(self, data: object) -> str | None:
        """The command a tapped button stands for; None when it is unknown or expired."""
        if not isinstance(data, str) or not data.strip():
            return None
        if not data.startswith(TOKEN_MARK):
            return data
        return await self.store.redis.get(self.store.keys("tg", "button", data))

    async def answer(self, query_id: str, text: str) -> None:
        """Stop the button's spinner with a short toast. Telegram allows this only within
        seconds of the tap, so it is done as soon as the tap is stored, before handling."""
        await self.bot.answer_callback_query(query_id, text=text)

    async def register_commands(self) -> None:
        await self.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
