"""WeCom (企业微信): where staff, volunteers and council members work. An internal app's
callback (`GET/POST /wecom`, always encrypted) brings their messages in; app messages
take replies and pushes out (a message with buttons becomes a text card whose text says
what to send); a chat whose identity is `wecom:robot:KEY` is a WeCom group reached through
its group robot's webhook, for broadcasts (poll results, notices).

WeCom's AI bot (智能机器人, `GET/POST /wecom/aibot`, encrypted JSON) brings @mentions in
WeCom groups, so building groups can run on WeCom: the sender is the member
(`wecom:USERID`), the group is `wecom:chat:CHATID` (bind it with `绑定群 b3`), and the reply
goes to the message's `response_url`.

WeCom's callback must be answered within a few seconds and its passive replies are
optional, so linli stores the message, answers at once and replies by app message.

The WECOM_* settings are read here (`WeCom.configure`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from aiohttp import web
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from bot.channels.base import BaseChannel, ChannelConfig, DeliveryError, Route, TextLimit, fit
from bot.channels.wechat import MAX_BODY, BadCallback, Menu, safe_xml, to_event
from bot.channels.wechat_api import WeChatApiError, WeComApi
from bot.settings import SettingsError, read_number
from handlers.commands import Command
from handlers.events import Event, Outgoing
from storage.ratelimit import RateLimiter
from storage.tokens import Tokens

log = logging.getLogger(__name__)
ROBOT_PER_MINUTE = (20, 60.0)     # a group robot: 20 messages a minute
MEMBER_PER_MINUTE = (30, 60.0)    # one app to one member: 30 a minute (more are dropped by WeCom)
CARD_URL = "https://work.weixin.qq.com/"
CARD_TITLE = TextLimit(128, "bytes")   # a text card's title, and its description: WeCom's limits
CARD_TEXT = TextLimit(512, "bytes")


@dataclass(frozen=True)
class WeComConfig(ChannelConfig):
    corp_id: str                                   # WECOM_CORP_ID
    agent_id: int                                  # WECOM_AGENT_ID
    secret: str = field(repr=False)                # WECOM_SECRET
    token: str = field(repr=False)                 # WECOM_TOKEN
    aes_key: str = field(repr=False)               # WECOM_AES_KEY
    api_base: str = "https://qyapi.weixin.qq.com"  # WECOM_API_BASE
    bot_token: str | None = field(default=None, repr=False)     # WECOM_BOT_TOKEN: the AI bot (智能机器人)
    bot_aes_key: str | None = field(default=None, repr=False)   # WECOM_BOT_AES_KEY


class WeCom(BaseChannel):
    name = "wecom"
    title = "WeCom"
    concurrency = 8   # recipients served side by side
    text_limit = TextLimit(2048, "bytes")   # an app's or a group robot's text: 2,048 bytes of UTF-8

    def __init__(self, runtime, api: WeComApi | None = None, limiter: RateLimiter | None = None,
                 commands: Sequence[Command] = ()) -> None:
        s = runtime.settings.channels[self.name]
        self.runtime = runtime
        self.crypto = WeChatCrypto(s.token, s.aes_key, s.corp_id)
        self.api = api or WeComApi(s.api_base, s.corp_id, s.secret, s.agent_id, Tokens(runtime.store))
        self.limiter = limiter or RateLimiter(runtime.store)
        self.aibot = (WeChatCrypto(s.bot_token, s.bot_aes_key, "")   # AI bots: receive id ""
                      if s.bot_token else None)
        self.menu = Menu(commands)

    # ---- wiring (bot/channels/base.py) ------------------------------------------------------
    @classmethod
    def configure(cls, env: Mapping[str, str]) -> WeComConfig | None:
        corp_id = env.get("WECOM_CORP_ID") or None
        if not corp_id:
            return None
        for name in ("WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY"):
            if not env.get(name):
                raise SettingsError(f"{name}: required with WECOM_CORP_ID (see the README's WeCom section)")
        if len(env["WECOM_AES_KEY"]) != 43:
            raise SettingsError("WECOM_AES_KEY: the EncodingAESKey is 43 characters")
        bot_token, bot_key = env.get("WECOM_BOT_TOKEN") or None, env.get("WECOM_BOT_AES_KEY") or None
        if bool(bot_token) != bool(bot_key) or (bot_key and len(bot_key) != 43):
            raise SettingsError("WECOM_BOT_TOKEN and WECOM_BOT_AES_KEY (43 characters) go together, for the AI bot")
        return WeComConfig(corp_id=corp_id, agent_id=read_number(env, "WECOM_AGENT_ID", "0", int),
                           secret=env["WECOM_SECRET"], token=env["WECOM_TOKEN"], aes_key=env["WECOM_AES_KEY"],
                           api_base=env.get("WECOM_API_BASE", "https://qyapi.weixin.qq.com"),
                           bot_token=bot_token, bot_aes_key=bot_key)

    @classmethod
    def from_settings(cls, runtime, commands: Sequence[Command]) -> "WeCom | None":
        return cls(runtime, commands=commands) if cls.name in runtime.settings.channels else None

    def routes(self, runtime) -> list[Route]:
        """The app's callback, and the AI bot's when one is configured (GET: URL checks)."""
        routes = [("GET", "/wecom", self.verify), ("POST", "/wecom", self.receive)]
        if self.aibot:
            routes += [("GET", "/wecom/aibot", self.aibot_verify), ("POST", "/wecom/aibot", self.aibot_receive)]
        return routes

    async def close(self) -> None:
        await self.api.close()

    async def verify(self, request: web.Request) -> web.Response:
        return _url_check(self.crypto, request)

    async def receive(self, request: web.Request) -> web.Response:
        q = request.query
        try:
            body = safe_xml(await request.content.read(MAX_BODY + 1))
            try:
                xml = self.crypto.decrypt_message(body, q.get("msg_signature", ""), q.get("timestamp", ""),
                                                  q.get("nonce", ""))
            except InvalidSignatureException:
                return web.Response(status=403, text="wrong msg_signature")
            except Exception as exc:
                raise BadCallback(f"cannot decrypt: {exc}") from None
            xml = safe_xml(xml.encode())
            try:
                message = parse_message(xml)
            except Exception as exc:
                raise BadCallback(f"unreadable XML: {exc}") from None
        except BadCallback as exc:
            return web.Response(status=400, text=str(exc))
        event, dedupe = to_event(message, self.name, self.runtime.clock.now(), self.menu)
        if event is not None:
            await self.runtime.accept(event, platform_id=dedupe)
        return web.Response(text="")

    # ---- the AI bot ------------------------------------------------------------------------
    async def aibot_verify(self, request: web.Request) -> web.Response:
        return _url_check(self.aibot, request)

    async def aibot_receive(self, request: web.Request) -> web.Response:
        q = request.query
        try:
            body = await request.content.read(MAX_BODY + 1)
            if len(body) > MAX_BODY:
                raise BadCallback("body too large")
            envelope = json.loads(body)
            if not isinstance(envelope, dict) or not isinstance(envelope.get("encrypt"), str):
                raise BadCallback("no encrypt field")
            try:
                plain = self.aibot.decrypt_message({"Encrypt": envelope["encrypt"]}, q.get("msg_signature", ""),
                                                   q.get("timestamp", ""), q.get("nonce", ""))
            except InvalidSignatureException:
                return web.Response(status=403, text="wrong msg_signature")
            except Exception as exc:
                raise BadCallback(f"cannot decrypt: {exc}") from None
            data = json.loads(plain)
            if not isinstance(data, dict) or not (data.get("from") or {}).get("userid") or not data.get("msgid"):
                raise BadCallback("not an AI bot message")
        except (BadCallback, ValueError) as exc:
            return web.Response(status=400, text=str(exc))
        event = aibot_event(data, self.runtime.clock.now())
        if event is not None and data.get("response_url"):
            await self.runtime.redis.set(self.runtime.store.keys.wecom_respond(event.id), data["response_url"],
                                         ex=3600)   # WeCom keeps a response_url usable for an hour
        if event is not None:
            await self.runtime.accept(event, platform_id=f"wecom:aibot:{data['msgid']}")
        return web.Response(text="")

    async def send(self, identity: str, message: Outgoing) -> None:
        if message.reaction_to:   # WeCom has no reactions
            return
        if message.in_reply_to:
            url = await self.runtime.redis.get(self.runtime.store.keys.wecom_respond(message.in_reply_to))
            if url:   # a reply to an AI bot message goes back where it came from
                try:
                    await self.api.respond(url, message.text)
                except WeChatApiError as exc:
                    raise DeliveryError(f"wecom ai bot: {exc}", permanent=True) from None
                except (OSError, asyncio.TimeoutError) as exc:
                    raise DeliveryError(f"wecom unreachable: {exc}") from None
                return
        target = identity.partition(":")[2]
        robot = target.startswith("robot:")
        key = target.removeprefix("robot:")
        limit = ROBOT_PER_MINUTE if robot else MEMBER_PER_MINUTE
        wait = await self.limiter.reserve([(f"wecom:{'robot' if robot else 'member'}:{key}", *limit)])
        if wait > 0:
            raise DeliveryError(f"paced: {identity} in {wait:.0f}s", retry_after=wait, throttled=True)
        try:
            if robot:
                await self.api.robot_text(key, message.text)
            elif message.buttons:
                title, _, rest = message.text.partition("\n")
                note = message.cut_note or self.runtime.services.texts("message.cut")
                await self.api.send_card(key, fit(title, CARD_TITLE, "…"), fit(rest or title, CARD_TEXT, note),
                                         CARD_URL)
            else:
                await self.api.send_text(key, message.text)
        except WeChatApiError as exc:
            raise DeliveryError(f"wecom: {exc}", permanent=exc.errcode in (60111, 81013, 93000)) from None
        except (OSError, asyncio.TimeoutError) as exc:
            raise DeliveryError(f"wecom unreachable: {exc}") from None


def _url_check(crypto: WeChatCrypto, request: web.Request) -> web.Response:
    """GET: WeCom checks the URL with an encrypted `echostr`; answer with it decrypted,
    at once (WeCom allows 1 s)."""
    q = request.query
    try:
        echo = crypto.check_signature(q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""),
                                      q.get("echostr", ""))
    except InvalidSignatureException:
        return web.Response(status=403, text="wrong signature")
    except Exception:
        return web.Response(status=400, text="cannot decrypt echostr")
    return web.Response(text=echo.decode() if isinstance(echo, bytes) else echo)


def aibot_event(data: dict, received_at: float) -> Event | None:
    """An AI bot message: text (the @mention stripped) from a member, in a group or 1:1."""
    if data.get("msgtype") != "text":
        return None
    text = str((data.get("text") or {}).get("content", ""))
    text = re.sub(r"^\s*@\S+\s*", "", text).strip()
    group = data.get("chattype") == "group" and data.get("chatid")
    return Event(id=f"wecom:aibot:{data['msgid']}", channel="wecom", sender=f"wecom:{data['from']['userid']}",
                 chat=f"wecom:chat:{data['chatid']}" if group else None, chat_kind="group" if group else "private",
                 text=text, addressed=True, received_at=received_at)
