"""The time bank: help is recorded, confirmed (hours move) or disputed (nothing moves),
within the community's limits; hours become points only at the file's rate."""

import asyncio

import pytest

from handlers.points.verify import verify
from storage.ledger import Exchanges, Ledger
from tests.test_points import handle, said

DAY = 86400


async def hours_of(runtime, person):
    return await Ledger(runtime.store).balance(f"person:{person}", "hours")


async def exchange(console, text="时间银行 @张阿姨 1.5 买菜", giver="vol_wang"):
    await console.say(giver, None, text)
    return console.transcript.new()


async def test_a_confirmed_exchange_moves_the_hours_from_receiver_to_giver(console):
    out = await exchange(console)
    assert "已记录互助 E1" in out[0]["text"] and out[0]["to"] == "@vol_wang"
    assert out[1]["to"] == "@zhang" and "确认 E1" in out[1]["text"] and "1.5 小时" in out[1]["text"]
    assert await hours_of(console.runtime, "vol_wang") == 0          # nothing moves before confirmation
    await console.say("zhang", None, "确认 E1")
    out = console.transcript.new()
    assert any(o["to"] == "@vol_wang" and "+1.5 小时" in o["text"] and "现有 1.5 小时" in o["text"] for o in out)
    assert any(o["to"] == "@zhang" and "现有 -1.5 小时" in o["text"] for o in out)
    assert (await hours_of(console.runtime, "vol_wang"), await hours_of(console.runtime, "zhang")) == (150, -150)
    await console.say("zhang", None, "确认 E1")
    assert "当前状态：已确认" in console.transcript.new()[-1]["text"]
    assert await Ledger(console.runtime.store).length() == 1
    assert (await verify(Ledger(console.runtime.store))).ok


async def test_a_disputed_exchange_moves_nothing_and_the_giver_hears_why(console):
    await exchange(console, "时间银行 @zhang 2 陪同就医")
    await console.say("zhang", None, "异议 E1 那天我没去医院")
    out = console.transcript.new()
    assert any(o["to"] == "@zhang" and "已记录您对 E1 的异议" in o["text"] for o in out)
    assert any(o["to"] == "@vol_wang" and "那天我没去医院" in o["text"] and "陪同就医" in o["text"] for o in out)
    await console.say("zhang", None, "确认 E1")
    assert "当前状态：有异议" in console.transcript.new()[-1]["text"]
    assert (await Exchanges(console.runtime.store).get(1)).status == "disputed"
    assert await Ledger(console.runtime.store).length() == 0


async def test_a_receiver_may_go_below_zero_down_to_the_limit_only(console):
    for text in ("时间银行 @zhang 8 照顾老伴", "时间银行 @zhang 2 修水管", "时间银行 @zhang 0.5 取快递"):
        await exchange(console, text)
    for ref in ("E1", "E2"):
        await console.say("zhang", None, f"确认 {ref}")
    assert await hours_of(console.runtime, "zhang") == -1000            # exactly at the limit
    console.transcript.new()
    await console.say("zhang", None, "确认 E3")
    refusal = console.transcript.new()[-1]["text"]
    assert "低于下限 -10 小时" in refusal and "现有 -10 小时" in refusal
    assert (await Exchanges(console.runtime.store).get(3)).status == "pending"
    await console.say("zhang", None, "时间银行 @卢奶奶 1 教用手机")    # E4: now she helps someone
    await console.say("zhang", None, "确认 E4")                      # not hers to confirm
    assert "互助记录 E4 不是记给您的" in console.transcript.new()[-1]["text"]
    await console.say("r101", None, "确认 E4")
    await console.say("zhang", None, "确认 E3")                      # -10 + 1 - 0.5
    assert await hours_of(console.runtime, "zhang") == -950
    assert (await Exchanges(console.runtime.store).get(3)).status == "confirmed"


async def test_an_unconfirmed_exchange_lapses_when_its_time_is_up(console):
    await exchange(console)
    await console.advance(7 * DAY - 60)
    assert console.transcript.new() == []
    await console.advance(120)
    out = console.transcript.new()            # both hear it at once, nobody has to touch it
    assert [o["to"] for o in out] == ["@vol_wang", "@zhang"]
    assert "未在期限内" in out[0]["text"] and "已失效" in out[1]["text"]
    await console.say("zhang", None, "确认 E1")
    assert "已失效" in console.transcript.new()[0]["text"]
    assert await Ledger(console.runtime.store).length() == 0


async def test_staff_may_confirm_for_a_neighbour_without_a_phone(console):
    await exchange(console)
    await console.say("grid", None, "确认 E1")
    out = console.transcript.new()
    assert any(o["to"] == "@zhang" and "已确认 E1" in o["text"] for o in out)
    assert await hours_of(console.runtime, "vol_wang") == 150


async def test_two_confirmations_at_once_book_once(runtime):
    await handle(runtime, "vol_wang", "时间银行 @zhang 1.5 买菜")
    contexts = await asyncio.gather(*(handle(runtime, who, "确认 E1") for who in ("zhang", "grid", "zhang")))
    assert await Ledger(runtime.store).length() == 1 and await runtime.redis.hget(
        Ledger(runtime.store).balances_key, "hours|person:vol_wang") == "150"
    assert sum(any("已确认 E1：" in t for t in said(ctx, "@" + ctx.person.id)) for ctx in contexts) == 1


async def test_a_redelivered_confirmation_books_once_and_says_the_same(runtime):
    await handle(runtime, "vol_wang", "时间银行 @zhang 1.5 买菜", event_id="give")
    again = await handle(runtime, "vol_wang", "时间银行 @zhang 1.5 买菜", event_id="give")
    assert "E1" in said(again, "@vol_wang")[0] and await runtime.redis.get(
        runtime.store.keys("timebank", "seq")) == "1"
    replies = [said(await handle(runtime, "zhang", "确认 E1", event_id="ok"), "@zhang") for _ in range(3)]
    assert replies[0] == replies[1] == replies[2] and "已确认 E1" in replies[0][0]
    assert await hours_of(runtime, "vol_wang") == 150


@pytest.mark.parametrize("sender, text, expected", [
    ("vol_wang", "时间银行 @vol_wang 1 自己", "不能给自己"),
    ("vol_wang", "时间银行 @zhang 9 买菜", "一次最多记录 8 小时"),
    ("vol_wang", "时间银行 @zhang 1.234 买菜", "时间银行 @王奶奶 1.5 买菜"),
    ("vol_wang", "时间银行 @zhang 1.5", "时间银行 @王奶奶 1.5 买菜"),
    ("vol_wang", "时间银行 @nobody 1 买菜", "没有找到“@nobody”"),
    ("zhang", "确认 E99", "没有找到互助记录 E99"),
    ("zhang", "确认", "确认 E3"),
    ("zhang", "异议 E1", "异议 E3 原因"),
])
async def test_refusals_say_why(console, sender, text, expected):
    await exchange(console)
    await console.say(sender, None, text)
    out = [o["text"] for o in console.transcript.new() if o["to"] == f"@{sender}"]
    assert out and expected in out[-1], out


async def test_confirm_words_in_a_group_that_are_not_for_us_stay_quiet(console):
    await console.say("zhang", "b3", "确认 收到")
    assert console.transcript.new() == []


@pytest.mark.parametrize("text, points, hours_left, expected", [
    ("换积分 1", 10, 50, "已把 1 小时 换成 10 积分"),
    ("换积分 1.5", 15, 0, "已把 1.5 小时 换成 15 积分"),
    ("换积分 2", 0, 150, "时数不够（现有 1.5 小时）"),
    ("换积分 0.05", 0, 150, "每 1 小时可换 10 积分"),
])
async def test_hours_become_points_at_the_community_rate(console, text, points, hours_left, expected):
    await exchange(console)
    await console.say("zhang", None, "确认 E1")
    console.transcript.new()
    await console.say("vol_wang", None, text)
    assert expected in console.transcript.new()[-1]["text"]
    assert await hours_of(console.runtime, "vol_wang") == hours_left
    assert await Ledger(console.runtime.store).balance("person:vol_wang", "points") == points
    assert (await verify(Ledger(console.runtime.store))).ok
