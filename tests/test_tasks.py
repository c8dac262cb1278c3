"""Volunteer tasks: offered to the best-fitting volunteers privately, claimed first come
first served in one atomic step, re-offered when nobody claims, held over quiet hours,
completed, confirmed (hours booked once) and read back by staff."""

import asyncio
import io
import json

import pytest

from bot.admin.tasks import show_task
from storage.ledger import Ledger
from storage.tasks import Tasks
from tests.conftest import at_local
from tests.test_points import handle

DISPATCH_REPORT = "3号楼3单元水管漏水了，家里老人不会修"



def to(out, who):
    return [m for m in out if m["to"] == who]


async def dispatched_ticket(console, options="维修"):
    await at_local(console, 10)
    await console.say("r303", "b3", f"@小邻 {DISPATCH_REPORT}")   # addressed: the ticket opens at once
    await console.say("grid", None, f"派单 #1 志愿者 {options}".strip())
    return console.transcript.new()


async def hours_of(runtime, person):
    return await Ledger(runtime.store).balance(f"person:{person}", "hours")


async def test_a_ticket_is_pushed_privately_to_the_best_volunteers_with_a_claim_button(console):
    out = await dispatched_ticket(console)
    pushed = [m["to"] for m in out if "【志愿任务 T1】" in m["text"]]
    # 维修: the two repairers first (孙大哥 fewer open tasks ties → id order), then 3号楼's own volunteer
    assert pushed == ["@vol_sun", "@vol_wang", "@vol_zhao"]
    push = to(out, "@vol_sun")[0]
    assert push["buttons"] == [[{"label": "接单", "command": "接单 T1"}]]
    assert "回复「接单 T1」" in push["text"]                     # the text says it where there are no buttons
    assert not [m for m in out if m["to"] in ("b3", "volunteers") and "志愿任务" in m["text"]]
    assert "推送给 3 位志愿者" in to(out, "@grid")[-1]["text"]


async def test_the_first_claim_wins_and_becomes_the_tickets_assignee(console):
    await dispatched_ticket(console)
    await console.say("vol_wang", None, "接单T1")
    await console.say("vol_sun", None, "接单 T1")
    out = console.transcript.new()
    assert "你已认领任务 T1" in to(out, "@vol_wang")[0]["text"]
    assert "服务对象：康哥" in to(out, "@vol_wang")[0]["text"]
    assert "已被其他志愿者认领" in to(out, "@vol_sun")[0]["text"]
    assert any("负责人 王师傅" in m["text"] for m in to(out, "@r303"))
    ticket = await console.runtime.services.tickets.get(1)
    assert ticket.status == "assigned" and ticket.assignee == "vol_wang"


@pytest.mark.parametrize("places, claimants, winners", [(1, 20, 1), (3, 20, 3), (5, 4, 4)])
async def test_concurrent_claims_leave_exactly_as_many_claimants_as_places(runtime, places, claimants, winners):
    repo = Tasks(runtime.store)
    task_id, _ = await repo.create("e1", {"title": "送菜", "places": places, "created_at": 0, "created_by": "grid"},
                                   {"at": 0, "by": "grid", "action": "task_created"})
    results = await asyncio.gather(*(repo.claim(task_id, f"claim-{i}", f"v{i}", i, {"at": i}, 3)
                                     for i in range(claimants)))
    assert sum(1 for r in results if r[0] == "ok") == winners
    assert {r[0] for r in results} <= {"ok", "taken"}
    task = await repo.get(task_id)
    assert len(task.claims) == winners and task.status == ("full" if winners == places else "open")


async def test_twenty_volunteers_pressing_claim_at_once_through_the_bot(console):
    """Through the whole pipeline: the worker handles the 20 claims, one wins."""
    runtime = console.runtime
    repo = Tasks(runtime.store)
    task_id, _ = await repo.create("e1", {"title": "送菜", "places": 1, "created_at": 0, "created_by": "grid"},
                                   {"at": 0, "by": "grid", "action": "task_created"})
    volunteers = [p.id for p in runtime.settings.community.with_role("volunteer")]
    ctxs = await asyncio.gather(*(handle(runtime, v, f"接单 T{task_id}") for v in volunteers * 3))
    won = [c.person.id for c in ctxs if any("你已认领" in m.text for m in c.outgoing)]
    assert len(won) == 1
    assert (await repo.get(task_id)).claimants() == won


async def test_nobody_claims_in_the_window_so_the_next_batch_then_the_grid_worker_hears(console):
    await dispatched_ticket(console)
    first = {"@vol_sun", "@vol_wang", "@vol_zhao"}
    await console.advance(29 * 60)
    assert not [m for m in console.transcript.new() if "志愿任务" in m["text"]]
    await console.advance(2 * 60)
    second = {m["to"] for m in console.transcript.new() if "【志愿任务 T1】" in m["text"]}
    assert second == {"@vol_liu", "@vol_hu", "@vol_ma"} and not second & first
    await console.advance(31 * 60)
    out = console.transcript.new()
    assert [m["to"] for m in out if "暂无志愿者认领" in m["text"]] == ["@grid"]
    await console.advance(3 * 3600)
    assert not [m for m in console.transcript.new() if "志愿任务" in m["text"]]   # told once, then quiet


async def test_quiet_hours_hold_a_push_until_morning_and_an_urgent_one_goes_at_once(console):
    await at_local(console, 23)
    await console.say("grid", None, "发布任务 帮12号楼老人取药 人数1")
    out = console.transcript.new()
    assert not [m for m in out if "【志愿任务" in m["text"]]
    assert "明早推送" in to(out, "@grid")[0]["text"]
    await console.say("grid", None, "发布任务 送独居老人去医院 紧急")
    urgent = [m for m in console.transcript.new() if "【志愿任务 T2】" in m["text"]]
    assert len(urgent) == 3 and "（紧急）" in urgent[0]["text"]
    await at_local(console, 6, 59)
    assert not [m for m in console.transcript.new() if "【志愿任务 T1】" in m["text"]]
    await console.advance(60)
    out = console.transcript.new()
    held = [m["to"] for m in out if "【志愿任务 T1】" in m["text"]]
    assert len(held) == 3 and "@vol_zhao" not in held        # 赵老师's own quiet hours run to 08:00


async def test_withdraw_gives_the_place_back_and_offers_it_again(console):
    await dispatched_ticket(console)
    await console.say("vol_sun", None, "接单 T1")
    console.transcript.new()
    await console.say("vol_sun", None, "退单 T1 临时出差")
    out = console.transcript.new()
    assert "已退单" in to(out, "@vol_sun")[0]["text"]
    assert "临时出差" in to(out, "@grid")[0]["text"]
    assert any("重新安排" in m["text"] for m in to(out, "@r303"))
    assert {m["to"] for m in out if "【志愿任务 T1】" in m["text"]} == {"@vol_liu", "@vol_hu", "@vol_ma"}
    ticket = await console.runtime.services.tickets.get(1)
    assert ticket.status == "open" and ticket.assignee is None
    await console.say("vol_wang", None, "接单 T1")
    assert "你已认领" in console.transcript.new()[0]["text"]


async def test_completion_and_confirmation_book_the_hours_once(console):
    runtime = console.runtime
    await dispatched_ticket(console)
    await console.say("vol_sun", None, "接单 T1")
    await console.say("vol_sun", None, "完成 T1 1.5 换了水龙头")
    out = console.transcript.new()
    ask = [m for m in to(out, "@r303") if "确认 T1" in m["text"]]
    assert ask and ask[0]["buttons"] == [[{"label": "确认", "command": "确认 T1"}]]
    assert any("评价 #1" in m["text"] for m in to(out, "@r303"))          # the ticket is resolved
    assert (await runtime.services.tickets.get(1)).status == "resolved"
    assert await hours_of(runtime, "vol_sun") == 0                        # nothing before confirmation
    ctx = await handle(runtime, "r303", "确认 T1", event_id="confirm-1")
    again = await handle(runtime, "r303", "确认 T1", event_id="confirm-1")  # redelivered after a crash
    assert await hours_of(runtime, "vol_sun") == 150
    assert [m.text for m in again.outgoing if m.to == "@vol_sun"] == [m.text for m in ctx.outgoing if m.to == "@vol_sun"]
    later = await handle(runtime, "r303", "确认 T1")
    assert "还没有报告完成" in later.outgoing[0].text or "已确认" in later.outgoing[0].text
    assert await hours_of(runtime, "vol_sun") == 150


async def test_a_standalone_task_is_rated_by_its_beneficiary(console):
    await at_local(console, 10)
    await console.say("grid", None, "发布任务 帮忙买菜 @r303")
    await console.say("vol_liu", None, "接单 T1")
    await console.say("vol_liu", None, "完成 T1 1 买了菜")
    await console.say("r303", None, "确认 T1")
    out = console.transcript.new()
    rate = [m for m in to(out, "@r303") if "评价 T1" in m["text"]]
    assert rate and rate[0]["buttons"][0][0] == {"label": "5分", "command": "评价 T1 5"}
    await console.say("vol_liu", None, "评价 T1 5")
    assert "只有服务对象" in console.transcript.new()[0]["text"]
    await console.say("r303", None, "评价 T1 5 很及时")
    out = console.transcript.new()
    assert "5 分" in to(out, "@r303")[0]["text"] and "很及时" in to(out, "@vol_liu")[0]["text"]
    await console.say("r303", None, "评价 T1 4")
    assert "已经评价过" in console.transcript.new()[0]["text"]


@pytest.mark.parametrize("who, text, expected", [
    ("vol_wang", "完成 T1 1", "你没有认领任务 T1"),
    ("vol_wang", "完成 T1", "你没有认领任务 T1"),          # not theirs before "how many hours" (#16)
    ("vol_wang", "接单 T9", "没有找到任务 T9"),
    ("r303", "接单 T1", "只有登记的志愿者"),
    ("vol_wang", "退单 T1", "你没有认领任务 T1"),
    ("r303", "确认 T1", "还没有报告完成"),
    ("r201", "确认 T1", "只有服务对象"),
    ("r303", "发布任务 送菜", "只有"),
    ("grid", "发布任务 人数3", "请写上任务内容"),
    ("grid", "发布任务 送菜 人数99", "人数要在 1 到 50 之间"),
    ("grid", "发布任务 送菜 13月40日9:00", "看不懂"),
    ("grid", "派单 #9 志愿者", "没有找到"),
])
async def test_wrong_commands_say_why(console, who, text, expected):
    await dispatched_ticket(console)
    await console.say(who, None, text)
    out = console.transcript.new()
    assert expected in out[0]["text"], out


async def test_a_volunteer_at_their_limit_or_paused_is_neither_offered_nor_may_claim(console):
    await at_local(console, 10)
    await console.say("vol_sun", None, "志愿者 上限 1")
    await console.say("vol_wang", None, "志愿者 暂停 7天")
    console.transcript.new()
    await console.say("grid", None, "发布任务 修门锁 技能维修")
    await console.say("vol_sun", None, "接单 T1")
    await console.say("grid", None, "发布任务 修水管 技能维修")
    out = console.transcript.new()
    pushed_t2 = {m["to"] for m in out if "【志愿任务 T2】" in m["text"]}
    assert "@vol_sun" not in pushed_t2 and "@vol_wang" not in pushed_t2
    await console.say("vol_sun", None, "接单 T2")
    assert "上限 1" in console.transcript.new()[0]["text"]
    await console.say("vol_wang", None, "接单 T2")
    assert "暂停接单" in console.transcript.new()[0]["text"]
    await console.say("vol_wang", None, "志愿者 恢复")
    await console.say("vol_wang", None, "接单 T2")
    assert "你已认领" in to(console.transcript.new(), "@vol_wang")[-1]["text"]


async def test_party_tasks_go_to_party_members_only(console):
    await at_local(console, 10)
    await console.say("grid", None, "发布任务 入户走访 人数6 党员")
    pushed = {m["to"] for m in console.transcript.new() if "【志愿任务" in m["text"]}
    party = {f"@{p.id}" for p in console.runtime.settings.community.with_role("volunteer") if p.has("party_member")}
    assert pushed == party


@pytest.mark.parametrize("text, expected", [
    ("志愿者", "技能：维修、水电"),
    ("志愿者 技能 维修 助老", "技能：维修、助老"),
    ("志愿者 免打扰 21:00-08:00", "免打扰：21:00-08:00"),
    ("志愿者 上限 2", "最多同时：2 个任务"),
    ("志愿者 时段 1-5 18:00-21:00 6-7 08:00-20:00", "可服务时段：1-5 18:00-21:00；6-7 08:00-20:00"),
    ("志愿者 暂停 3天", "暂停接单到"),
    ("志愿者 飞行", "没看懂"),
    ("志愿者 免打扰 晚上", "没看懂"),
])
async def test_volunteers_edit_their_own_profile(console, text, expected):
    await console.say("vol_wang", None, text)
    assert expected in console.transcript.new()[0]["text"]


async def test_only_volunteers_have_a_profile(console):
    await console.say("r303", None, "志愿者 技能 维修")
    assert "还不是登记的志愿者" in console.transcript.new()[0]["text"]


async def test_my_tasks_and_the_admin_view(console):
    await dispatched_ticket(console)
    await console.say("vol_sun", None, "接单 T1")
    await console.say("vol_sun", None, "我的任务")
    assert "T1 设施维修·3号楼3单元 —— 进行中" in console.transcript.new()[-1]["text"]
    out = io.StringIO()
    assert await show_task(console.runtime, "T1", True, out) == 0
    data = json.loads(out.getvalue())
    assert data["id"] == "T1" and data["status"] == "full" and data["places"] == 1
    assert data["claimed_by"] == ["vol_sun"] and data["ticket"] == 1
    assert [h["action"] for h in data["history"]] == ["task_created", "task_claimed"]
    assert set(data["pushed"]) == {"vol_sun", "vol_wang", "vol_zhao"}
    assert await show_task(console.runtime, "T7", True, io.StringIO()) == 1


@pytest.mark.parametrize("addition, key, problem", [
    ('[volunteers]\nbatch = 0\n', "volunteers.batch", "at least 1"),
    ('[volunteers]\nquiet_hours = "晚上"\n', "volunteers.quiet_hours", "time range"),
    ('[volunteers]\nclaim_window = 30\n', "volunteers.claim_window", "unknown key"),
    ('[[people]]\nid = "v"\nname = "志愿者"\nvolunteer = { skills = "维修" }\n', "people[1].volunteer.skills", "list"),
    ('[[people]]\nid = "v"\nname = "志愿者"\nvolunteer = { available = ["周一 9:00-12:00"] }\n',
     "people[1].volunteer.available", "1 = Monday"),
    ('[[people]]\nid = "v"\nname = "志愿者"\nvolunteer = { max_open = 0 }\n', "people[1].volunteer.max_open", "at least 1"),
])
def test_volunteer_settings_in_the_community_file_are_checked(tmp_path, addition, key, problem):
    from handlers.community import CommunityError, load_community
    from tests.test_community import GOOD
    path = tmp_path / "c.toml"
    path.write_text(GOOD + addition, encoding="utf-8")
    with pytest.raises(CommunityError) as error:
        load_community(path)
    assert f"{path}: {key}" in str(error.value) and problem in str(error.value)


async def test_pushes_are_shared_out_least_recently_offered_first(console):
    """Two tasks asking nothing in particular reach different volunteers."""
    await at_local(console, 10)
    await console.say("grid", None, "发布任务 帮忙搬家具")
    first = {m["to"] for m in console.transcript.new() if "【志愿任务 T1】" in m["text"]}
    await console.say("grid", None, "发布任务 陪老人散步")
    second = {m["to"] for m in console.transcript.new() if "【志愿任务 T2】" in m["text"]}
    assert len(first) == len(second) == 3 and not first & second


async def test_the_example_script_runs_clean(console):
    from bot.console import run_script
    from tests.conftest import at_local, ROOT
    await at_local(console, 10)
    errors = io.StringIO()
    with open(ROOT / "examples" / "volunteer_tasks.jsonl", encoding="utf-8") as lines:
        assert await run_script(console, lines, errors) == 0, errors.getvalue()
    out = console.transcript.new()
    assert any("已被其他志愿者认领" in m["text"] for m in to(out, "@vol_sun"))
    assert any("【志愿任务 T2】" in m["text"] for m in out)
    assert await hours_of(console.runtime, "vol_wang") == 150


@pytest.mark.parametrize("command", ["办结 #1 物业已修好", "驳回 #1 属于业主自家管道"])
async def test_closing_the_ticket_withdraws_its_open_task(console, command):
    await dispatched_ticket(console)
    await console.say("vol_sun", None, "接单 T1")
    console.transcript.new()
    await console.say("grid", None, command)
    out = console.transcript.new()
    assert any("不用再去了" in m["text"] for m in to(out, "@vol_sun"))
    task = await Tasks(console.runtime.store).get(1)
    assert task.status == "cancelled" and await Tasks(console.runtime.store).open_of("vol_sun") == []
    await console.advance(3600)                                  # no re-push of a cancelled task
    assert not [m for m in console.transcript.new() if "志愿任务" in m["text"]]


def test_a_scripted_console_session_read_back_with_the_admin_cli(linli, tmp_path):
    """As the issue checks it: `linli console` with a script, then `linli admin tasks show`.
    Quiet hours are switched off ("00:00-00:00") so the wall clock cannot hold the pushes."""
    from tests.conftest import DEMO, ROOT
    community = tmp_path / "c.toml"
    community.write_text(DEMO.read_text(encoding="utf-8").replace('quiet_hours = "22:00-07:00"',
                                                                  'quiet_hours = "00:00-00:00"'), encoding="utf-8")
    data = ["--community", str(community), "--data-dir", str(tmp_path / "data")]
    script = (ROOT / "examples" / "volunteer_tasks.jsonl").read_text(encoding="utf-8")
    ran = linli("console", "--fake-clock", *data, stdin=script)
    assert ran.returncode == 0, ran.stderr
    out = [json.loads(line) for line in ran.stdout.splitlines()]
    pushed = {m["to"] for m in out if "【志愿任务 T1】" in m["text"]}
    assert {"@vol_sun", "@vol_wang"} <= pushed and all(p.startswith("@vol_") for p in pushed)
    shown = json.loads(linli("admin", "tasks", "show", "T1", "--json", *data).stdout)
    assert shown["status"] == "confirmed" and shown["claimed_by"] == ["vol_wang"] and shown["ticket"] == 1
    assert shown["completed"]["vol_wang"]["hours"] == 1.5
    listed = json.loads(linli("admin", "tasks", "list", "--json", *data).stdout)
    assert [t["id"] for t in listed] == ["T1", "T2"] and listed[1]["batch"] == 2


@pytest.mark.parametrize("who, shown", [("r303", False), ("vol_wang", True), ("grid", True)])
async def test_help_lists_volunteer_commands_to_volunteers_and_staff(console, who, shown):
    await console.say(who, None, "帮助")
    text = console.transcript.new()[0]["text"]
    assert ("接单 T3" in text) is shown and ("我的任务" in text) is shown
