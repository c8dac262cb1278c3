"""The 爱心超市: redeeming is atomic (balance and stock in one script), codes are private,
staff fulfil, a cancelled redemption refunds; and staff manage the catalogue."""

import asyncio
import io
import re
import uuid

import pytest

from bot.admin import AREAS
from bot.cli import build_parser
from handlers.points.verify import verify
from storage.ledger import POOL, Ledger, Transfer, Txn
from storage.rewards import Item, Rewards
from tests.test_points import handle, said

CODE = re.compile(r"兑换码：([A-Z0-9]{6})")


async def fund(runtime, person, amount, unit="points"):
    txn = Txn(key=f"fund:{uuid.uuid4().hex}", event="test", at=runtime.clock.now(),
              transfers=[Transfer(unit, POOL, f"person:{person}", amount, "adjusted", "test")])
    assert (await Ledger(runtime.store).post(txn)).ok


async def balance(runtime, person, unit="points"):
    return await Ledger(runtime.store).balance(f"person:{person}", unit)


async def stock(runtime, item_id):
    rewards = Rewards(runtime.store)
    await rewards.sync(runtime.settings.community.ledger.rewards.values())
    return (await rewards.item(item_id)).stock


async def redeem(console, text="兑换 理发券", person="zhang", chat=None):
    await console.say(person, chat, text)
    out = console.transcript.new()
    codes = [m.group(1) for o in out if (m := CODE.search(o["text"]))]
    return out, codes[0] if codes else None


async def test_redeeming_pays_takes_stock_and_gives_a_code(console):
    await fund(console.runtime, "zhang", 120)
    out, code = await redeem(console)
    assert code and "扣 50 积分，余额 70 积分" in out[-1]["text"] and out[-1]["to"] == "@zhang"
    assert await balance(console.runtime, "zhang") == 70 and await stock(console.runtime, "haircut") == 19
    await console.say("zhang", None, "积分")
    assert f"未领取的兑换码：{code}（理发券）" in console.transcript.new()[-1]["text"]
    assert (await verify(Ledger(console.runtime.store))).ok


async def test_a_code_asked_for_in_a_group_goes_privately(console):
    await fund(console.runtime, "zhang", 60)
    out, code = await redeem(console, chat="b3")
    assert [o["to"] for o in out] == ["@zhang", "b3"] and code not in out[1]["text"]


@pytest.mark.parametrize("text, funds, expected", [
    ("兑换 理发券", 30, "需要 50 积分，您现有 30 积分"),
    ("兑换 火箭", 100, "爱心超市没有“火箭”"),
    ("兑换 券", 100, "对应多个物品"),
    ("兑换", 100, "兑换 理发券"),
    ("兑换 上门小家电维修", 100, "需要 2 小时，您现有 0 小时"),   # hours never go below zero to redeem
])
async def test_redemption_refusals_change_nothing(console, text, funds, expected):
    await fund(console.runtime, "zhang", funds)
    out, code = await redeem(console, text)
    assert code is None and expected in out[-1]["text"], out
    assert await balance(console.runtime, "zhang") == funds and await stock(console.runtime, "haircut") == 20


async def test_a_sold_out_item_says_so(console):
    await fund(console.runtime, "zhang", 100)
    await console.say("zhang", None, "爱心超市")
    assert "理发券 —— 50 积分，剩 20 份" in console.transcript.new()[-1]["text"]
    await Rewards(console.runtime.store).stock("haircut", "set", 0)
    out, code = await redeem(console)
    assert code is None and "理发券已经兑完了" in out[-1]["text"]


async def test_an_hours_item_is_paid_in_hours(console):
    await fund(console.runtime, "vol_wang", 300, "hours")
    out, code = await redeem(console, "兑换 上门小家电维修", "vol_wang")
    assert code and "扣 2 小时，余额 1 小时" in out[-1]["text"]


async def test_staff_fulfil_and_a_fulfilled_code_cannot_be_cancelled(console):
    await fund(console.runtime, "zhang", 60)
    _, code = await redeem(console)
    await console.say("zhang", None, f"核销 {code}")
    assert "只有社区工作人员" in console.transcript.new()[-1]["text"]
    await console.say("staff_chen", None, f"核销 {code.lower()}")
    out = console.transcript.new()
    assert any(o["to"] == "@staff_chen" and f"已核销 {code}" in o["text"] for o in out)
    assert any(o["to"] == "@zhang" and "已核销领取" in o["text"] for o in out)
    await console.say("zhang", None, f"取消兑换 {code}")
    assert "当前状态：已核销" in console.transcript.new()[-1]["text"]
    assert await balance(console.runtime, "zhang") == 10


@pytest.mark.parametrize("who", ["zhang", "grid"])
async def test_a_cancelled_redemption_refunds_and_restocks_once(console, who):
    await fund(console.runtime, "zhang", 60)
    _, code = await redeem(console)
    await console.say("r101", None, f"取消兑换 {code}")                 # not hers
    assert "没有找到兑换码" in console.transcript.new()[-1]["text"]
    await console.say(who, None, f"取消兑换 {code}")
    out = console.transcript.new()
    assert any(o["to"] == "@zhang" and "退回 +50 积分" in o["text"] and "现有 60 积分" in o["text"] for o in out)
    await console.say(who, None, f"取消兑换 {code}")
    assert "当前状态：已取消" in console.transcript.new()[-1]["text"]
    await console.say("grid", None, f"核销 {code}")
    assert "当前状态：已取消" in console.transcript.new()[-1]["text"]
    assert await balance(console.runtime, "zhang") == 60 and await stock(console.runtime, "haircut") == 20
    assert (await verify(Ledger(console.runtime.store))).ok


async def test_a_redelivered_redemption_gives_the_same_code_once(runtime):
    await fund(runtime, "zhang", 200)
    replies = [said(await handle(runtime, "zhang", "兑换 理发券", event_id="r1"), "@zhang") for _ in range(3)]
    assert replies[0] == replies[1] == replies[2] and CODE.search(replies[0][0])
    assert await balance(runtime, "zhang") == 150 and await stock(runtime, "haircut") == 19


async def test_100_simultaneous_redemptions_of_10_in_stock(runtime):
    people = [p.id for p in runtime.settings.community.people.values()][:50]
    for person in people:
        await fund(runtime, person, 60)                      # enough for one haircut each
    rewards = Rewards(runtime.store)
    await rewards.sync(runtime.settings.community.ledger.rewards.values())
    await rewards.stock("haircut", "set", 10)
    contexts = await asyncio.gather(*(handle(runtime, person, "兑换 理发券") for person in people * 2))
    codes = [m.group(1) for ctx in contexts for m in [CODE.search(" ".join(m.text for m in ctx.outgoing))] if m]
    assert len(codes) == len(set(codes)) == 10
    assert await stock(runtime, "haircut") == 0
    winners = {r.person for r in await rewards.redemptions()}
    assert len(winners) == 10
    for person in people:
        assert await balance(runtime, person) == (10 if person in winners else 60)
    assert await Ledger(runtime.store).balance("sink", "points") == 500
    assert (await verify(Ledger(runtime.store))).ok


async def test_simultaneous_redemptions_never_overdraw(runtime):
    await fund(runtime, "zhang", 100)
    contexts = await asyncio.gather(*(handle(runtime, "zhang", "兑换 鸡蛋一盒") for _ in range(10)))
    assert sum(bool(CODE.search(" ".join(m.text for m in c.outgoing))) for c in contexts) == 5
    assert await balance(runtime, "zhang") == 0 and await stock(runtime, "eggs") == 25


async def test_a_price_changed_after_reading_is_a_conflict_not_a_charge(runtime):
    rewards, books = Rewards(runtime.store), Ledger(runtime.store)
    await fund(runtime, "zhang", 100)
    await rewards.add(Item("tea", "茶叶", 30, "points", 5))
    seen = await rewards.item("tea")
    await rewards.update("tea", price=40)
    posted, code = await rewards.redeem(books, "zhang", seen, "e1", runtime.clock.now(), "zhang")
    assert posted.result == "conflict" and code == "" and await balance(runtime, "zhang") == 100


async def admin(runtime, *argv):
    args = build_parser().parse_args(["admin", *argv, "--community", "x"])
    out = io.StringIO()
    if args.area == "rewards":
        code = await AREAS["rewards"].run(args, runtime, out)
    else:
        code = await AREAS[args.area].run(args, runtime)
    return code, out.getvalue()


@pytest.mark.parametrize("argv, code, expected", [
    (["list"], 0, "haircut      理发券"),
    (["add", "tea", "茶叶", "--price", "30", "--stock", "5"], 0, "added tea"),
    (["add", "haircut", "理发", "--price", "30"], 2, ""),
    (["add", "walk", "陪伴散步", "--price", "1.5", "--unit", "hours"], 0, "added walk"),
    (["stock", "haircut", "5"], 0, "haircut: stock 5"),
    (["stock", "haircut", "+5"], 0, "haircut: stock 25"),
    (["stock", "haircut", "-25"], 1, ""),
    (["stock", "fee10", "+1"], 1, ""),
    (["stock", "nothing", "1"], 1, ""),
    (["price", "haircut", "10"], 1, ""),                  # from the file: edit the file
    (["remove", "eggs"], 0, "eggs: remove done"),
])
async def test_admin_rewards(runtime, argv, code, expected):
    result, out = await admin(runtime, "rewards", *argv)
    assert result == code and expected in out
    assert (await runtime.services.audit.entries() != []) is (code == 0 and argv[0] != "list")


async def test_admin_catalogue_changes_reach_the_chat(console):
    runtime = console.runtime
    await admin(runtime, "rewards", "add", "tea", "茶叶", "--price", "30", "--stock", "1")
    await admin(runtime, "rewards", "price", "tea", "25")
    await admin(runtime, "rewards", "remove", "eggs")
    await console.say("zhang", None, "爱心超市")
    listing = console.transcript.new()[-1]["text"]
    assert "茶叶 —— 25 积分，剩 1 份" in listing and "鸡蛋" not in listing
    await fund(runtime, "zhang", 60)
    _, code = await redeem(console, "兑换 茶叶")
    _, none = await redeem(console, "兑换 茶叶")
    assert code and none is None
    result, out = await admin(runtime, "rewards", "redemptions", "--status", "issued")
    assert result == 0 and code in out and "zhang" in out


async def test_an_item_taken_out_of_the_community_file_is_no_longer_on_offer(runtime):
    rewards = Rewards(runtime.store)
    items = runtime.settings.community.ledger.rewards
    await rewards.sync(items.values())
    await rewards.stock("haircut", "set", 3)
    await rewards.sync([i for i in items.values() if i.id != "haircut"])
    assert "haircut" not in [i.id for i in await rewards.items(active_only=True)]
    await rewards.sync(items.values())                     # back in the file: back on offer, stock kept
    assert (await rewards.item("haircut")).active and await stock(runtime, "haircut") == 3
