"""Volunteer tasks as the people in them live them (#16): the person helped hears who is
coming and when, and when they no longer come; refusals say what is wrong in plain words
(no "已已确认", no claim refusal for a completion, the user's own task number in examples);
staff list tasks by their Chinese state names."""

import json

import pytest

from storage.tasks import Tasks
from tests.conftest import DEMO, at_local
from tests.test_tasks import dispatched_ticket, to


def texts(out, who):
    return [m["text"] for m in to(out, who)]


# -- the person helped is told who is coming, and when they no longer come ------------------

async def test_a_standalone_tasks_beneficiary_hears_who_is_coming_and_when(console):
    await at_local(console, 10)
    await console.say("grid", None, "发布任务 帮忙买菜 @r303 时间11月29日9:00")
    console.transcript.new()
    await console.say("vol_liu", None, "接单 T1")
    out = console.transcript.new()
    told = texts(out, "@r303")
    assert told == ["志愿者 刘姐 接下了您的事（帮忙买菜），11月29日 09:00 来帮您。"]
    assert "已告诉康哥你会去" in texts(out, "@vol_liu")[0]


async def test_a_tickets_reporter_hears_the_volunteer_is_coming(console):
    await dispatched_ticket(console)
    await console.say("vol_sun", None, "接单 T1")
    told = texts(console.transcript.new(), "@r303")
    assert "志愿者 孙大哥 接下了您的事（工单 #1），会尽快来帮您。" in told


@pytest.mark.parametrize("command, expected", [
    ("退单 T1 临时出差", "志愿者 刘姐 临时来不了了（帮忙买菜）。我们正在重新安排，有人接下会再告诉您。"),
    ("取消任务 T1 活动改期", "您的事（帮忙买菜）取消了，志愿者 刘姐 不会来了（活动改期）。"),
])
async def test_the_beneficiary_hears_when_the_volunteer_no_longer_comes(console, command, expected):
    await at_local(console, 10)
    await console.say("grid", None, "发布任务 帮忙买菜 @r303")
    await console.say("vol_liu", None, "接单 T1")
    console.transcript.new()
    await console.say("grid" if command.startswith("取消") else "vol_liu", None, command)
    assert expected in texts(console.transcript.new(), "@r303")


async def test_a_cancelled_task_is_news_only_to_someone_told_a_volunteer_was_coming(console):
    await at_local(console, 10)
    await console.say("grid", None, "发布任务 帮忙买菜 @r303")
    await console.say("grid", None, "发布任务 陪同看病 @r303")
    await console.say("vol_liu", None, "接单 T2")
    console.transcript.new()
    await console.say("grid", None, "取消任务 T1")
    await console.say("grid", None, "取消任务 T2")
    assert texts(console.transcript.new(), "@r303") == ["您的事（陪同看病）取消了，志愿者 刘姐 不会来了。"]


async def test_cancelling_a_tickets_task_gives_the_ticket_back_to_staff(console):
    """The volunteer no longer comes: the ticket is no longer theirs, and its reporter knows."""
    await dispatched_ticket(console)
    await console.say("vol_sun", None, "接单 T1")
    console.transcript.new()
    await console.say("grid", None, "取消任务 T1 改由物业处理")
    out = console.transcript.new()
    assert "您的事（工单 #1）取消了，志愿者 孙大哥 不会来了（改由物业处理）。" in texts(out, "@r303")
    ticket = await console.runtime.services.tickets.get(1)
    assert ticket.status == "open" and ticket.assignee is None


# -- refusals say what is wrong ----------------------------------------------------------

@pytest.mark.parametrize("steps, who, text, expected", [
    # a claim on a closed task: the state once, no "已已"
    (["vol_sun:接单 T1", "vol_sun:完成 T1 1.5", "r303:确认 T1"], "vol_wang", "接单 T1", "任务 T1 已确认，不能再认领了。"),
    (["grid:取消任务 T1"], "vol_wang", "接单 T1", "任务 T1 已取消，不能再认领了。"),
    (["vol_sun:接单 T1", "vol_sun:完成 T1 1.5"], "vol_wang", "接单 T1", "任务 T1 已完成待确认，不能再认领了。"),
    # completing someone else's task: not yours, whatever its state, with or without hours
    (["vol_sun:接单 T1", "vol_sun:完成 T1 1.5"], "vol_wang", "完成 T1 1.5", "你没有认领任务 T1，不用报告完成。"),
    (["vol_sun:接单 T1"], "vol_wang", "完成 T1 1.5", "你没有认领任务 T1，不用报告完成。"),
    (["vol_sun:接单 T1"], "vol_wang", "完成 T1", "你没有认领任务 T1，不用报告完成。"),
    (["vol_sun:接单 T1"], "vol_wang", "完成 T1 99", "你没有认领任务 T1，不用报告完成。"),
    # completing without hours: asked for them with the user's own task number
    (["vol_sun:接单 T1"], "vol_sun", "完成 T1", "用了几个小时？请这样回：完成 T1 1.5（1.5 就是一个半小时）。"),
    (["vol_sun:接单 T1"], "vol_sun", "完成 T1 修好了", "用了几个小时？请这样回：完成 T1 1.5 修好了（1.5 就是一个半小时）。"),
    (["vol_sun:接单 T1"], "vol_sun", "完成 1.5 修好了", "· 完成 T3 1.5 说明 —— 报告完成和用时（小时）"),   # no task number
    # one's own part already reported, or the task over
    (["vol_sun:接单 T1", "vol_sun:完成 T1 1.5"], "vol_sun", "完成 T1 2", "你已报告完成任务 T1，正在等待确认。"),
    (["vol_sun:接单 T1", "vol_sun:完成 T1 1.5"], "vol_sun", "完成 T1", "你已报告完成任务 T1，正在等待确认。"),
    (["vol_sun:接单 T1", "vol_sun:完成 T1 1.5", "r303:确认 T1"], "vol_sun", "完成 T1 1", "任务 T1 已确认，不用再报告完成了。"),
    (["vol_sun:接单 T1", "grid:取消任务 T1"], "vol_sun", "完成 T1 1", "任务 T1 已取消，不用再报告完成了。"),
    (["vol_sun:接单 T1", "vol_sun:完成 T1 1.5"], "vol_sun", "接单 T1", "你已报告完成任务 T1，正在等待确认。"),
    # withdrawing
    (["vol_sun:接单 T1", "vol_sun:完成 T1 1.5"], "vol_sun", "退单 T1", "你已报告完成任务 T1，不能再退单了。"),
    (["vol_sun:接单 T1", "grid:取消任务 T1"], "vol_sun", "退单 T1", "任务 T1 已取消，不用退单了。"),
    (["vol_sun:接单 T1"], "vol_wang", "退单 T1", "你没有认领任务 T1，不用退单。"),
    # staff cancelling, the beneficiary confirming, a task that is over
    (["vol_sun:接单 T1", "vol_sun:完成 T1 1.5", "r303:确认 T1"], "grid", "取消任务 T1", "任务 T1 已确认，不能再取消了。"),
    (["grid:取消任务 T1"], "grid", "取消任务 T1", "任务 T1 已经取消了。"),
    (["vol_sun:接单 T1", "vol_sun:完成 T1 1.5", "r303:确认 T1"], "r303", "确认 T1", "任务 T1 已确认，不用再确认了。"),
    (["grid:取消任务 T1"], "r303", "确认 T1", "任务 T1 已取消，不用再确认了。"),
    # a task number 确认 and 评价 cannot read: their own example, not 完成's
    ([], "r303", "确认 T1.5", "请回复「确认 T3」，T3 换成要确认的任务号。"),
    ([], "r303", "评价 T1.5", "请回复「评价 T3 5」（1-5 分），T3 换成任务号。"),
])
async def test_refusals_name_the_state_once_and_the_users_own_task(console, steps, who, text, expected):
    await dispatched_ticket(console)
    for step in steps:
        sender, _, line = step.partition(":")
        await console.say(sender, None, line)
    console.transcript.new()
    await console.say(who, None, text)
    replies = texts(console.transcript.new(), f"@{who}")
    assert replies == [expected]


@pytest.mark.parametrize("text, hours, note", [("完成 T1 2小时修好了", 200, "修好了"),
                                               ("完成T1 1.5h换了水龙头", 150, "换了水龙头")])
async def test_hours_may_run_into_the_note(console, text, hours, note):
    await dispatched_ticket(console)
    await console.say("vol_sun", None, "接单 T1")
    await console.say("vol_sun", None, text)
    task = await Tasks(console.runtime.store).get(1)
    assert task.done["vol_sun"]["hours"] == hours and task.done["vol_sun"]["note"] == note


# -- staff list tasks by their Chinese state names --------------------------------------

@pytest.mark.parametrize("status, listed", [("已完成", ["T1"]), ("已完成待确认", ["T1"]), ("completed", ["T1"]),
                                            ("待认领", ["T2"]), ("已确认", [])])
async def test_admin_lists_tasks_by_chinese_state(console, linli, redis_server, tmp_path, status, listed):
    await dispatched_ticket(console)
    await console.say("vol_sun", None, "接单 T1")
    await console.say("vol_sun", None, "完成 T1 1.5")
    await console.say("grid", None, "发布任务 帮忙买菜")
    data = ["--community", str(DEMO), "--data-dir", str(tmp_path)]
    ran = linli("admin", "tasks", "list", "--status", status, "--json", *data, env={"REDIS_URL": redis_server})
    assert ran.returncode == 0, ran.stderr
    assert [t["id"] for t in json.loads(ran.stdout)] == listed


async def test_admin_refuses_an_unknown_task_state_naming_the_known_ones(linli, redis_server, tmp_path):
    data = ["--community", str(DEMO), "--data-dir", str(tmp_path)]
    for status in ("sleeping", "已"):
        ran = linli("admin", "tasks", "list", "--status", status, *data, env={"REDIS_URL": redis_server})
        assert ran.returncode == 2 and "unknown status" in ran.stderr and "已完成待确认" in ran.stderr


async def test_the_claimant_of_a_task_with_no_place_learns_where_the_person_helped_lives(console):
    """Told who and where once they have claimed it; the push to everyone says neither."""
    await at_local(console, 10)
    await console.say("grid", None, "发布任务 帮忙买菜 @r303")
    pushed = [m["text"] for m in console.transcript.new() if "【志愿任务 T1】" in m["text"]]
    assert pushed and not [t for t in pushed if "3号楼3单元501室" in t or "康哥" in t]
    await console.say("vol_liu", None, "接单 T1")
    claimed = texts(console.transcript.new(), "@vol_liu")[0]
    assert "地点：3号楼3单元501室" in claimed and "服务对象：康哥" in claimed
