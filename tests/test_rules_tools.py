"""`linli rules check` (every problem with its line) and `linli rules suggest` (log-odds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.rulecheck import check_file
from nlp.suggest import log_odds, suggest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"

GOOD = '''[categories."维修"]
keywords = ["电梯", "路灯"]
strong = ["漏水"]

[categories."其他"]
fallback = true
'''


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_clean_file_has_no_problems(tmp_path):
    assert check_file(_write(tmp_path, GOOD)) == []


@pytest.mark.parametrize("text, line, key, words", [
    (GOOD.replace('strong = ["漏水"]', 'strnog = ["漏水"]'), 3, "categories.维修.strnog", "unknown key"),
    (GOOD + '\n[categories."卫生"]\ndescription = "空的"\n', 8, "categories.卫生", "empty class"),
    (GOOD + '\n[categories."卫生"]\nkeywords = ["垃圾",\n  "路灯"]\n', 10, "categories.卫生.keywords",
     "'路灯' is also in categories.维修.keywords (line 2)"),
    (GOOD.replace('"路灯"]', '"路灯", "!!"]'), 2, "categories.维修.keywords", "never a whole jieba token"),
    (GOOD.replace("fallback = true", "fallback = 1"), 6, "categories.其他.fallback", "true or false"),
    ('[settings]\nauto_threshold = 0.3\n' + GOOD, 2, "settings.auto_threshold", "must not be below"),
])
def test_each_problem_names_its_line(tmp_path, text, line, key, words):
    problems = check_file(_write(tmp_path, text))
    assert any(p.line == line and p.key == key and words in p.message for p in problems), problems


def test_syntax_errors_name_the_line(tmp_path):
    [problem] = check_file(_write(tmp_path, GOOD.replace('strong = ["漏水"]', 'strong = ["漏水"')))
    assert problem.error and problem.line >= 3 and "TOML syntax error" in problem.message


def test_several_problems_are_all_reported(tmp_path):
    text = GOOD.replace("keywords", "keywordz") + '\n[urgency]\nwords = ["着火"]\n'
    keys = {p.key for p in check_file(_write(tmp_path, text))}
    assert {"categories.维修.keywordz", "urgency.words"} <= keys


def test_a_short_word_jieba_always_swallows_is_found_with_a_sample(tmp_path):
    path = _write(tmp_path, GOOD.replace('"路灯"]', '"路灯", "灯"]'))
    sample = ["台灯坏了", "我家台灯不亮", "买了个台灯", "电梯坏了"]   # "台灯" is one jieba word
    assert not any("'灯'" in p.message for p in check_file(path))
    [problem] = [p for p in check_file(path, sample) if "'灯'" in p.message]
    assert problem.line == 2 and not problem.error and "3 sample messages" in problem.message


def test_the_bundled_rules_have_no_errors():
    assert [p for p in check_file(ROOT / "nlp" / "rules" / "default.toml") if p.error] == []


def test_log_odds_ranks_the_discriminative_word_first():
    docs = ([(["电梯", "坏", "了"], "维修")] * 6 + [(["垃圾", "坏"], "卫生")] + [(["灯", "不亮", "了"], "维修")] * 3
            + [(["垃圾", "臭", "了"], "卫生")] * 6 + [(["早上好", "了"], "chitchat")] * 6)
    ranked = log_odds(docs)
    assert ranked["维修"][0].word == "电梯" and ranked["卫生"][0].word == "垃圾"
    assert all(c.word != "了" for c in ranked["维修"])      # a function word is no keyword
    mined = suggest(docs, min_count=3, min_z=0, known={"电梯"})
    assert [c.word for c in mined["维修"]][:1] == ["坏"]


def test_check_and_suggest_commands(linli, tmp_path):
    bad = _write(tmp_path, GOOD.replace("strong", "strnog"))
    result = linli("rules", "check", str(bad))
    assert result.returncode == 1
    assert f"{bad}:3: error: categories.维修.strnog: unknown key" in result.stdout
    assert linli("rules", "check").returncode == 0          # the bundled file
    mined = linli("rules", "suggest", "--labeled", str(DATA / "resident_messages.tsv"), "--top", "5")
    assert mined.returncode == 0, mined.stderr
    assert '[categories."噪音扰民"]' in mined.stdout and "[signals]" in mined.stdout
    block = mined.stdout.split('[categories."噪音扰民"]')[1].split("\n\n")[0]
    assert any(word in block for word in ("吵", "装修", "噪音", "太吵"))
