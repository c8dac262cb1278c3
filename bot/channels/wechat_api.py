"""The few WeChat and WeCom endpoints linli calls, over aiohttp with explicit timeouts.

wechatpy's clients are synchronous (requests) with no default timeout: on the event loop
they would stall every chat while WeChat is slow. linli uses wechatpy for what it does
well — signatures, AES, XML parsing — and this small client for the HTTP calls.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from storage.tokens import Tokens

log = logging.getLogger(__name__)
TIMEOUT = aiohttp.ClientTimeout(total=10, connect=5)
EXPIRED_TOKEN = {40001, 40014, 42001}   # invalid, malformed or expired access token


class WeChatApiError(RuntimeError):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode


class ApiClient:
    """One app's API: its access token cached in Redis for every worker, one refresh at a
    time, and one retry with a fresh token when the platform says the token expired."""

    def __init__(self, base: str, app: str, tokens: Tokens, session: aiohttp.ClientSession | None = None) -> None:
        self.base = base.rstrip("/")
        self.app = app
        self.tokens = tokens
        self.session = session

    async def _session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self.session

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def fetch_token(self) -> tuple[str, int]:
        raise NotImplementedError

    async def token(self) -> str:
        for _ in range(50):
            cached = await self.tokens.get(self.app)
            if cached:
                return cached
            owner = await self.tokens.lock(self.app)
            if owner:
                try:
                    token, expires_in = await self.fetch_token()
                    await self.tokens.put(self.app, token, expires_in)
                    return token
                finally:
                    await self.tokens.unlock(self.app, owner)
            await asyncio.sleep(0.2)   # another worker is refreshing it
        raise WeChatApiError(-1, "timed out waiting for another worker to refresh the access token")

    async def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
                      token: bool = True) -> dict:
        for attempt in (1, 2):
            query = dict(params or {})
            if token:
                query["access_token"] = current = await self.token()
            session = await self._session()
            async with session.request(method, self.base + path, params=query, json=json) as response:
                data = await response.json(content_type=None)
            code = int(data.get("errcode", 0) or 0)
            if code in EXPIRED_TOKEN and token and attempt == 1:
                log.info("%s: access token refused (%s); refreshing once", self.app, code)
                await self.tokens.drop(self.app, current)
                continue
            if code:
                raise WeChatApiError(code, str(data.get("errmsg", "")))
            return data
        raise AssertionError("unreachable")


class OfficialAccountApi(ApiClient):
    def __init__(self, base: str, app_id: str, secret: str, tokens: Tokens, **kw) -> None:
        super().__init__(base, f"wx:{app_id}", tokens, **kw)
        self.app_id, self.secret = app_id, secret

    async def fetch_token(self) -> tuple[str, int]:
        # stable_token: a token that does not invalidate the one other services already hold
        data = await self.request("POST", "/cgi-bin/stable_token", token=False, json={
            "grant_type": "client_credential", "appid": self.app_id, "secret": self.secret, "force_refresh": False})
        return data["access_token"], int(data.get("expires_in", 7200))

    async def send_text(self, openid: str, text: str) -> None:
        """A customer-service message: allowed for 48 h after the user's last message."""
        await self.request("POST", "/cgi-bin/message/custom/send",
                           json={"touser": openid, "msgtype": "text", "text": {"content": text}})

    async def send_template(self, openid: str, template_id: str, field: str, text: str) -> None:
        await self.request("POST", "/cgi-bin/message/template/send", json={
            "touser": openid, "template_id": template_id, "data": {field: {"value": text[:200]}}})


class WeComApi(ApiClient):
    def __init__(self, base: str, corp_id: str, secret: str, agent_id: int, tokens: Tokens, **kw) -> None:
        super().__init__(base, f"wecom:{corp_id}:{agent_id}", tokens, **kw)
        self.corp_id, self.secret, self.agent_id = corp_id, secret, agent_id

    async def fetch_token(self) -> tuple[str, int]:
        data = await self.request("GET", "/cgi-bin/gettoken", token=False,
                                  params={"corpid": self.corp_id, "corpsecret": self.secret})
        return data["access_token"], int(data.get("expires_in", 7200))

    async def send_text(self, user_id: str, text: str) -> None:
        await self.request("POST", "/cgi-bin/message/send", json={
            "touser": user_id, "msgtype": "text", "agentid": self.agent_id, "text": {"content": text}})

    async def send_card(self, user_id: str, title: str, description: str, url: str) -> None:
        """A text card: how task pushes look in WeCom (the text says how to claim)."""
        await self.request("POST", "/cgi-bin/message/send", json={
            "touser": user_id, "msgtype": "textcard", "agentid": self.agent_id,
            "textcard": {"title": title[:128], "description": description[:512], "url": url, "btntxt": "详情"}})

    async def robot_text(self, key: str, text: str) -> None:
        """A group robot's webhook: broadcasts to a WeCom group (20 messages a minute)."""
        await self.request("POST", "/cgi-bin/webhook/send", params={"key": key}, token=False,
                           json={"msgtype": "text", "text": {"content": text}})

    async def respond(self, url: str, text: str) -> None:
        """Answer an AI bot message through its response_url (no access token)."""
        session = await self._session()
        async with session.post(url, json={"msgtype": "markdown", "markdown": {"content": text}}) as response:
            data = await response.json(content_type=None)
        if int(data.get("errcode", 0) or 0):
            raise WeChatApiError(int(data["errcode"]), str(data.get("errmsg", "")))
