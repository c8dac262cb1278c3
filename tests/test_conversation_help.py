"""帮助 as people use it (issue #16): short, what this person may do here, most used first,
one example each; `帮助 投票` explains one topic; a department's contact is told how to
handle their tickets; in a group, what works in a group."""

import pytest

from handlers.router import COMMANDS


async def said(console, who, chat, text):
    await console.say(who, chat, text)
    return [m["text"] for m in console.transcript.new()]


# who, chat, text, most lines, what it says, what it does not say
SHORT = [
    ("zhang", None, "帮助", 12, ["报修", "3号楼路灯坏了", "查询", "投票 3 1", "积分", "帮助 报修"],
     ["发起投票", "待办", "处理 #12", "接单", "绑定群", "解绑"]),
    ("zhang", "b3", "@小邻 帮助", 12, ["@小邻 3号楼路灯坏了", "投票 3 1"], ["待办", "绑定群"]),
    ("zhang", "b3", "@小邻", 12, ["@小邻 3号楼路灯坏了"], ["待办"]),          # the bot's name alone
    ("vol_wang", None, "帮助", 12, ["接单 T3", "我的任务", "帮助 报修", "志愿者"], ["待办", "发起投票"]),
    ("r101", None, "帮助", 12, ["发起投票 装不装充电桩 | 装 | 不装 范围=议事会"], ["待办", "接单"]),
    ("wuye_li", None, "帮助", 14, ["待办", "查询 #12", "处理 #12", "办结 #12", "派单 #12", "驳回 #12", "帮助 处理"],
     ["待确认", "发起投票", "发布任务", "接单"]),
    ("grid", None, "帮助", 20, ["待办", "处理 #12", "办结 #12", "待确认", "接单 T3", "我的任务", "发布任务",
                               "发起投票", "绑定码", "帮助 处理"], ["绑定群", "代投", "核销"]),
    ("grid", "b3", "@小邻 帮助", 20, ["待办", "绑定群 b3", "@小邻 3号楼路灯坏了"], ["代投"]),
]


@pytest.mark.parametrize("who, chat, text, most, says, never", SHORT)
async def test_help_is_short_and_says_what_this_person_may_do_here(console, who, chat, text, most, says, never):
    out = await said(console, who, chat, text)
    assert len(out) == 1, out
    help_ = out[0]
    assert help_.startswith("我是小邻，社区的小助手。"), help_
    assert len(help_.splitlines()) <= most, help_
    assert [w for w in says if w not in help_] == [], help_
    assert [w for w in never if w in help_] == [], help_


# who, text, what it says, what it does not say (never the short help)
TOPIC = [
    ("zhang", "帮助 投票", ["投票 3 1", "弃权"], ["发起投票", "代投"]),
    ("zhang", "菜单 投票", ["投票 3 1"], ["发起投票"]),
    ("zhang", "/help vote", ["投票 3 1"], ["发起投票"]),
    ("r101", "帮助 投票", ["发起投票", "投票 3 1"], ["代投"]),
    ("grid", "帮助 投票", ["发起投票", "代投", "取消投票"], []),
    ("zhang", "帮助 工单", ["报修", "评价 #12", "重开 #12"], ["驳回", "待办"]),
    ("zhang", "帮助 报修", ["报修", "查询 #12"], ["驳回"]),
    ("zhang", "帮助 评价", ["评价 #12 5"], ["驳回"]),                   # a command word: its topic
    ("grid", "帮助 工单", ["待办", "驳回 #12", "吹哨 #12", "合并 #12", "忽略 #12", "报修"], []),
    ("wuye_li", "帮助 派单", ["派单 #12", "办结 #12", "驳回 #12"], ["待确认", "忽略"]),
    ("zhang", "帮助 积分", ["积分", "爱心超市", "兑换 理发券"], ["签到", "核销"]),
    ("zhang", "帮助 时间银行", ["时间银行 @王奶奶 1.5 买菜", "确认 E3"], []),
    ("vol_wang", "帮助 志愿者", ["接单 T3", "完成 T3", "我的任务"], ["发布任务"]),
    ("zhang", "帮助 志愿者", ["联系社区工作人员"], ["接单 T3"]),          # not hers: who to ask
    ("zhang", "帮助 处理", ["用不上"], ["驳回"]),
    ("zhang", "帮助 登记", ["登记 3栋2单元502"], ["核实 @"]),
    ("zhang", "帮助 绑定", ["绑定 123456"], ["绑定码 张阿姨", "绑定群 b3"]),
    ("zhang", "帮助 天气", ["没有“天气”", "帮助 报修"], []),                # nothing by that name: what there is
]


@pytest.mark.parametrize("who, text, says, never", TOPIC)
async def test_help_with_a_word_explains_one_topic(console, who, text, says, never):
    out = await said(console, who, None, text)
    assert len(out) == 1, out
    assert [w for w in says if w not in out[0]] == [], out[0]
    assert [w for w in [*never, "我是小邻"] if w in out[0]] == [], out[0]
    assert len(out[0].splitlines()) <= 20, out[0]


async def test_help_followed_by_a_problem_is_a_report(console):
    out = await said(console, "zhang", None, "帮助 3号楼楼道灯不亮了")
    assert "工单 #1" in out[0], out
    assert await console.runtime.services.tickets.ids() == [1]


@pytest.mark.parametrize("chat, text, answered", [
    ("b3", "帮助 大家一下", False),      # neighbours talking in a group
    ("b3", "@小邻 帮助 大家一下", True),
    (None, "帮助 大家一下", True),
])
async def test_help_with_an_unknown_word_answers_only_when_addressed(console, chat, text, answered):
    out = await said(console, "zhang", chat, text)
    assert out == (["没有“大家一下”这一项的说明。\n看详细说明请发“帮助 报修”，还可以问：投票、积分、时间银行、供需、登记、绑定、预约、议题、隐私。"]
                   if answered else []), out
    assert await console.runtime.services.tickets.ids() == []


def test_every_command_is_explained_in_a_topic_and_every_line_names_a_command():
    from handlers.help import LINES, TOPICS, topic_of

    names = {c.name for c in COMMANDS}
    assert [c.name for c in COMMANDS if c.name != "help" and topic_of(c) is None] == []
    assert [line.command for line in LINES if line.command not in names] == []
    assert [t.name for t in TOPICS if not t.words] == []
