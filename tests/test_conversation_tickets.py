"""The conversation residents and staff actually have (#16): a department's contact acting
on what is routed to them, a merge that keeps every neighbour, urgent deadlines, and the
same resident reporting the same thing twice. Through the console, on the demo community
(设施维修 is routed to 物业's contact, wuye_li; grid is the grid worker of every building)."""

import pytest

LAMP = "3号楼2单元楼道灯坏了，晚上看不见"


async def say(console, sender, text, chat=None):
    await console.say(sender, chat, text)
    return console.transcript.new()


def to(out, who):
    return [m["text"] for m in out if m["to"] == who]


async def ticket(console, ticket_id):
    return await console.runtime.services.tickets.get(ticket_id)


# -- 1. a department's contact acts on what is routed to them ------------------------------

@pytest.mark.parametrize("command, answer, status", [
    ("处理 #1 下午去看", "工单 #1 已开始处理", "in_progress"),
    ("派单 #1 @vol_wang", "工单 #1 已派给 王师傅", "assigned"),
    ("办结 #1 已换灯泡", "工单 #1 已办结", "resolved"),
    ("驳回 #1 属于业主自家的灯", "工单 #1 已驳回", "rejected"),
    ("查询 #1", "楼道灯坏了", "open"),
    ("待办", "#1 设施维修", "open"),
])
async def test_the_contact_a_category_is_routed_to_may_act_on_it(console, command, answer, status):
    out = await say(console, "zhang", LAMP)
    told = "\n".join(to(out, "@wuye_li"))
    assert "新工单" in told and "处理 #工单号" in told      # linli tells them to act…
    out = await say(console, "wuye_li", command)          # …so they may
    assert any(answer in text for text in to(out, "@wuye_li")), out
    assert not any("只有社区工作人员" in text or "不是您反映的" in text for text in to(out, "@wuye_li"))
    assert (await ticket(console, 1)).status == status


async def test_another_departments_contact_may_not_and_a_routed_ticket_escalated_elsewhere_leaves(console):
    await say(console, "zhang", LAMP)
    out = await say(console, "dept_cg", "处理 #1")
    assert any("只有社区工作人员" in text for text in to(out, "@dept_cg"))
    await say(console, "grid", "吹哨 #1 城管 外墙灯归城管")
    out = await say(console, "wuye_li", "办结 #1 已修")
    assert any("只有社区工作人员" in text for text in to(out, "@wuye_li"))
    out = await say(console, "dept_cg", "待办")
    assert any("#1 设施维修" in text for text in to(out, "@dept_cg")), out
    out = await say(console, "wuye_li", "待办")
    assert any("没有待办工单" in text for text in to(out, "@wuye_li")), out


async def test_reminders_before_a_deadline_go_to_the_handler_and_the_grid_worker(console):
    await say(console, "zhang", LAMP)
    await console.advance(21 * 3600)                       # 3 h before the 24 h response deadline
    out = console.transcript.new()
    for who in ("@wuye_li", "@grid"):
        assert any("提醒" in text and "响应" in text for text in to(out, who)), (who, out)
    await say(console, "wuye_li", "派单 #1 @vol_wang")
    await console.advance(48 * 3600)                       # 3 h before the 72 h resolve deadline
    out = console.transcript.new()
    for who in ("@vol_wang", "@grid"):
        assert any("提醒" in text and "办结" in text for text in to(out, who)), (who, out)


@pytest.mark.parametrize("who, listed, not_listed", [
    ("wuye_li", ["待办", "派单 #12", "处理 #12", "办结 #12", "驳回 #12"], ["待确认", "发起投票"]),
    ("dept_cg", ["待办", "处理 #12", "办结 #12"], ["待确认"]),
    ("zhang", ["报修"], ["· 待办", "处理 #12"]),
])
async def test_help_tells_a_contact_what_they_may_do(console, who, listed, not_listed):
    text = "\n".join(to(await say(console, who, "帮助"), f"@{who}"))
    assert all(word in text for word in listed), text
    assert not any(word in text for word in not_listed), text


# -- 2. a merge keeps every neighbour ---------------------------------------------------------

async def merged_pair(console):
    """#1: zhang's lamp; #2: r101's lift, r102 its co-reporter; then staff merge #2 into #1."""
    await say(console, "zhang", LAMP)
    await say(console, "r101", "1号楼电梯坏了好几天了，上下楼很不方便", "b1")
    await say(console, "r102", "1号楼电梯又坏了，上下楼不方便", "b1")
    assert list((await ticket(console, 2)).co_reporters) == ["r102"]
    return await say(console, "grid", "合并 #2 #1")


async def test_a_merge_brings_the_merged_tickets_reporters_along(console):
    out = await merged_pair(console)
    assert any("工单 #2 已合并到 #1" in text for text in to(out, "@grid"))
    for who in ("@r101", "@r102"):
        assert any("#1" in text and "待受理" in text for text in to(out, who)), (who, out)
    survivor = await ticket(console, 1)
    assert set(survivor.co_reporters) == {"r101", "r102"}
    assert survivor.co_reporters["r101"]["text"].startswith("1号楼电梯坏了")   # their own words kept
    assert survivor.history[-1]["action"] == "co_reported" and survivor.history[-1]["note"] == "#2"


@pytest.mark.parametrize("step, said", [
    ("派单 #1 @vol_wang", "已受理"),
    ("处理 #1 下午去", "处理中"),
    ("办结 #1 都修好了", "都修好了"),
])
async def test_everyone_who_reported_either_ticket_hears_of_the_survivor(console, step, said):
    await merged_pair(console)
    out = await say(console, "grid", step)
    for who in ("@zhang", "@r101", "@r102"):
        assert any("#1" in text and said in text for text in to(out, who)), (who, out)


@pytest.mark.parametrize("who, asked, answer", [
    ("r101", "查询 #1", "#1 设施维修 · 待受理"),
    ("r102", "查询 #1", "#1 设施维修 · 待受理"),
    ("r101", "查询 #2", "已并入工单 #1 一起处理，#1 目前「待受理」"),
    ("r102", "查询 #2", "已并入工单 #1 一起处理，#1 目前「待受理」"),
    ("grid", "查询 #2", "已并入工单 #1 一起处理"),
    ("r101", "查询", "#1 设施维修"),
])
async def test_after_a_merge_either_number_answers_where_it_stands(console, who, asked, answer):
    await merged_pair(console)
    replies = to(await say(console, who, asked), f"@{who}")
    assert any(answer in text for text in replies), replies
    assert not any("不是您反映的" in text for text in replies), replies


async def test_the_merged_tickets_reporter_is_asked_to_rate_and_may(console):
    await merged_pair(console)
    out = await say(console, "grid", "办结 #1 灯和电梯都修好了")
    assert any("评价 #1" in text for text in to(out, "@r101")), out        # asked, as for their own ticket
    assert any("评价 #1" in text for text in to(out, "@zhang")), out
    replies = to(await say(console, "r101", "评价 #1 4 还行"), "@r101")
    assert any("感谢评价" in text and "4 分" in text for text in replies), replies
    survivor = await ticket(console, 1)
    assert survivor.status == "resolved" and survivor.co_reporters["r101"]["rating"] == 4
    await say(console, "zhang", "评价 #1 5")                               # the reporter's closes it
    assert (await ticket(console, 1)).status == "closed"


async def test_merging_into_a_merged_ticket_follows_it_to_the_survivor(console):
    await merged_pair(console)
    await say(console, "r201", "2号楼门口垃圾堆了三天没人清理", "b2")          # 3
    out = await say(console, "grid", "合并 #3 #2")                           # #2 lives on in #1
    assert any("工单 #3 已合并到 #1" in text for text in to(out, "@grid")), out
    assert "r201" in (await ticket(console, 1)).co_reporters


# -- 3. an urgent report has its own, much shorter deadlines ----------------------------------

GAS = "3号楼2单元楼道里煤气味很重"


@pytest.mark.parametrize("chat, sender, said", [
    (None, "zhang", "已登记工单 #1（安全隐患，紧急）"),
    ("b3", "zhang", "@张阿姨 已登记工单 #1（安全隐患，紧急）"),
])
async def test_an_urgent_report_is_told_the_urgent_response_time(console, chat, sender, said):
    out = await say(console, sender, GAS, chat)
    replies = to(out, chat or f"@{sender}")
    assert any(said in text and "已通知值班人员，1小时内响应" in text for text in replies), replies
    assert not any("24 小时" in text for text in replies), replies
    assert any("119" in text for text in replies), replies                 # the emergency advice beside it
    opened = await ticket(console, 1)
    assert opened.urgent and opened.respond_due - opened.created_at == 3600
    assert opened.resolve_due - opened.created_at == 24 * 3600


async def test_urgent_reminders_and_escalation_follow_the_urgent_deadline(console):
    out = await say(console, "zhang", GAS)
    opened = await ticket(console, 1)
    handler = next(m["to"] for m in out if "新工单" in m["text"] and m["to"] != "@secretary")
    assert any("响应时限" in m["text"] for m in out if m["to"] == handler), out   # the handler is told when by
    await console.advance(29 * 60)
    assert not [m for m in console.transcript.new() if "提醒" in m["text"]]
    await console.advance(2 * 60)                      # halfway to the 1 h deadline
    out = console.transcript.new()
    for who in {handler, "@grid"}:
        assert any("紧急" in text and "提醒" in text and "响应" in text for text in to(out, who)), (who, out)
    await console.advance(30 * 60)                     # past it: the grid worker
    out = console.transcript.new()
    assert any("紧急" in text and "超过响应时限" in text for text in to(out, "@grid")), out
    await console.advance(60 * 60)                     # an urgent deadline later: the secretary
    out = console.transcript.new()
    assert any("请书记督办" in text for text in to(out, "@secretary")), out
    assert [h["action"] for h in (await ticket(console, 1)).history] == ["opened", "overdue", "overdue_secretary"]
    assert opened.respond_due < console.runtime.clock.now()


URGENT_HALF_HOUR = """
[community]
id = "u"
name = "急事社区"

[sla]
urgent_respond_hours = 0.5

[[people]]
id = "grid"
name = "林网格员"
roles = ["grid_worker"]

[[people]]
id = "zhang"
name = "张阿姨"
household = "3-2-502"
"""


async def test_the_community_file_sets_the_urgent_response_time(redis_server, redis, tmp_path):
    from tests.conftest import console_of
    async with console_of(URGENT_HALF_HOUR, tmp_path, redis_server) as console:
        out = await say(console, "zhang", GAS)
        assert any("30分钟内响应" in text for text in to(out, "@zhang")), out
        opened = await ticket(console, 1)
        assert opened.respond_due - opened.created_at == 1800


def test_an_urgent_deadline_longer_than_the_routine_one_is_refused(tmp_path):
    from handlers.community import CommunityError, load_community
    path = tmp_path / "c.toml"
    path.write_text('[community]\nid = "x"\nname = "x"\n[sla]\nrespond_hours = 2\nurgent_respond_hours = 3\n',
                    encoding="utf-8")
    with pytest.raises(CommunityError, match="sla.urgent_respond_hours: must not be longer than respond_hours"):
        load_community(path)


# -- 4. the same resident saying it again, in another chat ------------------------------------

@pytest.mark.parametrize("chat, first, later, second, known", [
    ("b3", "楼上漏水了，我家天花板都湿了", 60, "楼上漏水，天花板湿了", True),             # urgent, then 1:1
    ("b1", "楼道灯坏了，晚上看不见", 60, "楼道灯坏了，晚上看不见", True),                # the group's building, then hers
    ("b1", "楼道灯坏了，晚上看不见", 3 * 3600, "楼道灯坏了，晚上看不见", False),         # hours later: another building's
    ("b3", "3号楼2单元楼道灯坏了", 60, "5号楼2单元楼道灯坏了", False),                  # she names another building
    ("b3", "3号楼2单元楼道灯坏了", 60, "3号楼电梯坏了，上下楼不方便", False),            # another problem
    ("b3", "3号楼门口垃圾堆了三天没人清理", 60, "3号楼楼道里煤气味很重", False),         # urgent now: its alarms go out
])
async def test_a_repeat_in_another_chat_is_already_known(console, chat, first, later, second, known):
    await say(console, "zhang", first, chat)
    await console.advance(later)
    console.transcript.new()
    out = await say(console, "zhang", second)
    tickets = await console.runtime.services.tickets.ids()
    replies = to(out, "@zhang")
    if known:
        assert tickets == [1], out
        assert replies == ["您已经反映过这个问题：工单 #1，目前「待受理」。发送“查询 #1”查看进展。"], out
        assert not any("新工单" in m["text"] for m in out), out                   # nobody alarmed twice
    else:
        assert tickets == [1, 2], out


async def test_a_co_reporters_repeat_is_known_and_another_residents_urgent_report_is_its_own(console):
    await say(console, "r301", "3号楼2单元楼道灯坏了，晚上看不见", "b3")
    await say(console, "r101", "楼道的灯不亮了，黑乎乎的", "b3")        # visiting 3号楼 (she lives in 1号楼): joins #1
    assert "r101" in (await ticket(console, 1)).co_reporters
    out = await say(console, "r101", "楼道的灯不亮了，黑乎乎的")              # then 1:1, where her building is 1
    assert to(out, "@r101") == ["您已经反映过这个问题：工单 #1，目前「待受理」。发送“查询 #1”查看进展。"]
    await say(console, "r301", "3号楼2单元楼道里煤气味很重", "b3")                  # 2
    await say(console, "r101", "3号楼2单元楼道里煤气味很重")                         # another resident: 3
    assert await console.runtime.services.tickets.ids() == [1, 2, 3]


async def test_a_neighbour_whose_ticket_was_merged_may_reopen_the_survivor(console):
    await merged_pair(console)
    await say(console, "grid", "办结 #1 都修好了")
    out = await say(console, "r101", "重开 #1 电梯又停了")
    assert any("已重开" in text for text in to(out, "@r101")), out
    assert (await ticket(console, 1)).status == "open"
    for who in ("@zhang", "@r102"):                                  # the others who reported it hear
        assert any("#1" in text and "电梯又停了" in text for text in to(out, who)), (who, out)
    out = await say(console, "r201", "重开 #1 我也觉得")
    assert any("不是您反映的" in text for text in to(out, "@r201")), out
