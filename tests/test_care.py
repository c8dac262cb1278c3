"""Elders living alone (关爱): enrolment with consent, signs of life, the alarm ladder with
the fake clock (every step, absences, a check-in stopping it, two guardians claiming at
once, a device event resetting the clock, a button), a restart in the middle of a ladder,
privacy (a neighbour who is not a guardian sees nothing), and the admin CLI."""

import asyncio
import json

import pytest

from bot.app import open_runtime
from bot.console import ConsoleSession
from bot.settings import Settings
from handlers.events import Event
from storage.care import Care
from storage.ledger import Ledger
from tests.conftest import Transcript, at_local, console_of

HOUR, DAY = 3600, 86400

COMMUNITY = """
[community]
id = "care-test"
name = "关爱测试社区"

[care]
check_time = "10:00"
remind_hours = 2
guardian_minutes = 60
visit_hours = 2
escalate_hours = 1
water_hours = 72
visit_hours_credit = 0.5

[points]
care_visit = 5

[[care.people]]
person = "zhao"
guardians = ["li"]
consent = "本人当面同意，陈社工记录"

[[people]]
id = "wang"
name = "王奶奶"
household = "3-1-101"

[[people]]
id = "zhao"
name = "赵爷爷"
household = "3-1-102"

[[people]]
id = "li"
name = "李阿姨"
roles = ["volunteer"]
household = "3-1-201"

[[people]]
id = "ming"
name = "王小明"

[[people]]
id = "nb"
name = "张大哥"
household = "3-1-301"

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

ENROL = "关爱 登记 @王奶奶 监护 @李阿姨 @王小明 同意 本人当面同意"


@pytest.fixture
async def console(tmp_path, redis_server, redis):
    async with console_of(COMMUNITY, tmp_path, redis_server) as session:
        yield session


def to(out, who, everyone=False):
    """What `who` was sent; about 王奶奶 only (赵爷爷, enrolled by the file, has a ladder of his own)."""
    return [m["text"] for m in out if m["to"] == who and (everyone or "赵爷爷" not in m["text"])]


async def enrolled(console):
    """王奶奶 enrolled at 09:00 on day 1; the first check that finds nothing is day 2 10:00."""
    await at_local(console, 9)
    await console.say("grid", None, ENROL)
    return console.transcript.new()


async def device(console, person, kind, use=True, n=[0]):
    n[0] += 1
    runtime = console.runtime
    await runtime.accept(Event(id=f"iot:test:{n[0]}", channel="iot", kind="device", received_at=runtime.clock.now(),
                               data={"device": f"{kind}-1", "person": person, "type": kind, "use": use,
                                     "at": runtime.clock.now()}))
    await console.drain()
    return console.transcript.new()


async def test_staff_enrol_with_consent_and_everyone_concerned_is_told(console):
    out = await enrolled(console)
    assert "已登记关爱：王奶奶" in to(out, "@grid")[0] and "李阿姨、王小明" in to(out, "@grid")[0]
    assert "关爱监护人" in to(out, "@li")[0] and "关爱监护人" in to(out, "@ming")[0]
    assert "平安" in to(out, "@wang")[0]
    enrolment = await Care(console.runtime.store).enrolment("wang")
    assert enrolment["guardians"] == ["li", "ming"] and enrolment["consent"] == "本人当面同意"


async def test_enrolment_needs_consent_and_staff(console):
    await console.say("grid", None, "关爱 登记 @王奶奶 监护 @李阿姨")
    assert "怎么同意" in to(console.transcript.new(), "@grid")[0]
    await console.say("nb", None, ENROL)
    assert "只有" in to(console.transcript.new(), "@nb")[0]
    assert await Care(console.runtime.store).enrolment("wang") is None


async def test_the_whole_ladder_step_by_step(console):
    await enrolled(console)
    await console.advance(DAY + HOUR)                      # day 2, 10:00: nothing since yesterday 09:00
    out = console.transcript.new()
    assert to(out, "@wang") and "还没听到您的消息" in to(out, "@wang")[0]
    assert not to(out, "@li") and not to(out, "@grid")
    await console.advance(2 * HOUR)                        # 12:00: the first guardian
    out = console.transcript.new()
    assert "我去看看 @王奶奶" in to(out, "@li")[0] and not to(out, "@ming")
    await console.advance(HOUR)                            # 13:00: the second, one at a time
    out = console.transcript.new()
    assert to(out, "@ming") and not to(out, "@li") and not to(out, "@grid")
    await console.advance(HOUR)                            # 14:00: the grid worker
    out = console.transcript.new()
    assert "【关爱提醒】王奶奶（3-1-101）" in to(out, "@grid")[0] and "李阿姨、王小明" in to(out, "@grid")[0]
    assert not to(out, "@sec")
    await console.advance(HOUR)                            # 15:00: the secretary
    out = console.transcript.new()
    assert "【关爱提醒】王奶奶" in to(out, "@sec")[0]
    await console.say("grid", None, "平安 @王奶奶 已上门，没事")
    out = console.transcript.new()
    for who in ("@li", "@ming", "@sec"):
        assert "王奶奶平安了：已上门，没事（小郑）" in to(out, who)[0]
    log = [e["what"] for e in await Care(console.runtime.store).entries("wang")]
    assert log == ["enrolled", "reminded", "asked", "asked", "staff", "secretary", "safe", "resolved"]
    await console.advance(DAY)                             # the next day's check: 平安 was a sign of life
    assert not to(console.transcript.new(), "@wang")


@pytest.mark.parametrize("who, text", [("wang", "平安"), ("wang", "今天有点冷"),
                                       ("li", "探访 @王奶奶 情况良好"), ("grid", "关爱 记录 @王奶奶 电话联系，一切好")])
async def test_a_sign_of_life_in_the_middle_stops_the_ladder(console, who, text):
    await enrolled(console)
    await console.advance(DAY + HOUR + 2 * HOUR)           # the reminder, then 李阿姨 asked
    console.transcript.new()
    await console.say(who, None, text)
    out = console.transcript.new()
    if who == "wang":
        assert "报平安了" in to(out, "@li")[0]
    await console.advance(5 * HOUR)
    out = console.transcript.new()
    assert not to(out, "@ming") and not to(out, "@grid") and not to(out, "@sec")
    assert (await Care(console.runtime.store).state("wang"))["alarm"] is None


async def test_a_check_in_before_the_check_time_means_no_reminder(console):
    await enrolled(console)
    await console.advance(DAY)                             # day 2, 09:00
    await console.say("wang", None, "平安")
    assert "您平安就好" in to(console.transcript.new(), "@wang")[0]
    await console.advance(5 * HOUR)
    out = console.transcript.new()
    assert not to(out, "@wang") and not to(out, "@li") and not to(out, "@grid")


async def test_two_guardians_claim_at_once_the_first_goes(console):
    await enrolled(console)
    await console.advance(DAY + HOUR + 3 * HOUR)           # both guardians asked
    console.transcript.new()
    runtime = console.runtime
    from bot.console import message_event
    events = [message_event(runtime.settings.community, who, None, "我去看看 @王奶奶", runtime.clock.now(), None)
              for who in ("li", "ming")]
    await asyncio.gather(*(runtime.accept(e) for e in events))
    await console.drain()
    out = console.transcript.new()
    claims = await Care(runtime.store).state("wang")
    winner = next(v for k, v in claims.items() if k.startswith("claim:"))
    loser = "ming" if winner == "li" else "li"
    assert any("谢谢您！请去看看王奶奶" in t for t in to(out, f"@{winner}"))
    assert any("已经去看王奶奶了" in t for t in to(out, f"@{loser}"))
    await console.advance(HOUR)                            # the claim holds: nobody else is asked
    assert not to(console.transcript.new(), "@grid")
    await console.advance(HOUR)                            # visit_hours after the claim, no report: grid
    assert "说去看了" in to(console.transcript.new(), "@grid")[0]


async def test_a_guardian_reporting_trouble_goes_to_the_grid_worker_with_the_numbers(console):
    await enrolled(console)
    await console.say("li", None, "探访 @王奶奶 有情况 摔倒了，很急")
    out = console.transcript.new()
    assert "120" in to(out, "@li")[0]
    grid = to(out, "@grid")[0]
    assert "李阿姨 上门说：有情况 摔倒了，很急" in grid and "急救 120" in grid
    await console.advance(HOUR)
    assert "【关爱提醒】" in to(console.transcript.new(), "@sec")[0]
    await console.say("wang", None, "平安")                 # her own word does not end a reported trouble
    assert (await Care(console.runtime.store).state("wang"))["alarm"] is not None
    await console.say("li", None, "平安 @王奶奶 已送医，没事了")
    assert (await Care(console.runtime.store).state("wang"))["alarm"] is None


async def test_a_declared_absence_keeps_the_ladder_quiet(console):
    await enrolled(console)
    await console.say("ming", None, "外出 @王奶奶 7天 去女儿家")
    out = console.transcript.new()
    assert "外出到" in to(out, "@ming")[0] and "外出到" in to(out, "@li")[0]
    await console.advance(7 * DAY - 2 * HOUR)
    out = console.transcript.new()
    assert not any(to(out, who) for who in ("@wang", "@li", "@ming", "@grid"))
    await console.advance(DAY + 2 * HOUR)                  # back, and silent: the ladder starts again
    assert "还没听到您的消息" in to(console.transcript.new(), "@wang")[0]


async def test_the_elder_declares_her_own_absence(console):
    await enrolled(console)
    await console.say("wang", None, "外出 3天")
    assert "不打扰" in to(console.transcript.new(), "@wang")[0]
    await console.advance(2 * DAY + 5 * HOUR)
    assert not to(console.transcript.new(), "@wang")


async def test_a_device_event_is_a_sign_of_life_and_resets_the_water_clock(console):
    await enrolled(console)
    await console.advance(DAY)                             # day 2 09:00
    await device(console, "wang", "door")
    await console.advance(HOUR)                            # 10:00: the door counted
    assert not to(console.transcript.new(), "@wang")
    await device(console, "wang", "water_meter", use=True)      # the water clock starts at day 2 10:00
    await console.advance(47 * HOUR)
    await device(console, "wang", "water_meter", use=True)      # day 4 09:00: reset
    for _ in range(3):                                     # daily check-ins keep the daily ladder quiet
        await console.say("wang", None, "平安")
        await console.advance(DAY - (HOUR if _ == 2 else 0))
    out = console.transcript.new()                         # day 7 08:00: 71 hours without water
    assert not to(out, "@li") and not [t for t in to(out, "@wang") if "还没听到" in t]
    await console.advance(2 * HOUR)                        # 72 hours: straight to a guardian
    out = console.transcript.new()
    assert "我去看看 @王奶奶" in to(out, "@li")[0] and not [t for t in to(out, "@wang") if "还没听到" in t]
    assert "水表 72 小时没有用水" in to(out, "@li")[0]


async def test_an_emergency_button_tells_everyone_at_once(console):
    await enrolled(console)
    out = await device(console, "wang", "button")
    for who in ("@grid", "@sec", "@li", "@ming"):
        assert "【紧急】王奶奶（3-1-101）按了紧急按钮" in to(out, who)[0] and "120" in to(out, who)[0]
    await console.say("li", None, "平安 @王奶奶 按错了，没事")
    out = console.transcript.new()
    assert "按错了" in to(out, "@grid")[0]


async def test_a_restart_in_the_middle_of_a_ladder_carries_on(tmp_path, redis_server, redis):
    path = tmp_path / "community.toml"
    path.write_text(COMMUNITY, encoding="utf-8")
    settings = Settings.load(path, data_dir=tmp_path, env={"REDIS_URL": redis_server})
    async with open_runtime(settings, fake_clock=True) as runtime:
        transcript = Transcript()
        async with ConsoleSession(runtime, out=transcript.buffer) as session:
            session.transcript = transcript
            await enrolled(session)
            await session.advance(DAY + 3 * HOUR)          # reminded, 李阿姨 asked at 12:00
            assert to(session.transcript.new(), "@li")
    async with open_runtime(settings, fake_clock=True) as runtime:   # a new process on the same data
        transcript = Transcript()
        async with ConsoleSession(runtime, out=transcript.buffer) as session:
            session.transcript = transcript
            await session.advance(HOUR)                    # 13:00: the next guardian, once
            out = session.transcript.new()
            assert len(to(out, "@ming")) == 1 and not to(out, "@li")
            await session.advance(HOUR)
            assert to(session.transcript.new(), "@grid")


async def test_privacy_a_neighbour_sees_nothing(console):
    await enrolled(console)
    for text in ("关爱 查看 @王奶奶", "探访 @王奶奶 情况良好", "我去看看 @王奶奶", "平安 @王奶奶 没事",
                 "外出 @王奶奶 3天", "关爱 名单"):
        await console.say("nb", None, text)
        out = console.transcript.new()
        assert all("王奶奶" not in m["text"] or "只有" in m["text"] for m in out), (text, out)
        assert all(m["to"] == "@nb" for m in out)
    # not in care and not allowed to see read the same
    await console.say("nb", None, "关爱 查看 @赵爷爷")
    hidden = to(console.transcript.new(), "@nb", everyone=True)[0]
    await console.say("nb", None, "关爱 查看 @张大哥")
    assert to(console.transcript.new(), "@nb")[0].replace("张大哥", "赵爷爷") == hidden
    await console.say("li", None, "关爱 查看 @王奶奶")
    assert "监护人：李阿姨、王小明" in to(console.transcript.new(), "@li")[0]


async def test_the_community_file_enrols_and_a_visit_earns(console):
    enrolment = await Care(console.runtime.store).enrolment("zhao")
    assert enrolment["how"] == "file" and enrolment["consent"] == "本人当面同意，陈社工记录"
    await console.say("li", None, "探访 @赵爷爷 情况良好，聊了会儿天")
    out = console.transcript.new()
    assert any("谢谢您去看赵爷爷" in t for t in to(out, "@li", everyone=True))
    assert any("关爱探访" in t for t in to(out, "@li", everyone=True))
    books = Ledger(console.runtime.store)
    assert await books.balance("person:li", "points") == 5
    assert await books.balance("person:li", "hours") == 50
    await console.say("li", None, "探访 @赵爷爷 又来了")          # once a day
    assert await books.balance("person:li", "points") == 5


async def test_weekly_summary_to_the_grid_worker(console):
    await enrolled(console)
    await console.say("li", None, "探访 @王奶奶 情况良好")
    await console.say("wang", None, "外出 3天")
    await console.advance(8 * DAY)
    summaries = [t for t in to(console.transcript.new(), "@grid", everyone=True) if "【关爱周报】" in t]
    assert summaries and "王奶奶" in summaries[0] and "赵爷爷" in summaries[0]


async def test_admin_cli_enrols_lists_shows_and_reads_the_log(console, linli, tmp_path, redis_server):
    args = ["--community", str(tmp_path / "community.toml"), "--data-dir", str(tmp_path)]
    env = {"REDIS_URL": redis_server}
    ran = linli("admin", "care", "enrol", "王奶奶", "--guardian", "li", "--guardian", "王小明",
                "--consent", "本人当面同意，2024-05-01", "--check-time", "9:30", *args, env=env)
    assert ran.returncode == 0, ran.stderr
    assert "enrolled wang" in ran.stdout and "09:30" in ran.stdout
    await console.drain()
    await console.say("li", None, "我去看看 @王奶奶")          # no alarm yet
    assert "没有需要去看" in to(console.transcript.new(), "@li")[0]
    await console.advance(2 * DAY)                           # quiet since enrolment: the reminder, then 李阿姨
    listed = json.loads(linli("admin", "care", "list", "--json", *args, env=env).stdout)
    wang = next(r for r in listed if r["person"] == "wang")
    assert wang["guardians"] == ["li", "ming"] and wang["check_time"] == "09:30"
    assert wang["alarm"]["reason"] == "quiet" and "li" in wang["alarm"]["asked"]
    assert {r["person"] for r in listed} == {"wang", "zhao"}
    shown = json.loads(linli("admin", "care", "show", "wang", "--json", *args, env=env).stdout)
    assert shown["consent"] == "本人当面同意，2024-05-01" and shown["enrolled_how"] == "cli"
    log = json.loads(linli("admin", "care", "log", "王奶奶", "--json", *args, env=env).stdout)
    assert [e["what"] for e in log][:3] == ["enrolled", "reminded", "asked"]
    ran = linli("admin", "care", "show", "nb", *args, env=env)
    assert ran.returncode == 2 and "not in care" in ran.stderr


async def test_help_explains_care(console):
    await console.say("li", None, "帮助 关爱")
    text = to(console.transcript.new(), "@li")[0]
    assert "关爱独居老人" in text and "探访 @王奶奶 情况良好" in text


# -- nothing lost, nothing doubled: each step once, a redelivery says the same again ------

def _crash_once_on(monkeypatch, wanted):
    """The worker dies after handling the first event `wanted` accepts, before its commit; the
    event is then handled again. Returns each run's messages (recipient, text) for it."""
    import bot.worker
    from bot.worker import Worker
    real_commit, runs = Worker._commit, []

    async def crash_once(self, ctx):
        if wanted(ctx.event):
            runs.append([(m.to, m.text) for m in ctx.outgoing])
            if len(runs) == 1:
                raise RuntimeError("worker died before the commit")
        await real_commit(self, ctx)

    monkeypatch.setattr(Worker, "_commit", crash_once)
    monkeypatch.setattr(bot.worker, "RETRY_BACKOFF", 0)
    return runs


@pytest.mark.parametrize("hours, step, what", [(DAY - HOUR / 2, "check", "reminded"), (2 * HOUR, "guardians", "asked"),
                                                (HOUR, "guardians", "staff")])
async def test_a_ladder_step_redelivered_after_a_crash_says_the_same_and_applies_once(console, monkeypatch, hours,
                                                                                        step, what):
    await enrolled(console)
    await console.advance(HOUR + HOUR / 2)                 # day 1 10:30: the first check (nothing to say) done
    if step != "check":
        await console.advance(DAY - HOUR / 2)              # reminded
        if what == "staff":
            await console.advance(3 * HOUR)                # 13:00: both guardians asked
    console.transcript.new()
    runs = _crash_once_on(monkeypatch, lambda e: e.kind == "timer" and e.data.get("key") == "wang"
                          and e.data.get("step") == step)
    with pytest.raises(RuntimeError):
        await console.advance(hours)                        # the step's job falls due: handled, not committed
    await console.drain()                                  # the pending event again
    assert len(runs) == 2 and runs[0] == runs[1] and runs[0]
    out = console.transcript.new()
    assert sorted((m["to"], m["text"]) for m in out if "赵爷爷" not in m["text"]) == sorted(runs[0])
    care = Care(console.runtime.store)
    log = [e["what"] for e in await care.entries("wang")]
    assert log.count(what) == 1
    alarm = (await care.state("wang"))["alarm"]
    expected = {"reminded": [], "asked": ["li"], "staff": ["li", "ming", "grid"]}[what]
    assert alarm["asked"] == expected                      # advanced once
    jobs = dict(await console.runtime.services.jobs.pending())
    assert "care:wang" in jobs                             # and the next step is there, once


async def test_a_resolution_redelivered_after_a_crash_tells_everyone_again_once(console, monkeypatch):
    await enrolled(console)
    await console.advance(DAY + 3 * HOUR)                  # reminded, 李阿姨 asked
    console.transcript.new()
    runs = _crash_once_on(monkeypatch, lambda e: e.kind == "message" and (e.text or "").startswith("平安 @"))
    with pytest.raises(RuntimeError):
        await console.say("grid", None, "平安 @王奶奶 已上门，没事")
    await console.drain()
    assert len(runs) == 2 and runs[0] == runs[1]
    assert any(to == "@li" and "王奶奶平安了" in text for to, text in runs[1])
    out = console.transcript.new()
    assert len([t for t in to(out, "@li") if "王奶奶平安了" in t]) == 1
    assert any("平安了" in t or "没事" in t for t in to(out, "@grid"))
    log = [e["what"] for e in await Care(console.runtime.store).entries("wang")]
    assert log.count("resolved") == 1


async def test_a_step_of_an_alarm_resolved_meanwhile_says_nothing(console, monkeypatch):
    """A timer step read the alarm, then a 平安 (another shard: a chat is ordered apart from
    the person's jobs) resolved it before the step wrote: the step is stale, says nothing,
    brings no alarm back, and the daily check stays the person's job."""
    from handlers.care import ladder
    await enrolled(console)
    await console.advance(DAY + HOUR)                      # reminded; 李阿姨 due at 12:00
    care = Care(console.runtime.store)
    seen = (await care.state("wang"))["alarm"]
    await console.say("grid", None, "平安 @王奶奶 已上门，没事")
    console.transcript.new()

    async def as_read_before(ctx, person_id, alarm_id=None):
        return seen if person_id == "wang" else None

    monkeypatch.setattr(ladder, "current", as_read_before)
    runtime = console.runtime
    await runtime.accept(Event(id="timer:care:wang@stale", channel="timer", kind="timer",
                               received_at=runtime.clock.now(),
                               data={"step": "guardians", "i": 0, "alarm": seen["id"], "job": "care", "key": "wang",
                                     "due": runtime.clock.now(), "order": "care:wang"}))
    await console.drain()
    out = console.transcript.new()
    assert not to(out, "@li") and not to(out, "@ming") and not to(out, "@grid")
    assert (await care.state("wang"))["alarm"] is None
    assert "asked" not in [e["what"] for e in await care.entries("wang")]
    await console.advance(DAY)                             # tomorrow's check still comes: no alarm (平安 counted)
    assert not to(console.transcript.new(), "@li")


async def test_a_step_that_replaced_the_daily_check_just_after_a_resolution_gives_it_back(console, monkeypatch):
    """The other order: the step applied, then a 平安 on another worker resolved the alarm and
    put the daily check back, then the step scheduled its next step over it. The step looks
    again after scheduling: the person's job is the daily check at once."""
    from handlers import timers
    await enrolled(console)
    await console.advance(DAY + HOUR)                      # reminded; 李阿姨 due at 12:00
    real_schedule, resolved = timers.schedule, []

    async def resolved_just_before(ctx, kind, key, due, order, **data):
        if key == "wang" and data.get("step") == "guardians" and not resolved:
            resolved.append(True)                          # the 平安 lands between the step and its scheduling
            care = Care(ctx.services.store)
            await care.set("wang", alarm=None)
        await real_schedule(ctx, kind, key, due, order, **data)

    monkeypatch.setattr(timers, "schedule", resolved_just_before)
    await console.advance(2 * HOUR)                        # 12:00: 李阿姨 asked, the next step scheduled
    assert resolved
    store = console.runtime.store
    payload = json.loads(await store.redis.hget(store.keys.job_payloads(), "care:wang"))
    assert payload["d"]["step"] == "check"                  # the daily check, not a leftover step
