"""Short and empty messages never open a ticket (nor wait in the triage queue): 1:1 each
gets a useful answer; in a group they say nothing unless the bot is addressed."""

import pytest

from handlers.tickets.short_messages import CONTACT, GREETING, HOW_TO, PROGRESS, kind_of
from tests.test_triage import triage_console  # noqa: F401  (a community with an office number)

GREETING_1TO1 = "您好，我是小邻，社区的小助手。"
HOW_TO_1TO1 = "报修很简单：把问题直接发给我，说清楚几号楼、什么坏了，例如“3号楼2单元楼道灯不亮”。"
NOT_UNDERSTOOD = "没有看出需要处理的问题哦。"
CONTACT_1TO1 = "社区工作人员：林网格员（网格员）、周书记（书记）。"

# message, what the 1:1 answer starts with (demo community; the sender has no ticket)
SHORT = [
    ("有人吗", GREETING_1TO1),
    ("在吗", GREETING_1TO1),
    ("你好", GREETING_1TO1),
    ("您好", GREETING_1TO1),
    ("在吗在吗？", GREETING_1TO1),
    ("小邻你好", GREETING_1TO1),
    ("催一下", NOT_UNDERSTOOD),
    ("怎么还没修", NOT_UNDERSTOOD),
    ("怎么报修", HOW_TO_1TO1),
    ("我要投诉", HOW_TO_1TO1),
    ("投诉", HOW_TO_1TO1),
    ("报修", HOW_TO_1TO1),
    ("报修一下", HOW_TO_1TO1),
    ("投诉！", HOW_TO_1TO1),
    ("人工客服", CONTACT_1TO1),
    ("转人工", CONTACT_1TO1),
]


@pytest.mark.parametrize("text, answer", SHORT)
async def test_a_short_message_1to1_gets_a_useful_answer_and_no_ticket(console, text, answer):
    await console.say("zhang", None, text)
    out = console.transcript.new()
    if answer == CONTACT_1TO1:      # (#16: the grid worker on duty hears that she wants a person)
        assert [m["to"] for m in out] == ["@grid", "@zhang"], out
        out = out[1:]
    assert len(out) == 1 and out[0]["to"] == "@zhang", out
    assert out[0]["text"].startswith(answer), out[0]["text"]
    assert await console.runtime.services.tickets.ids() == []


@pytest.mark.parametrize("text", [t for t, _ in SHORT])
async def test_a_short_message_in_a_group_says_nothing_unaddressed(console, text):
    await console.say("zhang", "b3", text)            # b3 is an `auto` group
    assert console.transcript.new() == []
    tickets = console.runtime.services.tickets
    assert await tickets.ids() == [] and await tickets.queue_ids() == []


IN_GROUP = {  # the 1:1 answer -> the answer in a group
    GREETING_1TO1: "您好，我是小邻。有问题请直接说，例如“@小邻 3号楼楼道灯不亮”。",
    HOW_TO_1TO1: "在群里报修请@我，说清楚几号楼、什么坏了，例如“@小邻 3号楼2单元楼道灯不亮”。",
    NOT_UNDERSTOOD: NOT_UNDERSTOOD,
    CONTACT_1TO1: "工作人员的联系方式已私信发给您。",
}


@pytest.mark.parametrize("text, answer", [
    *((f"@小邻 {text}", IN_GROUP[answer]) for text, answer in SHORT),
    ("@小邻", "我是小邻，社区的小助手。可以这样用："),     # the bot's name alone: the help
    ("/report", IN_GROUP[HOW_TO_1TO1]),
])
async def test_a_short_message_addressed_in_a_group_gets_a_short_answer(console, text, answer):
    await console.say("zhang", "b6", text)             # b6 is a `mention` group
    await console.say("zhang", "b3", text)
    out = console.transcript.new()
    for chat in ("b6", "b3"):
        said = [m["text"] for m in out if m["to"] == chat]
        assert len(said) == 1 and said[0].startswith(answer), out
    if "人工客服" in text:
        assert [m["text"] for m in out if m["to"] == "@zhang"][0].startswith(CONTACT_1TO1)
    assert await console.runtime.services.tickets.ids() == []


@pytest.mark.parametrize("text", ["催一下", "怎么还没修", "@小邻 催一下"])
async def test_hurrying_up_tells_where_my_open_tickets_stand(console, text):
    await console.say("zhang", None, "3号楼电梯坏了，老人下不了楼")
    await console.say("zhang", None, "报修 3号楼楼道里的垃圾三天没人清了")
    await console.say("grid", None, "处理 #1 下午去看")
    await console.say("grid", None, "办结 #2 已清理")
    console.transcript.new()
    await console.say("zhang", "b3" if text.startswith("@") else None, text)
    [answer] = [m for m in console.transcript.new() if m["to"] in ("@zhang", "b3")]
    assert answer["text"].startswith("您的工单进展：\n#1 设施维修 · 处理中，")
    assert "#2" not in answer["text"]                  # resolved: not open any more
    assert "电梯" not in answer["text"]                 # states only, never the words
    assert await console.runtime.services.tickets.ids() == [1, 2]


async def test_the_contact_gives_a_public_office_number_when_the_file_has_one(triage_console):  # noqa: F811
    await triage_console.say("zhang", None, "人工客服")
    [answer] = [m for m in triage_console.transcript.new() if m["to"] == "@zhang"]
    assert answer["text"] == ("社区工作人员：林网格员（网格员）、周书记（书记）。可以在楼栋群里@他们，"
                              "也可以直接把问题发给我，我会转给他们。\n社区办公电话：0512-66668888"
                              "\n已告诉林网格员，会尽快联系您。")     # (#16: the one on duty is told)


async def test_a_short_message_is_not_a_reporting_problem_in_disguise(console):
    await console.say("zhang", None, "你好，3号楼电梯坏了，老人下不了楼")
    out = console.transcript.new()
    assert "已为您登记工单 #1" in out[0]["text"]


@pytest.mark.parametrize("text, kind", [
    ("有人吗？", GREETING), ("在吗在吗", GREETING), ("您好啊", GREETING), ("小邻", GREETING),
    ("催一下！！", PROGRESS), ("怎么还没修好啊", PROGRESS), ("怎么报修", HOW_TO), ("我想投诉", HOW_TO),
    ("人工客服", CONTACT), ("客服", CONTACT),
    ("你好，3号楼电梯坏了", None), ("有人吗 楼道灯不亮", None), ("投诉物业不作为", None), ("", None),
])
def test_what_counts_as_a_short_message(text, kind):
    assert kind_of(text) == kind
