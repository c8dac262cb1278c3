"""Polls as people really write them (issue #16): cancelling a poll (in chat and from the
command line), a poll with no real question, the usual words for yes, no and abstain, and
deadlines in everyday Chinese (明天, 下周五, 周日晚上8点, 20号 18:00)."""

import json
from datetime import datetime

import pytest

from storage.polls import Polls
from tests.conftest import DEMO

COUNCIL = ["r101", "r104", "r201", "r204", "r301", "r304", "r401", "r501", "r601"]
MOTION = "发起投票 是否同意调整物业费 规则=三分之二 范围=议事会 截止=3天"


async def say(console, who, text, chat=None):
    await console.say(who, chat, text)
    return console.transcript.new()


def texts_to(out, to):
    return [o["text"] for o in out if o["to"] == to and not o["text"].startswith("🎉")]


async def get(console, poll_id=1):
    return await Polls(console.runtime.store).get(poll_id)


# ---------------------------------------------------------------- cancelling a poll

@pytest.mark.parametrize("who, may", [
    ("r101", True),         # the creator (the council chair)
    ("grid", True),         # staff
    ("secretary", True),    # staff
    ("r104", False),        # a council member who did not create it
    ("zhang", False),       # a resident
])
async def test_the_creator_or_staff_may_cancel_a_poll(console, who, may):
    await say(console, "r101", MOTION, "council")
    out = await say(console, who, "取消投票 1 问题写错了，重新发起")
    if may:
        assert texts_to(out, f"@{who}") == ["已取消投票 #1，已通知大家。"]
        assert (await get(console)).status == "cancelled"
    else:
        assert texts_to(out, f"@{who}") == ["只有发起人和社区工作人员可以取消投票 #1。"]
        assert (await get(console)).status == "open" and texts_to(out, "council") == []


async def test_a_cancelled_poll_tells_its_chat_takes_no_ballot_and_its_deadline_does_nothing(console):
    await say(console, "r101", MOTION, "council")
    await say(console, "r104", "投票 1 1")
    out = await say(console, "r101", "取消投票 #1 问题写错了，重新发起", "council")
    notice = texts_to(out, "council")
    assert notice == ["📊 投票 #1「是否同意调整物业费」已取消，不用再投了，已投的票也不算了。\n"
                      "原因：问题写错了，重新发起（卢奶奶取消）"], out
    poll = await get(console)
    assert (poll.status, poll.cancel_reason, poll.cancelled_by) == ("cancelled", "问题写错了，重新发起", "r101")
    out = await say(console, "r201", "投票 1 1")
    assert texts_to(out, "@r201") == ["投票 #1 已取消，不用再投了。"]
    out = await say(console, "r201", "投票 1")
    assert "已取消" in texts_to(out, "@r201")[0]
    out = await say(console, "r201", "投票")
    assert "目前没有您可以参加的投票" in texts_to(out, "@r201")[0]
    assert [j for j, _ in await console.runtime.services.jobs.pending()] == []
    await console.advance(4 * 86400)                       # no reminder, no result
    assert console.transcript.new() == []
    assert (await get(console)).result is None
    entries = await console.runtime.services.audit.entries()
    assert any(e["action"] == "poll_cancel" and e["actor"] == "r101" for e in entries)


async def test_a_poll_of_named_people_tells_each_of_them_and_its_creator_hears_from_staff(console):
    await say(console, "r101", "发起投票 谁来主持下次议事会 | 老刘 | 老王 范围=@r104,@r201")
    out = await say(console, "staff_chen", "取消投票 1 先商量好人选")
    for person in ("@r104", "@r201", "@r101"):
        assert any("投票 #1「谁来主持下次议事会」已取消" in t and "陈主任取消" in t for t in texts_to(out, person)), \
            (person, out)


@pytest.mark.parametrize("text, phrase", [
    ("取消投票", "取消投票要写编号和原因，例如：取消投票 3"),
    ("取消投票 1", "请写上取消的原因，大家会看到。例如：取消投票 1 问题写错了"),
    ("取消投票 9 写错了", "没有找到投票 #9"),
])
async def test_cancelling_needs_a_poll_and_a_reason(console, text, phrase):
    await say(console, "r101", MOTION, "council")
    out = await say(console, "r101", text)
    assert any(phrase in t for t in texts_to(out, "@r101")), out
    assert (await get(console)).status == "open"


async def test_a_closed_or_cancelled_poll_cannot_be_cancelled(console):
    await say(console, "r101", MOTION, "council")
    for person in COUNCIL[:6]:
        await say(console, person, "投票 1 1")               # six of nine: passed, closed
    out = await say(console, "r101", "取消投票 1 算了")
    assert texts_to(out, "@r101") == ["投票 #1 已经结束，结果已公布，不能取消了。"]
    assert (await get(console)).status == "closed"
    await say(console, "r101", MOTION, "council")
    await say(console, "r101", "取消投票 2 写错了")
    out = await say(console, "grid", "取消投票 2 再取消一次")
    assert texts_to(out, "@grid") == ["投票 #2 已经取消了。"] and texts_to(out, "council") == []


async def test_a_redelivered_cancel_tells_once_more_and_changes_nothing(console):
    await say(console, "r101", MOTION, "council")
    await console.say("r101", None, "取消投票 1 写错了", message_id="c-1")
    first = console.transcript.new()
    await console.say("r101", None, "取消投票 1 写错了", message_id="c-1")
    assert console.transcript.new() == []                  # the same message is not handled twice
    assert len(texts_to(first, "council")) == 1


async def test_the_admin_cli_cancels_a_poll_and_the_bot_tells_its_chat(linli, console, redis_server, tmp_path):
    await say(console, "r101", MOTION, "council")
    data = ["--community", str(DEMO), "--data-dir", str(tmp_path)]
    env = {"REDIS_URL": redis_server}
    refused = linli("admin", "polls", "cancel", "1", *data, env=env)
    assert refused.returncode == 2 and "--reason" in refused.stderr
    done = linli("admin", "polls", "cancel", "#1", "--reason", "物业费方案要重新核算", *data, env=env)
    assert done.returncode == 0, done.stderr
    assert "poll #1 cancelled" in done.stdout
    await console.advance(1)
    out = console.transcript.new()
    assert texts_to(out, "council") == ["📊 投票 #1「是否同意调整物业费」已取消，不用再投了，已投的票也不算了。\n"
                                        "原因：物业费方案要重新核算（社区工作人员取消）"]
    assert any("投票 #1「是否同意调整物业费」已取消" in t for t in texts_to(out, "@r101"))
    again = linli("admin", "polls", "cancel", "1", "--reason", "再取消", *data, env=env)
    assert again.returncode == 1 and "已经取消" in again.stderr
    shown = linli("admin", "polls", "show", "1", "--json", *data, env=env)
    poll = json.loads(shown.stdout)
    assert (poll["status"], poll["closed_reason"], poll["cancel_reason"], poll["passed"]) == \
        ("cancelled", "cancelled", "物业费方案要重新核算", None)
    audited = linli("admin", "polls", "audit", "1", *data, env=env)
    assert audited.returncode == 0 and "cancelled" in audited.stdout


# ---------------------------------------------------------------- a poll needs a real question

@pytest.mark.parametrize("text, phrase", [
    ("发起投票 x", "“x”看不出要大家决定什么"),
    ("发起投票 测试", "“测试”看不出要大家决定什么"),
    ("发起投票 Test", "看不出要大家决定什么"),
    ("发起投票 好", "看不出要大家决定什么"),
    ("发起投票 电梯", "看不出要大家决定什么"),
    ("发起投票 123", "看不出要大家决定什么"),
    ("发起投票 啊啊啊啊", "看不出要大家决定什么"),
    ("发起投票 x | 周六 | 周日", "看不出要大家决定什么"),
    ("发起投票 ？？？", "请写出要大家决定的事"),
    ("发起投票 | 周六 | 周日", "请写出要大家决定的事"),
    ("发起投票 截止=3天", "请写出要大家决定的事"),
])
async def test_a_poll_with_no_real_question_asks_for_one_with_an_example(console, text, phrase):
    out = await say(console, "r101", text, "council")
    told = [o["text"] for o in out]
    assert any(phrase in t and "例如：发起投票 是否同意3号楼加装电梯" in t for t in told), out
    assert texts_to(out, "council") == told                # the chair's reply, nothing posted
    assert await Polls(console.runtime.store).ids() == []


def test_the_admin_cli_asks_for_a_real_question_too(linli, tmp_path, redis_server, redis):
    data = ["--community", str(DEMO), "--data-dir", str(tmp_path), "--electorate", "council", "--deadline", "3d"]
    result = linli("admin", "polls", "create", *data, "--question", "x", env={"REDIS_URL": redis_server})
    assert result.returncode == 2 and "看不出要大家决定什么" in result.stderr
    result = linli("admin", "polls", "create", *data, "--question", "装不装充电桩", env={"REDIS_URL": redis_server})
    assert result.returncode == 0 and "poll #1 created" in result.stdout     # short, but a real question


# ---------------------------------------------------------------- yes, no and abstain in everyday words

PLAIN_MOTION = "发起投票 是否同意调整物业费 范围=议事会 截止=3天"                  # 赞成 | 反对, more than half
AGREE = "发起投票 3号楼加装电梯 | 同意 | 不同意 规则=三分之二 范围=议事会 截止=3天"
BUILD = "发起投票 3号楼加装电梯 | 装 | 不装 规则=三分之二 范围=议事会 截止=3天"       # option 1 is the proposal
DAYS = "发起投票 活动日期 | 周六 | 周日 范围=议事会 截止=3天"                       # plurality: no proposal


@pytest.mark.parametrize("poll, word, choice", [
    (PLAIN_MOTION, "同意", "1. 赞成"),
    (PLAIN_MOTION, "我同意！", "1. 赞成"),
    (PLAIN_MOTION, "支持", "1. 赞成"),
    (PLAIN_MOTION, "yes", "1. 赞成"),
    (PLAIN_MOTION, "是", "1. 赞成"),
    (PLAIN_MOTION, "投赞成票", "1. 赞成"),
    (PLAIN_MOTION, "第一项", "1. 赞成"),
    (PLAIN_MOTION, "不同意", "2. 反对"),
    (PLAIN_MOTION, "不赞成", "2. 反对"),
    (PLAIN_MOTION, "No", "2. 反对"),
    (PLAIN_MOTION, "否", "2. 反对"),
    (PLAIN_MOTION, "abstain", "弃权"),
    (PLAIN_MOTION, "不表态", "弃权"),
    (AGREE, "赞成", "1. 同意"),
    (AGREE, "反对", "2. 不同意"),
    (BUILD, "同意", "1. 装"),
    (BUILD, "反对", "2. 不装"),
])
async def test_the_usual_words_for_yes_no_and_abstain_vote(console, poll, word, choice):
    await say(console, "r101", poll, "council")
    out = await say(console, "r104", f"投票 1 {word}")
    assert texts_to(out, "@r104") == [f"已收到您在投票 #1 的选择：{choice}。"]


async def test_yes_is_no_option_where_no_option_says_yes(console):
    await say(console, "r101", DAYS, "council")
    await say(console, "r101", PLAIN_MOTION, "council")
    for word in ("同意", "3"):                              # 周六 or 周日: yes says neither
        out = await say(console, "r104", f"投票 1 {word}")
        assert f"投票 #1 没有“{word}”这一项。可选：1（周六）、2（周日），或“弃权”。" == texts_to(out, "@r104")[0]
    out = await say(console, "r104", "投票 2 随便")
    assert "没有“随便”这一项" in texts_to(out, "@r104")[0]
    out = await say(console, "r104", "投票 2 同意")
    assert texts_to(out, "@r104") == ["已收到您在投票 #2 的选择：1. 赞成。"]
    assert (await Polls(console.runtime.store).snapshot(1)).ballots == {}


async def test_a_proxy_ballot_takes_the_same_words(console):
    await say(console, "staff_chen", "发起投票 3号楼加装电梯 | 同意 | 不同意 范围=3号楼住户 截止=7天 规则=四分之三")
    out = await say(console, "grid", "代投 1 @r303 赞成 行动不便，电话告知")
    assert "已代 康哥 在投票 #1 投出：1. 同意" in texts_to(out, "@grid")[0]


# ---------------------------------------------------------------- deadlines in everyday Chinese

async def on_wednesday_afternoon(console):
    """The fake clock to Wednesday 11 December 2030, 14:30 in the community's time zone."""
    runtime = console.runtime
    when = datetime(2030, 12, 11, 14, 30, tzinfo=runtime.settings.community.tz)
    assert when.strftime("%A") == "Wednesday"
    runtime.clock.set(when.timestamp())
    await runtime.save_fake_clock()


@pytest.mark.parametrize("deadline, shown", [
    ("截止=明天", "12月12日 23:59"),
    ("截止=今天", "12月11日 23:59"),
    ("截止=后天", "12月13日 23:59"),
    ("截止=今晚8点", "12月11日 20:00"),
    ("截止=明天晚上8点", "12月12日 20:00"),
    ("截止=明天 下午3点半", "12月12日 15:30"),
    ("截止=周五", "12月13日 23:59"),
    ("截止=周三", "12月11日 23:59"),               # today is Wednesday: today's end
    ("截止=下周五", "12月20日 23:59"),
    ("截止=下个星期一", "12月16日 23:59"),
    ("截止=周日晚上8点", "12月15日 20:00"),
    ("截止=本周日", "12月15日 23:59"),
    ("截止=礼拜天", "12月15日 23:59"),
    ("截止=十二月二十日", "12月20日 23:59"),
    ("截止=20号 18:00", "12月20日 18:00"),
    ("截止=20号18点", "12月20日 18:00"),
    ("截止=5号", "1月5日 23:59"),                   # the next 5th: January's
    ("截止=晚上8点", "12月11日 20:00"),
    ("截止=上午9点", "12月12日 09:00"),             # this morning has gone: tomorrow's
    ("截止=三天", "12月14日 14:30"),
    ("截止=两周", "12月25日 14:30"),
    ("截止=3天后", "12月14日 14:30"),
])
async def test_a_deadline_in_everyday_words(console, deadline, shown):
    await on_wednesday_afternoon(console)
    out = await say(console, "r101", f"发起投票 是否同意调整物业费 范围=议事会 {deadline}", "council")
    posted = texts_to(out, "council")
    assert posted and f"截止：{shown}" in posted[0], out
    assert posted[0].split("\n")[0] == "📊 投票 #1：是否同意调整物业费"      # the time is not in the question


@pytest.mark.parametrize("deadline, phrase", [
    ("截止=今天上午8点", "截止时间“今天上午8点”（12月11日 08:00）已经过了，请写以后的时间，例如：截止=明天晚上8点"),
    ("截止=这周一", "（12月9日 23:59）已经过了"),
    ("截止=下辈子", "看不懂截止时间“下辈子”。可以这样写：截止=3天、截止=明天、截止=下周五、截止=周日晚上8点"),
    ("截止=2月30日", "看不懂截止时间“2月30日”。可以这样写"),
    ("截止=25点", "看不懂截止时间“25点”。可以这样写"),
    ("截止=下周八", "看不懂截止时间“下周八”。可以这样写"),
])
async def test_a_deadline_not_understood_or_past_is_explained(console, deadline, phrase):
    await on_wednesday_afternoon(console)
    out = await say(console, "r101", f"发起投票 是否同意调整物业费 范围=议事会 {deadline}", "council")
    assert any(phrase in t for t in texts_to(out, "council")), out
    assert await Polls(console.runtime.store).ids() == []


def test_the_admin_cli_reads_the_same_deadlines(linli, tmp_path, redis_server, redis):
    data = ["--community", str(DEMO), "--data-dir", str(tmp_path), "--question", "是否同意调整物业费",
            "--electorate", "council", "--json"]
    result = linli("admin", "polls", "create", *data, "--deadline", "明天晚上8点", env={"REDIS_URL": redis_server})
    assert result.returncode == 0, result.stderr
    deadline = datetime.fromisoformat(json.loads(result.stdout)["deadline"])
    assert (deadline.hour, deadline.minute) == (20, 0)


async def test_the_creator_is_told_how_to_cancel_a_mistaken_poll(console):
    out = await say(console, "r101", MOTION, "council")
    assert any("发错了可以发“取消投票 1 原因”" in t for t in texts_to(out, "@r101")), out
