"""Issue #19's check: a scripted console story in a community file of its own — a topic
proposed in a building chat, seconded to the threshold, put to a household vote by the
council, passed, carried out (who, by when, progress, done) and evaluated (评议) by its
seconders — then read back from the admin CLI (`linli admin topics list|show`, plain and
--json)."""

from __future__ import annotations

import json

from storage.agenda import Topics
from tests.conftest import at_local, console_of
from tests.test_agenda import DAY, community, to


async def test_a_topic_from_proposal_through_a_vote_to_implementation_and_evaluation(tmp_path, redis_server, redis,
                                                                                      linli):
    async with console_of(community(), tmp_path, redis_server) as story:
        await at_local(story, 9)
        # 甲一 proposes in building 1's chat, with a line of why
        await story.say("a1", "b1", "@小邻 议题 小区东门加装快递柜\n快递总丢，老人取件要走很远")
        out = story.transcript.new()
        assert to(out, "b1", "【议题 Y1】") and to(out, "@a1", "已提出议题 Y1")

        # two neighbours second: the threshold (3 households) is reached, the council hears
        await story.say("a2", "b1", "附议 Y1")
        await story.say("a3", None, "附议 Y1")
        out = story.transcript.new()
        assert len(to(out, "council", "新议题 Y1")) == 1 and to(out, "@sec", "排期 Y1")

        # the secretary schedules it; the council puts it to building 1's households
        await story.say("sec", None, "排期 Y1 明天晚上7点")
        await story.say("chair", "council", "决定 Y1 投票 范围=1号楼 截止=2天")
        out = story.transcript.new()
        assert to(out, "council", "已发起表决（投票 1）")
        assert to(out, "b1", "Y1 小区东门加装快递柜")                 # the poll, posted to the building
        assert to(out, "@a2", "发起表决")
        assert (await Topics(story.runtime.store).get(1)).status == "voting"

        # households vote: 4 of 6 for settles it (the poll closes early): passed → 落实中,
        # seconders hear once
        await story.say("a5", None, "投票 1 反对")
        for voter in ("a1", "a2", "a3", "a4"):
            await story.say(voter, None, "投票 1 赞成")
        await story.advance(2 * DAY + 60)
        out = story.transcript.new()
        assert len(to(out, "@a2", "表决通过")) == 1
        assert to(out, "@a2", "表决通过") and to(out, "@a3", "表决通过")
        assert to(out, "council", "请指定落实人")
        assert (await Topics(story.runtime.store).get(1)).status == "implementing"

        # who carries it out and by when; progress; done
        await story.say("sec", None, "落实 Y1 @网格员 30天后")
        out = story.transcript.new()
        assert to(out, "@grid", "议事会请您负责落实") and to(out, "@a1", "开始落实")
        await story.say("a2", None, "进展 Y1 我来报")                  # not theirs to report
        assert to(story.transcript.new(), "@a2", "只有议题 Y1 的落实负责人")
        await story.say("grid", None, "进展 Y1 已联系快递柜厂家，下周安装")
        assert to(story.transcript.new(), "@a3", "已联系快递柜厂家")
        await story.advance(5 * DAY)
        await story.say("grid", None, "进展 Y1 完成 快递柜已装好，扫码取件")
        out = story.transcript.new()
        asks = [m for m in out if "您觉得办得怎么样" in m["text"]]
        assert {m["to"] for m in asks} == {"@a1", "@a2", "@a3"}
        assert asks[0]["buttons"][0] == [{"label": "5分", "command": "评议 Y1 5"}]

        # 评议: the seconders rate it (Chinese numerals too); others may not
        await story.say("a1", None, "评议 Y1 5")
        await story.say("a2", None, "评议 Y1 四")
        await story.say("a3", None, "评议 Y1 3")
        await story.say("a3", None, "评议 Y1 4")                     # changes their mind: counted once
        await story.say("a5", None, "评议 Y1 1")
        out = story.transcript.new()
        assert to(out, "@a5", "评议请由提议和附议") and to(out, "@a2", "打了 4 分")
        await story.advance(14 * DAY + 60)
        out = story.transcript.new()
        assert to(out, "council", "3 人打分，平均 4.3 分")
        topic = await Topics(story.runtime.store).get(1)
        assert topic.status == "evaluated" and topic.rating_avg == 4.33 and topic.rating_count == 3

        await story.say("a4", None, "议题 Y1")
        shown = to(story.transcript.new(), "@a4")[0]
        for step in ("提出", "进入议事会议程", "安排上会", "发起表决", "表决通过", "指定落实", "进展", "落实完成",
                     "评议结束"):
            assert step in shown, step

    # read back from the admin CLI
    args = ["--community", str(tmp_path / "community.toml"), "--data-dir", str(tmp_path)]
    env = {"REDIS_URL": redis_server}
    listed = json.loads(linli("admin", "topics", "list", "--json", *args, env=env).stdout)
    assert [t["id"] for t in listed] == ["Y1"]
    row = listed[0]
    assert row["status"] == "evaluated" and row["seconds"] == 3 and row["threshold"] == 3 and row["poll"] == 1
    assert row["owner"] == "grid" and row["rating_avg"] == 4.33 and row["ratings"] == {"a1": 5, "a2": 4, "a3": 4}
    plain = linli("admin", "topics", "list", *args, env=env).stdout
    assert "Y1" in plain and "已评议" in plain and "1 topic(s)" in plain
    shown = linli("admin", "topics", "show", "Y1", *args, env=env).stdout
    assert "小区东门加装快递柜" in shown and "passed" in shown and "evaluated" in shown
    detail = json.loads(linli("admin", "topics", "show", "Y1", "--json", *args, env=env).stdout)
    assert [h["action"] for h in detail["history"]][:3] == ["proposed", "seconded", "seconded"]
    assert linli("admin", "topics", "show", "Y9", *args, env=env).returncode == 1
    assert linli("admin", "topics", "list", "--status", "落实中", *args, env=env).stdout.strip() == "0 topic(s)"


async def test_the_example_script_runs_clean_on_the_demo_community(console):
    """examples/agenda.jsonl (README: try it with linli console) tells the same story in
    the demo community."""
    import io

    from bot.console import run_script
    from tests.conftest import ROOT
    errors = io.StringIO()
    with open(ROOT / "examples" / "agenda.jsonl", encoding="utf-8") as lines:
        assert await run_script(console, lines, errors) == 0, errors.getvalue()
    out = console.transcript.new()
    assert len(to(out, "council", "新议题 Y1")) == 1 and to(out, "@r302b", "每户算一次")
    assert to(out, "council", "3 人打分，平均 4.3 分")
    assert "评议：平均 4.3 分（3 人）" in to(out, "b3", "【议题 Y1】")[-1]
