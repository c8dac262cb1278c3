"""Issue #18's check: a scripted week through the console with the fake clock, in a
community file of its own — an elder who checks in (王奶奶), one who goes quiet (赵爷爷),
one away (孙奶奶), one with a water meter whose readings stop (钱奶奶: signed readings
posted to POST /iot/{device} through the server `linli run` serves, on the console's
runtime, whose fake clock judges the signature's freshness) — read back from the admin CLI."""

from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager
from datetime import datetime, time as dtime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import open_runtime
from bot.console import ConsoleSession
from bot.iot import sign
from bot.server import build_app
from bot.settings import Settings
from storage.care import Care
from tests.conftest import Transcript, at_local

KEY = "qian-meter-key-0123456789abcdef"
ENV = {"LINLI_DEVICE_KEY_QIAN": KEY}

COMMUNITY = """
[community]
id = "care-week"
name = "关爱一周社区"

[care]
check_time = "10:00"
remind_hours = 2
guardian_minutes = 60
visit_hours = 2
escalate_hours = 1
water_hours = 72

[[care.people]]
person = "wang"
guardians = ["ming"]
consent = "本人当面同意，陈社工记录"

[[care.people]]
person = "zhao"
guardians = ["li", "ming"]
consent = "本人当面同意，陈社工记录"

[[care.people]]
person = "sun"
guardians = ["ming"]
consent = "本人当面同意，陈社工记录"

[[care.people]]
person = "qian"
guardians = ["li"]
consent = "本人和女儿同意，装水表时记录"

[[devices]]
id = "wm-qian"
type = "water_meter"
person = "qian"
key_env = "LINLI_DEVICE_KEY_QIAN"

[[people]]
id = "wang"
name = "王奶奶"
household = "3-1-101"

[[people]]
id = "zhao"
name = "赵爷爷"
household = "3-1-102"

[[people]]
id = "sun"
name = "孙奶奶"
household = "3-2-201"

[[people]]
id = "qian"
name = "钱奶奶"
household = "3-2-202"

[[people]]
id = "li"
name = "李阿姨"
roles = ["volunteer"]
household = "3-1-201"

[[people]]
id = "ming"
name = "王小明"

[[people]]
id = "grid"
name = "小郑"
roles = ["grid_worker", "staff"]
buildings = ["3"]

[[people]]
id = "sec"
name = "冯书记"
roles = ["secretary", "staff"]
"""


@asynccontextmanager
async def week_of(tmp_path, redis_url):
    """The console (fake clock) and, on the same runtime, the HTTP server `linli run` serves."""
    path = tmp_path / "community.toml"
    path.write_text(COMMUNITY, encoding="utf-8")
    settings = Settings.load(path, data_dir=tmp_path, env={"REDIS_URL": redis_url, **ENV})
    async with open_runtime(settings, fake_clock=True) as runtime:
        transcript = Transcript()
        async with ConsoleSession(runtime, out=transcript.buffer) as console:
            console.transcript = transcript
            server = TestClient(TestServer(build_app(runtime)))
            await server.start_server()
            try:
                yield console, server
            finally:
                await server.close()


class Week:
    def __init__(self, console, server) -> None:
        self.console, self.server, self.runtime = console, server, console.runtime
        tz = self.runtime.settings.community.tz
        self.tz = tz
        self.day0 = datetime.fromtimestamp(self.runtime.clock.now(), tz).date()
        self.sent: list[tuple[str, dict]] = []      # (day h:m, message) of the whole week

    def at(self, day: int, hour: int, minute: int = 0) -> float:
        return datetime.combine(self.day0 + timedelta(days=day), dtime(hour, minute), tzinfo=self.tz).timestamp()

    async def go(self, day: int, hour: int, minute: int = 0) -> list[dict]:
        """Move the fake clock to day `day` hour:minute, firing every job on the way; what was sent."""
        target = self.at(day, hour, minute)
        await self.console.advance(target - self.runtime.clock.now())
        self.runtime.clock.set(max(self.runtime.clock.now(), target))
        await self.console.drain()
        return self._new(f"d{day} {hour:02}:{minute:02}")

    async def say(self, who: str, text: str) -> list[dict]:
        await self.console.say(who, None, text)
        return self._new(f"{who}: {text}")

    def _new(self, when: str) -> list[dict]:
        found = self.console.transcript.new()
        self.sent += [(when, m) for m in found]
        return found

    async def meter(self, reading: float, stamp: float | None = None) -> tuple[int, dict]:
        """A signed reading from 钱奶奶's water meter, signed now by the (fake) clock."""
        body = json.dumps({"reading": reading}).encode()
        signed_at = str(int(self.runtime.clock.now() if stamp is None else stamp))
        answer = await self.server.post("/iot/wm-qian", data=body, headers={
            "X-Linli-Timestamp": signed_at, "X-Linli-Signature": sign(KEY, signed_at, body),
            "Content-Type": "application/json"})
        result = answer.status, await answer.json()
        await self.console.drain()
        self._new(f"meter {reading}")
        return result


def to(messages, who: str, about: str = "") -> list[str]:
    return [m["text"] for m in messages if m["to"] == f"@{who}" and about in m["text"]]


async def test_a_week_of_care_through_the_console_the_iot_endpoint_and_the_admin_cli(
        tmp_path, redis_server, redis, linli):
    async with week_of(tmp_path, redis_server) as (console, server):
        await at_local(console, 7)                       # day 0, 07:00: the file's people enrolled at start
        w = Week(console, server)
        care = Care(console.runtime.store)
        assert set(await care.enrolled()) == {"wang", "zhao", "sun", "qian"}

        # day 0: 孙奶奶 goes to her daughter's for the week; the meter reports, with use
        await w.go(0, 8)
        assert await w.meter(100) == (200, {"ok": True, "new": True, "use": False, "at": w.at(0, 8)})
        said = await w.say("sun", "外出 7天 去女儿家")
        assert to(said, "sun", "外出到") and to(said, "ming", "孙奶奶外出到")
        await w.go(0, 12)
        assert (await w.meter(100.5))[1]["use"] is True

        # day 1: 王奶奶 and 钱奶奶 check in; 赵爷爷 says nothing
        await w.go(1, 8)
        assert (await w.meter(101))[1]["use"] is True    # the meter's last use: day 1 08:00
        await w.go(1, 9)
        for elder in ("wang", "qian"):
            await w.say(elder, "平安")
        sent = await w.go(1, 10)                          # the daily check
        assert to(sent, "zhao", "今天还没听到您的消息") and [m["to"] for m in sent] == ["@zhao"]
        assert to(await w.go(1, 12), "li", "赵爷爷")        # remind_hours later: the first guardian
        assert to(await w.go(1, 13), "ming", "赵爷爷")      # an hour on, nobody went: the next
        said = await w.say("ming", "我去看看 @赵爷爷")       # 首接负责
        assert to(said, "li", "王小明 已经去看赵爷爷了")
        sent = await w.go(1, 15, 1)                        # visit_hours and no word: the grid worker
        assert to(sent, "grid", "【关爱提醒】赵爷爷") and "王小明" in to(sent, "grid")[0]
        assert to(await w.go(1, 16, 1), "sec", "【关爱提醒】赵爷爷")   # escalate_hours on: the secretary
        said = await w.say("ming", "平安 @赵爷爷 已上门，没事，手机没电了")
        assert {m["to"] for m in said if "赵爷爷平安了" in m["text"]} == {"@li", "@grid", "@sec"}
        assert (await care.state("zhao"))["alarm"] is None

        # days 2-3: everyone at home checks in; the meter reports without use, then stops
        for day in (2, 3):
            await w.go(day, 8)
            assert (await w.meter(101))[1]["use"] is False
            await w.go(day, 9)
            for elder in ("wang", "zhao", "qian"):
                await w.say(elder, "平安")
            assert not [m for m in await w.go(day, 10, 30) if "没听到" in m["text"] or "关爱提醒" in m["text"]]

        # day 4, 08:00: 72 hours without water — straight to a guardian, not a reminder
        assert (await w.meter(101, stamp=time.time()))[0] == 401   # signed by the real clock: days off the runtime's
        sent = await w.go(4, 8)
        assert to(sent, "li", "钱奶奶") and not to(sent, "qian")
        alarm = (await care.state("qian"))["alarm"]
        assert alarm["reason"] == "water" and alarm["asked"] == ["li"]
        await w.go(4, 8, 30)
        assert to(await w.say("li", "我去看看 @钱奶奶"), "li", "谢谢您")
        await w.go(4, 9, 30)
        await w.say("li", "探访 @钱奶奶 情况良好，水管冻住了，已找物业")
        assert (await care.state("qian"))["alarm"] is None
        for elder in ("wang", "zhao"):
            await w.say(elder, "平安")

        # days 5-6: quiet days; then the week ends
        for day in (5, 6):
            await w.go(day, 9)
            for elder in ("wang", "zhao", "qian"):
                await w.say(elder, "平安")
        await w.go(6, 23)

        week = [m for _, m in w.sent]
        # 王奶奶 checked in every day: never reminded, nobody asked about her
        assert not [m for m in week if "王奶奶" in m["text"] and ("关爱提醒" in m["text"] or "去看看" in m["text"])]
        assert not to(week, "wang", "没听到")
        # 孙奶奶 was away all week: never alarmed
        assert not to(week, "sun", "没听到")
        assert not [m for m in week if "孙奶奶" in m["text"] and "外出" not in m["text"]]
        # 赵爷爷: one alarm, each step once; 钱奶奶: one water alarm
        assert len(to(week, "zhao", "没听到")) == 1
        assert len([m for m in week if "【关爱提醒】赵爷爷" in m["text"]]) == 2
        assert not [m for m in week if "【关爱提醒】钱奶奶" in m["text"]]       # the guardian went in time
        summaries = to(week, "grid", "【关爱周报】")                          # Monday 09:00, once in a week
        assert len(summaries) == 1 and "孙奶奶" in summaries[0] and "外出到" in summaries[0]

    # read back from the admin CLI (its own runtime; the console's state is in Redis)
    args = ["--community", str(tmp_path / "community.toml"), "--data-dir", str(tmp_path)]
    env = {"REDIS_URL": redis_server, **ENV}
    listed = json.loads(linli("admin", "care", "list", "--json", *args, env=env).stdout)
    rows = {r["person"]: r for r in listed}
    assert set(rows) == {"wang", "zhao", "sun", "qian"} and not any(r["alarm"] for r in listed)
    assert rows["sun"]["away_until"] and rows["zhao"]["guardians"] == ["li", "ming"]
    assert rows["wang"]["last_sign_what"] == "self" and rows["qian"]["last_water"]
    text = linli("admin", "care", "list", *args, env=env)
    assert text.returncode == 0 and "4 person(s) in care" in text.stdout and "away" in text.stdout
    shown = json.loads(linli("admin", "care", "show", "钱奶奶", "--json", *args, env=env).stdout)
    assert shown["consent"] == "本人和女儿同意，装水表时记录" and shown["enrolled_how"] == "file"

    def log_of(person: str) -> list[str]:
        ran = linli("admin", "care", "log", person, "--json", *args, env=env)
        assert ran.returncode == 0, ran.stderr
        return [e["what"] for e in json.loads(ran.stdout)]

    zhao = log_of("赵爷爷")
    ladder = ["reminded", "asked", "asked", "claimed", "staff", "secretary", "safe", "resolved"]
    assert [w for w in zhao if w in ladder] [:len(ladder)] == ladder
    assert zhao.count("reminded") == 1 and zhao.count("self") == 5
    qian = log_of("qian")
    assert qian[:1] == ["enrolled"] and qian.count("water") == 2          # two readings that showed use
    assert qian.index("water_quiet") < qian.index("asked") < qian.index("claimed") < qian.index("visit") \
        < qian.index("resolved")
    assert "reminded" not in qian
    sun = log_of("sun")
    assert sun == ["enrolled", "message", "away"] or sun == ["enrolled", "away", "message"]
    assert not {"reminded", "asked", "staff"} & set(sun)
    assert log_of("wang").count("self") == 6 and "reminded" not in log_of("wang")
    ran = linli("admin", "care", "show", "li", *args, env=env)
    assert ran.returncode == 2 and "not in care" in ran.stderr
