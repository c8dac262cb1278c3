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
"""

from __future__ import annotations

import asyncio
import json
import logging
import re

from aiohttp import web
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from bot.channels.base import DeliveryError
from bot.channels.wechat import MAX_BODY, MENU, BadCallback, safe_xml, to_event
from bot.channels.wechat_api import WeChatApiError, WeComApi
from handlers.events import Event, Outgoing
from storage.ratelimit import RateLimiter
from storage.tokens import Tokens

log = logging.getLogger(__name__)
ROBOT_PER_MINUTE = (20, 60.0)     # a group robot: 20 messages a minute
MEMBER_PER_MINUTE = (30, 60.0)    # one app to one member: 30 a minute (more are dropped by WeCom)
CARD_URL = "https://work.weixin.qq.com/"


class WeCom:
    name = "wecom"
    concurrency = 8   # recipients served side by side

    def __init__(self, runtime, api: WeComApi | None = None, limiter: RateLimiter | None = None) -> None:
        s = runtime.settings
        self.runtime = runtime
        self.crypto = WeChatCrypto(s.wecom_token, s.wecom_aes_key, s.wecom_corp_id)
        self.api = api or WeComApi(s.wecom_api_base, s.wecom_corp_id, s.wecom_secret, s.wecom_agent_id,
                                   Tokens(runtime.store))
        self.limiter = limiter or RateLimiter(runtime.store)
        self.aibot = (WeChatCrypto(s.wecom_bot_token, s.wecom_bot_aes_key, "")   # AI bots: receive id ""
                      if s.wecom_bot_token else None)

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
        event, dedupe = to_event(message, self.name, self.runtime.clock.now(), MENU)
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
            await self.runtime.redis.set(self.runtime.store.keys("wecom", "respond", event.id), data["response_url"],
                                         ex=3600)   # WeCom keeps a response_url usable for an hour
        if event is not None:
            await self.runtime.accept(event, platform_id=f"wecom:aibot:{data['msgid']}")
        return web.Response(text="")

    async def send(self, identity: str, message: Outgoing) -> None:
        if message.reaction_to:   # WeCom has no reactions
            return
        if message.in_reply_to:
            url = await self.runtime.redis.get(self.runtime.store.keys("wecom", "respond", message.in_reply_to))
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
                await self.api.send_card(key, title, rest or title, CARD_URL)
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
