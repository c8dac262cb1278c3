"""`linli admin` when something is asked wrongly or the reader goes away (issue #16): a
clear error naming the valid values and exit 2, never an empty answer; the CSV export as
Excel wants it; ledger adjust tells the person; ledger verify names a removed last entry
once. Run as users run them, in-process (the `linli` fixture, tests/conftest.py)."""

import csv
import io
import json
import logging
import sys

import pytest

from tests.conftest import DEMO

REPORTS = [
    {"from": "zhang", "text": "3号楼2单元楼道灯坏了，晚上看不见"},
    {"from": "grid", "text": "派单 #1 @vol_wang"},
    {"from": "r101", "text": "1号楼门口垃圾堆成山了，臭死了，没人清理"},
    {"advance": "2d"},            # #2: nobody responded within 24 h
]


@pytest.fixture
def cli(linli, redis_server, redis, tmp_path):
    def run(*args, stdin=""):
        return linli(*args, "--community", str(DEMO), "--data-dir", str(tmp_path), stdin=stdin,
                     env={"REDIS_URL": redis_server})
    return run


def script(lines):
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


# the command, what stderr says
ERRORS = [
    (["tickets", "show", "abc"], ["'abc' is not a ticket number", "12 or #12"]),
    (["tickets", "triage", "confirm", "x1"], ["'x1' is not a ticket number"]),
    (["tickets", "list", "--category", "不存在"], ["unknown category '不存在'", "设施维修", "环境卫生"]),
    (["tickets", "list", "--category", "设施"], ["did you mean: 设施维修"]),
    (["tickets", "list", "--status", "sleeping"], ["unknown status 'sleeping'", "resolved", "已办结"]),
    (["tickets", "list", "--status", "已办"], ["did you mean: 已办结"]),
    (["ledger", "show", "--person", "nobody"], ["unknown person 'nobody'", "demo.toml"]),
    (["ledger", "show", "--person", "zhagn"], ["did you mean: zhang"]),
    (["ledger", "show", "--account", "person:nobody"], ["unknown person 'nobody'"]),
    (["ledger", "show", "--account", "bank"], ["unknown account 'bank'", "pool", "sink"]),
    (["ledger", "adjust", "张阿", "5", "--unit", "points", "--reason", "补记"], ["did you mean: 张阿姨"]),
    (["rewards", "redemptions", "--person", "nobody"], ["unknown person 'nobody'"]),
]


@pytest.mark.parametrize("args, says", ERRORS)
def test_a_wrong_value_is_an_error_naming_the_valid_ones(cli, args, says):
    ran = cli("admin", *args)
    assert ran.returncode == 2, (ran.returncode, ran.stdout, ran.stderr)
    assert [s for s in says if s not in ran.stderr] == [], ran.stderr
    assert "lambda" not in ran.stderr and "Traceback" not in ran.stderr
    assert ran.stdout == ""


def test_a_person_may_be_named_by_full_name_and_right_values_still_answer(cli):
    cli("console", "--fake-clock", stdin=script(REPORTS))
    by_name = cli("admin", "ledger", "show", "--person", "张阿姨", "--json")
    assert by_name.returncode == 0 and json.loads(by_name.stdout), by_name.stderr     # zhang's +5 for #1
    assert cli("admin", "ledger", "show", "--account", "person:zhang", "--json").stdout == by_name.stdout
    listed = json.loads(cli("admin", "tickets", "list", "--category", "设施维修", "--json").stdout)
    assert [t["id"] for t in listed] == [1]


@pytest.mark.parametrize("args", [["export"], ["export", "--csv"], ["export", "--out", "-"], ["export", "--out", "FILE"]])
def test_export_is_a_csv_for_excel_with_names_and_deadlines(cli, tmp_path, args):
    cli("console", "--fake-clock", stdin=script(REPORTS))
    path = tmp_path / "tickets.csv"
    ran = cli("admin", "tickets", *[str(path) if a == "FILE" else a for a in args])
    assert ran.returncode == 0, ran.stderr
    text = path.read_text(encoding="utf-8") if "FILE" in args else ran.stdout
    if "FILE" in args:
        assert ran.stdout == "" and str(path) in ran.stderr and "2 ticket(s)" in ran.stderr
    assert text.startswith("\ufeffid,status,")                      # Excel reads UTF-8 only with a BOM
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [r["id"] for r in rows] == ["1", "2"]
    first, second = rows
    assert (first["reporter"], first["reporter_name"], first["assignee_name"]) == ("zhang", "张阿姨", "王师傅")
    assert second["reporter_name"] and second["assignee"] == "" and second["assignee_name"] == ""
    assert second["overdue"] == "yes" and second["due"] == second["respond_due"] != ""   # nobody responded
    assert first["due"] == first["resolve_due"] != ""                # responded: resolving is next
    assert {"department_name", "respond_due", "resolve_due"} <= rows[0].keys()


def test_ledger_adjust_tells_the_person_privately(cli):
    given = cli("admin", "ledger", "adjust", "zhang", "+30", "--unit", "points", "--reason", "补记重阳活动积分")
    assert given.returncode == 0 and "balance now 30" in given.stdout and "张阿姨" in given.stdout
    taken = cli("admin", "ledger", "adjust", "张阿姨", "-1.5", "--unit", "hours", "--reason", "记错了")
    assert taken.returncode == 0, taken.stderr
    out = [json.loads(line) for line in cli("console", "--fake-clock").stdout.splitlines()]   # the bot runs
    told = [o["text"] for o in out if o["to"] == "@zhang"]
    assert told == ["社区工作人员给您加了 30 积分，原因：补记重阳活动积分。您现在有 30 积分。",
                    "社区工作人员给您减了 1.5 小时，原因：记错了。您现在有 -1.5 小时。有疑问请找社区工作人员。"], out
    assert cli("console", "--fake-clock").stdout == ""                # told once


async def test_ledger_verify_names_a_removed_last_entry_once(cli, redis):
    for n in (10, 20, 30):
        assert cli("admin", "ledger", "adjust", "zhang", str(n), "--unit", "points", "--reason", "x").returncode == 0
    await redis.rpop("linli:{demo}:ledger:entries")
    ran = cli("admin", "ledger", "verify")
    assert ran.returncode == 1
    about_3 = [line for line in ran.stdout.splitlines() if "entry 3" in line]
    assert about_3 == ["MISMATCH missing entry 3: the ledger holds 2 entries but its head says 3"], ran.stdout


class _Gone(io.StringIO):
    """A standard output whose reader went away (`| head` having read its lines)."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("args", [["classify"], ["admin", "tickets", "list"], ["admin", "ledger", "show"]])
def test_a_reader_going_away_ends_quietly(cli, redis_server, tmp_path, monkeypatch, args):
    """`linli … | head`: exit 141 (as a tool ended by SIGPIPE), no traceback."""
    from bot import cli as linli_cli, logsafe

    cli("console", "--fake-clock", stdin=script(REPORTS))
    cli("admin", "ledger", "adjust", "zhang", "5", "--unit", "points", "--reason", "x")
    options = [] if args == ["classify"] else ["--community", str(DEMO), "--data-dir", str(tmp_path)]
    err = io.StringIO()
    monkeypatch.setenv("REDIS_URL", redis_server)
    monkeypatch.setattr(sys, "stdin", io.StringIO("3号楼路灯坏了\n大家好\n"))
    monkeypatch.setattr(sys, "stdout", _Gone())
    monkeypatch.setattr(sys, "stderr", err)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        code = linli_cli.main([*args, *options])
    finally:
        logsafe.uninstall()
        root.handlers[:] = handlers
        root.setLevel(level)
    assert code == 141 and err.getvalue() == ""
