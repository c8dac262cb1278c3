"""Households: registering a unit in chat, staff verification, the community file's
households counting as verified, and the roster import."""

import json

import pytest

from handlers.people.households import memberships, parse_household, verified_households
from storage.households import Households
from tests.conftest import DEMO


@pytest.mark.parametrize("text, household", [
    ("3栋2单元502", "3-2-502"), ("3-2-502", "3-2-502"), ("3号楼2单元502", "3-2-502"),
    ("3号楼2单元502室", "3-2-502"), ("三栋二单元502", "3-2-502"), ("12幢3单元1101", "12-3-1101"),
    ("３栋２单元５０２", "3-2-502"),
    ("3栋", None), ("2单元502", None), ("502", None), ("", None),
])
def test_parse_household(text, household):
    assert parse_household(text) == household


async def say(console, who, text, chat=None):
    await console.say(who, chat, text)
    return console.transcript.new()


async def test_register_then_verify(console):
    repo = Households(console.runtime.store)
    out = await say(console, "staff_chen", "登记 3栋1单元301", "b3")
    assert [o["to"] for o in out if not o["to"].startswith("@")] == ["b3"]
    assert not any("301" in o["text"] for o in out if o["to"] == "b3")     # no address in the group
    assert any(o["to"] == "@staff_chen" and "等" not in o["text"] and "核实后" in o["text"] for o in out)
    assert any(o["to"] == "@grid" and "核实 @staff_chen" in o["text"] for o in out)
    assert (await repo.get("staff_chen")).verified is False

    out = await say(console, "zhang", "核实 @staff_chen")
    assert "只有" in out[0]["text"] or "工作人员" in out[0]["text"]          # residents may not verify
    out = await say(console, "grid", "核实")
    assert "陈主任（staff_chen）3号楼1单元301室" in out[0]["text"]
    out = await say(console, "grid", "核实 @陈主任")
    assert any(o["to"] == "@grid" and "已核实：陈主任 住 3号楼1单元301室" in o["text"] for o in out)
    assert any(o["to"] == "@staff_chen" and "社区已核实" in o["text"] for o in out)
    registration = await repo.get("staff_chen")
    assert registration.verified and registration.verified_by == "grid"
    assert any(e["action"] == "household_verify" for e in await console.runtime.services.audit.entries())

    households = await verified_households(console.runtime.settings.community, repo, "3")
    assert households["3-1-301"] == ["staff_chen", "vol_zhao"] or sorted(households["3-1-301"]) == \
        ["staff_chen", "vol_zhao"]


async def test_file_households_count_as_verified_and_moving_needs_verification(console):
    community = console.runtime.settings.community
    repo = Households(console.runtime.store)
    members = await memberships(community, repo)
    assert members["zhang"].household == "3-2-502" and members["zhang"].verified
    assert len(await verified_households(community, repo, "3")) == 8

    out = await say(console, "zhang", "登记 3-2-502")
    assert "已核实" in out[0]["text"]                       # the same unit the file gives
    await say(console, "zhang", "登记 4栋1单元909")            # she moved
    members = await memberships(community, repo)
    assert members["zhang"].household == "4-1-909" and not members["zhang"].verified
    assert len(await verified_households(community, repo, "3")) == 7
    out = await say(console, "zhang", "登记 火星")
    assert "登记 3栋2单元502" in out[0]["text"]


async def test_verifying_someone_not_registered(console):
    out = await say(console, "grid", "核实 @secretary")
    assert "还没有登记住户" in out[0]["text"]
    out = await say(console, "grid", "核实 @zhang")
    assert "来自社区名册" in out[0]["text"]
    out = await say(console, "grid", "核实 @nobody")
    assert "没有找到" in out[0]["text"]


def shared_server(redis_server):
    """The test server, so each command skips starting its own (the embedded path is
    covered by tests/test_polls_cli.py)."""
    return {"REDIS_URL": redis_server}


async def test_roster_import_and_unverified_listing(linli, tmp_path, redis, redis_server):
    data = ["--community", str(DEMO), "--data-dir", str(tmp_path)]
    env = shared_server(redis_server)
    roster = tmp_path / "roster.csv"
    roster.write_text("person id,name,household,verified\n"
                      "staff_chen,陈主任,3栋1单元301,yes\n"
                      "secretary,周书记,5-2-808,no\n"
                      "zhang,张阿姨,3-2-502,no\n", encoding="utf-8")
    result = linli("admin", "people", "import", str(roster), *data, env=env)
    assert result.returncode == 0, result.stderr
    assert "imported 3 row(s): 2 verified, 1 waiting" in result.stdout   # zhang's unit is the file's
    pending = json.loads(linli("admin", "people", "unverified", "--json", *data, env=env).stdout)
    assert [(p["person"], p["household"], p["source"]) for p in pending] == [("secretary", "5-2-808", "import")]
    assert linli("admin", "people", "verify", "secretary", *data, env=env).returncode == 0
    assert json.loads(linli("admin", "people", "unverified", "--json", *data, env=env).stdout) == []
    listed = json.loads(linli("admin", "people", "households", "--building", "5", "--json", *data, env=env).stdout)
    assert {"person": "secretary", "household": "5-2-808", "verified": True, "source": "import"} in listed


async def test_a_bad_roster_imports_nothing(linli, tmp_path, redis, redis_server):
    data = ["--community", str(DEMO), "--data-dir", str(tmp_path)]
    env = shared_server(redis_server)
    roster = tmp_path / "roster.csv"
    roster.write_text("staff_chen,陈主任,3栋1单元301,yes\n"
                      "ghost,某某,3-1-101,yes\n"
                      "secretary,王书记,3-1-101,yes\n"
                      "grid,林网格员,3栋,maybe\n", encoding="utf-8")
    result = linli("admin", "people", "import", str(roster), *data, env=env)
    assert result.returncode == 1
    for problem in ("roster.csv:2: unknown person 'ghost'", "roster.csv:3: secretary is '周书记'",
                    "roster.csv:4: '3栋' is not building-unit-room", "verified must be yes or no"):
        assert problem in result.stderr
    listed = json.loads(linli("admin", "people", "households", "--json", *data, env=env).stdout)
    assert not any(r["person"] == "staff_chen" for r in listed)
