"""Retention (#20): `[retention]` in the community file, applied by the daily job on the
fake clock — an ended ticket's words, photos and comments go after `ticket_text_months`
(category, building, dates, rating stay, without the person), message copies after
`message_days`, the audit log after `audit_years`; idempotent; a dry run counts only;
each run reads what is due, not the whole history."""

from __future__ import annotations

import re

import pytest

from handlers.community import CommunityError, load_community
from handlers.privacy import apply_retention, schedule_retention
from handlers.privacy.retention import TIMER
from storage.privacy import Privacy
from tests.conftest import DEMO, at_local

DAY = 86400


async def _closed_and_open(console):
    """#1 reported, done, rated (closed); #2 still open; #3 done but never rated (resolved)."""
    await at_local(console, 10)
    await console.say("zhang", None, "报修 3号楼2单元楼道灯坏了，电话13812345678")
    await console.say("zhang", None, "报修 5号楼门口下水道堵了")
    await console.say("r102", None, "报修 1号楼电梯按钮不亮")
    await console.say("grid", None, "办结 #1 已更换灯泡")
    await console.say("zhang", None, "评价 #1 4 修得快")
    await console.say("grid", None, "办结 #3 已修好")
    console.transcript.new()


def _context(console):
    from handlers.context import Context
    from handlers.events import Event

    services = console.runtime.services
    return Context(services, Event(id="test:retention", channel="console", kind="timer",
                                   received_at=services.clock.now()))


async def test_the_daily_job_removes_ended_tickets_words_after_the_months_and_keeps_statistics(console):
    runtime = console.runtime
    await _closed_and_open(console)
    await schedule_retention(runtime.services.jobs, runtime.services.community, runtime.clock.now())
    await console.advance(23 * 30 * DAY)              # 23 months: nothing is due yet
    one = await runtime.services.tickets.get(1)
    assert "楼道灯" in one.text
    await console.advance(2 * 30 * DAY)               # past 24 months since #1 ended
    one, two = await runtime.services.tickets.get(1), await runtime.services.tickets.get(2)
    assert one.text == "（已按保留期限删除）" and one.comment is None and one.reporter == "-"
    assert one.status == "closed" and one.rating == 4 and one.category and one.building == "3"
    assert one.created_at and one.closed_at
    assert all(not h.get("note") for h in one.history) and all(h["by"] != "zhang" for h in one.history)
    assert "下水道" in two.text and two.reporter == "zhang"            # open: kept
    assert await runtime.services.tickets.ids(reporter="zhang") == [2]
    # #3 was autoclosed (unrated) a few days after it was resolved: its words went too
    three = await runtime.services.tickets.get(3)
    assert three.status == "closed" and three.text == "（已按保留期限删除）"
    # the job is there again for tomorrow
    assert TIMER + ":daily" in [job for job, _ in await runtime.services.jobs.pending()]


async def test_a_run_is_idempotent_and_a_dry_run_only_counts(console):
    runtime = console.runtime
    await _closed_and_open(console)
    await console.advance(25 * 30 * DAY)
    ctx = _context(console)
    dry = await apply_retention(ctx, dry_run=True)
    assert dry["ticket_texts"] == 2
    assert "楼道灯" in (await runtime.services.tickets.get(1)).text      # nothing removed
    assert (await apply_retention(ctx))["ticket_texts"] == 2
    again = await apply_retention(ctx)
    assert again["ticket_texts"] == 0
    assert (await apply_retention(ctx, dry_run=True))["ticket_texts"] == 0


async def test_a_run_reads_only_what_is_due(console):
    """The cursor moves past what was looked at; an open ticket waits in a small set and is
    the only old one looked at again."""
    runtime = console.runtime
    await _closed_and_open(console)
    await console.advance(25 * 30 * DAY)
    ctx = _context(console)
    await apply_retention(ctx)
    repo = Privacy(runtime.store)
    assert await repo.waiting("tickets") == ["2"]
    cursor = await repo.cursor("tickets")
    assert cursor >= (await runtime.services.tickets.get(3)).created_at
    reads = []
    original = repo.ticket_fields

    async def counting(ticket_id, *names):
        reads.append(ticket_id)
        return await original(ticket_id, *names)

    from handlers.privacy import retention
    real = retention.Privacy
    retention.Privacy = lambda store: repo
    repo.ticket_fields = counting
    try:
        await apply_retention(ctx)
    finally:
        retention.Privacy = real
    assert reads == ["2"]
    # once the open one ends and its time passes, it goes too
    await console.say("grid", None, "驳回 #2 不属于物业范围")
    await console.advance(25 * 30 * DAY)
    assert (await apply_retention(_context(console)))["ticket_texts"] == 1
    assert await repo.waiting("tickets") == []


async def test_message_copies_and_audit_entries_expire_by_the_streams_clock(console):
    import time

    runtime = console.runtime
    redis, keys = runtime.redis, runtime.store.keys
    now_ms = int(time.time() * 1000)
    old, recent = now_ms - 40 * DAY * 1000, now_ms - 5 * DAY * 1000
    await redis.xadd(keys.dead_letters(), {"outgoing": "old copy"}, id=f"{old}-0")
    await redis.xadd(keys.dead_letters(), {"outgoing": "recent copy"}, id=f"{recent}-0")
    await redis.xadd(keys.audit(), {"actor": "grid", "action": "view"}, id=f"{now_ms - 4 * 365 * DAY * 1000}-0")
    await redis.xadd(keys.audit(), {"actor": "grid", "action": "view"}, id=f"{old}-0")
    ctx = _context(console)
    assert (await apply_retention(ctx, dry_run=True))["message_copies"] == 1
    counts = await apply_retention(ctx)
    assert counts["message_copies"] == 1 and counts["audit_entries"] == 1
    assert [f["outgoing"] for _, f in await redis.xrange(keys.dead_letters())] == ["recent copy"]
    assert await redis.xlen(keys.audit()) >= 1


def _with(tmp_path, section):
    """The demo's community file with `section` as its [retention]."""
    demo = re.sub(r"(?m)^\[retention\]\n(?:[^\n\[]+\n)*", "", DEMO.read_text(encoding="utf-8"))
    path = tmp_path / "community.toml"
    path.write_text(demo + "\n" + section, encoding="utf-8")
    return path


@pytest.mark.parametrize("section, problem", [
    ("[retention]\nticket_text_months = 0\n", "retention.ticket_text_months: must be a positive number"),
    ("[retention]\nmessage_days = \"30\"\n", "retention.message_days: must be a positive number"),
    ("[retention]\nrun_at = \"25:00\"\n", "retention.run_at"),
    ("[retention]\nkeep_forever = true\n", "retention.keep_forever: unknown key"),
])
def test_the_community_file_s_retention_section_is_checked(tmp_path, section, problem):
    with pytest.raises(CommunityError, match=problem):
        load_community(_with(tmp_path, section))


def test_retention_defaults_and_settings(tmp_path):
    assert load_community(DEMO).retention.ticket_text_months == 24
    assert load_community(_with(tmp_path, "")).retention.ticket_text_months == 24
    rules = load_community(_with(tmp_path, "[retention]\nticket_text_months = 6\nmessage_days = 7\n"
                                           "audit_years = 2\nrun_at = \"4:15\"\n")).retention
    assert (rules.ticket_text_months, rules.message_days, rules.audit_years, rules.run_at) == (6, 7, 2, "04:15")


async def test_tickets_of_one_moment_are_not_skipped_at_a_batch_s_end(console, monkeypatch):
    """The console's clock stands still: three tickets opened at the same second. With
    batches of one, the cursor still passes all of them."""
    from handlers.privacy import retention

    monkeypatch.setattr(retention, "BATCH", 1)
    runtime = console.runtime
    await _closed_and_open(console)
    created = {(await runtime.services.tickets.get(i)).created_at for i in (1, 2, 3)}
    assert len(created) == 1
    await console.advance(25 * 30 * DAY)
    assert (await apply_retention(_context(console)))["ticket_texts"] == 2
    assert await Privacy(runtime.store).waiting("tickets") == ["2"]
