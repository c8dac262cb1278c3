"""Telegram buttons, taps, long polling and per-chat pacing, against the fake Bot API."""

import asyncio
import json

import pytest
from telegram import Bot

from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import poll_updates
from bot.delivery import Delivery
from bot.worker import Worker
from handlers.events import Outgoing
from tests.fake_telegram import post, update


def tap(update_id, data, user_id=111, chat_id=-100123, chat_type="supergroup"):
    return {"update_id": update_id, "callback_query": {
        "id": f"q{update_id}", "chat_instance": "1", "data": data,
        "from": {"id": user_id, "is_bot": False, "first_name": "张"},
        "message": {"message_id": 5, "date": 1700000000, "text": "…",
                    "chat": {"id": chat_id, "type": chat_type}}}}


def channel_for(runtime, api, clock=None):
    return TelegramChannel(Bot("123:abc", base_url=api.base), runtime.store, "linli_bot", clock=clock)


async def handled(runtime):
    worker = Worker(runtime)
    while await runtime.inbound.backlog():
        await worker.step()


async def test_buttons_become_an_inline_keyboard_and_long_commands_a_token(tg_runtime, fake_api):
    channel = channel_for(tg_runtime, fake_api)
    long = "评价 #12 5 " + "非常满意" * 10                     # far over 64 bytes in UTF-8
    message = Outgoing(to="@zhang", text="请评价", buttons=((("5分", "评价 #12 5"), ("长评", long)),))
    await channel.send("tg:111", message)
    [sent] = fake_api.called("sendMessage")
    keyboard = json.loads(sent["reply_markup"])["inline_keyboard"]
    assert keyboard[0][0] == {"text": "5分", "callback_data": "评价 #12 5"}
    token = keyboard[0][1]["callback_data"]
    assert token.startswith("~") and len(token.encode()) <= 64
    assert await channel.button_command(token) == long
    assert await channel.button_command("~unknown") is None


async def test_a_tap_is_stored_then_answered_then_handled_as_the_tapper_typing_it(webhook, tg_runtime, fake_api):
    assert (await post(webhook, tap(20, "查询"))).status == 200
    [answer] = fake_api.called("answerCallbackQuery")
    assert answer["callback_query_id"] == "q20" and "已收到" in answer["text"]
    assert await tg_runtime.inbound.backlog() == 1          # stored before it was answered
    await handled(tg_runtime)
    channel = channel_for(tg_runtime, fake_api)
    delivery = Delivery(tg_runtime, channel)
    await delivery.start()
    await delivery.step()
    assert any(chat == -100123 for chat, _ in fake_api.sent())   # answered where the button was


async def test_a_retried_tap_counts_once(webhook, tg_runtime):
    for _ in range(3):
        assert (await post(webhook, tap(21, "查询"))).status == 200
    assert await tg_runtime.inbound.backlog() == 1


async def test_an_expired_button_is_answered_and_nothing_is_stored(webhook, tg_runtime, fake_api):
    assert (await post(webhook, tap(22, "~gone"))).status == 200
    assert "失效" in fake_api.called("answerCallbackQuery")[0]["text"]
    assert await tg_runtime.inbound.backlog() == 0


@pytest.mark.parametrize("query", [{"data": "查询"}, {"id": "q", "data": "查询"}, "x",
                                   {"id": 5, "from": {"id": 1}, "data": "查询"}])
async def test_a_malformed_tap_is_rejected_with_400(webhook, tg_runtime, query):
    assert (await post(webhook, {"update_id": 23, "callback_query": query})).status == 400
    assert await tg_runtime.inbound.backlog() == 0


async def test_long_polling_stores_each_update_once_and_moves_the_offset(tg_runtime, fake_api):
    fake_api.updates = [update(30, "3号楼电梯坏了"), tap(31, "查询"), update(32, "谢谢")]
    channel = channel_for(tg_runtime, fake_api)
    stop = asyncio.Event()
    polling = asyncio.create_task(poll_updates(tg_runtime, channel, stop, timeout=0))

    def offsets():
        return [int(d.get("offset") or 0) for d in fake_api.called("getUpdates")]

    # Wait for the next request rather than the Redis key: the poller may be stopped between
    # storing the offset and asking again, and a busy machine needs more than a second or two.
    for _ in range(1000):
        if 33 in offsets():
            break
        await asyncio.sleep(0.02)
    stop.set()
    await polling
    assert fake_api.called("deleteWebhook")
    assert await tg_runtime.inbound.backlog() == 3
    assert offsets()[0] == 0 and offsets()[-1] == 33
    assert int(await tg_runtime.redis.get(tg_runtime.store.keys("tg", "offset"))) == 33


async def test_a_paced_group_does_not_hold_up_other_chats_and_keeps_its_own_order(tg_runtime, fake_api):
    now = [1000.0]
    channel = channel_for(tg_runtime, fake_api, clock=lambda: now[0])
    queue = tg_runtime.outbox.queue("tg")
    from bot.addressing import encode
    for n in range(5):
        await queue.push(encode("tg:-100123", Outgoing(to="b3", text=f"群消息{n}")))
    await queue.push(encode("tg:111", Outgoing(to="@zhang", text="私信")))
    delivery = Delivery(tg_runtime, channel)
    await delivery.start()
    await delivery.step()
    assert fake_api.sent() == [(-100123, "群消息0"), (111, "私信")]   # the 1:1 message did not wait
    for _ in range(4):
        now[0] += 1.01
        delivery.not_before.clear()            # the real-time wait it asked for has passed
        await delivery.step()
    assert [text for chat, text in fake_api.sent() if chat == -100123] == [f"群消息{n}" for n in range(5)]
    assert await queue.backlog() == 0


async def test_a_new_delivery_holder_takes_over_what_the_old_one_held(tg_runtime, fake_api):
    now = [1000.0]
    channel = channel_for(tg_runtime, fake_api, clock=lambda: now[0])
    queue = tg_runtime.outbox.queue("tg")
    from bot.addressing import encode
    for n in range(3):
        await queue.push(encode("tg:-100123", Outgoing(to="b3", text=f"群消息{n}")))
    first = Delivery(tg_runtime, channel, name="first")
    await first.start()
    await first.step()
    await tg_runtime.redis.delete(tg_runtime.store.keys.lease("out:tg"))   # the first holder died
    now[0] += 100
    second = Delivery(tg_runtime, channel, name="second")
    for _ in range(3):
        now[0] += 2
        second.not_before.clear()
        await second.step()
    assert [text for _, text in fake_api.sent()] == ["群消息0", "群消息1", "群消息2"]
