"""WeChat Official Account (公众号/服务号): residents chat with linli 1:1.

The callback (`GET/POST /wechat`) verifies, stores the message once (MsgId, or
FromUserName+CreateTime for events), then waits a short budget for the reply: ready in
time, it goes back as the passive reply in the HTTP answer; otherwise the answer is
`success` and the reply follows through the customer-service API. Exactly one of the two
sends an event's first reply: delivery holds it while the callback waits (ReplyClaims).

Pushes (task offers, rate requests, poll notices) go as customer-service messages while
the user's 48-hour window is open and within its message allowance, else as a template
message where one is configured, else they are kept as undeliverable and logged.

The WECHAT_* settings are read here (`OfficialAccount.configure`); the menu's keys come
from the command table the service passes in (`Menu`, which WeCom shares).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.addressing import decode
from bot.channels.base import BaseChannel, ChannelConfig, DeliveryError, Route, TextLimit, fitted
from bot.channels.wechat_api import OfficialAccountApi, WeChatApiError
from bot.settings import SettingsError, read_number
from handlers.commands import Command, parse as parse_command
from handlers.events import Event, Outgoing
from storage.store import Store

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
WINDOW = 48 * 3600                  # customer-service messages: this long after the user's message
_ENTITIES = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)
# Menu keys that are no command's slash name but were offered before the keys came from the
# command table: accounts whose menu was set up with them keep working.
MENU_ALIASES = {"tasks": "mytasks"}   # 我的任务


class BadCallback(ValueError):
    """Malformed, oversized or unsafe XML: 400."""


def safe_xml(body: bytes) -> str:
    """Refuse what an XML parser could be tricked with (entity expansion, external
    entities) before any parser sees it; WeChat never sends a DOCTYPE."""
    if len(body) > MAX_BODY:
        raise BadCallback(f"body over {MAX_BODY} bytes")
    if _ENTITIES.search(body):
        raise BadCallback("DOCTYPE or ENTITY declarations are not accepted")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadCallback("not UTF-8") from None


def parse(xml: str):
    try:
        message = parse_message(xml)
    except Exception as exc:  # expat and xmltodict raise several kinds; all mean malformed
        raise BadCallback(f"unreadable XML: {exc}") from None
    if not getattr(message, "source", None):
        raise BadCallback("no FromUserName")
    return message


def to_event(message, prefix: str, received_at: float, menu: Callable[[str], str]) -> tuple[Event | None, str]:
    """(event or None, dedupe id). A message linli cannot use yet still gets an event so
    the sender hears why (an unrecognised voice message, say)."""
    raw = message._data
    sender = f"{prefix}:{message.source}"
    if message.type == "event":
        dedupe = f"{prefix}:evt:{message.source}:{raw.get('CreateTime')}:{raw.get('Event')}"
        event_id = f"{prefix}:evt:{message.source}:{raw.get('CreateTime')}"
        kind = str(raw.get("Event", "")).lower()
        if kind == "subscribe":
            return Event(id=event_id, channel=prefix, sender=sender, text="", received_at=received_at,
                         data={"wechat": "subscribe"}), dedupe
        if kind == "click":
            command = menu(str(raw.get("EventKey", "")))
            return Event(id=event_id, channel=prefix, sender=sender, text=command, received_at=received_at), dedupe
        return None, dedupe
    dedupe = f"{prefix}:msg:{raw.get('MsgId') or message.id}"
    event = dict(id=f"{prefix}:{raw.get('MsgId') or message.id}", channel=prefix, sender=sender, received_at=received_at)
    if message.type == "text":
        return Event(**event, text=message.content or ""), dedupe
    if message.type == "voice":
        text = (raw.get("Recognition") or "").strip()
        return Event(**event, text=text, data={} if text else {"wechat": "voice"}), dedupe
    if message.type == "image":
        return Event(**event, attachments=({"type": "image", "url": raw.get("PicUrl"),
                                            "media_id": raw.get("MediaId")},)), dedupe
    if message.type == "location":
        label = raw.get("Label") or ""
        return Event(**event, attachments=({"type": "location", "lat": raw.get("Location_X"),
                                            "lng": raw.get("Location_Y"), "label": label},)), dedupe
    return Event(**event, data={"wechat": "unsupported"}), dedupe


class Menu:
    """What a menu button's EventKey says: a command's slash name (`points` → 积分) or one
    of MENU_ALIASES, or a command itself (`积分`, `我的任务`), so an account's menu can offer
    any command of the table; anything else shows the help."""

    def __init__(self, commands: Sequence[Command]) -> None:
        self.commands = list(commands)
        by_slash = {command.slash: command.words[0] for command in self.commands}
        aliases = {key: by_slash[slash] for key, slash in MENU_ALIASES.items() if slash in by_slash}
        self.keys = {**aliases, **by_slash}   # the table wins should a command take an alias's name

    def __call__(self, key: str) -> str:
        if key in self.keys:
            return self.keys[key]
        return key if parse_command(key, self.commands) else "帮助"


class ReplyClaims:
    """Who sends an event's first reply. While the callback waits ("waiting", for at most
    its budget) delivery holds that reply back; then the callback either answers with it
    ("passive": delivery skips it and sends the rest) or lets it go ("released")."""

    def __init__(self, store: Store) -> None:
        self.redis, self.keys = store.redis, store.keys

    async def waiting(self, event_id: str, budget: float) -> bool:
        """False when the event already has a state (a retried callback leaves it be). The
        mark expires on its own should the waiting process die: nothing stays held."""
        return bool(await self.redis.set(self.keys.wx_reply(event_id), "waiting", nx=True,
                                         px=int((budget + 2) * 1000)))

    async def settle(self, event_id: str, outcome: str) -> None:
        await self.redis.set(self.keys.wx_reply(event_id), outcome, ex=86400)

    async def state(self, event_id: str) -> str | None:
        return await self.redis.get(self.keys.wx_reply(event_id))

    async def sent_by_delivery(self, event_id: str) -> int:
        key = self.keys.wx_reply_sent(event_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 86400)
            count, _ = await pipe.execute()
        return int(count)


class Windows:
    """The customer-service window per user: when they last wrote, and how many messages
    have gone to them since."""

    def __init__(self, store: Store) -> None:
        self.redis, self.keys = store.redis, store.keys

    async def user_wrote(self, openid: str, at: float) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.wx_window(), openid, f"{at:.0f}")
            pipe.hdel(self.keys.wx_window_sent(), openid)
            await pipe.execute()

    async def take(self, openid: str, now: float, allowance: int) -> bool:
        """One message of the window's allowance, if the window is open and any is left."""
        last = await self.redis.hget(self.keys.wx_window(), openid)
        if not last or now - float(last) > WINDOW:
            return False
        return await self.redis.hincrby(self.keys.wx_window_sent(), openid, 1) <= allowance


@dataclass(frozen=True)
class WeChatConfig(ChannelConfig):
    app_id: str                                    # WECHAT_APP_ID
    app_secret: str = field(repr=False)            # WECHAT_APP_SECRET
    token: str = field(repr=False)                 # WECHAT_TOKEN
    aes_key: str | None = field(default=None, repr=False)   # WECHAT_AES_KEY
    template_id: str | None = None                 # WECHAT_TEMPLATE_ID
    template_field: str = "content"                # WECHAT_TEMPLATE_FIELD
    api_base: str = "https://api.weixin.qq.com"    # WECHAT_API_BASE
    reply_budget: float = 1.0                      # WECHAT_REPLY_BUDGET
    cs_limit: int = 5                              # WECHAT_CS_LIMIT


class OfficialAccount(BaseChannel):
    """The callback endpoint and the sending side of one Official Account."""

    name = "wx"
    title = "WeChat"
    concurrency = 8   # recipients served side by side
    # A text reply or customer-service message: 2,048 bytes of UTF-8 (about 680 Chinese
    # characters); longer ones are refused (45002 content size out of limit). Delivery cuts
    # them, and so does the passive reply (_first_reply).
    text_limit = TextLimit(2048, "bytes")

    def __init__(self, runtime, api: OfficialAccountApi | None = None, commands: Sequence[Command] = ()) -> None:
        s = runtime.settings.channels[self.name]
        self.runtime = runtime
        self.token, self.app_id = s.token, s.app_id
        self.crypto = WeChatCrypto(s.token, s.aes_key, s.app_id) if s.aes_key else None
        self.budget = s.reply_budget
        self.allowance = s.cs_limit
        self.template_id, self.template_field = s.template_id, s.template_field
        self.api = api or OfficialAccountApi(s.api_base, s.app_id, s.app_secret, _tokens(runtime))
        self.claims, self.windows = ReplyClaims(runtime.store), Windows(runtime.store)
        self.menu = Menu(commands)

    # ---- wiring (bot/channels/base.py) ------------------------------------------------------
    @classmethod
    def configure(cls, env: Mapping[str, str]) -> WeChatConfig | None:
        app_id = env.get("WECHAT_APP_ID") or None
        if not app_id:
            return None
        for name in ("WECHAT_APP_SECRET", "WECHAT_TOKEN"):
            if not env.get(name):
                raise SettingsError(f"{name}: required with WECHAT_APP_ID (see the README's WeChat section)")
        aes = env.get("WECHAT_AES_KEY") or None
        if aes and len(aes) != 43:
            raise SettingsError("WECHAT_AES_KEY: the EncodingAESKey is 43 characters")
        budget = read_number(env, "WECHAT_REPLY_BUDGET", "1.0")
        if budget > 4:
            raise SettingsError("WECHAT_REPLY_BUDGET: WeChat waits 5 seconds at most; keep it under 4")
        return WeChatConfig(app_id=app_id, app_secret=env["WECHAT_APP_SECRET"], token=env["WECHAT_TOKEN"],
                            aes_key=aes, template_id=env.get("WECHAT_TEMPLATE_ID") or None,
                            template_field=env.get("WECHAT_TEMPLATE_FIELD", "content"),
                            api_base=env.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
                            reply_budget=budget, cs_limit=read_number(env, "WECHAT_CS_LIMIT", "5", int))

    @classmethod
    def from_settings(cls, runtime, commands: Sequence[Command]) -> "OfficialAccount | None":
        return cls(runtime, commands=commands) if cls.name in runtime.settings.channels else None

    def routes(self, runtime) -> list[Route]:
        """WeChat checks the URL with a GET and posts messages to the same path."""
        return [("GET", "/wechat", self.verify), ("POST", "/wechat", self.receive)]

    async def close(self) -> None:
        await self.api.close()

    # ---- the callback ---------------------------------------------------------------------
    async def verify(self, request: web.Request) -> web.Response:
        """GET: WeChat checks the URL; echo `echostr` when the signature is ours."""
        q = request.query
        try:
            check_signature(self.token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
        except InvalidSignatureException:
            return web.Response(status=403, text="wrong signature")
        return web.Response(text=q.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        started, q = time.monotonic(), request.query
        try:
            check_signature(self.token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
        except InvalidSignatureException:
            return web.Response(status=403, text="wrong signature")
        try:
            body = await request.content.read(MAX_BODY + 1)
            xml = safe_xml(body)
            encrypted = q.get("encrypt_type") == "aes"
            if encrypted:
                if self.crypto is None:
                    raise BadCallback("encrypted callback but no EncodingAESKey configured")
                try:
                    xml = safe_xml(self.crypto.decrypt_message(xml, q.get("msg_signature", ""), q.get("timestamp", ""),
                                                               q.get("nonce", "")).encode())
                except InvalidSignatureException:
                    return web.Response(status=403, text="wrong msg_signature")
                except BadCallback:
                    raise
                except Exception as exc:
                    raise BadCallback(f"cannot decrypt: {exc}") from None
            message = parse(xml)
        except BadCallback as exc:
            return web.Response(status=400, text=str(exc))
        runtime = self.runtime
        await self.windows.user_wrote(message.source, runtime.clock.now())
        event, dedupe = to_event(message, self.name, runtime.clock.now(), self.menu)
        if event is None:
            return web.Response(text="success")
        fresh_mark = await self.claims.waiting(event.id, self.budget)
        if not await runtime.accept(event, platform_id=dedupe):
            if fresh_mark:
                await self.claims.settle(event.id, "released")
            return web.Response(text="success")   # a retry of what is stored: answered once already
        reply = await self._reply_within(event, started + self.budget)
        if reply is None:
            return web.Response(text="success")
        rendered = TextReply(content=reply.text, message=message).render()
        if encrypted:
            rendered = self.crypto.encrypt_message(rendered, q.get("nonce", ""), q.get("timestamp"))
        return web.Response(text=rendered, content_type="application/xml")

    async def _reply_within(self, event: Event, deadline: float) -> Outgoing | None:
        outbox = self.runtime.outbox
        while not await outbox.is_done(event.id):
            if time.monotonic() >= deadline:
                await self.claims.settle(event.id, "released")
                return None
            await asyncio.sleep(0.02)
        first = await self._first_reply(event)
        await self.claims.settle(event.id, "passive" if first else "released")
        return first

    async def _first_reply(self, event: Event) -> Outgoing | None:
        payload = await self.runtime.outbox.first_reply(event.id, self.name)
        if not payload:
            return None
        return fitted(decode(payload)[1], self.text_limit, self.runtime.services.texts("message.cut"))

    # ---- sending ----------------------------------------------------------------------------
    async def send(self, identity: str, message: Outgoing) -> None:
        if message.reaction_to:   # WeChat has no reactions
            return
        openid = identity.partition(":")[2]
        if message.via and message.in_reply_to:
            state = await self.claims.state(message.in_reply_to)
            if state == "waiting":   # the callback may still answer with it: ask again shortly
                raise DeliveryError("held for the passive reply", retry_after=0.2, throttled=True)
            if state == "passive" and await self.claims.sent_by_delivery(message.in_reply_to) == 1:
                return   # the callback already answered with this one
        try:
            if await self.windows.take(openid, self.runtime.clock.now(), self.allowance):
                await self.api.send_text(openid, message.text)
            elif self.template_id:
                await self.api.send_template(openid, self.template_id, self.template_field, message.text)
            else:
                raise DeliveryError(f"wx:{openid}: outside the 48-hour window and no template configured",
                                    permanent=True)
        except WeChatApiError as exc:
            raise DeliveryError(f"wechat: {exc}", permanent=exc.errcode in (43004, 45015, 45047, 40003)) from None
        except (OSError, asyncio.TimeoutError) as exc:
            raise DeliveryError(f"wechat unreachable: {exc}") from None


def _tokens(runtime):
    from storage.tokens import Tokens
    return Tokens(runtime.store)
