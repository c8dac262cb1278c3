"""The `linli` command as users run it: in-process through the `linli` fixture
(tests/conftest.py), and the installed `linli` script once, in a process of its own."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CLI_ENV, DEMO, ROOT


def test_help_lists_every_subcommand(linli):
    out = linli("--help").stdout
    for command in ("run", "worker", "console", "classify", "admin"):
        assert command in out


def test_classify_writes_one_json_object_per_line(linli):
    result = linli("classify", stdin="3号楼2单元502路灯坏了\n大家早上好\n\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert {"text", "actionable", "category", "urgent", "confidence", "keywords", "location"} <= set(row)
    assert rows[0]["actionable"] and rows[0]["category"] == "设施维修"
    assert rows[0]["location"]["building"] == "3"
    assert not rows[1]["actionable"] and rows[1]["category"] is None


def test_classify_reads_conversation_turns_and_json_lines(linli):
    stdin = '早上好\t3号楼路灯坏了\n{"dialog_id": "1", "text": "电梯困人了"}\n'
    result = linli("classify", stdin=stdin)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["早上好", "3号楼路灯坏了", "电梯困人了"]
    assert [r["actionable"] for r in rows] == [False, True, True]


@pytest.mark.parametrize("content, expected", [
    ('[community]\nid = "x"\nname = "x"\n[sla]\nresolve_hours = "soon"\n', "sla.resolve_hours: must be a positive number"),
    ('[community]\nid = "x"\n', "community.name: is required"),
])
def test_a_broken_community_file_stops_start_up_naming_the_key(linli, tmp_path, content, expected):
    path = tmp_path / "broken.toml"
    path.write_text(content, encoding="utf-8")
    result = linli("admin", "tickets", "list", "--community", str(path), "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert str(path) in result.stderr and expected in result.stderr


def test_a_broken_rule_file_stops_start_up(linli, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[categories\n", encoding="utf-8")
    result = linli("classify", "--rules", str(rules), stdin="路灯坏了\n")
    assert result.returncode == 2 and "rules.toml" in result.stderr


def test_admin_lists_shows_and_exports(linli, tmp_path):
    data = ["--community", str(DEMO), "--data-dir", str(tmp_path)]
    script = ('{"from": "zhang", "text": "3号楼路灯坏了"}\n'
              '{"from": "r101", "chat": "b1", "text": "1号楼门口垃圾堆成山了，臭死了，没人清理"}\n')
    assert linli("console", *data, stdin=script).returncode == 0
    listed = json.loads(linli("admin", "tickets", "list", "--json", *data).stdout)
    assert [t["id"] for t in listed] == [1, 2]
    only = json.loads(linli("admin", "tickets", "list", "--category", "环境卫生", "--json", *data).stdout)
    assert [t["id"] for t in only] == [2]
    assert json.loads(linli("admin", "tickets", "list", "--status", "待受理", "--json", *data).stdout)
    shown = json.loads(linli("admin", "tickets", "show", "#1", "--json", *data).stdout)
    for key in ("id", "status", "category", "urgent", "reporter", "assignee", "rating", "created_at", "history"):
        assert key in shown
    assert shown["history"][0].keys() >= {"at", "by", "action", "note"}
    missing = linli("admin", "tickets", "show", "99", *data)
    assert missing.returncode == 1 and "没有找到" in missing.stderr
    exported = linli("admin", "tickets", "export", "--csv", *data).stdout.splitlines()
    assert exported[0].startswith("\ufeffid,status") and len(exported) == 3     # a BOM, for Excel (#16)
    bad = linli("admin", "tickets", "list", "--status", "sleeping", *data)
    assert bad.returncode == 2 and "unknown status" in bad.stderr


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def installed_linli() -> list[str]:
    """The `linli` script pip installed beside this interpreter (`python -m bot.cli` if the
    package is not installed)."""
    script = Path(sys.executable).with_name("linli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def test_run_serves_health_and_stops_cleanly_on_sigterm(tmp_path):
    """The one run of the real `linli` script, in a process of its own (signals, the
    embedded server started and shut down by a separate process)."""
    import signal
    import time
    import urllib.request

    port = free_port()
    env = {name: value for name, value in os.environ.items() if name not in CLI_ENV}
    proc = subprocess.Popen([*installed_linli(), "run", "--community", str(DEMO),
                             "--data-dir", str(tmp_path), "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = None
        # A fresh install's first `linli run` compiles every module and loads jieba, and its
        # worker process starts after it: /healthz says 503 until a worker is alive.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                    body = json.loads(response.read())
                    break
            except OSError:
                time.sleep(0.1)
        assert body is not None and body["status"] == "ok" and body["community"] == "demo"
        assert body["inbound_backlog"] == 0 and "workers" in body
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopping" in err
