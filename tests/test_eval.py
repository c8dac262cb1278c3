"""`linli eval` and nlp.evaluate: the metrics on hand-computed cases, and the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.evaluate import DataError, format_report, messages, read_labeled, read_lines, score

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def test_per_class_scores_macro_f1_and_confusion():
    pairs = [("A", "A"), ("A", "A"), ("A", "B"), ("B", "B"), ("B", "chitchat"),
             ("chitchat", "chitchat"), ("chitchat", "A"), ("chitchat", "chitchat"), ("chitchat", "chitchat")]
    report = score(pairs, ["A", "B"])
    a, b = report.classes
    assert (a.label, a.precision, a.recall) == ("A", 2 / 3, 2 / 3)
    assert (b.label, b.precision, b.recall) == ("B", 1 / 2, 1 / 2)
    assert report.macro_f1 == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert report.labels == ["A", "B", "chitchat"]
    assert report.matrix["A"]["B"] == 1 and report.matrix["chitchat"]["A"] == 1
    assert report.actionable_recall == pytest.approx(4 / 5)
    assert report.category_accuracy == pytest.approx(3 / 4)
    assert report.false_tickets == pytest.approx(1 / 4)
    text = format_report(report)
    assert "macro-F1" in text and "0.583" in text


def test_a_class_never_predicted_scores_zero_not_an_error():
    report = score([("A", "B"), ("B", "B")])
    assert report.classes[0].precision == 0 and report.classes[0].f1 == 0
    assert report.macro_f1 == pytest.approx((0 + 2 / 3) / 2)


@pytest.mark.parametrize("content, sep, expected", [
    ("text,label\n\"a, quoted\",X\nb,Y\n", ",", [("a, quoted", "X"), ("b", "Y")]),
    ("msg\tcat\nhello\tX\n", "\t", [("hello", "X")]),
])
def test_reads_csv_and_tsv_with_named_columns(tmp_path, content, sep, expected):
    path = tmp_path / "data.txt"
    path.write_text(content, encoding="utf-8")
    columns = ("text", "label") if content.startswith("text") else ("msg", "cat")
    assert read_labeled(path, *columns) == expected


def test_bad_files_name_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("text\tlabel\nfine\tX\nno label here\t\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.tsv: line 3: empty label"):
        read_labeled(path)
    with pytest.raises(DataError, match=r"no column 'body'"):
        read_labeled(path, text_column="body")
    lines = tmp_path / "chat.txt"
    lines.write_text("早上好\n\n吃了吗\n", encoding="utf-8")
    assert read_lines(lines) == ["早上好", "吃了吗"]


@pytest.mark.parametrize("line, expected", [
    ("早上好", ["早上好"]),
    ("  吃了吗  ", ["吃了吗"]),
    ("", []),
    ("我 也 要 去 健 身\t我 一 直 懒", ["我 也 要 去 健 身", "我 一 直 懒"]),   # LCCC: turns
    ('{"dialog_id": "7", "text": "谢谢，再见", "turn": 4}', ["谢谢，再见"]),   # CrossWOZ
    ('{"text": "  "}', []),
    ('{"name": "x"}', ['{"name": "x"}']),                    # JSON without text: as typed
    ("{不是JSON}", ["{不是JSON}"]),
])
def test_a_line_of_a_chat_dump_holds_its_messages(line, expected):
    assert messages(line) == expected


def test_eval_command_prints_tables_and_json(linli, tmp_path):
    labeled = tmp_path / "set.csv"
    labeled.write_text("message,kind\n电梯坏了，麻烦来修一下,设施维修\n楼上半夜装修太吵了,噪音扰民\n"
                       "大家早上好,chitchat\n", encoding="utf-8")
    chat = tmp_path / "chat.txt"
    chat.write_text("哈哈哈\n晚安\n", encoding="utf-8")
    common = ["eval", "--labeled", str(labeled), "--text-column", "message", "--label-column", "kind",
              "--chitchat", str(chat)]
    table = linli(*common)
    assert table.returncode == 0, table.stderr
    assert "macro-F1" in table.stdout and "chit-chat chat.txt: 0/2" in table.stdout
    result = linli(*common, "--json")
    data = json.loads(result.stdout)
    assert data["macro_f1"] == 1.0 and data["false_tickets"] == 0.0
    assert data["confusion"]["设施维修"] == {"设施维修": 1}
    assert data["chitchat"]["chat.txt"] == {"messages": 2, "tickets": 0, "false_ticket_rate": 0.0}
    missing = linli("eval", "--labeled", str(labeled))
    assert missing.returncode == 2 and "no column 'text'" in missing.stderr


def test_eval_on_the_dev_set_meets_the_floors(linli):
    result = linli("eval", "--labeled", str(DATA / "resident_messages.tsv"), "--json")
    data = json.loads(result.stdout)
    assert data["actionable_recall"] >= 0.93 and data["category_accuracy"] >= 0.90
    assert data["false_tickets"] <= 0.01 and data["macro_f1"] >= 0.90
