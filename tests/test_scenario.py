"""Whole conversations through the console with the fake clock: a ticket's life with
deadlines and escalation, and a restart in the middle that forgets nothing."""

import asyncio
import io
import json

from bot.console import run_script
from tests.conftest import DEMO, console_of


def lines(*items):
    return io.StringIO("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))


async def test_report_overdue_escalation_resolve_rate(console):
    errors = io.StringIO()
    await run_script(console, lines(
        {"from": "zhang", "chat": "b3", "text": "3号楼2单元的路灯坏了好几天了，晚上黑漆漆的"},
        {"advance": "21h"},    # 3 h before the 24 h response deadline: a reminder
        {"advance": "4h"},     # past it: the grid worker hears
        {"advance": "24h"},    # a day later, still nobody: the secretary hears
    ), errors)
    out = console.transcript.new()
    assert errors.getvalue() == ""
    assert out[0]["to"] == "b3" and "工单 #1" in out[0]["text"]
    assert any(o["to"] == "@wuye_li" and "提醒" in o["text"] and "响应" in o["text"] for o in out)
    assert any(o["to"] == "@grid" and "超过响应时限" in o["text"] for o in out)
    assert any(o["to"] == "@secretary" and "请书记督办" in o["text"] for o in out)

    await run_script(console, lines(
        {"from": "grid", "text": "派单 #1 @vol_wang"},
        {"advance": "1d"},     # 73 h after opening: the 72 h resolve deadline has passed
        {"from": "vol_wang", "text": "办结 #1 已更换路灯灯头"},
        {"from": "zhang", "text": "评价 #1 4 修好了，就是慢了点"},
    ), errors)
    out = console.transcript.new()
    assert any(o["to"] == "@grid" and "超过办结时限" in o["text"] for o in out)
    assert any(o["to"] == "@zhang" and "评价 #1" in o["text"] for o in out)
    ticket = await console.runtime.services.tickets.get(1)
    actions = [h["action"] for h in ticket.history]
    assert actions == ["opened", "overdue", "overdue_secretary", "assigned", "overdue", "resolved", "rated"]
    assert ticket.status == "closed" and ticket.rating == 4


async def test_unrated_ticket_closes_itself_after_three_days(console):
    await run_script(console, lines(
        {"from": "zhang", "text": "楼道里堆满了杂物，堵着消防通道"},
        {"from": "grid", "text": "办结 #1 已清理"},
        {"advance": "71h"},
    ), io.StringIO())
    assert (await console.runtime.services.tickets.get(1)).status == "resolved"
    await run_script(console, lines({"advance": "2h"}), io.StringIO())
    ticket = await console.runtime.services.tickets.get(1)
    assert ticket.status == "closed" and ticket.history[-1]["action"] == "autoclosed"
    assert any("自动结案" in o["text"] for o in console.transcript.new())


async def test_bad_lines_are_reported_by_number_and_the_rest_goes_on(console):
    errors = io.StringIO()
    script = io.StringIO('{"from": "zhang", "text": "报修 楼道灯坏了"}\n'
                         'not json\n'
                         '{"from": "ghost", "text": "你好"}\n'
                         '{"from": "zhang", "chat": "nowhere", "text": "你好"}\n'
                         '{"advance": "soon"}\n'
                         '{"from": "zhang", "text": "查询 #1"}\n')
    await run_script(console, script, errors)
    messages = errors.getvalue().splitlines()
    assert [m.split(":")[1].strip() for m in messages] == ["line 2", "line 3", "line 4", "line 5"]
    assert "unknown person 'ghost'" in messages[1] and "unknown chat 'nowhere'" in messages[2]
    assert console.transcript.new()[-1]["text"].startswith("#1 设施维修")


async def test_a_message_id_seen_twice_is_handled_once(console):
    first = await console.say("zhang", None, "报修 楼道灯坏了", message_id="m-1")
    again = await console.say("zhang", None, "报修 楼道灯坏了", message_id="m-1")
    assert (first, again) == (True, False)
    assert await console.runtime.services.tickets.ids() == [1]



async def test_two_consoles_on_one_redis_are_two_workers_each_printing_its_own(console, redis_server, tmp_path):
    """As two `linli console` on one data directory: names of their own, so two workers,
    and each prints what its own lines caused, never the other's."""
    async with console_of(DEMO.read_text(encoding="utf-8"), tmp_path, redis_server) as other:
        assert console.worker.name != other.worker.name and console.delivery.name != other.delivery.name
        await console.say("zhang", "b3", "3号楼2单元的路灯坏了好几天了，晚上黑漆漆的")
        assert console.worker.held                 # it took the shards to handle its line...
        await console.idle()                       # ...and lets go of them while it waits
        assert not console.worker.held
        await other.say("r101", None, "积分")      # so the other one is not kept waiting
        assert other.worker.held
        mine, theirs = console.transcript.new(), other.transcript.new()
        assert mine[0]["to"] == "b3" and "工单 #1" in mine[0]["text"]
        assert [m["to"] for m in theirs] == ["@r101"]
        # Both at once, whichever handles which line: each prints only its own.
        await asyncio.gather(console.say("zhang", None, "积分"), other.say("grid", None, "派单 #1 @vol_wang"))
        mine, theirs = console.transcript.new(), other.transcript.new()
        assert [m["to"] for m in mine] == ["@zhang"] and mine[0]["text"].startswith("张阿姨：积分")
        assert any(m["to"] == "@vol_wang" and "派给您工单 #1" in m["text"] for m in theirs)
        assert not any(m["text"].startswith("张阿姨：积分") for m in theirs)

def test_restart_in_the_middle_keeps_tickets_jobs_and_the_clock(linli, tmp_path):
    """Two separate runs on the embedded server of LINLI_DATA_DIR, each starting it and
    shutting it down: everything survives the restart."""
    def run(args, stdin):
        return linli(*args, stdin=stdin, env={"LINLI_DATA_DIR": str(tmp_path)})

    console = ["console", "--community", str(DEMO), "--fake-clock"]
    first = run(console, '{"from": "zhang", "text": "3号楼电梯坏了，老人下不了楼"}\n'
                         '{"from": "grid", "text": "派单 #1 @vol_wang"}\n')
    assert first.returncode == 0, first.stderr
    assert "工单 #1" in first.stdout
    second = run(console, '{"advance": "73h"}\n'
                          '{"from": "vol_wang", "text": "办结 #1 已联系电梯公司修复"}\n'
                          '{"from": "zhang", "text": "评价 #1 5"}\n')
    assert second.returncode == 0, second.stderr
    out = [json.loads(line) for line in second.stdout.splitlines()]
    assert any(o["to"] == "@grid" and "超过办结时限" in o["text"] for o in out), out
    shown = run(["admin", "tickets", "show", "1", "--json", "--community", str(DEMO)], "")
    ticket = json.loads(shown.stdout)
    assert ticket["status"] == "closed" and ticket["rating"] == 5
    assert [h["action"] for h in ticket["history"]] == ["opened", "assigned", "overdue", "resolved", "rated"]


async def test_a_run_worker_beside_a_console_leaves_what_it_answers_to_the_console(console):
    """`linli run` (serving Telegram only) beside a `linli console` on the same data: a console
    line the run worker handles is answered on the console, not kept as undeliverable (with no
    console running it still is: tests/test_runtime.py)."""
    from bot.worker import Worker
    from handlers.context import Context
    from handlers.events import Event

    runtime = console.runtime
    run_worker = Worker(runtime, channels=("tg",))

    async def answered_by_run_worker(event_id: str) -> None:
        ctx = Context(services=runtime.services,
                      event=Event(id=event_id, channel="console", sender="console:zhang", text="你好",
                                  received_at=runtime.clock.now()))
        ctx.reply("您好，这是 linli run 的回答")
        await run_worker._commit(ctx)

    await console.drain()
    console.transcript.new()
    await answered_by_run_worker("beside-1")
    await console.drain()
    assert [m["text"] for m in console.transcript.new()] == ["您好，这是 linli run 的回答"]
