"""Earning points: the ticket hooks, attendance, `earn` for other features, daily caps,
redelivery, `积分` and `排行`, and the community file's new keys."""

import pytest

from bot.channels.console import message_event
from handlers.community import CommunityError, load_community
from handlers.context import Context
from handlers.points.earning import credit_hours, earn, hours_text, parse_hours
from handlers.router import route
from storage.ledger import Ledger
from tests.conftest import DEMO

DAY = 86400


async def handle(runtime, sender, text, event_id=None, chat=None):
    """Run one event through the router as a worker would, without delivering: the same
    `event_id` again is a redelivery after a crash (the pipeline's dedupe is bypassed)."""
    event = message_event(runtime.settings.community, sender, chat, text, runtime.clock.now(), event_id)
    ctx = Context(runtime.services, event)
    await route(ctx)
    return ctx


def said(ctx, to):
    return [m.text for m in ctx.outgoing if m.to == to]


async def points_of(runtime, person, unit="points"):
    return await Ledger(runtime.store).balance(f"person:{person}", unit)


async def open_ticket(console, text="3号楼2单元楼道灯坏了，晚上看不见", sender="zhang"):
    await console.say(sender, None, text)
    console.transcript.new()
    return max(await console.runtime.services.tickets.ids())


async def test_an_accepted_report_earns_once_however_often_it_is_taken_up(console):
    ticket = await open_ticket(console)
    await console.say("grid", None, f"派单 #{ticket} @vol_wang")
    told = [o["text"] for o in console.transcript.new() if o["to"] == "@zhang"]
    assert any("+5 积分" in t and f"工单 #{ticket}" in t and "现有 5 积分" in t for t in told), told
    await console.say("vol_wang", None, f"处理 #{ticket}")
    assert not [o for o in console.transcript.new() if "积分" in o["text"]]
    assert await points_of(console.runtime, "zhang") == 5


@pytest.mark.parametrize("command", ["驳回 #{id} 属于业主自家管道", "合并 #{id} #{other}"])
async def test_rejected_and_duplicate_reports_earn_nothing(console, command):
    other = await open_ticket(console, "5号楼门口垃圾三天没人清理了", sender="r501")
    ticket = await open_ticket(console)
    await console.say("grid", None, command.format(id=ticket, other=other))
    assert await points_of(console.runtime, "zhang") == 0
    assert not [o for o in console.transcript.new() if "积分" in o["text"]]


async def test_rating_earns_once_even_after_reopen_and_second_rating(console):
    ticket = await open_ticket(console)
    for line in (("grid", f"处理 #{ticket}"), ("grid", f"办结 #{ticket} 换了灯泡"), ("zhang", f"评价 #{ticket} 5"),
                 ("zhang", f"重开 #{ticket} 又坏了"), ("grid", f"办结 #{ticket} 换了灯座"), ("zhang", f"评价 #{ticket} 4")):
        await console.say(line[0], None, line[1])
    out = [o["text"] for o in console.transcript.new() if o["to"] == "@zhang"]
    assert sum("评价工单" in t for t in out) == 1
    assert await points_of(console.runtime, "zhang") == 5 + 2


async def test_the_same_event_three_times_books_once(runtime):
    """A worker crashed after booking but before storing its replies: the event runs again,
    books nothing more, and says the same thing (the outbox keeps only one reply)."""
    replies = []
    for _ in range(3):
        ctx = await handle(runtime, "grid", "签到 重阳节活动 @zhang @r101", event_id="attend-1")
        replies.append((said(ctx, "@grid"), said(ctx, "@zhang")))
    assert replies[0] == replies[1] == replies[2]
    assert "签到 2 人" in replies[0][0][0] and "+10 积分" in replies[0][1][0]
    books = Ledger(runtime.store)
    assert await books.length() == 2
    assert (await points_of(runtime, "zhang"), await points_of(runtime, "r101")) == (10, 10)


async def test_earn_for_other_features_books_a_key_once_and_tells_once(runtime):
    """What the polls feature calls for a ballot: three deliveries by three events."""
    told = []
    for i in range(3):
        ctx = await handle(runtime, "zhang", "", event_id=f"vote-event-{i}")
        posted = await earn(ctx, "zhang", "ballot_cast", "vote:P3:zhang", "投票 P3")
        # (the empty 1:1 message that carries the event is answered with 帮助: not counted)
        told.append([text for text in said(ctx, "@zhang") if "积分" in text and "🎉" in text])
        assert posted.result == ("ok" if i == 0 else "replay")
    assert len(told[0]) == 1 and "参与投票（投票 P3）" in told[0][0] and told[1] == told[2] == []
    assert await points_of(runtime, "zhang") == 3
    ctx = await handle(runtime, "zhang", "", event_id="x")
    assert await earn(ctx, "zhang", "no_such_kind", "k", "") is None      # not rewarded here
    assert await earn(ctx, "nobody", "ballot_cast", "k2", "") is None


async def test_volunteer_task_hours_come_from_the_community_once_within_the_daily_cap(runtime):
    """What the volunteer-task feature calls once a task is confirmed."""
    ctx = await handle(runtime, "grid", "", event_id="task-done")
    assert (await credit_hours(ctx, "vol_wang", 300, "task:7:vol_wang", "陪老人就医")).ok
    assert (await credit_hours(ctx, "vol_wang", 300, "task:7:vol_wang", "陪老人就医")).result == "replay"
    assert (await credit_hours(ctx, "vol_wang", 450, "task:8:vol_wang", "搬家")).ok
    assert (await credit_hours(ctx, "vol_wang", 100, "task:9:vol_wang", "买药")).result == "capped"  # 8 h a day
    assert await points_of(runtime, "vol_wang", "hours") == 750
    told = said(ctx, "@vol_wang")
    assert "+3 小时：完成志愿服务（陪老人就医）。现有 3 小时" in told[0] and "已达上限（每天最多 8 小时）" in told[-1]
    books = Ledger(runtime.store)
    assert await books.balance("pool", "hours") == -750 and await books.balance("person:vol_wang", "points") == 0


@pytest.mark.parametrize("kind, times, expected", [
    ("ballot_cast", 3, 9),         # 3 a vote, cap 9: all three
    ("ballot_cast", 5, 9),         # the 4th and 5th of the day are capped
    ("rating_given", 4, 6),        # 2 a rating, cap 6
    ("event_attendance", 3, 20),   # 10 an event, cap 20
])
async def test_daily_caps(runtime, kind, times, expected):
    ctx = await handle(runtime, "zhang", "", event_id="cap")
    for i in range(times):
        await earn(ctx, "zhang", kind, f"{kind}:{i}", "")
    assert await points_of(runtime, "zhang") == expected
    if times * ctx.community.ledger.earn[kind].amount > expected:
        assert any("已达上限" in t for t in said(ctx, "@zhang"))
    runtime.clock.set(runtime.clock.now() + DAY)      # a new day, a new cap
    ctx = await handle(runtime, "zhang", "", event_id="cap-next-day")
    assert (await earn(ctx, "zhang", kind, f"{kind}:next", "")).ok


async def test_a_fourth_accepted_report_in_a_day_is_capped(console):
    for i in range(4):
        await open_ticket(console, f"{i + 1}号楼楼道灯坏了，晚上看不见")
    for i in range(1, 5):
        await console.say("grid", None, f"处理 #{i}")
    out = [o["text"] for o in console.transcript.new() if o["to"] == "@zhang"]
    assert sum("+5 积分" in t for t in out) == 3 and any("已达上限" in t for t in out)
    assert await points_of(console.runtime, "zhang") == 15


@pytest.mark.parametrize("sender, text, expected", [
    ("zhang", "签到 活动 @r101", "只有社区工作人员"),
    ("grid", "签到 活动", "签到 活动名"),
    ("grid", "签到 @zhang", "签到 活动名"),
    ("grid", "签到 活动 @zhang @nobody", "没有找到“@nobody”"),
])
async def test_attendance_refusals(console, sender, text, expected):
    await console.say(sender, None, text)
    out = [o["text"] for o in console.transcript.new() if o["to"] == f"@{sender}"]
    assert out and expected in out[-1]
    assert await Ledger(console.runtime.store).length() == 0


async def test_balance_is_private_in_a_group_and_staff_views_are_audited(console):
    await console.say("grid", None, "签到 义诊 @zhang")
    console.transcript.new()
    await console.say("zhang", "b3", "积分")
    out = console.transcript.new()
    assert [o["to"] for o in out] == ["@zhang", "b3"]
    assert "积分 10" in out[0]["text"] and "参加活动 义诊" in out[0]["text"] and "10" not in out[1]["text"]
    await console.say("r101", None, "积分 @zhang")
    assert "只能查看自己的" in console.transcript.new()[-1]["text"]
    await console.say("grid", None, "积分 @张阿姨")
    assert "张阿姨：积分 10" in console.transcript.new()[-1]["text"]
    audit = await console.runtime.services.audit.entries()
    assert audit[0]["actor"] == "grid" and audit[0]["subject"] == "ledger:zhang"


async def test_monthly_leaderboard_per_building_with_opt_out(console):
    await console.say("grid", None, "签到 大扫除 @zhang @r301 @r302 @r101")
    await console.say("grid", None, "签到 义诊 @r302")
    console.transcript.new()
    await console.say("zhang", "b3", "排行")
    board = console.transcript.new()[-1]
    assert board["to"] == "b3"
    assert "1. 黄叔 20 分" in board["text"] and "2. 张阿姨 10 分" in board["text"] and "2. 董叔 10 分" in board["text"]
    assert "卢奶奶" not in board["text"]                 # building 1
    await console.say("r302", None, "排行 不参加")
    await console.say("zhang", None, "排行 3号楼")
    board = console.transcript.new()[-1]["text"]
    assert "黄叔" not in board and "1. 张阿姨 10 分" in board and "您本月 10 分，第 1 名" in board
    await console.say("r302", None, "排行 参加")
    await console.say("r101", None, "排行")
    assert "1. 卢奶奶 10 分" in console.transcript.new()[-1]["text"]


@pytest.mark.parametrize("text, hundredths", [
    ("1.5", 150), ("2", 200), ("0.25", 25), ("1.5小时", 150), ("3h", 300), ("半小时", 50),
    ("1.234", None), ("abc", None), ("-1", None),
])
def test_hours_are_read_into_hundredths(text, hundredths):
    assert parse_hours(text) == hundredths


@pytest.mark.parametrize("hundredths, text", [(150, "1.5"), (-1000, "-10"), (125, "1.25"), (5, "0.05"), (0, "0")])
def test_hours_are_shown_without_float_noise(hundredths, text):
    assert hours_text(hundredths) == text


@pytest.mark.parametrize("snippet, expected", [
    ('[points]\nreport_accepted = { amount = 0 }', "points.report_accepted.amount: must be a whole number"),
    ('[points]\nrating_given = { amount = 5, daily_cap = 3 }', "points.rating_given.daily_cap: must be at least"),
    ('[points]\nrating_given = { amount = 2, limit = 3 }', "points.rating_given.limit: unknown key"),
    ('[points]\nplanting = 3', "points.planting.label: is required"),
    ('[timebank]\nmin_balance = 5', "timebank.min_balance: must be zero or below"),
    ('[timebank]\nmax_exchange = 1.234', "timebank.max_exchange: hours go in steps of 0.01"),
    ('[timebank]\nrate = 3', "timebank.rate: unknown key"),
    ('[[rewards]]\nid = "x"\nname = "券"\nprice = 5\nunit = "coins"', "rewards[0].unit: unknown unit 'coins'"),
    ('[[rewards]]\nid = "x"\nname = "券"', "rewards[0].price: is required"),
    ('[[rewards]]\nid = "x"\nname = "券"\nprice = 5\nstock = -1', "rewards[0].stock: must be a whole number"),
    ('[[rewards]]\nid = "x"\nname = "a"\nprice = 5\n[[rewards]]\nid = "x"\nname = "b"\nprice = 5',
     "rewards[1].id: duplicate id 'x'"),
])
def test_community_file_keys_are_checked_naming_the_key(tmp_path, snippet, expected):
    path = tmp_path / "c.toml"
    path.write_text('[community]\nid = "x"\nname = "x"\n' + snippet + "\n", encoding="utf-8")
    with pytest.raises(CommunityError) as raised:
        load_community(path)
    assert str(path) in str(raised.value) and expected in str(raised.value)


def test_the_demo_file_sets_points_timebank_and_rewards():
    rules = load_community(DEMO).ledger
    assert rules.earn["report_accepted"].amount == 5 and rules.timebank.min_balance == -1000
    assert rules.rewards["haircut"].name == "理发券" and rules.rewards["repair"].price == 200
