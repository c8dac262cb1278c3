"""Rule files: the bundled default loads, custom files work, mistakes are named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import Classifier, RuleError
from nlp.rules import DEFAULT_RULES, Rules

MINIMAL = """
[settings]
auto_threshold = 0.7

[categories."设施维修"]
keywords = ["电梯", "路灯"]
strong = ["漏水"]

[categories."其他"]
fallback = true

[signals]
problem = ["坏了"]
notice = ["通知"]
"""


def write(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_rules_load_and_are_rich():
    rules = Rules.load()
    assert rules.source == str(DEFAULT_RULES)
    assert rules.fallback.name == "其他"
    for cat in rules.categories:
        if not cat.fallback:
            assert len(cat.keywords) + len(cat.strong) >= 40, cat.name
    assert len(rules.urgency) >= 20
    assert Classifier.from_file(DEFAULT_RULES).categories == Classifier.from_file().categories


def test_minimal_custom_file(tmp_path):
    clf = Classifier.from_file(write(tmp_path, MINIMAL))
    assert clf.categories == ("设施维修", "其他")
    assert clf.auto_threshold == 0.7
    assert clf.actionable_threshold == 0.5
    report = clf.classify("电梯坏了")
    assert report.actionable and report.category == "设施维修"
    assert not clf.classify("电梯").actionable
    assert clf.classify("漏水").actionable
    assert not clf.classify("通知：电梯坏了").actionable


def test_keywords_are_normalised_like_messages(tmp_path):
    path = write(tmp_path, MINIMAL.replace('"路灯"', '"ＷＩＦＩ"'))
    rules = Rules.load(path)
    assert "wifi" in rules.categories[0].keywords
    assert Classifier(rules).classify("WiFi坏了").category == "设施维修"


@pytest.mark.parametrize("mutation, key, problem", [
    (lambda t: t.replace('keywords = ["电梯", "路灯"]', "keywords = []"),
     "categories.设施维修.keywords", "must be a non-empty list of strings"),
    (lambda t: t.replace('keywords = ["电梯", "路灯"]', 'keywords = "电梯"'),
     "categories.设施维修.keywords", "must be a non-empty list of strings"),
    (lambda t: t.replace('keywords = ["电梯", "路灯"]', 'keywords = ["电梯", 3]'),
     "categories.设施维修.keywords", "must be a non-empty list of strings"),
    (lambda t: t.replace('keywords = ["电梯", "路灯"]', 'keywords = ["电梯", " "]'),
     "categories.设施维修.keywords", "empty keyword"),
    (lambda t: t.replace('keywords = ["电梯", "路灯"]\n', ""),
     "categories.设施维修.keywords", "missing"),
    (lambda t: t.replace("keywords = [", "keyword = ["),
     "categories.设施维修.keyword", "did you mean 'keywords'"),
    (lambda t: t.replace("auto_threshold = 0.7", "auto_threshold = 1.5"),
     "settings.auto_threshold", "between 0 and 1"),
    (lambda t: t.replace("auto_threshold = 0.7", 'auto_threshold = "high"'),
     "settings.auto_threshold", "must be a number"),
    (lambda t: t.replace("auto_threshold = 0.7", "auto_threshold = true"),
     "settings.auto_threshold", "must be a number"),
    (lambda t: t.replace("auto_threshold = 0.7", "auto_threshold = 0.3"),
     "settings.auto_threshold", "actionable_threshold"),
    (lambda t: t.replace("[settings]", "[settings]\nlanguage = \"zh\""),
     "settings.language", "unknown key"),
    (lambda t: t + "\n[extras]\nx = 1\n", "extras", "unknown key"),
    (lambda t: t.replace("fallback = true", "fallback = false"),
     "categories.其他.keywords", "missing"),       # no longer a fallback: needs words
    (lambda t: t.replace('strong = ["漏水"]', 'strong = ["漏水"]\nfallback = true'),
     "categories", "exactly one category must have fallback = true (found 2"),
    (lambda t: t.replace("fallback = true", 'fallback = "yes"'),
     "categories.其他.fallback", "must be true or false"),
    (lambda t: t.replace('problem = ["坏了"]', "problem = []"),
     "signals.problem", "must be a non-empty list of strings"),
    (lambda t: t.replace('problem = ["坏了"]', 'problems = ["坏了"]'),
     "signals.problems", "did you mean 'problem'"),
    (lambda t: t.replace('problem = ["坏了"]', 'problem_chars = ["臭", "漏水"]'),
     "signals.problem_chars", "single characters"),
    (lambda t: t.replace('strong = ["漏水"]', 'combos = [["电动车"]]'),
     "categories.设施维修.combos[0]", "two or more"),
    (lambda t: t.replace('strong = ["漏水"]', 'combos = "电动车+充电"'),
     "categories.设施维修.combos", "list of word lists"),
    (lambda t: t.replace('[categories."其他"]\nfallback = true', ""),
     "categories", "exactly one category must have fallback = true"),
    (lambda t: t.replace('[categories."设施维修"]', '[categories."设施维修".keywords]'),
     "categories.设施维修.keywords", ""),
])
def test_rule_errors_name_file_key_and_problem(tmp_path, mutation, key, problem):
    path = write(tmp_path, mutation(MINIMAL))
    with pytest.raises(RuleError) as err:
        Rules.load(path)
    message = str(err.value)
    assert message.startswith(f"{path}: "), message
    assert f": {key}" in message, message
    assert problem in message, message
    assert isinstance(err.value, ValueError)


def test_the_example_message_shape(tmp_path):
    path = write(tmp_path, MINIMAL.replace('keywords = ["电梯", "路灯"]', "keywords = []"))
    with pytest.raises(RuleError, match=r"rules\.toml: categories\.设施维修\.keywords: "
                                        r"must be a non-empty list of strings$"):
        Classifier.from_file(path)


def test_toml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, MINIMAL.replace('keywords = ["电梯", "路灯"]', 'keywords = ["电梯",'))
    with pytest.raises(RuleError) as err:
        Rules.load(path)
    assert str(err.value).startswith(f"{path}: TOML syntax error")
    assert "line" in str(err.value)


def test_missing_file_and_bad_encoding(tmp_path):
    with pytest.raises(RuleError, match="cannot read"):
        Rules.load(tmp_path / "nope.toml")
    bad = tmp_path / "gbk.toml"
    bad.write_bytes(MINIMAL.encode("gbk"))
    with pytest.raises(RuleError, match="not UTF-8"):
        Rules.load(bad)


def test_weak_combo_and_service_semantics(tmp_path):
    text = """
[categories."安全隐患"]
keywords = ["消防通道"]
weak = ["楼道"]
combos = [["电动车", "充电"]]

[categories."托育教育"]
keywords = ["托管班"]
service = true

[categories."其他"]
fallback = true

[signals]
problem = ["堵了"]
request = ["吗"]
"""
    clf = Classifier.from_file(write(tmp_path, text))
    combo = clf.classify("有人把电动车推到楼道里充电")
    assert combo.actionable and combo.category == "安全隐患"
    assert "电动车+充电" in combo.keywords
    assert not clf.classify("楼道堵了").actionable   # a weak word is never the topic
    assert clf.classify("社区有托管班吗").category == "托育教育"
    assert not clf.classify("托管班").actionable


REPEATS = """
[categories."停车交通"]
keywords = ["公交", "车位", "停车"]

[categories."设施维修"]
keywords = ["道路", "路灯"]

[categories."其他"]
fallback = true

[signals]
problem = ["太少"]
"""


@pytest.mark.parametrize("text, category", [
    ("公交太少，道路也窄", "停车交通"),                           # 1 : 1, the first listed
    ("道路坑多，道路积水，道路没灯，公交太少，车位太少", "设施维修"),   # 3 : 2
    ("道路道路道路道路道路，公交、车位、停车都太少", "停车交通"),    # 3 (not 5) : 3
])
def test_a_repeated_word_weighs_up_to_three_times_in_the_category(tmp_path, text, category):
    assert Classifier.from_file(write(tmp_path, REPEATS)).classify(text).category == category


def test_repeating_a_topic_word_does_not_make_a_report(tmp_path):
    clf = Classifier.from_file(write(tmp_path, REPEATS))
    once, thrice = clf.classify("今天坐公交"), clf.classify("今天坐公交，公交，公交")
    assert not once.actionable and not thrice.actionable
    assert once.confidence == pytest.approx(thrice.confidence)
