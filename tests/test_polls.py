"""Polls through the console with the fake clock: council and household votes under their
rules, one ballot per voter or household, changed ballots, early close, refusals,
anonymity, proxies, reminders, and 50 ballots at once."""

import asyncio
import json

import pytest

from storage.polls import Polls

COUNCIL = ["r101", "r104", "r201", "r204", "r301", "r304", "r401", "r501", "r601"]
# Building 3 has 8 households in the demo file; r302 and r302b share 3-2-302.
B3 = ["zhang", "r301", "r302", "r303", "r304", "r305", "r306", "vol_zhao"]


async def say(console, who, text, chat=None):
    await console.say(who, chat, text)
    return console.transcript.new()


def texts_to(out, to):
    """What `to` was told about the poll (the points credited for voting are tested apart)."""
    return [o["text"] for o in out if o["to"] == to and not o["text"].startswith("🎉")]


async def council_poll(console, extra=""):
    out = await say(console, "r101", f"发起投票 是否同意调整物业费 规则=三分之二 范围=议事会 截止=3天 {extra}", "council")
    assert any(o["to"] == "council" and "📊 投票 #" in o["text"] for o in out), out
    return out


async def b3_poll(console, extra="规则=四分之三"):
    out = await say(console, "staff_chen", f"发起投票 3号楼加装电梯 | 同意 | 不同意 范围=3号楼住户 截止=7天 {extra}")
    assert any(o["to"] == "b3" and "3号楼已核实住户（8 户）" in o["text"] for o in out), out
    return out


async def poll(console, poll_id=1):
    return await Polls(console.runtime.store).get(poll_id)


async def test_the_announcement_numbers_the_options_and_says_how_to_vote(console):
    out = await council_poll(console)
    text = texts_to(out, "council")[0]
    for part in ("1. 赞成", "2. 反对", "议事会全体委员（9 人）", "三分之二", "投票 1 1", "投票 1 弃权", "截止前不公布票数"):
        assert part in text
    assert any(o["to"] == "@r101" and "投票 #1 已发起" in o["text"] for o in out)


@pytest.mark.parametrize("yes, no, passed, closes_early, phrase", [
    (6, 0, True, True, "赞成 6 票，达到全体委员三分之二（需 6 票），通过"),
    (6, 3, True, True, "赞成 6 票，达到全体委员三分之二（需 6 票），通过"),
    (5, 0, False, False, "赞成 5 票，未达到全体委员三分之二（需 6 票），未通过"),
    (5, 4, False, True, "赞成 5 票，未达到全体委员三分之二（需 6 票），未通过"),
])
async def test_council_two_thirds(console, yes, no, passed, closes_early, phrase):
    await council_poll(console)
    # A pass is settled by its last "yes", a failure by its last "no": cast those last.
    ballots = ["2"] * no + ["1"] * yes if passed else ["1"] * yes + ["2"] * no
    out = []
    for person, choice in zip(COUNCIL, ballots):
        out += await say(console, person, f"投票 1 {choice}")
    if not closes_early:
        assert (await poll(console)).status == "open"
        out += (await console.advance(3 * 86400)) or console.transcript.new()
    result = texts_to(out, "council")
    assert len(result) == 1 and phrase in result[0], out
    closed = await poll(console)
    assert closed.status == "closed" and closed.result["passed"] is passed
    assert closed.closed_reason == ("decided" if closes_early else "deadline")


@pytest.mark.parametrize("yes, passed, phrase", [
    (6, True, "同意 6 票，达到全体住户四分之三（需 6 票），通过"),
    (5, False, "同意 5 票，未达到全体住户四分之三（需 6 票），未通过"),
])
async def test_households_three_quarters(console, yes, passed, phrase):
    await b3_poll(console)
    out = []
    for person in B3[:yes]:
        out += await say(console, person, "投票 1 1")
    for person in B3[yes:]:
        out += await say(console, person, "投票 1 2")
    result = texts_to(out, "b3")
    assert len(result) == 1 and phrase in result[0] and "共 8 户有投票权" in result[0]
    assert (await poll(console)).result["passed"] is passed


async def test_a_households_second_member_is_told_it_has_voted(console):
    await b3_poll(console)
    out = await say(console, "r302", "投票 1 1", "b3")
    assert texts_to(out, "@r302") == ["已收到您家（3号楼2单元302室）在投票 #1 的选择：1. 同意。"]
    assert texts_to(out, "b3") == []                         # the group hears nothing of it
    out = await say(console, "r302b", "投票 1 2")
    assert "已由 黄叔 在投票 #1 投过票了" in texts_to(out, "@r302b")[0]
    snapshot = await Polls(console.runtime.store).snapshot(1)
    assert list(snapshot.ballots) == ["3-2-302"] and snapshot.ballots["3-2-302"].option == 1


async def test_a_changed_ballot_replaces_the_first_and_the_poll_waits_for_its_deadline(console):
    await say(console, "r101", "发起投票 活动日期 | 周六 | 周日 范围=议事会 截止=2天 可改票", "council")
    out = await say(console, "r104", "投票 1 1")
    assert "1. 周六" in texts_to(out, "@r104")[0]
    out = await say(console, "r104", "投票 1 周日")
    assert texts_to(out, "@r104") == ["已把您在投票 #1 的选择从“1. 周六”改为“2. 周日”。"]
    out = await say(console, "r104", "投票 1 2")
    assert "无需重复投票" in texts_to(out, "@r104")[0]
    for person in COUNCIL[2:7]:
        await say(console, person, "投票 1 2")             # 6 of 9 for 周日: decided, but ballots may change
    assert (await poll(console)).status == "open"
    await console.advance(2 * 86400)
    closed = await poll(console)
    assert closed.status == "closed" and closed.result["counts"] == [0, 6] and closed.result["outcome"] == 2


async def test_plurality_tie_decides_nothing(console):
    await say(console, "r101", "发起投票 活动日期 | 周六 | 周日 范围=议事会 截止=1天", "council")
    for person, choice in zip(COUNCIL[:8], "12121212"):
        await say(console, person, f"投票 1 {choice}")
    await say(console, COUNCIL[8], "投票 1 弃权")            # everyone has voted: closes now
    closed = await poll(console)
    assert closed.result["reason"] == "tie" and closed.result["passed"] is False
    assert "平票（各 4 票）" in closed.result["text"] and "弃权 1 票" in closed.result["text"]


async def test_refusals_say_why(console):
    await council_poll(console)
    out = await say(console, "zhang", "投票 1 1")
    assert "不在投票 #1 的范围内" in texts_to(out, "@zhang")[0]
    out = await say(console, "r104", "投票 1 7")
    assert "没有“7”这一项" in texts_to(out, "@r104")[0]
    out = await say(console, "r104", "投票 9 1")
    assert "没有找到投票 #9" in texts_to(out, "@r104")[0]
    await say(console, "r104", "投票 1 1")
    out = await say(console, "r104", "投票 1 2")
    assert "投出后不能更改" in texts_to(out, "@r104")[0]
    await console.advance(3 * 86400)
    console.transcript.new()
    out = await say(console, "r201", "投票 1 1")
    assert "已结束" in texts_to(out, "@r201")[0]
    out = await say(console, "zhang", "发起投票 要不要养鸡 范围=议事会")
    assert "只有议事会主任和社区工作人员可以发起投票" in texts_to(out, "@zhang")[0]


async def test_a_household_vote_tells_the_unregistered_and_unverified_why(console):
    await say(console, "staff_chen", "登记 6栋1单元601")      # pending: not verified
    await b3_poll(console)
    out = await say(console, "secretary", "投票 1 1")
    assert "还没有登记住户" in texts_to(out, "@secretary")[0]
    out = await say(console, "staff_chen", "投票 1 1")
    assert "还在等社区核实" in texts_to(out, "@staff_chen")[0]


async def test_mistakes_in_a_new_poll_are_explained(console):
    for text, phrase in [("发起投票 问题 | 只有一个", "选项需要 2 到 10 个"),
                         ("发起投票 问题 规则=大概", "看不懂规则"),
                         ("发起投票 问题 范围=火星", "看不懂范围"),
                         ("发起投票 问题 截止=昨天", "看不懂截止时间"),
                         ("发起投票 问题 匿名 可改票", "匿名投票不能改票"),
                         ("发起投票 问题 | 甲 | 甲", "两个选项相同")]:
        out = await say(console, "r101", text, "council")
        assert any(phrase in o["text"] for o in out), (text, out)
    assert await Polls(console.runtime.store).ids() == []


async def test_an_anonymous_ballot_is_kept_apart_from_its_voter(console, redis):
    await council_poll(console, "匿名")
    out = await say(console, "r104", "投票 1 2", "council")
    assert "匿名选票已投入票箱" in texts_to(out, "@r104")[0]
    assert any("请私信我投票" in t for t in texts_to(out, "@r104"))
    await say(console, "r201", "投票 1 1")
    keys = console.runtime.store.keys
    records = [json.loads(v) for v in (await redis.hgetall(keys("poll", 1, "ballots"))).values()]
    assert {r["by"] for r in records} == {"r104", "r201"}
    assert all("option" not in r for r in records)
    box = await redis.zrange(keys("poll", 1, "box"), 0, -1)
    assert sorted(m.rpartition(":")[2] for m in box) == ["1", "2"]
    assert not any(p in m for m in box for p in ("r104", "r201"))


async def test_a_proxy_ballot_is_marked_and_audited(console):
    await b3_poll(console)
    out = await say(console, "grid", "代投 1 @r303 1 行动不便，电话告知")
    assert "已代 康哥 在投票 #1 投出：1. 同意" in texts_to(out, "@grid")[0]
    assert "林网格员 代您在投票 #1" in texts_to(out, "@r303")[0]
    ballot = (await Polls(console.runtime.store).snapshot(1)).ballots["3-3-501"]
    assert (ballot.by, ballot.proxy, ballot.reason) == ("r303", "grid", "行动不便，电话告知")
    entries = await console.runtime.services.audit.entries()
    assert any(e["action"] == "poll_proxy_ballot" and e["actor"] == "grid" and "r303" in e["subject"]
               for e in entries)
    out = await say(console, "zhang", "代投 1 @r305 1 帮邻居")   # residents cannot
    assert texts_to(out, "@zhang") and "3-2-301" not in (await Polls(console.runtime.store).snapshot(1)).ballots


async def test_reminders_go_privately_to_those_who_have_not_voted(console):
    await b3_poll(console)
    for person in B3[:5]:                                   # r302 votes for 3-2-302, r302b too
        await say(console, person, "投票 1 1")
    console.transcript.new()
    await console.advance(6 * 86400 + 3600)                 # a day before the deadline
    out = console.transcript.new()
    assert sorted(o["to"] for o in out) == ["@r305", "@r306", "@vol_zhao"]
    assert all("您家还没有投票" in o["text"] for o in out)


async def test_fifty_ballots_at_once_from_one_voter_leave_one(console):
    await council_poll(console)
    repo = Polls(console.runtime.store)
    now = console.runtime.clock.now()
    replies = await asyncio.gather(*(repo.cast(1, "r104", 1 + i % 2, now, f"device-{i}") for i in range(50)))
    assert sorted(r[0] for r in replies).count("ok") == 1
    assert {r[0] for r in replies} == {"ok", "already"}
    snapshot = await repo.snapshot(1)
    assert len(snapshot.ballots) == 1 and snapshot.poll.version == 1


async def test_fifty_ballots_at_once_from_one_household_leave_one(console):
    await b3_poll(console)
    repo = Polls(console.runtime.store)
    now = console.runtime.clock.now()
    replies = await asyncio.gather(*(repo.cast(1, ("r302", "r302b")[i % 2], 1, now, f"e{i}") for i in range(50)))
    assert [r[0] for r in replies].count("ok") == 1
    assert len((await repo.snapshot(1)).ballots) == 1


async def test_a_redelivered_ballot_is_counted_once(console):
    await council_poll(console)
    repo = Polls(console.runtime.store)
    now = console.runtime.clock.now()
    assert (await repo.cast(1, "r104", 1, now, "same-event"))[0] == "ok"
    assert (await repo.cast(1, "r104", 1, now, "same-event"))[0] == "replay"
    assert len((await repo.snapshot(1)).ballots) == 1


async def test_a_redelivered_create_makes_one_poll(console):
    from handlers.context import Context
    from handlers.events import Event
    from handlers.polls.create import create_poll
    from handlers.polls.syntax import parse_spec

    runtime = console.runtime
    ctx = Context(runtime.services, Event(id="msg-1", channel="console"))
    spec = parse_spec("问题 范围=议事会", runtime.settings.community, None, ctx.now)
    first = await create_poll(ctx, spec, "r101", None)
    again = await create_poll(ctx, spec, "r101", None)
    assert first.id == again.id == 1 and await Polls(runtime.store).ids() == [1]
    assert [j for j, _ in await runtime.services.jobs.pending()] == ["poll:1:remind", "poll:1:close"]


async def test_my_polls_and_one_poll(console):
    await council_poll(console)
    out = await say(console, "r104", "投票")
    assert "#1 是否同意调整物业费" in texts_to(out, "@r104")[0] and "待投" in texts_to(out, "@r104")[0]
    await say(console, "r104", "/vote 1 1")
    out = await say(console, "r104", "投票 #1")
    shown = texts_to(out, "@r104")[0]
    assert "已投 1/9 人" in shown and "票数截止后公布" in shown and "您的选择：1. 赞成" in shown
    out = await say(console, "zhang", "投票")
    assert "目前没有您可以参加的投票" in texts_to(out, "@zhang")[0]


async def test_running_counts_only_when_the_poll_shows_them(console):
    await say(console, "r101", "发起投票 活动日期 | 周六 | 周日 范围=议事会 截止=2天 公开计票", "council")
    out = await say(console, "r104", "投票 1 2")
    assert "目前：周六 0 票，周日 1 票，弃权 0 票（已投 1/9）。" in texts_to(out, "@r104")
    out = await say(console, "r201", "投票 1")
    assert "周六 0 票，周日 1 票" in texts_to(out, "@r201")[0]
    await council_poll(console)                     # poll 2: counts hidden
    out = await say(console, "r104", "投票 2 1")
    assert len(texts_to(out, "@r104")) == 1 and "目前" not in texts_to(out, "@r104")[0]


async def test_a_ballot_earns_points_once(console):
    """A counted ballot credits `ballot_cast` points (issue 5), once however often it is delivered."""
    await console.say("r101", "council", "发起投票 是否同意调整物业费 规则=三分之二 范围=议事会 截止=3天")
    console.transcript.new()
    await console.say("r104", None, "投票 1 1", message_id="b-1")
    await console.say("r104", None, "投票 1 1", message_id="b-1")
    texts = [o["text"] for o in console.transcript.new() if o["to"] == "@r104"]
    assert sum("积分" in t for t in texts) == 1, texts
