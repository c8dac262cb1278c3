"""Ticket commands, table-driven, through the console channel with real repositories."""

import pytest

from bot.admin.tickets import ticket_json


async def open_ticket(console, text="3号楼2单元楼道灯坏了，晚上看不见", sender="zhang", chat=None):
    await console.say(sender, chat, text)
    replies = console.transcript.new()
    opened = [r for r in replies if "工单 #" in r["text"]]
    assert opened, replies
    tickets = console.runtime.services.tickets
    return max(await tickets.ids()), replies


async def test_private_report_opens_a_ticket_and_notifies_the_handler(console):
    ticket_id, replies = await open_ticket(console)
    to_reporter = [r for r in replies if r["to"] == "@zhang"]
    assert "已为您登记工单 #1（设施维修）" in to_reporter[0]["text"]
    # 设施维修 is routed to the property manager in the demo; the staff chat gets a summary
    assert any(r["to"] == "@wuye_li" and "楼道灯" in r["text"] for r in replies)
    staff_chat = [r for r in replies if r["to"] == "staff"]
    assert staff_chat and "楼道灯" not in staff_chat[0]["text"]
    ticket = await console.runtime.services.tickets.get(ticket_id)
    assert (ticket.status, ticket.category, ticket.reporter, ticket.building) == ("open", "设施维修", "zhang", "3")


@pytest.mark.parametrize("chat, text, opens", [
    ("b3", "大家早上好呀", False),                         # chit-chat in an auto group: quiet
    ("b3", "谢谢物业把路灯修好了", False),                   # thanks for a fix: quiet
    ("b3", "3号楼电梯又坏了，困了好久没人修", True),            # a report in an auto group
    ("b6", "6号楼门口垃圾堆了三天没人清理", False),              # mention-mode group, not addressed
    ("b6", "@小邻 6号楼门口垃圾堆了三天没人清理", True),          # ... addressed
    ("b6", "报修 6号楼门口垃圾堆了三天没人清理", True),           # ... a command
    ("b6", "/report 6号楼门口垃圾堆了三天", True),               # ... the slash form
])
async def test_when_a_group_message_opens_a_ticket(console, chat, text, opens):
    await console.say("zhang", chat, text)
    replies = console.transcript.new()
    assert bool(await console.runtime.services.tickets.ids()) is opens
    if not opens:
        assert [r for r in replies if r["to"] == chat] == []


async def test_group_reply_never_echoes_phone_or_id_numbers(console):
    await console.say("zhang", "b3", "报修 3号楼楼道灯坏了，联系我13812345678，身份证110101199003071234")
    replies = console.transcript.new()
    group = [r for r in replies if r["to"] == "b3"]
    assert group and all("13812345678" not in r["text"] and "110101199003071234" not in r["text"]
                         for r in group)


@pytest.mark.parametrize("sender, text, expected", [
    ("zhang", "派单 #1 @grid", "只有社区工作人员"),
    ("zhang", "办结 #1 好了", "只有社区工作人员"),
    ("zhang", "待办", "只有社区工作人员"),
    ("grid", "派单 #99 @grid", "没有找到工单 #99"),
    ("grid", "派单 #1 @nobody", "没有找到“nobody”"),
    ("grid", "派单", "派单 #12 @人员"),
    ("grid", "办结 #1", "办结 #12 处理结果"),
    ("grid", "吹哨 #1 消防队", "没有找到部门“消防队”"),
    ("grid", "评价 #1 5", "不是您反映的"),
    ("zhang", "评价 #1 5", "当前状态是“待受理”，不能评价"),
    ("zhang", "评价 #1 9", "1-5 分"),
    ("zhang", "查询 #99", "没有找到工单 #99"),
    ("r101", "查询 #1", "不是您反映的"),
    ("zhang", "/frobnicate", "没有“/frobnicate”这个命令"),
    ("grid", "合并 #1 #1", "合并 #12 #10"),
])
async def test_bad_commands_say_why(console, sender, text, expected):
    await open_ticket(console)
    await console.say(sender, None, text)
    replies = [r for r in console.transcript.new() if r["to"] == f"@{sender}"]
    assert replies and expected in replies[-1]["text"], replies


async def test_unknown_ticket_state_is_unchanged_after_refusals(console):
    ticket_id, _ = await open_ticket(console)
    await console.say("zhang", None, "办结 #1 我自己修好了")
    ticket = await console.runtime.services.tickets.get(ticket_id)
    assert ticket.status == "open" and len(ticket.history) == 1


async def test_full_life_with_every_change_told_to_the_reporter(console):
    ticket_id, _ = await open_ticket(console)
    steps = [
        ("grid", "派单 #1 @vol_wang", "assigned", "已受理"),
        ("vol_wang", "处理 #1 马上到", "in_progress", "处理中"),
        ("vol_wang", "办结 #1 已更换灯泡", "resolved", "请为处理结果打分"),
        ("zhang", "评价 #1 5 很及时", "closed", None),
    ]
    for sender, text, status, told in steps:
        await console.say(sender, None, text)
        replies = console.transcript.new()
        assert (await console.runtime.services.tickets.get(ticket_id)).status == status, replies
        if told:
            assert any(r["to"] == "@zhang" and told in r["text"] for r in replies), replies
    data = ticket_json(await console.runtime.services.tickets.get(ticket_id), console.runtime)
    assert [h["action"] for h in data["history"]] == ["opened", "assigned", "started", "resolved", "rated"]
    assert data["rating"] == 5 and data["assignee"] == "vol_wang"


async def test_reopen_within_seven_days_and_not_after(console):
    await open_ticket(console)
    await console.say("grid", None, "办结 #1 已处理")
    await console.say("zhang", None, "重开 #1 灯又不亮了")
    assert (await console.runtime.services.tickets.get(1)).status == "open"
    await console.say("grid", None, "办结 #1 换了整套灯具")
    await console.advance(8 * 86400)
    console.transcript.new()
    await console.say("zhang", None, "重开 #1 还是不亮")
    assert "超过 7 天" in console.transcript.new()[-1]["text"]


async def test_escalation_to_a_department_lets_its_contact_finish(console):
    await open_ticket(console, "小区门口天天有人占道摆摊，堵得车都过不去")
    await console.say("grid", None, "吹哨 #1 城管 请来看看")
    replies = console.transcript.new()
    assert any(r["to"] == "@dept_cg" and "社区吹哨" in r["text"] for r in replies)
    await console.say("dept_cg", None, "办结 #1 已清理占道")
    assert (await console.runtime.services.tickets.get(1)).status == "resolved"


async def test_staff_views_of_a_residents_ticket_are_audited(console):
    await open_ticket(console)
    await console.say("grid", None, "查询 #1")
    entries = await console.runtime.services.audit.entries()
    assert entries[0]["actor"] == "grid" and entries[0]["subject"] == "ticket:1"


async def test_my_tickets_lists_only_mine(console):
    await open_ticket(console)
    await open_ticket(console, "楼下垃圾桶满了好几天没人清", sender="r101")
    await console.say("zhang", None, "查询")
    text = console.transcript.new()[-1]["text"]
    assert "#1" in text and "#2" not in text
