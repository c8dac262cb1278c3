"""Variants residents actually type: traditional characters, full-width forms, spaced-out
words, pinyin slips — read as the plain simplified message the rules are written for."""

import pytest

from nlp import Classifier
from nlp.normalize import normalize


@pytest.fixture(scope="module")
def classifier():
    return Classifier.from_file()


@pytest.mark.parametrize("typed, plain", [
    ("3號樓電梯壞了", "3号楼电梯坏了"),
    ("樓道燈不亮", "楼道灯不亮"),
    ("３号楼　路灯坏了", "3号楼路灯坏了"),
    ("楼 道 灯 不 亮", "楼道灯不亮"),
    ("聞到煤氣味", "闻到煤气味"),
    ("WIFI 斷了", "wifi 断了"),
])
def test_typed_forms_normalise_to_the_plain_one(typed, plain):
    assert normalize(typed) == plain


@pytest.mark.parametrize("typed, category, urgent, building", [
    ("3號樓2單元電梯壞了", "设施维修", False, "3"),
    ("5號樓門口垃圾沒人清理，臭死了", "环境卫生", False, "5"),
    ("聞到很重的煤氣味", "安全隐患", True, None),
    ("6号楼下水到堵了", "设施维修", False, "6"),          # a pinyin slip (到 for 道)
    ("楼 道 灯 坏 了", "设施维修", False, None),
])
def test_variants_are_classified_like_the_plain_message(classifier, typed, category, urgent, building):
    result = classifier.classify(typed)
    assert result.actionable and result.category == category and result.urgent == urgent
    assert (result.location.building if result.location else None) == building


@pytest.mark.parametrize("chitchat", ["大家早上好", "謝謝物業把路燈修好了", "今天天氣真好", "週末一起去爬山嗎"])
def test_traditional_chitchat_stays_quiet(classifier, chitchat):
    assert not classifier.classify(chitchat).actionable


def test_a_one_character_typo_in_a_long_word_counts_only_when_the_bot_is_addressed(classifier):
    typed = "楼道刷卡打不閞"                       # 刷卡打不开, the last character mistyped
    assert not classifier.classify(typed).actionable            # overheard in a group: quiet
    addressed = classifier.classify(typed, addressed=True)      # said to the bot: understood
    assert addressed.actionable and "刷卡打不开" in addressed.keywords
    assert not classifier.classify("大家早上好", addressed=True).actionable


def test_typo_matching_rescues_a_long_word():
    from nlp.segment import Segmenter
    segmenter = Segmenter(["化粪池满了"], fuzzy=["化粪池满了"])
    assert "化粪池满了" not in segmenter.find("楼下化粪次满了")
    assert "化粪池满了" in segmenter.find("楼下化粪次满了", typos=True)
    assert "化粪池满了" not in segmenter.find("今天天气很好", typos=True)
