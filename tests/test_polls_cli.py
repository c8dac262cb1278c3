"""The way it will be checked: a household vote created with `linli admin polls create`
and a council vote created in chat, run through the console with the fake clock, read
back with `linli admin polls show --json` and `audit`; and an audit that catches a
ballot changed behind the bot's back."""

import json

from handlers.polls.audit import audit
from storage.polls import Polls
from tests.conftest import DEMO


def script(*items):
    return "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)


def test_council_and_household_votes_read_back_with_show_and_audit(linli, tmp_path):
    data = ["--community", str(DEMO), "--data-dir", str(tmp_path)]
    created = linli("admin", "polls", "create", *data, "--question", "3号楼加装电梯", "--option", "同意",
                    "--option", "不同意", "--electorate", "households:3", "--rule", "3/4", "--quorum", "2/3",
                    "--deadline", "7d", "--by", "staff_chen")
    assert created.returncode == 0, created.stderr
    assert "poll #1 created: 8 household(s)" in created.stdout

    council = ["r101", "r104", "r201", "r204", "r301", "r304"]
    run = linli("console", *data, "--fake-clock", stdin=script(
        {"from": "r101", "chat": "council",
         "text": "发起投票 是否同意调整物业费 规则=三分之二 范围=议事会 截止=3天"},
        *({"from": p, "text": "投票 2 1"} for p in council),          # the 6th "yes" settles it
        {"from": "r401", "text": "投票 2 2"},                            # too late: closed
        {"from": "zhang", "chat": "b3", "text": "投票 1 1"},
        {"from": "r301", "text": "投票 1 1"},
        {"from": "r302", "text": "投票 1 1"},
        {"from": "r302b", "text": "投票 1 2"},                           # his household has voted
        {"from": "grid", "text": "代投 1 @r303 1 行动不便，电话告知"},
        {"from": "r304", "text": "投票 1 1"},
        {"from": "r305", "text": "投票 1 2"},
        {"advance": "7d"},
    ))
    assert run.returncode == 0 and run.stderr == "", run.stderr
    out = [json.loads(line) for line in run.stdout.splitlines()]
    posted = [o["text"] for o in out if o["to"] == "b3"]
    assert "📊 投票 #1：3号楼加装电梯" in posted[0]
    assert "同意 5 票，未达到全体住户四分之三（需 6 票），未通过" in posted[-1]
    council_posts = [o["text"] for o in out if o["to"] == "council"]
    assert "赞成 6 票，达到全体委员三分之二（需 6 票），通过" in council_posts[-1]
    assert any(o["to"] == "@r302b" and "已由 黄叔" in o["text"] for o in out)
    assert any(o["to"] == "@r401" and "已结束" in o["text"] for o in out)

    council_poll = json.loads(linli("admin", "polls", "show", "2", "--json", *data).stdout)
    assert {k: council_poll[k] for k in ("id", "status", "question", "options", "counts", "eligible", "ballots",
                                         "quorum_met", "outcome", "passed", "closed_reason")} == {
        "id": 2, "status": "closed", "question": "是否同意调整物业费", "options": ["赞成", "反对"],
        "counts": {"赞成": 6, "反对": 0}, "eligible": 9, "ballots": 6, "quorum_met": True, "outcome": "赞成",
        "passed": True, "closed_reason": "decided"}

    household_poll = json.loads(linli("admin", "polls", "show", "#1", "--json", *data).stdout)
    assert {k: household_poll[k] for k in ("status", "counts", "abstain", "eligible", "ballots", "unit",
                                           "quorum_needed", "quorum_met", "outcome", "passed")} == {
        "status": "closed", "counts": {"同意": 5, "不同意": 1}, "abstain": 0, "eligible": 8, "ballots": 6,
        "unit": "household", "quorum_needed": 6, "quorum_met": True, "outcome": None, "passed": False}
    proxy = [b for b in household_poll["voted"] if b["proxy"]]
    assert proxy == [{"unit": "3-3-501", "by": "r303", "at": proxy[0]["at"], "proxy": "grid",
                      "reason": "行动不便，电话告知", "option": 1}]

    for poll_id in ("1", "2"):
        checked = linli("admin", "polls", "audit", poll_id, *data)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "ok: the published result matches the recount" in checked.stdout
    missing = linli("admin", "polls", "audit", "9", *data)
    assert missing.returncode == 1 and "没有找到投票 #9" in missing.stderr


async def test_audit_catches_a_ballot_changed_behind_the_bots_back(linli, console, redis, redis_server, tmp_path):
    await console.say("r101", "council", "发起投票 是否同意调整物业费 规则=三分之二 范围=议事会 截止=3天")
    for person in ("r101", "r104", "r201", "r204", "r301", "r304"):
        await console.say(person, None, "投票 1 1")
    repo = Polls(console.runtime.store)
    assert (await audit(repo, 1)).matches
    key = console.runtime.store.keys("poll", 1, "ballots")
    record = json.loads(await redis.hget(key, "r104"))
    await redis.hset(key, "r104", json.dumps({**record, "option": 2}))      # someone edits the database
    await redis.hset(key, "zhang", json.dumps({**record, "by": "zhang"}))   # and stuffs the box
    report = await audit(repo, 1)
    assert not report.matches
    assert any(p.startswith("counts: published [6, 0], recounted [6, 1]") for p in report.problems)
    assert "ballot of zhang: not in the electorate" in report.problems

    result = linli("admin", "polls", "audit", "1", "--community", str(DEMO), "--data-dir", str(tmp_path),
                   env={"REDIS_URL": redis_server})
    assert result.returncode == 1 and "MISMATCH counts" in result.stdout


async def test_admin_create_refuses_bad_settings(linli, tmp_path, redis, redis_server):
    env = {"REDIS_URL": redis_server}
    data = ["--community", str(DEMO), "--data-dir", str(tmp_path)]
    result = linli("admin", "polls", "create", *data, "--question", "问题", "--electorate", "火星",
                   "--deadline", "3d", env=env)
    assert result.returncode == 2 and "看不懂范围" in result.stderr
    result = linli("admin", "polls", "create", *data, "--question", "问题", "--electorate", "council",
                   "--deadline", "3d", "--anonymous", "--changeable", "--json", env=env)
    assert result.returncode == 2 and "匿名投票不能改票" in result.stderr
    result = linli("admin", "polls", "create", *data, "--question", "问题", "--electorate", "people:r101,r104",
                   "--deadline", "2025-01-01T00:00", env=env)
    assert result.returncode == 2
    result = linli("admin", "polls", "create", *data, "--question", "谁来主持", "--electorate", "people:r101,r104",
                   "--option", "甲", "--option", "乙", "--deadline", "1d", "--anonymous", "--json", env=env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["eligible"], shown["anonymous"], shown["rule"], shown["status"]) == \
        (2, True, {"kind": "plurality"}, "open")
