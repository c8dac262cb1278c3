"""Issue #19's check for rooms: a scripted story through the console with the fake clock,
in a community file of its own — two residents book the same slot at once (one gets it,
the other is told it is taken and what is free nearby, and books that), a booking waits
for staff approval and is approved, another is never decided and lapses, a wheelchair is
lent for three days, reminders come before the start, the monthly line flags idle rooms —
then read back from the admin CLI (`linli admin rooms list|bookings|usage`)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, time, timedelta

from bot.addressing import CONSOLE_SESSION
from bot.channels.console import message_event
from tests.conftest import at_local, console_of
from tests.test_rooms import PEOPLE, ROOMS

COMMUNITY = """
[community]
id = "rooms-story"
name = "幸福里社区"

[[rooms]]
id = "meeting"
name = "会议室"
open = "每天 08:00-20:00"
approval = true
""" + ROOMS + PEOPLE + """
[[people]]
id = "zhao"
name = "赵大爷"
household = "3-2-101"

[[people]]
id = "sun"
name = "孙阿姨"
household = "3-2-201"

[[people]]
id = "qian"
name = "钱叔"
household = "3-2-301"

[[people]]
id = "zhang"
name = "张社工"
roles = ["staff"]
"""


def to(out, who):
    return [m["text"] for m in out if m["to"] == who]


async def test_a_week_of_bookings_read_back_from_the_admin_cli(tmp_path, redis_server, redis, linli):
    async with console_of(COMMUNITY, tmp_path, redis_server) as console:
        runtime = console.runtime
        tz = runtime.settings.community.tz
        await at_local(console, 10)
        today = datetime.fromtimestamp(runtime.clock.now(), tz).date()
        saturday = today + timedelta(days=2)
        while saturday.weekday() != 5:
            saturday += timedelta(days=1)
        day = f"{saturday.month}月{saturday.day}日"

        async def say(who, text):
            await console.say(who, None, text)
            return console.transcript.new()

        async def go(moment: datetime):
            await console.advance(moment.timestamp() - runtime.clock.now())
            return console.transcript.new()

        # What is free, then two residents ask for one slot at the same moment.
        out = await say("wang", f"预约 活动室 {day}")
        assert "09:00-17:00" in to(out, "@wang")[0]
        for who in ("wang", "li"):
            event = message_event(runtime.settings.community, who, None, f"预约 活动室 {day} 14:00-16:00",
                                  runtime.clock.now())
            await runtime.accept(dataclasses.replace(event, data={**event.data, CONSOLE_SESSION: console.id}))
        await console.drain()
        out = console.transcript.new()
        replies = {who: to(out, f"@{who}")[0] for who in ("wang", "li")}
        winners = [who for who, text in replies.items() if "已预约 B1" in text]
        assert len(winners) == 1
        loser = "li" if winners == ["wang"] else "wang"
        assert "已经有人约了" in replies[loser] and "09:00-14:00" in replies[loser]
        out = await say(loser, f"预约 活动室 {day} 10:00-12:00")
        assert "已预约 B2" in to(out, f"@{loser}")[0]

        # The meeting room needs approval: staff are asked, approve; another is never decided.
        out = await say("zhao", f"预约 会议室 {day} 09:00-11:00")
        assert "等社区工作人员批准" in to(out, "@zhao")[0] and "批准 B3" in to(out, "@zhang")[0]
        out = await say("sun", f"预约 会议室 {day} 15:00-17:00")
        assert "B4" in to(out, "@sun")[0]
        out = await say("zhang", "批准")
        assert "B3" in to(out, "@zhang")[0] and "B4" in to(out, "@zhang")[0]
        out = await say("zhang", "批准 B3")
        assert "批准了" in to(out, "@zhao")[0]

        # A wheelchair for three days.
        out = await say("qian", f"预约 轮椅 {day} 3天")
        assert "已预约 B5" in to(out, "@qian")[0]
        out = await say("wang", f"预约 轮椅 {day}")
        assert "已经有人约了" in to(out, "@wang")[0]

        # Saturday: reminders two hours ahead (the wheelchair a day ahead); B4 lapses.
        out = await go(datetime.combine(saturday, time(13, 30), tzinfo=tz))
        assert any("快到了" in t for t in to(out, f"@{winners[0]}"))
        assert any("快到了" in t for t in to(out, f"@{loser}"))
        assert any("快到了" in t for t in to(out, "@zhao"))
        assert any("快到了" in t for t in to(out, "@qian"))
        assert any("已失效" in t for t in to(out, "@sun")) and not any("快到了" in t for t in to(out, "@sun"))

        # The 1st of the next month: last month's utilisation to staff, idle rooms flagged.
        first = (saturday.replace(day=1) + timedelta(days=32)).replace(day=1)
        out = await go(datetime.combine(first, time(9, 5), tzinfo=tz))
        report = [t for t in to(out, "@zhang") if "场地使用情况" in t]
        assert report and "活动室" in report[-1] and "闲置" in report[-1]   # the Saturday's month, the last sent
        month = f"{saturday:%Y-%m}"

    # Read back from the admin CLI (its own runtime; the console's state is in Redis).
    args = ["--community", str(tmp_path / "community.toml"), "--data-dir", str(tmp_path)]
    env = {"REDIS_URL": redis_server}
    listed = linli("admin", "rooms", "list", *args, env=env)
    assert listed.returncode == 0 and "3 room(s)" in listed.stdout and "approval" in listed.stdout
    ran = linli("admin", "rooms", "bookings", "--from", f"{saturday}", "--to", f"{saturday}", "--json", *args, env=env)
    assert ran.returncode == 0, ran.stderr
    statuses = {b["ref"]: b["status"] for b in json.loads(ran.stdout)}
    assert statuses == {"B1": "approved", "B2": "approved", "B3": "approved", "B4": "lapsed", "B5": "approved"}
    used = json.loads(linli("admin", "rooms", "usage", "--month", month, "--json", *args, env=env).stdout)
    rows = {r["room"]: r for r in used}
    assert rows["activity"]["booked_hours"] == 4 and rows["meeting"]["booked_hours"] == 2
    assert rows["activity"]["idle"] and rows["meeting"]["idle"]
    lent_days = sum(1 for i in range(3) if (saturday + timedelta(days=i)).month == saturday.month)
    assert rows["wheelchair"]["booked_hours"] == 24 * lent_days
    recounted = json.loads(linli("admin", "rooms", "usage", "--month", month, "--recount", "--json", *args,
                                 env=env).stdout)
    assert recounted == used
    text = linli("admin", "rooms", "usage", "--month", month, *args, env=env)
    assert "闲置" in text.stdout
    bad = linli("admin", "rooms", "bookings", "--room", "pool", *args, env=env)
    assert bad.returncode == 2 and "unknown room 'pool'" in bad.stderr
    bad = linli("admin", "rooms", "usage", "--month", "2026-13", *args, env=env)
    assert bad.returncode == 2 and "not a month" in bad.stderr

