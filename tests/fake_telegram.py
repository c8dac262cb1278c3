"""The fake Telegram Bot API (an aiohttp server on localhost) and the fixtures Telegram
tests share: a runtime configured for Telegram, and the webhook as a test client."""

import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from telegram import Bot

from bot.app import open_runtime
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import SECRET_HEADER
from bot.server import build_app
from bot.settings import Settings

SECRET = "s3cret-token_1"
COMMUNITY = '''
[community]
id = "tgtest"
name = "测试社区"

[[chats]]
id = "b3"
name = "3号楼居民群"
kind = "building"
building = "3"
mode = "auto"
identities = ["tg:-100123"]

[[people]]
id = "zhang"
name = "张阿姨"
household = "3-2-502"
identities = ["tg:111"]

[[people]]
id = "grid"
name = "林网格员"
roles = ["grid_worker", "staff"]
identities = ["tg:222"]
'''


class FakeBotApi:
    """Plays api.telegram.org: records every call; can answer 429 a few times."""

    def __init__(self):
        self.calls = []
        self.flood = 0
        self.updates = []   # what getUpdates hands out

    async def handle(self, request):
        method = request.match_info["method"]
        data = dict(await request.post()) if request.content_type != "application/json" else await request.json()
        if self.flood and method == "sendMessage":
            self.flood -= 1
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                      "parameters": {"retry_after": 1}}, status=429)
        self.calls.append((method, data))
        if method == "getMe":
            return web.json_response({"ok": True, "result": {"id": 9, "is_bot": True, "first_name": "小邻",
                                                             "username": "linli_bot"}})
        if method == "getUpdates":
            offset = int(data.get("offset") or 0)
            return web.json_response({"ok": True, "result": [u for u in self.updates if u["update_id"] >= offset]})
        if method == "sendMessage":
            return web.json_response({"ok": True, "result": {"message_id": len(self.calls), "date": 0,
                                                             "chat": {"id": int(data["chat_id"]), "type": "private"},
                                                             "text": data["text"]}})
        return web.json_response({"ok": True, "result": True})

    def sent(self):
        return [(int(d["chat_id"]), d["text"]) for m, d in self.calls if m == "sendMessage"]

    def called(self, method):
        return [d for m, d in self.calls if m == method]


@pytest.fixture
async def fake_api():
    api = FakeBotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    api.base = f"http://127.0.0.1:{server.port}/bot"
    yield api
    await server.close()


@pytest.fixture
async def tg_runtime(tmp_path, redis_server, redis, fake_api):
    path = tmp_path / "c.toml"
    path.write_text(COMMUNITY, encoding="utf-8")
    settings = Settings.load(path, data_dir=tmp_path, env={
        "REDIS_URL": redis_server, "TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": fake_api.base})
    async with open_runtime(settings, fake_clock=True) as runtime:
        yield runtime


@pytest.fixture
async def webhook(tg_runtime, fake_api):
    channel = TelegramChannel(Bot("123:abc", base_url=fake_api.base), tg_runtime.store, "linli_bot")
    async with TestClient(TestServer(build_app(tg_runtime, [channel]))) as client:
        yield client


def update(update_id, text, chat_id=-100123, user_id=111, chat_type="supergroup"):
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1700000000, "text": text,
        "from": {"id": user_id, "is_bot": False, "first_name": "张"},
        "chat": {"id": chat_id, "type": chat_type, "title": "3号楼居民群"}}}


async def post(client, body, secret=SECRET):
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return await client.post("/telegram", data=data, headers=headers)
