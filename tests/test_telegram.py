"""Telegram: the webhook (secret, dedupe, durable enqueue) and sending through
python-telegram-bot against a fake Bot API server on localhost, paced by Redis limits."""

import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from telegram import Bot

from bot.app import open_runtime
from bot.channels.base import DeliveryError
from bot.channels.telegram import SECRET_HEADER, TelegramChannel, update_to_event
from bot.delivery import Delivery
from bot.server import build_app
from bot.settings import Settings
from bot.worker import Worker
from handlers.events import Outgoing
from storage.ratelimit import RateLimiter

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
        if method == "sendMessage":
            return web.json_response({"ok": True, "result": {"message_id": len(self.calls), "date": 0,
                                                             "chat": {"id": int(data["chat_id"]), "type": "private"},
                                                             "text": data["text"]}})
        return web.json_response({"ok": True, "result": True})

    def sent(self):
        return [(int(d["chat_id"]), d["text"]) for m, d in self.calls if m == "sendMessage"]


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
async def webhook(tg_runtime):
    async with TestClient(TestServer(build_app(tg_runtime, "linli_bot"))) as client:
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


@pytest.mark.parametrize("secret, status", [(SECRET, 200), ("wrong", 403), ("", 403), (None, 403)])
async def test_the_secret_token_is_checked(webhook, tg_runtime, secret, status):
    response = await post(webhook, update(1, "3号楼电梯坏了"), secret)
    assert response.status == status
    assert await tg_runtime.inbound.backlog() == (1 if status == 200 else 0)


@pytest.mark.parametrize("body", ["not json", "[]", '{"message": {}}', '{"update_id": "x"}'])
async def test_malformed_updates_are_rejected_with_400(webhook, body):
    assert (await post(webhook, body)).status == 400


async def test_a_retried_update_is_stored_once(webhook, tg_runtime):
    for _ in range(3):
        assert (await post(webhook, update(7, "3号楼电梯坏了"))).status == 200
    assert await tg_runtime.inbound.backlog() == 1


async def test_the_official_example_updates_are_all_accepted(webhook, tg_runtime, shared_data):
    samples = json.loads((shared_data / "telegram" / "official_webhook_updates.json").read_text())["samples"]
    for number, (name, body) in enumerate(samples.items()):
        # the published examples all carry update_id 10000: renumber, or they are one update
        assert (await post(webhook, {**body, "update_id": number})).status == 200, name
    # text messages become events; edits, inline queries and button presses do not (yet)
    texts = [s for s in samples.values() if isinstance(s.get("message"), dict)
             and (s["message"].get("text") or s["message"].get("caption"))]
    assert await tg_runtime.inbound.backlog() == len(texts)


def test_real_messages_parse(shared_data):
    rows = [json.loads(line) for line in (shared_data / "telegram" / "teloxide_updates.jsonl").open()]
    updates = [r["json"] for r in rows if r["kind"] == "message"]
    events = [update_to_event(u, "linli_bot", 0.0) for u in updates]
    for u, event in zip(updates, events):
        if event is not None:
            assert event.id == f"tg:{u['update_id']}" and event.sender == f"tg:{u['message']['from']['id']}"
    assert any(events)


@pytest.mark.parametrize("text, chat_type, addressed, cleaned", [
    ("3号楼电梯坏了", "supergroup", False, "3号楼电梯坏了"),
    ("@linli_bot 3号楼电梯坏了", "supergroup", True, "3号楼电梯坏了"),
    ("/report@linli_bot 电梯坏了", "group", True, "/report 电梯坏了"),
    ("电梯坏了", "private", True, "电梯坏了"),
])
def test_mentions_and_commands_address_the_bot(text, chat_type, addressed, cleaned):
    chat_id = 111 if chat_type == "private" else -100123
    event = update_to_event(update(1, text, chat_id=chat_id, chat_type=chat_type), "linli_bot", 0.0)
    assert (event.addressed, event.text) == (addressed, cleaned)
    assert event.chat_kind == ("private" if chat_type == "private" else "group")


async def test_a_group_report_gets_its_reply_through_the_bot_api(webhook, tg_runtime, fake_api):
    await post(webhook, update(10, "3号楼2单元电梯坏了，老人下不了楼"))
    worker = Worker(tg_runtime)
    while await tg_runtime.inbound.backlog():
        await worker.step()
    channel = TelegramChannel(Bot("123:abc", base_url=fake_api.base), RateLimiter(tg_runtime.store))
    delivery = Delivery(tg_runtime, channel)
    await delivery.start()
    while await delivery.step():
        pass
    sent = fake_api.sent()
    assert any(chat == -100123 and "工单 #1" in text for chat, text in sent)
    assert any(chat == 222 and "新工单" in text for chat, text in sent)   # the grid worker, privately


async def test_flood_control_is_honoured_and_nothing_is_dropped(tg_runtime, fake_api):
    fake_api.flood = 1
    channel = TelegramChannel(Bot("123:abc", base_url=fake_api.base), RateLimiter(tg_runtime.store))
    with pytest.raises(DeliveryError) as err:
        await channel.send("tg:111", Outgoing(to="@zhang", text="你好"))
    assert err.value.retry_after == 1 and not err.value.permanent
    await channel.send("tg:111", Outgoing(to="@zhang", text="你好"))
    assert fake_api.sent() == [(111, "你好")]


async def test_a_burst_of_100_replies_to_one_group_is_paced_not_dropped(tg_runtime):
    now = [1000.0]
    limiter = RateLimiter(tg_runtime.store, clock=lambda: now[0])
    windows = [("tg:chat:-1", 1, 1.0), ("tg:group:-1", 20, 60.0), ("tg:all", 25, 1.0)]
    sent_at = []
    while len(sent_at) < 100:
        wait = await limiter.reserve(windows)
        if wait:
            now[0] += wait
        else:
            sent_at.append(now[0])
    assert len(sent_at) == 100
    assert all(b - a >= 1.0 - 1e-6 for a, b in zip(sent_at, sent_at[1:]))          # 1 a second per chat
    assert all(sent_at[i + 20] - sent_at[i] >= 60.0 - 1e-6 for i in range(80))       # 20 a minute per group
    assert sent_at[-1] - sent_at[0] >= 4 * 60
