"""A person's rights (#20): 我的数据 sent 1:1, 注销 after 确认注销 (anything else cancels),
what erasure leaves (counts, the ledger byte for byte), staff's erasure on a written
request, and an anonymous poll's choice never stored next to its voter."""

from __future__ import annotations

import json

import pytest

from handlers.points.verify import verify
from storage.ledger import Ledger
from storage.privacy import Privacy
from storage.tickets import joined
from tests.conftest import at_local


def texts_to(out, who):
    return [m["text"] for m in out if m["to"] == who]


def cli_env(runtime):
    """`linli admin …` on the console's data (its Redis, data dir and community file)."""
    return {"REDIS_URL": runtime.settings.redis_url, "LINLI_DATA_DIR": str(runtime.settings.data_dir),
            "LINLI_COMMUNITY": str(runtime.settings.community.source)}


async def _history(console, sender="zhang"):
    """张阿姨 reports two things (one gets done and rated), earns points, registers."""
    await at_local(console, 10)
    await console.say(sender, None, "报修 3号楼2单元楼道灯坏了，我是张阿姨电话13812345678")
    await console.say(sender, None, "报修 5号楼门口下水道堵了，味道很大")
    await console.say("grid", None, "办结 #2 已疏通")
    await console.say(sender, None, "评价 #2 5 很满意")
    await console.say(sender, None, "签到")
    console.transcript.new()


async def test_my_data_lists_what_is_kept_privately(console):
    await _history(console)
    await console.say("zhang", None, "我的数据")
    told = texts_to(console.transcript.new(), "@zhang")
    assert len(told) == 1
    text = told[0]
    assert "张阿姨" in text and "反映的问题 2 件" in text and "#1" in text and "#2" in text
    assert "3号楼2单元502室" in text            # the household from the file
    assert "积分账本上与您有关的记录" in text and "· " in text   # the ledger, its latest entries
    assert "保存多久" in text


@pytest.mark.parametrize("addressed, expected", [("@小邻 我的数据", 1), ("我的数据", 0)])
async def test_my_data_in_a_group_says_only_ask_me_privately(console, addressed, expected):
    await _history(console)
    await console.say("zhang", "b3", addressed)
    out = console.transcript.new()
    assert [m["text"] for m in out] == ["这涉及您的个人信息，请私聊我（点我的头像发消息）。"] * expected


async def test_erase_needs_confirmation_and_anything_else_cancels(console):
    await _history(console)
    await console.say("zhang", None, "注销")
    explained = texts_to(console.transcript.new(), "@zhang")[0]
    assert "确认注销" in explained and "10 分钟" in explained
    await console.say("zhang", None, "算了")
    assert texts_to(console.transcript.new(), "@zhang") == ["好的，注销已取消，您的信息都还在。"]
    await console.say("zhang", None, "确认注销")
    assert "没有要确认的注销" in texts_to(console.transcript.new(), "@zhang")[0]
    assert await Privacy(console.runtime.store).erased_ids() == frozenset()


async def test_confirmation_after_ten_minutes_is_too_late(console):
    await _history(console)
    await console.say("zhang", None, "注销")
    await console.advance(11 * 60)
    console.transcript.new()
    await console.say("zhang", None, "确认注销")
    assert "已经超过 10 分钟" in texts_to(console.transcript.new(), "@zhang")[0]
    assert await Privacy(console.runtime.store).erased_ids() == frozenset()


async def test_erase_end_to_end_then_the_ledger_verifies(console, linli):
    runtime = console.runtime
    await _history(console)
    books = Ledger(runtime.store)
    before_entries = await books.raw_entries(1, await books.length())
    before_balance = await books.balance("person:zhang", "points")
    assert before_balance > 0
    await console.say("zhang", None, "注销")
    await console.say("zhang", None, "确认注销")
    out = console.transcript.new()
    assert any("已为您注销" in m["text"] for m in out)
    # the ledger: byte for byte, verified, sums hold, the account stays
    assert await books.raw_entries(1, await books.length()) == before_entries
    assert (await verify(books)).ok
    assert await books.balance("person:zhang", "points") == before_balance
    verified = linli("admin", "ledger", "verify", env=cli_env(runtime))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # tickets: the words are gone, the open one stays open for staff, the reporter is nobody
    one, two = await runtime.services.tickets.get(1), await runtime.services.tickets.get(2)
    for ticket in (one, two):
        assert ticket.reporter == "-" and "13812345678" not in ticket.text and "张阿姨" not in ticket.text
        assert ticket.location is None
        assert all(h["by"] != "zhang" for h in ticket.history)
    assert one.status == "open" and one.category and "报告人已注销" in one.text
    assert one.history[-1]["action"] == "erased"
    assert two.status == "closed" and two.rating == 5 and two.comment is None
    assert await runtime.services.tickets.ids(reporter="zhang") == []
    raw = joined(await runtime.redis.hgetall(runtime.store.keys.ticket(1)))
    assert "楼道灯" not in json.dumps(raw, ensure_ascii=False)
    # a tombstone, audited without the data
    erased = await Privacy(runtime.store).erased()
    assert erased["zhang"]["by"] == "zhang" and erased["zhang"]["via"] == "chat"
    audit = [e for e in await runtime.services.audit.entries() if e["action"] == "privacy_erase"]
    assert len(audit) == 1 and "person:zhang" in audit[0]["subject"] and "tickets=2" in audit[0]["subject"]
    assert "楼道灯" not in audit[0]["subject"]
    # and linli no longer knows them
    await console.say("zhang", None, "我的数据")
    told = [m["text"] for m in console.transcript.new()]
    assert told and "张阿姨" not in told[0] and "反映的问题" not in told[0]
    # staff see the ticket without a name
    await console.say("grid", None, "查询 #1")
    staff = "\n".join(texts_to(console.transcript.new(), "@grid"))
    assert "张阿姨" not in staff and "已注销居民" in staff


async def test_a_redelivered_confirmation_finishes_the_erasure(console):
    """The confirming event handled again (a crash before its replies were stored) erases
    what is left and says the same, instead of 'nothing to confirm'."""
    from handlers.context import Context
    from handlers.events import Event
    from handlers.privacy import erase

    await _history(console)
    await console.say("zhang", None, "注销")
    services = console.runtime.services
    event = Event(id="console:redeliver-1", channel="console", sender="console:zhang", text="确认注销",
                  received_at=services.clock.now())
    person = services.community.people["zhang"]
    await Privacy(console.runtime.store).claim("zhang", event.id, services.clock.now())  # claimed, then "crashed"
    ctx = Context(services, event, person=person)
    await erase.confirm(ctx, "")
    assert [m.text for m in ctx.outgoing] == [services.texts("privacy.erase.done")]
    assert "zhang" in await Privacy(console.runtime.store).erased_ids()


async def test_staff_erase_on_a_written_request_is_audited(console, linli, tmp_path):
    await _history(console)
    runtime = console.runtime
    ran = linli("admin", "privacy", "erase", "zhang", "--request", "2026-12-06 书面申请 编号 A-17", "--yes",
                env=cli_env(runtime))
    assert ran.returncode == 0, ran.stderr
    assert "zhang" in ran.stdout and "community file" in ran.stdout
    erased = await Privacy(runtime.store).erased()
    assert erased["zhang"]["request"] == "2026-12-06 书面申请 编号 A-17"
    assert erased["zhang"]["by"].startswith("admin:")
    audit = [e for e in await runtime.services.audit.entries() if e["action"] == "privacy_erase"]
    assert audit and "A-17" in audit[0]["subject"] and audit[0]["via"] == "cli"
    again = linli("admin", "privacy", "erase", "zhang", "--request", "A-17", "--yes", env=cli_env(runtime))
    assert again.returncode == 0 and "was erased" in again.stdout and "nothing stored" in again.stdout
    listed = linli("admin", "privacy", "erased", env=cli_env(runtime))
    assert "zhang" in listed.stdout and "A-17" in listed.stdout and "still in the community file" in listed.stdout


async def test_an_anonymous_choice_is_stored_nowhere_beside_its_voter(console):
    """The ballot box, the ballot, the replies (which wait in the outbox beside their
    recipient), the audit log, the inbound stream: none holds r104's choice next to r104."""
    from tests.test_polls import council_poll

    runtime = console.runtime
    await council_poll(console, "匿名")
    console.transcript.new()
    await console.say("r104", None, "投票 1 2")
    out = console.transcript.new()
    poll = (await runtime.services.tickets.store.redis.hgetall(runtime.store.keys.poll(1)))
    option = json.loads(poll["options"])[1]
    told = [m["text"] for m in out if m["to"] == "@r104"]
    assert any("匿名选票已投入票箱" in t for t in told)
    assert not any(option in t or "2." in t for t in told)
    ballots = await runtime.redis.hgetall(runtime.store.keys.poll_ballots(1))
    assert all("option" not in json.loads(v) for v in ballots.values())
    box = await runtime.redis.zrange(runtime.store.keys.poll_box(1), 0, -1)
    assert not any("r104" in m for m in box)
    assert not any(option in json.dumps(e, ensure_ascii=False) for e in await runtime.services.audit.entries())
    for shard in range(runtime.inbound.shards):          # handled events are not kept
        assert await runtime.redis.xlen(runtime.inbound.stream(shard)) == 0
    # 我的数据 says a ballot is in, not what it was
    await console.say("r104", None, "我的数据")
    mine = "\n".join(m["text"] for m in console.transcript.new() if m["to"] == "@r104")
    assert "投票 #1" in mine and "不和您相连" in mine and option not in mine


async def test_erasure_keeps_every_poll_count_and_drops_the_link(console):
    from handlers.polls.audit import audit
    from storage.polls import Polls
    from tests.test_polls import b3_poll

    runtime = console.runtime
    await b3_poll(console, "规则=过半数")
    await console.say("r303", None, "投票 1 1")
    await console.say("r305", None, "投票 1 2")
    polls_before = await runtime.redis.hgetall(runtime.store.keys.poll_ballots(1))
    before = await audit(Polls(runtime.store), 1)
    console.transcript.new()
    await console.say("r303", None, "注销")
    await console.say("r303", None, "确认注销")
    ballots = await runtime.redis.hgetall(runtime.store.keys.poll_ballots(1))
    assert len(ballots) == len(polls_before)
    assert "r303" not in json.dumps(ballots, ensure_ascii=False)
    voters = await runtime.redis.hgetall(runtime.store.keys.poll_voters(1))
    assert "r303" not in voters
    after = await audit(Polls(runtime.store), 1)
    assert after.recount == before.recount and after.recount["ballots"] == 2 and after.matches


async def test_a_volunteer_s_claimed_task_goes_back_to_the_pool(console):
    from storage.tasks import Tasks

    runtime = console.runtime
    await at_local(console, 10)
    await console.say("grid", None, "发布任务 帮忙买菜 @r303")
    await console.say("vol_liu", None, "接单 T1")
    await console.say("vol_liu", None, "志愿者 技能 买菜")
    console.transcript.new()
    await console.say("vol_liu", None, "我的数据")
    mine = "\n".join(m["text"] for m in console.transcript.new() if m["to"] == "@vol_liu")
    assert "T1 帮忙买菜" in mine and "志愿者资料" in mine
    await console.say("vol_liu", None, "注销")
    await console.say("vol_liu", None, "确认注销")
    task = await Tasks(runtime.store).get(1)
    assert "vol_liu" not in task.claims and task.status == "open"
    assert await Tasks(runtime.store).open_of("vol_liu") == []
    assert await runtime.redis.exists(runtime.store.keys.volunteer("vol_liu")) == 0


async def test_an_elder_in_care_and_a_guardian_are_forgotten(tmp_path, redis_server, redis):
    from storage.care import Care
    from tests.conftest import console_of
    from tests.test_care import COMMUNITY, ENROL

    async with console_of(COMMUNITY, tmp_path, redis_server) as console:
        runtime = console.runtime
        await at_local(console, 9)
        await console.say("grid", None, ENROL)
        await console.say("wang", None, "平安")
        console.transcript.new()
        await console.say("wang", None, "我的数据")
        mine = "\n".join(m["text"] for m in console.transcript.new() if m["to"] == "@wang")
        assert "关爱登记" in mine and "李阿姨" in mine
        # a guardian leaves: the elder keeps the other one
        await console.say("li", None, "注销")
        await console.say("li", None, "确认注销")
        assert (await Care(runtime.store).enrolment("wang"))["guardians"] == ["ming"]
        # the elder leaves: enrolment, state, log and the daily check go
        await console.say("wang", None, "注销")
        await console.say("wang", None, "确认注销")
        assert await Care(runtime.store).enrolment("wang") is None
        assert await Care(runtime.store).entries("wang") == []
        assert "care:wang" not in [job for job, _ in await runtime.services.jobs.pending()]


async def test_erase_in_a_group_is_quiet_unless_addressed(console):
    await console.say("zhang", "b3", "注销 了银行卡")
    assert console.transcript.new() == []
    await console.say("zhang", "b3", "@小邻 注销")
    assert [m["text"] for m in console.transcript.new()] == ["这涉及您的个人信息，请私聊我（点我的头像发消息）。"]
    assert await Privacy(console.runtime.store).pending("zhang") is None


async def test_staff_show_and_retention_dry_run_from_the_command_line(console, linli):
    await _history(console)
    runtime = console.runtime
    env = cli_env(runtime)
    shown = linli("admin", "privacy", "show", "张阿姨", env=env)
    assert shown.returncode == 0 and "反映的问题 2 件" in shown.stdout
    refused = linli("admin", "privacy", "erase", "zhang", "--request", "书面申请 A-18", env=env)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert await Privacy(runtime.store).erased_ids() == frozenset()
    dry = linli("admin", "privacy", "retention", "--dry-run", env=env)
    assert dry.returncode == 0 and "would remove: 0 ended tickets' texts" in dry.stdout
    actions = [e["action"] for e in await runtime.services.audit.entries()]
    assert "privacy_view" in actions and "privacy_retention_dry_run" in actions


async def test_erasure_removes_the_person_s_kept_message_copies(console):
    from handlers.events import Event, Outgoing

    runtime = console.runtime
    dead = runtime.store.keys.dead_letters()
    mine = Event(id="e-mine", channel="console", sender="console:zhang", text="投票 1 2 我家电话13812345678")
    theirs = Event(id="e-theirs", channel="console", sender="console:r102", text="报修 电梯")
    await runtime.redis.xadd(dead, {"event": mine.to_json(), "error": "boom"})
    await runtime.redis.xadd(dead, {"event": theirs.to_json(), "error": "boom"})
    await runtime.redis.xadd(dead, {"outgoing": Outgoing(to="@zhang", text="您反映的问题…").to_json(),
                                    "channel": "telegram", "error": "blocked"})
    await console.say("zhang", None, "注销")
    await console.say("zhang", None, "确认注销")
    left = [json.loads(f.get("event") or f.get("outgoing")) for _, f in await runtime.redis.xrange(dead)]
    assert [e.get("sender") for e in left] == ["console:r102"]
    audit = [e for e in await runtime.services.audit.entries() if e["action"] == "privacy_erase"]
    assert "messages=2" in audit[0]["subject"]


async def test_an_erased_elder_of_the_file_is_not_enrolled_again_at_the_next_start(tmp_path, redis_server, redis):
    """赵爷爷 is in the test community file's [[care.people]]: after 注销 the file still
    lists him until staff edit it, and the start-up enrolment leaves him out."""
    from handlers.care import SYNC
    from storage.care import Care
    from tests.conftest import console_of
    from tests.test_care import COMMUNITY

    async with console_of(COMMUNITY, tmp_path, redis_server) as console:
        care = Care(console.runtime.store)
        [elder] = [e.person for e in console.runtime.settings.community.care.people]
        await console.advance(60)
        assert await care.enrolment(elder) is not None
        await console.say(elder, None, "注销")
        await console.say(elder, None, "确认注销")
        assert await care.enrolment(elder) is None
    async with console_of(COMMUNITY, tmp_path, redis_server) as console:   # linli starts again
        await console.advance(60)
        assert await Care(console.runtime.store).enrolment(elder) is None
        assert SYNC + ":file" not in [job for job, _ in await console.runtime.services.jobs.pending()]


async def test_tickets_a_handler_was_given_go_back_to_be_assigned(console, linli):
    runtime = console.runtime
    await at_local(console, 10)
    await console.say("zhang", None, "报修 3号楼2单元楼道灯坏了")
    await console.say("grid", None, "派单 #1 @wuye_li")
    assert (await runtime.services.tickets.get(1)).assignee == "wuye_li"
    ran = linli("admin", "privacy", "erase", "wuye_li", "--request", "2026-12-06 离职 书面申请 B-2", "--yes",
                env=cli_env(runtime))
    assert ran.returncode == 0, ran.stderr
    ticket = await runtime.services.tickets.get(1)
    assert ticket.status == "open" and ticket.assignee is None
    assert ticket.history[-1]["action"] == "handler_erased" and "楼道灯" in ticket.text   # the reporter's words stay
    assert 1 in await runtime.services.tickets.open_ids()


@pytest.mark.parametrize("ask", ["帮助 隐私", "帮助 注销", "帮助 我的数据"])
async def test_help_explains_the_privacy_commands(console, ask):
    await console.say("zhang", None, ask)
    [text] = [m["text"] for m in console.transcript.new()]
    assert text.startswith("您的个人信息") and "我的数据" in text and "确认注销" in text
