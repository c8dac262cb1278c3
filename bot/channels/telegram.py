"""Telegram: webhook updates in, Bot API messages out, through python-telegram-bot.

Nothing of python-telegram-bot's per-process machinery (Application, user_data, job
queue, its rate limiter) is used: updates go to the inbound stream like any channel's,
and sending is paced by limits kept in Redis, so any number of workers can run.
"""

from __future__ import annotations

import hmac
import json
import logging
import warnings
from datetime import timedelta
from typing import Any

from aiohttp import web
from telegram import Bot, BotCommand
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.base import DeliveryError
from handlers.events import Event, Outgoing
from storage.ratelimit import RateLimiter

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
GROUP_TYPES = ("group", "supergroup")
MAX_TEXT = 4096  # Telegram's limit for one message
# Telegram's published limits: ~1 message/s per chat, 20/min per group, ~30/s overall.
PER_CHAT, PER_GROUP, OVERALL = (1, 1.0), (20, 60.0), (25, 1.0)

COMMANDS = [("report", "报修：描述问题"), ("status", "查询我的工单"), ("rate", "评价工单 1-5 分"),
            ("reopen", "重开工单"), ("help", "帮助")]


def update_to_event(update: dict[str, Any], bot_username: str | None, received_at: float) -> Event | None:
    """A Telegram update as an event; None for updates linli does not act on."""
    message = update.get("message")  # an edited message is not a new report
    if not isinstance(message, dict) or not isinstance(message.get("text") or message.get("caption"), str):
        return None
    sender, chat = message.get("from") or {}, message.get("chat") or {}
    if "id" not in sender or "id" not in chat:
        return None
    text = message.get("text") or message.get("caption")
    group = chat.get("type") in GROUP_TYPES
    mention = f"@{bot_username}".lower() if bot_username else None
    replied = (message.get("reply_to_message") or {}).get("from") or {}
    addressed = (not group or bool(mention and mention in text.lower()) or text.startswith("/")
                 or (bool(bot_username) and replied.get("username") == bot_username))
    if mention and mention in text.lower():
        start = text.lower().index(mention)
        text = (text[:start] + text[start + len(mention):]).strip()
    return Event(id=f"tg:{update['update_id']}", channel="tg", sender=f"tg:{sender['id']}",
                 chat=f"tg:{chat['id']}" if group else None, chat_kind="group" if group else "private",
                 text=text, addressed=addressed, received_at=received_at)


class TelegramChannel:
    name = "tg"

    def __init__(self, bot: Bot, limiter: RateLimiter) -> None:
        self.bot = bot
        self.limiter = limiter

    async def send(self, identity: str, message: Outgoing) -> None:
        chat_id = identity.partition(":")[2]
        windows = [(f"tg:chat:{chat_id}", *PER_CHAT), ("tg:all", *OVERALL)]
        if chat_id.startswith("-"):  # group and supergroup ids are negative
            windows.append((f"tg:group:{chat_id}", *PER_GROUP))
        await self.limiter.acquire(windows)
        try:
            await self.bot.send_message(chat_id=int(chat_id), text=message.text[:MAX_TEXT])
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

    async def register_commands(self) -> None:
        await self.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])


def webhook_handler(runtime, secret: str, bot_username: str | None):
    """POST /telegram: check the secret in constant time, store the update, then answer 200.
    Telegram retries anything else, which is what we want if storing failed."""

    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.json_response({"error": "wrong secret token"}, status=403)
        try:
            update = json.loads(await request.read())
            update_id = int(update["update_id"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "not a Telegram update"}, status=400)
        event = update_to_event(update, bot_username, runtime.clock.now())
        if event is not None:
            await runtime.accept(event, platform_id=f"tg:update:{update_id}")
        return web.json_response({"ok": True})

    return handle
