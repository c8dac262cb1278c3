"""How it will be checked: a scripted console session of earning, exchanging and redeeming,
then `linli admin ledger verify` — and an entry changed behind its back, which verify must
catch, naming it. Both run as users run them (the command line, in-process), on the test's
Valkey (so the test can reach in and tamper)."""

import json
import re

import pytest

from tests.conftest import DEMO

SESSION = [
    {"from": "zhang", "text": "3号楼2单元楼道灯坏了，晚上看不见"},
    {"from": "grid", "text": "派单 #1 @vol_wang"},                       # report accepted: +5
    {"from": "grid", "text": "派单 #1 @vol_wang", "id": "again"},
    {"from": "grid", "text": "派单 #1 @vol_wang", "id": "again"},        # a platform retry: processed once
    {"from": "vol_wang", "text": "办结 #1 换了灯泡"},
    {"from": "zhang", "text": "评价 #1 5 很及时"},                        # rating: +2
    {"from": "grid", "text": "签到 重阳敬老活动 @zhang @vol_wang @卢奶奶"},   # attendance: +10 each
    {"from": "grid", "text": "签到 义诊 @zhang @vol_wang"},               # +10 each, 20 = today's cap
    {"from": "grid", "text": "签到 读书会 @zhang"},                        # capped
    {"from": "vol_wang", "text": "时间银行 @张阿姨 1.5 买菜"},
    {"from": "zhang", "text": "确认 E1"},                                 # 1.5 h zhang -> vol_wang
    {"from": "vol_wang", "text": "时间银行 @zhang 2 陪聊"},
    {"from": "zhang", "text": "异议 E2 没有这回事"},                       # nothing moves
    {"from": "vol_wang", "text": "换积分 1"},                              # 1 h -> 10 points
    {"from": "zhang", "text": "兑换 鸡蛋一盒"},                            # -20
    {"from": "vol_wang", "text": "兑换 鸡蛋一盒"},
    {"advance": "1d"},
]


@pytest.fixture
def cli(linli, redis_server, redis, tmp_path):
    def run(*args, stdin=""):
        return linli(*args, "--community", str(DEMO), "--data-dir", str(tmp_path), stdin=stdin,
                     env={"REDIS_URL": redis_server})
    return run


def entries_key():
    return "linli:{demo}:ledger:entries"


async def test_console_session_then_verify_then_a_tampered_entry_is_caught(cli, redis):
    script = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in SESSION)
    session = cli("console", "--fake-clock", stdin=script)
    assert session.returncode == 0 and session.stderr == "", session.stderr
    out = [json.loads(line) for line in session.stdout.splitlines()]
    code = [m.group(1) for o in out if o["to"] == "@zhang" and (m := re.search(r"兑换码：(\w+)", o["text"]))][0]

    redeem = f'{{"from": "zhang", "text": "取消兑换 {code}"}}\n{{"from": "zhang", "text": "积分"}}\n'
    again = cli("console", "--fake-clock", stdin=redeem)
    statement = json.loads(again.stdout.splitlines()[-1])["text"]
    # 5 + 2 + 10 + 10 (the reading was capped) - 20 + 20 refunded; vol_wang: 10 + 10 + 10 - 20
    assert "张阿姨：积分 27，时间银行 -1.5 小时" in statement, statement

    balances = json.loads(cli("admin", "ledger", "balances", "--json").stdout)
    mine = {(b["account"], b["unit"]): b["balance"] for b in balances}
    assert mine[("person:zhang", "points")] == "27" and mine[("person:vol_wang", "points")] == "10"
    assert mine[("person:vol_wang", "hours")] == "0.5" and mine[("person:r101", "points")] == "10"

    verified = cli("admin", "ledger", "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("ok: 13 entries"), verified.stdout

    shown = json.loads(cli("admin", "ledger", "show", "--person", "zhang", "--last", "3", "--json").stdout)
    assert [e["kind"] for e in shown] == ["exchange", "redeemed", "refunded"]

    # Someone edits entry 2 (zhang's +2 for rating) in Redis to +200.
    raw = json.loads(await redis.lindex(entries_key(), 1))
    raw["amount"] = "200"
    await redis.lset(entries_key(), 1, json.dumps(raw, ensure_ascii=False))
    caught = cli("admin", "ledger", "verify")
    assert caught.returncode == 1
    assert "MISMATCH entry 2 (key ticket:1:rated): contents do not match its hash" in caught.stdout
    report = json.loads(cli("admin", "ledger", "verify", "--json").stdout)
    assert report["ok"] is False and any("entry 2" in p for p in report["problems"])


async def test_adjust_is_a_new_entry_and_refuses_to_overdraw(cli):
    given = cli("admin", "ledger", "adjust", "zhang", "+30", "--unit", "points", "--reason", "补记活动积分")
    assert given.returncode == 0 and "balance now 30" in given.stdout
    taken = cli("admin", "ledger", "adjust", "zhang", "-40", "--unit", "points", "--reason", "更正")
    assert taken.returncode == 1 and "would go below 0" in taken.stderr
    hours = cli("admin", "ledger", "adjust", "zhang", "-1.5", "--unit", "hours", "--reason", "更正")
    assert hours.returncode == 0 and "balance now -1.5" in hours.stdout     # hours may go to the limit
    assert cli("admin", "ledger", "adjust", "nobody", "1", "--unit", "points", "--reason", "x").returncode == 2
    assert cli("admin", "ledger", "verify").stdout.startswith("ok: 2 entries")
