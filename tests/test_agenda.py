"""议题 (#19): proposing, seconding at its threshold edges (one below, exactly at,
households vs persons, a percent of the community rounded up), concurrent seconding (one
per unit; many at once reach the threshold exactly once and the council hears once),
duplicates, withdrawing, lapsing, the council's decisions, the board and the privacy
interface."""

from __future__ import annotations

import asyncio

import pytest

from handlers.agenda.rules import Threshold, parse_agenda, parse_threshold
from handlers.community import CommunityError
from handlers.context import Context
from bot.channels.console import message_event
from handlers.router import route
from storage.agenda import Topics
from storage.polls import Polls
from tests.conftest import console_of

DAY = 86400


def community(agenda: str = 'building = "3户"\ncommunity = "25%"', households: int = 4) -> str:
    """Building 1: households 1-1-101…, two people in 101; building 2: four households;
    a council chat, its chair, the secretary, a grid worker, 城管's contact."""
    people = ['[[people]]\nid = "a1"\nname = "甲一"\nhousehold = "1-1-101"',
              '[[people]]\nid = "a1b"\nname = "甲一家属"\nhousehold = "1-1-101"']
    people += [f'[[people]]\nid = "a{n}"\nname = "甲{n}"\nhousehold = "1-1-10{n}"' for n in range(2, households + 3)]
    people += [f'[[people]]\nid = "c{n}"\nname = "乙{n}"\nhousehold = "2-1-10{n}"' for n in range(1, 5)]
    people += ['[[people]]\nid = "chair"\nname = "议事会主任"\nroles = ["council_chair", "council"]',
               '[[people]]\nid = "sec"\nname = "陈书记"\nroles = ["secretary"]',
               '[[people]]\nid = "grid"\nname = "网格员"\nroles = ["grid_worker"]',
               '[[people]]\nid = "cg"\nname = "城管老刘"\nroles = ["department"]',
               '[[people]]\nid = "guest"\nname = "没登记的人"']
    return f"""
[community]
id = "agenda-test"
name = "议题社区"

[agenda]
{agenda}
window_days = 30
remind_days = 7
evaluation_days = 14

[[departments]]
id = "chengguan"
name = "城管"
contact = "cg"

[[chats]]
id = "b1"
name = "1号楼群"
kind = "building"
building = "1"

[[chats]]
id = "b2"
name = "2号楼群"
kind = "building"
building = "2"

[[chats]]
id = "council"
name = "议事会群"
kind = "council"

""" + "\n\n".join(people) + "\n"


def to(out, who, text=""):
    """What `who` (a chat id, or @person) read containing `text` (a reply in a group is
    addressed to the chat's console identity)."""
    return [m["text"] for m in out if m["to"].removeprefix("console:") == who and text in m["text"]]


@pytest.fixture
async def agenda(tmp_path, redis_server, redis):
    async with console_of(community(), tmp_path, redis_server) as session:
        yield session


async def topic_of(console, topic_id=1):
    return await Topics(console.runtime.store).get(topic_id)


# --- the rules ---------------------------------------------------------------------

@pytest.mark.parametrize("text, threshold", [
    ("10户", Threshold(10)), ("10人", Threshold(10, unit="person")), ("5%", Threshold(5, percent=True)),
    ("5%户", Threshold(5, percent=True)), ("2.5%人", Threshold(2.5, percent=True, unit="person")), (7, Threshold(7)),
    ("0户", None), ("101%", None), ("十户", None), ("2.5户", None), (True, None), ("", None)])
def test_thresholds_read(text, threshold):
    assert parse_threshold(text) == threshold


@pytest.mark.parametrize("threshold, base, needed", [
    (Threshold(5, percent=True), 100, 5),      # exactly
    (Threshold(5, percent=True), 101, 6),      # 5.05 rounds up
    (Threshold(5, percent=True), 99, 5),       # 4.95 rounds up
    (Threshold(25, percent=True), 10, 3),      # 2.5 → 3
    (Threshold(5, percent=True), 10, 2),       # 0.5 → at least 2 (the proposer and one more)
    (Threshold(10), 0, 10), (Threshold(1), 0, 2)])
def test_a_percent_threshold_rounds_up_and_never_below_two(threshold, base, needed):
    assert threshold.of(base) == needed


def test_the_agenda_section_is_checked():
    fail = lambda key, problem: CommunityError(f"{key}: {problem}")  # noqa: E731
    rules = parse_agenda({"building": "8户", "community": "3%人", "window_days": 10}, fail)
    assert rules.building == Threshold(8) and rules.community == Threshold(3, True, "person") and rules.window_days == 10
    for bad in ({"building": "很多"}, {"window_days": 0}, {"colour": "red"}):
        with pytest.raises(CommunityError):
            parse_agenda(bad, fail)


# --- seconding at the threshold ------------------------------------------------------

async def test_one_below_the_threshold_waits_and_exactly_at_it_the_council_hears_once(agenda):
    await agenda.say("a1", None, "议题 小区东门加装快递柜\n快递总丢，老人取件不方便")
    out = agenda.transcript.new()
    assert "已提出议题 Y1" in to(out, "@a1")[0] and "附议 1/3 户" in to(out, "@a1")[0]
    posted = [m for m in out if m["to"].removeprefix("console:") == "b1"]
    assert len(posted) == 1 and "附议 Y1" in posted[0]["text"] and "理由：快递总丢，老人取件不方便\n范围" in posted[0]["text"]
    assert posted[0]["buttons"] == [[{"label": "附议 Y1", "command": "附议 Y1"}]]
    assert not [m for m in out if m["to"] == "b2"]          # a building's topic stays in its building

    await agenda.say("a2", "b1", "附议 Y1")                  # one below
    out = agenda.transcript.new()
    assert "附议 2/3 户" in to(out, "b1")[0]
    assert not to(out, "council") and (await topic_of(agenda)).status == "seconding"

    await agenda.say("a3", None, "附议Y1")                   # exactly at it (glued, as typed)
    out = agenda.transcript.new()
    assert len(to(out, "council", "新议题 Y1")) == 1
    assert to(out, "@sec", "排期 Y1")
    assert to(out, "@a1", "已进入议事会议程") and to(out, "@a2", "已进入议事会议程") and to(out, "@a3", "已进入议事会议程")
    topic = await topic_of(agenda)
    assert topic.status == "agenda" and topic.count == 3 and topic.reached_at

    await agenda.say("a4", None, "附议 Y1")                  # one past: closed, nobody told again
    out = agenda.transcript.new()
    assert "不再征集附议" in to(out, "@a4")[0] and not to(out, "council")
    assert await Topics(agenda.runtime.store).in_states(("agenda",)) == [1]
    assert await Topics(agenda.runtime.store).in_states(("seconding",)) == []


async def test_a_household_seconds_once_where_the_threshold_counts_households(agenda):
    await agenda.say("a2", None, "议题 小区东门加装快递柜")
    await agenda.say("a1", None, "附议 Y1")
    await agenda.say("a1b", None, "附议 Y1")                 # same household as a1
    await agenda.say("a2", None, "附议 Y1")                  # the proposer counts already
    out = agenda.transcript.new()
    assert "甲一附议过 Y1" in to(out, "@a1b")[0]
    assert "您已经附议过" in to(out, "@a2")[-1]
    assert (await topic_of(agenda)).count == 2
    await agenda.say("guest", None, "附议 Y1")               # no household: told how to get one
    await agenda.say("c1", None, "附议 Y1")                  # another building's household
    out = agenda.transcript.new()
    assert "先登记您家住哪户" in to(out, "@guest")[0] and "1号楼的事" in to(out, "@c1")[0]
    assert (await topic_of(agenda)).count == 2


async def test_where_the_threshold_counts_people_each_person_of_a_household_counts(tmp_path, redis_server, redis):
    async with console_of(community('building = "3人"'), tmp_path, redis_server) as session:
        await session.say("a1", None, "议题 小区东门加装快递柜")
        await session.say("a1b", None, "附议 Y1")            # same household, another person: counts
        assert (await topic_of(session)).count == 2
        await session.say("a1b", None, "附议 Y1")
        await session.say("a2", None, "附议 Y1")
        out = session.transcript.new()
        assert to(out, "@a1b", "您已经附议过") and len(to(out, "council", "新议题 Y1")) == 1
        topic = await topic_of(session)
        assert topic.unit == "person" and topic.count == 3 and topic.status == "agenda"


async def test_a_community_topic_needs_a_percent_of_the_communitys_households_rounded_up(agenda):
    # 10 verified households (6 in building 1, 4 in building 2): 25% is 2.5 → 3
    await agenda.say("a1", None, "议题 全社区 小区门口增设无障碍坡道")
    topic = await topic_of(agenda)
    assert topic.scope == "community" and topic.base == 10 and topic.threshold == 3
    out = agenda.transcript.new()
    assert {m["to"] for m in out if "【议题 Y1】" in m["text"]} == {"b1", "b2"}
    await agenda.say("c1", None, "附议 Y1")                  # any building's household counts
    assert (await topic_of(agenda)).status == "seconding"
    await agenda.say("c2", None, "附议 Y1")
    assert (await topic_of(agenda)).status == "agenda"


# --- concurrency -------------------------------------------------------------------------

async def test_many_seconding_at_once_reach_the_threshold_exactly_once(runtime):
    repo = Topics(runtime.store)
    topic_id, _ = await repo.create("e1", {"title": "加装快递柜", "proposer": "p0", "created_at": 0, "threshold": 5,
                                           "unit": "household", "scope": "community"},
                                    {"at": 0, "by": "p0", "action": "proposed"}, ("h0", {"by": "p0", "at": 0}))
    results = await asyncio.gather(*(repo.second(topic_id, f"ev{i}", f"h{i % 12}", f"p{i}", i, {"action": "seconded"},
                                               {"action": "reached"})
                                     for i in range(1, 25)))
    kinds = [r.result for r in results]
    assert kinds.count("reached") == 1 and kinds.count("ok") == 3
    assert set(kinds) <= {"ok", "reached", "already", "closed"}
    topic = await repo.get(topic_id)
    assert topic.count == 5 and topic.status == "agenda"
    assert [h["action"] for h in topic.history].count("reached") == 1
    again = await repo.second(topic_id, "ev1", "h1", "p1", 1, {}, {})         # a redelivered seconding
    assert again.result == "replay" and (await repo.get(topic_id)).count == 5


async def test_neighbours_seconding_at_once_through_the_bot_tell_the_council_once(agenda):
    runtime = agenda.runtime
    await agenda.say("a1", None, "议题 小区东门加装快递柜")
    agenda.transcript.new()

    async def handle(sender, text):
        event = message_event(runtime.settings.community, sender, None, text, runtime.clock.now())
        ctx = Context(runtime.services, event)
        await route(ctx)
        return ctx

    ctxs = await asyncio.gather(*(handle(p, "附议 Y1") for p in ("a2", "a3", "a4", "a5", "a6", "a1b") * 2))
    council = [m for c in ctxs for m in c.outgoing if m.to == "council"]
    assert len(council) == 1
    topic = await topic_of(agenda)
    assert topic.status == "agenda" and topic.count == 3


# --- duplicates, withdrawing, lapsing ---------------------------------------------------

async def test_a_proposal_like_an_open_topic_is_offered_to_second_that_one(agenda):
    await agenda.say("a1", None, "议题 小区东门加装快递柜")
    await agenda.say("a2", None, "议题 东门加装一个快递柜")
    out = agenda.transcript.new()
    reply = to(out, "@a2")[0]
    assert "已有相似的议题 Y1" in reply and "附议 Y1" in reply and "议题 另提" in reply
    assert await Topics(agenda.runtime.store).ids() == [1]
    await agenda.say("a2", None, "议题 另提 东门加装一个快递柜")
    assert await Topics(agenda.runtime.store).ids() == [1, 2]


async def test_the_proposer_may_withdraw_and_others_may_not(agenda):
    await agenda.say("a1", None, "议题 小区东门加装快递柜")
    await agenda.say("a2", None, "附议 Y1")
    await agenda.say("a2", None, "撤回议题 Y1")
    assert to(agenda.transcript.new(), "@a2", "只有提议人")
    await agenda.say("a1", None, "撤回议题 Y1")
    out = agenda.transcript.new()
    assert "已撤回议题 Y1" in to(out, "@a1")[0] and to(out, "@a2", "已被提议人撤回")
    assert (await topic_of(agenda)).status == "withdrawn"
    await agenda.advance(31 * DAY)                           # its lapse was cancelled
    assert not to(agenda.transcript.new(), "@a1", "征集期满")


async def test_an_unseconded_topic_lapses_at_the_end_of_its_window(agenda):
    await agenda.say("a1", None, "议题 小区东门加装快递柜")
    agenda.transcript.new()
    await agenda.advance(29 * DAY)
    assert not agenda.transcript.new()
    await agenda.advance(2 * DAY)
    out = agenda.transcript.new()
    assert "征集期满" in to(out, "@a1")[0] and "1 个附议（需要 3）" in to(out, "@a1")[0]
    assert (await topic_of(agenda)).status == "lapsed"


async def test_group_chit_chat_stays_quiet(agenda):
    for text in ("附议一下", "附议", "决定 明天去", "议题 好", "评议 一下", "进展 怎么样"):
        await agenda.say("a2", "b1", text)
    assert not agenda.transcript.new()
    assert await Topics(agenda.runtime.store).ids() == []


# --- the council's decisions and the secretary -----------------------------------------

async def on_the_agenda(console, title="小区东门加装快递柜"):
    await console.say("a1", None, f"议题 {title}")
    await console.say("a2", None, "附议 Y1")
    await console.say("a3", None, "附议 Y1")
    console.transcript.new()


async def test_refer_merge_decline_and_who_may(agenda):
    await on_the_agenda(agenda)
    await agenda.say("a1", None, "决定 Y1 不采纳 不行")
    assert (await topic_of(agenda)).status == "agenda"       # a resident may not
    await agenda.say("chair", "council", "决定 Y1 不采纳")
    assert "要写原因" in to(agenda.transcript.new(), "council")[0]
    await agenda.say("chair", "council", "决定 Y1 转交 城管 请核实能否安装")
    out = agenda.transcript.new()
    assert "已转交城管" in to(out, "council")[0]
    assert "议事会转交议题 Y1" in to(out, "@cg")[0]
    assert all(to(out, f"@{p}", "城管办理") for p in ("a1", "a2", "a3"))
    topic = await topic_of(agenda)
    assert topic.status == "referred" and topic.department == "chengguan"

    await agenda.say("c1", None, "议题 2号楼楼下装晾衣架")
    await agenda.say("c2", None, "议题 另提 2号楼门口装晾衣杆")
    await agenda.say("sec", None, "决定 Y3 合并 Y2")
    out = agenda.transcript.new()
    assert "已合并到 Y2" in to(out, "@sec")[0] and to(out, "@c2", "已合并")
    y2 = await topic_of(agenda, 2)
    assert "c2" in y2.followers and (await topic_of(agenda, 3)).status == "merged"


async def test_the_secretary_is_reminded_while_a_topic_waits_unless_it_is_scheduled(agenda):
    await on_the_agenda(agenda)
    await agenda.advance(7 * DAY + 60)
    assert to(agenda.transcript.new(), "@sec", "还没有决定")
    await agenda.say("sec", None, "排期 Y1 20天后")
    out = agenda.transcript.new()
    assert "上会讨论" in to(out, "@sec")[0] and to(out, "@a2", "议事会上讨论")
    await agenda.advance(14 * DAY)
    assert not to(agenda.transcript.new(), "@sec", "还没有决定")
    await agenda.advance(7 * DAY)                            # a day after the meeting, still undecided
    assert to(agenda.transcript.new(), "@sec", "还没有决定")


async def test_the_board_lists_open_topics_most_seconded_first_and_one_topics_path(agenda):
    await on_the_agenda(agenda)
    await agenda.say("c1", None, "议题 2号楼楼下装晾衣架")
    await agenda.say("a4", None, "议题 另提 小区里多放几个垃圾桶")
    await agenda.say("a5", None, "附议 Y3")
    await agenda.say("a2", None, "议题")
    board = to(agenda.transcript.new(), "@a2")[-1]
    lines = board.splitlines()
    assert lines[0] == "📋 议题（3 个）："
    assert lines[1].startswith("Y1 ") and "待议" in lines[1]
    assert lines[2].startswith("Y3 ") and "附议 2/3 户" in lines[2]
    assert lines[3].startswith("Y2 ")
    await agenda.say("c2", "b2", "议题")                     # building 2's chat: its own topic only
    board = to(agenda.transcript.new(), "b2")[-1]
    assert "Y2 " in board and "Y1 " not in board and "Y3 " not in board
    await agenda.say("a2", None, "议题 Y1")
    shown = to(agenda.transcript.new(), "@a2")[0]
    assert "【议题 Y1】" in shown and "提出" in shown and "进入议事会议程" in shown


async def test_the_board_is_capped(agenda):
    titles = ["加装快递柜", "修理健身器材", "增加路灯亮度", "清理楼顶杂物", "规范停车秩序", "设立旧衣回收",
              "开办老年食堂", "开放活动中心", "增设充电车棚", "种植行道绿树", "定期灭蟑灭鼠", "组织邻里节日"]
    for n, title in enumerate(titles):
        await agenda.say("a1", None, f"议题 另提 {title}")
    await agenda.say("a1", None, "议题")
    board = to(agenda.transcript.new(), "@a1")[-1]
    assert "还有 2 个" in board and len([l for l in board.splitlines() if l.startswith("Y")]) == 10


# --- privacy ---------------------------------------------------------------------------

async def test_what_is_kept_about_a_person_and_forgetting_them(agenda):
    from handlers import agenda as package
    await on_the_agenda(agenda)
    runtime = agenda.runtime
    ctx = Context(runtime.services, message_event(runtime.settings.community, "a2", None, "", runtime.clock.now()))
    lines = await package.kept_about(ctx, "a2")
    assert lines == ["议题 Y1「小区东门加装快递柜」（您附议，待议，附议 3/3 户）"]
    assert "您提出" in (await package.kept_about(ctx, "a1"))[0]
    assert await package.forget(ctx, "a2") == 1
    assert await package.forget(ctx, "a2") == 0            # idempotent
    topic = await topic_of(agenda)
    assert topic.count == 3 and "a2" not in topic.seconders() and "a2" not in topic.followers
    assert not any(h["by"] == "a2" for h in topic.history)
    assert await package.kept_about(ctx, "a2") == []


# --- redelivery and a cancelled poll ---------------------------------------------------

async def test_a_redelivered_proposal_or_seconding_changes_nothing_twice(agenda):
    from tests.test_points import handle
    runtime = agenda.runtime
    first = await handle(runtime, "a1", "议题 小区东门加装快递柜", event_id="same-proposal")
    again = await handle(runtime, "a1", "议题 小区东门加装快递柜", event_id="same-proposal")
    assert await Topics(runtime.store).ids() == [1]
    assert [m.text for m in again.outgoing] == [m.text for m in first.outgoing]     # said again, as it was
    await handle(runtime, "a2", "附议 Y1", event_id="same-second")
    await handle(runtime, "a3", "附议 Y1", event_id="reaching")
    again = await handle(runtime, "a3", "附议 Y1", event_id="reaching")
    topic = await topic_of(agenda)
    assert topic.count == 3 and [h["action"] for h in topic.history].count("reached") == 1
    assert [m.to for m in again.outgoing if m.to == "council"] == ["council"]      # the lost message, once more


async def test_two_council_members_deciding_at_once_leave_one_decision_and_no_stray_poll(agenda):
    await on_the_agenda(agenda)
    runtime = agenda.runtime

    async def handle(sender, chat, text):
        event = message_event(runtime.settings.community, sender, chat, text, runtime.clock.now())
        ctx = Context(runtime.services, event)
        await route(ctx)
        return ctx

    await asyncio.gather(handle("chair", "council", "决定 Y1 投票"), handle("sec", None, "决定 Y1 投票"))
    topic = await topic_of(agenda)
    assert topic.status == "voting" and [h["action"] for h in topic.history].count("poll") == 1
    polls = Polls(runtime.store)
    statuses = {i: (await polls.get(i)).status for i in await polls.ids()}
    assert statuses[topic.poll] == "open"
    assert sorted(s for i, s in statuses.items() if i != topic.poll) in ([], ["cancelled"])


async def test_a_topic_whose_poll_was_cancelled_may_be_decided_again(agenda):
    await on_the_agenda(agenda)
    await agenda.say("chair", "council", "决定 Y1 投票")
    await agenda.say("chair", "council", "决定 Y1 不采纳 还没想好")      # while it is voted on: no
    assert to(agenda.transcript.new(), "council", "表决中")
    await agenda.say("sec", None, "取消投票 1 重新讨论")
    await agenda.say("chair", "council", "决定 Y1 不采纳 东门是消防通道")
    out = agenda.transcript.new()
    assert to(out, "@a2", "东门是消防通道")
    topic = await topic_of(agenda)
    assert topic.status == "declined" and [h["action"] for h in topic.history][-2:] == ["reopened", "declined"]


async def test_asking_for_a_topic_with_more_words_still_shows_it(agenda):
    await on_the_agenda(agenda)
    await agenda.say("c1", None, "议题 Y1 怎么样了")
    assert to(agenda.transcript.new(), "@c1", "【议题 Y1】")
    assert await Topics(agenda.runtime.store).ids() == [1]


@pytest.mark.parametrize("text, scope, title", [
    ("议题 全社区 小区门口增设无障碍坡道", "community", "小区门口增设无障碍坡道"),
    ("议题 小区门口增设无障碍坡道 范围=全社区", "community", "小区门口增设无障碍坡道"),
    ("议题 全社区推广垃圾分类", "building", "全社区推广垃圾分类"),     # 全社区 in the title is the title
])
async def test_a_community_wide_topic_is_asked_for_in_a_word_of_its_own(agenda, text, scope, title):
    await agenda.say("a1", None, text)
    topic = await topic_of(agenda)
    assert (topic.scope, topic.title) == (scope, title)


async def test_the_department_a_topic_was_referred_to_reports_progress_and_completion(agenda):
    await on_the_agenda(agenda)
    await agenda.say("chair", "council", "决定 Y1 转交 城管")
    await agenda.say("c1", None, "进展 Y1 我也来说两句")                 # not theirs
    await agenda.say("cg", None, "进展 Y1 已派人现场核实")
    out = agenda.transcript.new()
    assert to(out, "@c1", "承办部门") and to(out, "@a2", "已派人现场核实")
    await agenda.say("cg", None, "进展 Y1 完成 快递柜已装好")
    out = agenda.transcript.new()
    assert {m["to"] for m in out if "您觉得办得怎么样" in m["text"]} == {"@a1", "@a2", "@a3"}
    assert (await topic_of(agenda)).status == "done"


async def test_my_data_lists_my_topics_and_erasure_keeps_the_count(agenda):
    await on_the_agenda(agenda)
    await agenda.say("a2", None, "我的数据")
    assert to(agenda.transcript.new(), "@a2", "议题 Y1「小区东门加装快递柜」（您附议")
    await agenda.say("a2", None, "注销")
    await agenda.say("a2", None, "确认注销")
    agenda.transcript.new()
    topic = await topic_of(agenda)
    assert topic.count == 3 and "a2" not in topic.followers and "a2" not in topic.seconders()
    assert await Topics(agenda.runtime.store).of_person("a2") == []
