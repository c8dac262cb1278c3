"""Telegram: the webhook (secret, dedupe, durable enqueue) and sending through
python-telegram-bot against a fake Bot API server on localhost, paced by Redis limits."""

import json

import pytest
from telegram import Bot

from bot.channels.base import DeliveryError
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import update_to_event
from bot.delivery import Delivery
from bot.worker import Worker
from handlers.events import Outgoing
from storage.ratelimit import RateLimiter
from tests.fake_telegram import SECRET, post, update

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
    # text messages, 1:1 messages of any kind (#16: a voice message or a file is answered) and
    # button taps become events; edits and inline queries do not
    texts = [s for s in samples.values() if isinstance(s.get("message"), dict)
             and (s["message"].get("text") or s["message"].get("caption")
                  or (s["message"].get("chat") or {}).get("type") == "private")]
    taps = [s for s in samples.values() if isinstance(s.get("callback_query"), dict)]
    assert taps and await tg_runtime.inbound.backlog() == len(texts) + len(taps)


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
    channel = TelegramChannel(Bot("123:abc", base_url=fake_api.base), tg_runtime.store)
    delivery = Delivery(tg_runtime, channel)
    await delivery.start()
    while await delivery.step():
        pass
    sent = fake_api.sent()
    assert any(chat == -100123 and "工单 #1" in text for chat, text in sent)
    assert any(chat == 222 and "新工单" in text for chat, text in sent)   # the grid worker, privately


async def test_flood_control_is_honoured_and_nothing_is_dropped(tg_runtime, fake_api):
    fake_api.flood = 1
    now = [1000.0]
    channel = TelegramChannel(Bot("123:abc", base_url=fake_api.base), tg_runtime.store, clock=lambda: now[0])
    with pytest.raises(DeliveryError) as err:
        await channel.send("tg:111", Outgoing(to="@zhang", text="你好"))
    assert err.value.retry_after == 1 and not err.value.permanent and not err.value.throttled
    with pytest.raises(DeliveryError) as err:       # our own pace: not even tried
        await channel.send("tg:111", Outgoing(to="@zhang", text="你好"))
    assert err.value.throttled and fake_api.sent() == []
    now[0] += 1.5
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


async def test_the_menu_is_the_command_tables_and_the_channel_wires_itself(tg_runtime, fake_api):
    """setMyCommands lists the table's commands that have a menu line, in table order; the
    webhook route and the polling loop come from the channel, by its settings."""
    import dataclasses
    from handlers.router import COMMANDS

    channel = TelegramChannel.from_settings(tg_runtime, COMMANDS)
    await channel.start()
    assert channel.username == "linli_bot"
    sent = fake_api.called("setMyCommands")[-1]["commands"]
    sent = json.loads(sent) if isinstance(sent, str) else sent
    menu = [(c.slash, c.menu) for c in COMMANDS if c.menu]
    assert [(c["command"], c["description"]) for c in sent] == menu
    assert {slash for slash, _ in menu} == {"report", "status", "rate", "vote", "claim", "mytasks", "points",
                                            "link", "help", "topic", "book", "mysharing"}
    assert [(method, path) for method, path, _ in channel.routes(tg_runtime)] == [("POST", "/telegram")]
    assert channel.loops(tg_runtime, None, None) == {}

    config = dataclasses.replace(tg_runtime.settings.channels["tg"], mode="polling")
    polling = dataclasses.replace(tg_runtime, settings=dataclasses.replace(tg_runtime.settings,
                                                                          channels={"tg": config}))
    assert channel.routes(polling) == []
    assert list(channel.loops(polling, None, None)) == ["telegram-polling"]
    await channel.close()
