"""Telegram in: updates by webhook (POST /telegram) or by long polling (getUpdates), both
stored through `accept_update` — durably and once per update_id — before Telegram is told
anything. A button tap (callback query) becomes the button's command, sent by the person
who tapped it, exactly as if they had typed it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
from typing import TYPE_CHECKING, Any

from aiohttp import web
from telegram.error import TelegramError

from handlers.events import Event
from storage.leases import Leases

if TYPE_CHECKING:   # bot/channels/telegram.py wires these functions in: no import back
    from bot.channels.telegram import TelegramChannel

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
GROUP_TYPES = ("group", "supergroup")
TAPPED, EXPIRED = "已收到 ✓", "按钮已失效，请直接发送文字命令"
POLL_TIMEOUT = 25          # seconds a getUpdates call waits for news
POLL_LEASE_MS = 60_000     # one poller per bot: Telegram refuses concurrent getUpdates
NAME = "telegram-polling"
OK_BODY = b'{"ok": true}'   # the webhook's answer, the same every time: made once


def _private_media(update: dict[str, Any], message: dict[str, Any], received_at: float) -> Event | None:
    """A 1:1 message with no text — a photo, a location, a voice message, a sticker — as an
    event with its attachment, so the sender hears something (a photo or a place is added to
    their open ticket; the rest is answered with what linli can read). In a group: None."""
    sender, chat = message.get("from") or {}, message.get("chat") or {}
    if "id" not in sender or "id" not in chat or chat.get("type") != "private":
        return None
    if isinstance(message.get("photo"), list) and message["photo"]:
        attachment = {"type": "image", "media_id": str(message["photo"][-1].get("file_id", ""))}   # the largest
    elif isinstance(message.get("location"), dict):
        attachment = {"type": "location", "lat": message["location"].get("latitude"),
                      "lng": message["location"].get("longitude")}
    elif "voice" in message or "audio" in message:
        attachment = {"type": "voice"}
    else:
        attachment = {"type": next((k for k in MEDIA_KINDS if k in message), "other")}
    return Event(id=f"tg:{update['update_id']}", channel="tg", sender=f"tg:{sender['id']}", chat_kind="private",
                 received_at=received_at, attachments=(attachment,))


# What else a 1:1 message may carry (answered as a kind linli cannot read yet).
MEDIA_KINDS = ("sticker", "document", "video", "video_note", "animation", "contact", "venue", "poll", "dice")


class BadUpdate(ValueError):
    """Not a Telegram update linli can read (the webhook answers 400)."""


def update_to_event(update: dict[str, Any], bot_username: str | None, received_at: float) -> Event | None:
    """A Telegram message as an event; None for updates linli does not act on."""
    message = update.get("message")  # an edited message is not a new report
    if not isinstance(message, dict):
        return None
    sender, chat = message.get("from") or {}, message.get("chat") or {}
    if not isinstance(message.get("text") or message.get("caption"), str):
        return _private_media(update, message, received_at)
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
    # The message id lets a handler acknowledge a group message quietly (a 👀 reaction).
    data = {"message_id": message["message_id"]} if group and isinstance(message.get("message_id"), int) else {}
    return Event(id=f"tg:{update['update_id']}", channel="tg", sender=f"tg:{sender['id']}",
                 chat=f"tg:{chat['id']}" if group else None, chat_kind="group" if group else "private",
                 text=text, addressed=addressed, received_at=received_at, data=data)


def tap_to_event(update: dict[str, Any], command: str, received_at: float) -> Event:
    """A button tap as the command it stands for, from the person who tapped."""
    query = update["callback_query"]
    chat = (query.get("message") or {}).get("chat") or {}
    group = chat.get("type") in GROUP_TYPES
    return Event(id=f"tg:{update['update_id']}", channel="tg", sender=f"tg:{query['from']['id']}",
                 chat=f"tg:{chat['id']}" if group else None, chat_kind="group" if group else "private",
                 text=command, addressed=True, received_at=received_at, data={"tap": True})


async def accept_update(runtime, channel: TelegramChannel, update: Any) -> bool:
    """Store one update (once per update_id); True when it was new. Raises BadUpdate."""
    if not isinstance(update, dict) or isinstance(update.get("update_id"), bool):
        raise BadUpdate("not an object with an update_id")
    try:
        update_id = int(update["update_id"])
    except (KeyError, TypeError, ValueError):
        raise BadUpdate("update_id missing or not a number") from None
    now, platform_id = runtime.clock.now(), f"tg:update:{update_id}"
    query = update.get("callback_query")
    if query is None:
        event = update_to_event(update, channel.username, now)
        return await runtime.accept(event, platform_id=platform_id) if event else False
    if not isinstance(query, dict) or not isinstance(query.get("id"), str) or "id" not in (query.get("from") or {}):
        raise BadUpdate("callback_query without id or from")
    command = await channel.button_command(query.get("data"))
    fresh = await runtime.accept(tap_to_event(update, command, now), platform_id=platform_id) if command else False
    try:
        await channel.answer(query["id"], TAPPED if command else EXPIRED)
    except TelegramError as exc:  # too late or already answered (a retried update): the tap is stored
        log.info("could not answer callback query %s: %s", query["id"], exc)
    return fresh


def webhook_handler(runtime, channel: TelegramChannel, secret: str):
    """POST /telegram: check the secret in constant time, store the update, then answer 200.
    Telegram retries anything else, which is what we want if storing failed."""

    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.json_response({"error": "wrong secret token"}, status=403)
        try:
            await accept_update(runtime, channel, json.loads(await request.read()))
        except (ValueError, BadUpdate) as exc:
            return web.json_response({"error": f"not a Telegram update: {exc}"}, status=400)
        return web.Response(body=OK_BODY, content_type="application/json")

    return handle


async def poll_updates(runtime, channel: TelegramChannel, stop: asyncio.Event, health=None,
                       timeout: int = POLL_TIMEOUT) -> None:
    """Long polling, for running without a public URL: one process at a time (a lease)
    asks getUpdates, stores each update, and only then moves the offset past it."""
    from bot.supervisor import UNAVAILABLE, Health

    health = health or Health()
    leases, owner = Leases(runtime.store), f"tg-poll-{os.getpid()}-{id(stop)}"
    offset_key = runtime.store.keys.tg_offset()
    webhook_dropped = False
    while not stop.is_set():
        try:
            if not await leases.acquire("tg:poll", owner, POLL_LEASE_MS):
                health.beat(NAME)
                await _sleep(stop, 5)
                continue
            if not webhook_dropped:  # getUpdates is refused while a webhook is set
                await channel.bot.delete_webhook()
                webhook_dropped = True
            offset = int(await runtime.redis.get(offset_key) or 0)
            updates = await channel.bot.get_updates(offset=offset or None, timeout=timeout)
            for update in updates:
                try:
                    await accept_update(runtime, channel, update.to_dict())
                except BadUpdate as exc:
                    log.warning("skipping unreadable update %s: %s", update.update_id, exc)
                await runtime.redis.set(offset_key, update.update_id + 1)
            health.beat(NAME)
        except TelegramError as exc:
            log.warning("getUpdates failed (%s); retrying", exc)
            health.beat(NAME)
            await _sleep(stop, 3)
        except UNAVAILABLE as exc:
            await _sleep(stop, health.outage(NAME, exc))
    try:
        await leases.release("tg:poll", owner)
    except UNAVAILABLE:
        pass   # the lease runs out by itself


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass
