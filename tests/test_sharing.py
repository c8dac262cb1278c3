"""供需 (#19): a need and an offer published in chat, matched privately, accepted by both
(names told only then), turned into a time-bank exchange and read back from the admin CLI;
group safety, closing, staff removal, expiry, the daily digest, privacy."""

import asyncio
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.admin.common import context
from handlers.events import Event
from handlers.sharing import privacy
from storage.ledger import Ledger
from storage.sharing import Sharing
from tests.conftest import console_of

DAY = 86400
TZ = ZoneInfo("Asia/Shanghai")

COMMUNITY = """
[community]
id = "sharing-test"
name = "供需测试社区"

[sharing]
digest = true
digest_at = "08:00"

[[people]]
id = "li"
name = "李奶奶"
household = "3-1-101"

[[people]]
id = "zhang"
name = "张师傅"
household = "3-2-201"

[[people]]
id = "wang"
name = "王阿姨"
household = "5-1-101"

[[people]]
id = "zhao"
name = "赵大哥"
household = "9-1-101"

[[people]]
id = "chen"
name = "陈社工"
roles = ["staff"]

[[people]]
id = "grid"
name = "刘网格员"
roles = ["grid_worker"]
buildings = ["3", "5"]

[[chats]]
id = "b3"
name = "3号楼群"
kind = "building"
building = "3"

[[chats]]
id = "b9"
name = "9号楼群"
kind = "building"
building = "9"
"""


@pytest.fixture
async def console(tmp_path, redis_server, redis):
    async with console_of(COMMUNITY, tmp_path, redis_server) as session:
        await monday_morning(session)
        yield session


async def monday_morning(console, hour=9):
    """The fake clock to the next Monday at `hour` (so 周六 and 周末 are the same weekend)."""
    runtime = console.runtime
    now = datetime.fromtimestamp(runtime.clock.now(), runtime.settings.community.tz)
    target = (now + timedelta(days=(7 - now.weekday()) % 7 or 7)).replace(hour=hour, minute=0, second=0,
                                                                           microsecond=0)
    await console.advance(target.timestamp() - runtime.clock.now())
    runtime.clock.set(target.timestamp())
    console.transcript.new()


def to(out, who):
    return [m["text"] for m in out if m["to"] == who]


async def say(console, who, text, chat=None):
    await console.say(who, chat, text)
    return console.transcript.new()


async def test_a_need_and_an_offer_matched_and_turned_into_a_time_bank_exchange(console, linli, tmp_path,
                                                                                  redis_server):
    out = await say(console, "zhang", "提供 周末可以帮忙搬家具、搬重物")
    assert "已发布提供 X1" in to(out, "@zhang")[0]
    assert "时间：周末。" in to(out, "@zhang")[0] and "日 23:59" in to(out, "@zhang")[0]   # up until Sunday night
    out = await say(console, "li", "需要 周六上午有人帮忙搬个衣柜")
    li, zhang = to(out, "@li"), to(out, "@zhang")
    assert "已发布需要 X2" in li[0] and "已找到 1 条" in li[0]                # first what was published
    proposal_li = next(t for t in li if "M1" in t and "接受 M1" in t)
    proposal_zhang = next(t for t in zhang if "M1" in t)
    assert "搬家具" in proposal_li and "3号楼" in proposal_li
    assert "搬个衣柜" in proposal_zhang
    # privacy: neither name is told before both accept
    assert "张师傅" not in proposal_li and "李奶奶" not in proposal_zhang
    assert not [m for m in out if not m["to"].startswith("@")]          # nothing to a group
    buttons = next(m["buttons"] for m in out if m["to"] == "@li" and "接受 M1" in m["text"])
    assert [b["command"] for b in buttons[0]] == ["接受 M1", "不用 M1"]

    out = await say(console, "li", "接受 M1")
    assert "等对方回复" in to(out, "@li")[0] and not to(out, "@zhang")
    out = await say(console, "zhang", "接受 M1")
    assert "对方是 张师傅（3号楼2单元201室）" in to(out, "@li")[0]
    assert "对方是 李奶奶（3号楼1单元101室）" in to(out, "@zhang")[0]
    assert "张师傅" in to(out, "@li")[0] and "李奶奶" in to(out, "@zhang")[0]
    assert "帮完 M1" in to(out, "@zhang")[0]

    out = await say(console, "li", "帮完 M1 2")                    # only the helper records it
    assert "只有帮忙的一方" in to(out, "@li")[0]
    out = await say(console, "zhang", "帮完 M1 2")
    assert "已记录互助 E1：您帮李奶奶完成供需配对 M1（周六上午有人帮忙搬个衣柜）" in to(out, "@zhang")[0]
    assert "确认 E1" in to(out, "@li")[0]
    out = await say(console, "zhang", "帮完 M1 3")                    # once per match
    assert "已记入时间银行（E1）" in to(out, "@zhang")[0] and not to(out, "@li")
    await say(console, "li", "异议 E1 是一个半小时")
    out = await say(console, "zhang", "帮完 M1 1.5")                  # disputed: recorded again
    assert "已记录互助 E2" in to(out, "@zhang")[0]
    out = await say(console, "li", "确认 E2")
    assert "已确认 E2" in to(out, "@li")[0]
    ledger = Ledger(console.runtime.store)
    assert await ledger.balance("person:zhang", "hours") == 150

    args = ["--community", str(tmp_path / "community.toml"), "--data-dir", str(tmp_path)]
    env = {"REDIS_URL": redis_server}
    listed = json.loads(linli("admin", "sharing", "list", "--json", *args, env=env).stdout)
    assert [(i["id"], i["kind"], i["status"]) for i in listed] == [("X2", "need", "open"), ("X1", "offer", "open")]
    shown = json.loads(linli("admin", "sharing", "show", "X2", "--json", *args, env=env).stdout)
    assert shown["matches"][0]["status"] == "accepted" and shown["matches"][0]["exchange"] == "E2"
    assert shown["when"] == "周六上午" and shown["building"] == "3"
    ran = linli("admin", "sharing", "show", "X9", *args, env=env)
    assert ran.returncode == 1


async def test_a_pass_is_remembered_and_the_pair_never_proposed_again(console):
    await say(console, "zhang", "提供 可以帮忙维修家电")
    out = await say(console, "li", "需要 冰箱坏了，谁能帮忙修一下")
    assert any("M1" in t for t in to(out, "@zhang"))
    out = await say(console, "zhang", "不用 M1")
    assert "不再提" in to(out, "@zhang")[0] and not to(out, "@li")
    out = await say(console, "li", "接受 M1")
    assert "已谢绝" in to(out, "@li")[0]
    # the same two items are never paired again; a new need of li's is a new pair
    repo = Sharing(console.runtime.store)
    assert await repo.paired([(2, 1)]) == {(2, 1)}


async def test_a_thing_meets_a_need_for_it_not_a_need_to_repair_it(console):
    await say(console, "wang", "闲置 儿童自行车一辆 免费送")
    out = await say(console, "zhao", "需要 修自行车")
    assert not any("M" in t and "接受" in t for t in to(out, "@zhao"))
    out = await say(console, "li", "需要 给孙子找辆小单车")
    assert any("接受 M1" in t for t in to(out, "@li"))
    assert any("接受 M1" in t for t in to(out, "@wang"))
    out = await say(console, "li", "接受 M1")
    out = await say(console, "wang", "接受 M1")
    assert "帮完" not in to(out, "@wang")[0]                           # a thing given: no time bank
    out = await say(console, "wang", "帮完 M1 1")
    assert "不记时间银行" in to(out, "@wang")[0]


async def test_nearness_ranks_the_same_building_first(console):
    await say(console, "zhao", "提供 晚上可以辅导小学数学作业")        # 9号楼
    await say(console, "wang", "提供 晚上可以辅导孩子作业")            # 5号楼: the same grid as 3
    await say(console, "zhang", "提供 辅导作业，晚上有空")              # 3号楼
    out = await say(console, "li", "需要 每天晚上有人辅导孙子作业")
    proposals = [m["to"] for m in out if "接受 M" in m["text"] and m["to"] != "@li"]
    assert proposals == ["@zhang", "@wang", "@zhao"]


async def test_in_a_group_only_a_plain_publication_or_an_addressed_one_is_taken(console):
    for chatter in ("需要 帮忙吗？", "需要 吗", "提供 啥", "需要帮忙吗？", "闲置 的多"):
        out = await say(console, "li", chatter, chat="b3")
        assert out == [], chatter
    out = await say(console, "li", "需要 周六上午有人帮忙搬个衣柜", chat="b3")
    assert "已发布需要 X1" in to(out, "b3")[0] and "有效到" in to(out, "b3")[0]
    out = await say(console, "li", "@小邻 需要 搬东西", chat="b3")
    assert "已发布需要 X2" in to(out, "b3")[0]
    out = await say(console, "li", "需要")                                 # 1:1: always an answer
    assert "需要 周六上午" in to(out, "@li")[0]


async def test_close_remove_and_expire(console):
    await say(console, "li", "需要 周三下午有人陪我去医院看病")
    out = await say(console, "zhang", "关闭 X1")
    assert "不是您发布的" in to(out, "@zhang")[0]
    out = await say(console, "li", "关闭 X1")
    assert "已关闭 X1" in to(out, "@li")[0]
    out = await say(console, "zhang", "提供 周三下午可以陪老人看病")
    assert not any("接受 M" in t for t in to(out, "@zhang"))            # a closed need is never proposed
    out = await say(console, "zhang", "下架 X2 广告")
    assert out == [] or "工作人员" in to(out, "@zhang")[0]
    out = await say(console, "chen", "下架 X2 含有广告")
    assert "已下架 X2" in to(out, "@chen")[0] and "含有广告" in to(out, "@zhang")[0]
    audit = await console.runtime.services.audit.entries()
    assert any(e["actor"] == "chen" and e["action"] == "sharing_remove" and e["subject"] == "sharing:2:含有广告"
               for e in audit)
    await say(console, "wang", "需要 明天上午有人帮忙取快递")
    await console.advance(2 * DAY)
    out = console.transcript.new()
    assert any("X3" in t and "已到期" in t for t in to(out, "@wang"))
    item = await Sharing(console.runtime.store).get(3)
    assert item.status == "expired"
    out = await say(console, "wang", "我的供需")
    assert "X3" in to(out, "@wang")[0] and "已到期" in to(out, "@wang")[0]


async def test_a_day_after_the_usual_expiry_is_kept_until_then(console):
    """14 days is the usual expiry; a need for a day three weeks ahead is not "past": it
    stays up until that day ends, and meets an offer for that day."""
    when = datetime.fromtimestamp(console.runtime.clock.now() + 21 * DAY, TZ)
    day = f"{when.month}月{when.day}日"
    out = await say(console, "li", f"需要 {day}有人帮忙搬家")
    assert "已发布需要 X1" in to(out, "@li")[0] and "已经过去" not in to(out, "@li")[0]
    item = await Sharing(console.runtime.store).get(1)
    assert datetime.fromtimestamp(item.expires_at - 1, TZ).date() == when.date()
    out = await say(console, "wang", f"提供 {day}可以帮忙搬东西")
    assert any("接受 M1" in t for t in to(out, "@wang"))


async def test_a_time_already_past_is_refused_and_windows_that_do_not_overlap_do_not_meet(console):
    out = await say(console, "li", "需要 今天早上有人帮忙买菜")
    assert "已经过去了" in to(out, "@li")[0]
    await say(console, "li", "需要 周六上午有人帮忙买菜")
    out = await say(console, "zhang", "提供 周日下午可以帮忙买菜")
    assert not any("接受 M" in t for t in to(out, "@zhang"))
    out = await say(console, "wang", "提供 每天上午帮忙买菜跑腿")
    assert any("接受 M1" in t for t in to(out, "@wang"))


async def test_staff_publish_for_a_shop_and_its_match_is_no_time_bank_help(console):
    out = await say(console, "li", "提供 代发=幸福理发店 每周三下午免费理发 @社区活动室")
    assert "只有社区工作人员" in to(out, "@li")[0]
    out = await say(console, "chen", "提供 代发=幸福理发店 每周三下午免费理发 @社区活动室")
    assert "已发布提供 X1" in to(out, "@chen")[0] and "社区活动室" in to(out, "@chen")[0]
    out = await say(console, "li", "需要 周三下午想找人剪头发")
    proposal = next(t for t in to(out, "@li") if "接受 M1" in t)
    assert "幸福理发店" in proposal and "@社区活动室" in proposal
    await say(console, "li", "接受 M1")
    out = await say(console, "chen", "接受 M1")
    assert "幸福理发店（陈社工）" in to(out, "@li")[0] and "帮完" not in to(out, "@li")[0]
    out = await say(console, "li", "留言 M1 我周三两点到")
    assert "李奶奶（M1）留言：我周三两点到" in to(out, "@chen")[0]


async def test_the_daily_digest_goes_to_each_building_group_only_when_there_is_something_new(console):
    await say(console, "li", "需要 周六上午有人帮忙搬个衣柜")
    await say(console, "zhao", "闲置 一台八成新洗衣机 免费送")
    await console.advance(DAY)                       # past 08:00 the next day
    out = console.transcript.new()
    b3, b9 = to(out, "b3"), to(out, "b9")
    assert len(b3) == 1 and "X1" in b3[0] and "X2" not in b3[0] and "李奶奶" not in b3[0]
    assert len(b9) == 1 and "X2" in b9[0]
    await console.advance(DAY)                       # nothing new: no digest
    assert not [m for m in console.transcript.new() if m["to"] in ("b3", "b9")]


async def test_privacy_what_is_kept_and_forgetting_it(console):
    await say(console, "zhang", "提供 周末可以帮忙搬家具")
    await say(console, "li", "需要 周六上午有人帮忙搬个衣柜")
    ctx = await context(console.runtime)
    kept = await privacy.kept_about(ctx, "li")
    assert any("X2" in line and "搬个衣柜" in line for line in kept) and any("M1" in line for line in kept)
    changed = await privacy.forget(ctx, "li")
    assert changed == 2
    assert await privacy.forget(ctx, "li") == 0                     # idempotent
    assert await privacy.kept_about(ctx, "li") == []
    item = await Sharing(console.runtime.store).get(2)
    assert item.status == "closed" and item.text == privacy.ERASED and item.owner == privacy.GONE
    found = await Sharing(console.runtime.store).match(1)
    assert found.need_owner == privacy.GONE and found.status == "passed"
    out = await say(console, "wang", "提供 周六上午可以帮忙搬衣柜")     # the erased need is out of the index
    assert not any("接受 M" in t for t in to(out, "@wang"))


async def test_a_redelivered_publication_makes_nothing_twice_and_says_the_same(console):
    await say(console, "zhang", "提供 周末可以帮忙搬家具")
    runtime = console.runtime
    event = Event(id="console:again:1", channel="console", kind="message", received_at=runtime.clock.now(),
                  sender="console:li", chat=None, chat_kind="private", text="需要 周六上午有人帮忙搬个衣柜")
    await runtime.accept(event)
    await console.drain()
    first = console.transcript.new()
    await runtime.redis.delete(runtime.store.keys.done(event.id))
    await runtime.redis.delete(runtime.store.keys.seen(event.id))
    await runtime.accept(event)
    await console.drain()
    again = console.transcript.new()
    repo = Sharing(runtime.store)
    assert len(await repo.ids()) == 2 and len(await repo.matches_of_item(2)) == 1
    assert again and [(m["to"], m["text"]) for m in again] == [(m["to"], m["text"]) for m in first]


async def test_two_sides_accepting_at_once_put_them_in_touch_exactly_once(console):
    await say(console, "zhang", "提供 周末可以帮忙搬家具")
    await say(console, "li", "需要 周六上午有人帮忙搬个衣柜")
    repo = Sharing(console.runtime.store)
    now = console.runtime.clock.now()
    answers = await asyncio.gather(repo.answer(1, "need", True, "e-li", now),
                                   repo.answer(1, "offer", True, "e-zhang", now))
    assert sorted(a.result for a in answers) == ["accepted", "waiting"]
    again = await repo.answer(1, "need", True, "e-li", now)            # the same event again: its answer again
    assert again.result == "replay:" + answers[0].result
    assert (await repo.match(1)).status == "accepted"
    late = await repo.answer(1, "need", False, "e-li-2", now)
    assert late.result == "closed" and (await repo.match(1)).status == "accepted"


async def test_help_lists_sharing_and_explains_it(console):
    out = await say(console, "li", "帮助")
    assert "供需" in to(out, "@li")[0].splitlines()[-1]                 # the topics one may ask about
    out = await say(console, "li", "帮助 供需")
    text = to(out, "@li")[0]
    assert "接受 M3" in text and "闲置 儿童自行车" in text and "下架" not in text   # 下架 is staff's
    out = await say(console, "chen", "帮助 供需")
    assert "下架 X3" in to(out, "@chen")[0]


@pytest.mark.parametrize("text, ticket", [
    ("需要 修一下3号楼电梯，一直停在5楼", True),
    ("需要 有人帮忙，老人摔倒了起不来", True),
    ("需要 冰箱坏了，谁能帮忙修一下", False),
    ("需要 周六上午有人帮忙搬个衣柜", False),
])
async def test_a_need_that_is_a_report_becomes_a_ticket(console, text, ticket):
    out = await say(console, "li", text)
    assert bool(await console.runtime.services.tickets.ids()) is ticket, out
    assert bool(await Sharing(console.runtime.store).ids()) is not ticket


async def test_polite_words_after_buyong_are_not_an_answer(console):
    out = await say(console, "li", "不用 谢谢")
    assert out and "配对编号" not in to(out, "@li")[0]
    out = await say(console, "li", "不用 谢谢", chat="b3")
    assert out == []


async def test_a_household_registered_in_chat_places_the_item_and_is_told(console):
    await say(console, "chen", "提供 代发=爱心车行 可以帮忙修自行车")               # no building: the community
    await say(console, "zhao", "登记 5栋1单元301")                                # moved: the file said 9
    await say(console, "zhao", "需要 自行车坏了，想找人修")
    assert (await Sharing(console.runtime.store).get(2)).building == "5"
    await say(console, "zhao", "接受 M1")
    out = await say(console, "chen", "接受 M1")
    assert "赵大哥（5号楼1单元301室）" in to(out, "@chen")[0]
    assert "爱心车行（陈社工）" in to(out, "@zhao")[0]


@pytest.mark.parametrize("section, problem", [
    ("expiry_days = 0", "sharing.expiry_days"),
    ("proposals = 0", "sharing.proposals"),
    ("max_open = true", "sharing.max_open"),
    ('digest = "yes"', "sharing.digest"),
    ('digest_at = "25:00"', "sharing.digest_at"),
    ("digest_hour = 8", "sharing.digest_hour: unknown key"),
])
def test_a_wrong_sharing_section_stops_the_start_naming_the_key(tmp_path, section, problem):
    from handlers.community import CommunityError, load_community

    path = tmp_path / "community.toml"
    path.write_text(COMMUNITY.replace('digest = true\ndigest_at = "08:00"', section), encoding="utf-8")
    with pytest.raises(CommunityError, match=problem):
        load_community(path)


def test_the_sharing_section_read_with_its_defaults(tmp_path):
    from handlers.community import load_community

    path = tmp_path / "community.toml"
    path.write_text(COMMUNITY, encoding="utf-8")
    rules = load_community(path).sharing
    assert (rules.digest, rules.digest_hour_minute, rules.expiry_days, rules.proposals, rules.max_open) == \
        (True, (8, 0), 14, 3, 10)
