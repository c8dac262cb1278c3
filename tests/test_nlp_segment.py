"""Keyword spotting settles most short keywords without segmenting the whole message
(nlp/segment.py); whatever shortcut it takes, the answer must be the one cutting the whole
message with jieba gives."""

import pytest

from nlp import Classifier
from nlp.evaluate import read_labeled, read_lines
from nlp.normalize import normalize
from nlp.segment import SUBSTRING_MIN_LEN, Segmenter, _is_han, _whole_word
from tests.test_nlp_classifier import DATA


def short_keywords_by_full_cut(segmenter, text: str) -> set[str]:
    """The rule for short keywords stated directly: a whole jieba token of the whole
    message, or a two-character piece of a longer Chinese token that is no keyword itself."""
    keywords = segmenter._keywords
    found, pos = set(), 0
    for token in segmenter._tokenizer.lcut(text, HMM=False):
        at, pos = pos, pos + len(token)
        if token in keywords and len(token) < SUBSTRING_MIN_LEN:
            if not (token.isascii() and token.isalnum()) or _whole_word(text, at, pos):
                found.add(token)
        elif token not in keywords and len(token) > 2 and _is_han(token[0]):
            found |= {token[i:i + 2] for i in range(len(token) - 1) if token[i:i + 2] in keywords}
    return found


@pytest.fixture(scope="module")
def segmenter():
    classifier = Classifier.from_file()
    classifier.warm_up()
    return classifier._scorer.segmenter


TRICKY = ["停电动车", "楼道停电了", "电梯间灯坏了", "请问物业电话", "申请车位", "哈哈哈哈",
          "it's broken, ok?", "3号楼2单元的车库门坏了", "wifi?", "下车库的路灯不亮",
          "楼上邻居家漏水，滴到我家", "。。。漏", "吵死了！！！楼上装修"]


def uncovered(words: set[str], text: str) -> set[str]:
    """The words that occur somewhere outside every longer one: only those count."""
    def spans(word):
        return [(i, i + len(word)) for i in range(len(text)) if text.startswith(word, i)]
    return {w for w in words
            if any(not any(a <= s and e <= b for h in words if len(h) > len(w) for a, b in spans(h))
                   for s, e in spans(w))}


def test_short_keywords_match_what_cutting_the_whole_message_gives(segmenter):
    texts = [t for t, _ in read_labeled(DATA / "resident_messages.tsv")]
    texts += read_lines(DATA / "chitchat_messages.txt") + TRICKY
    wrong = []
    for text in map(normalize, texts):
        # Slips ("下水到") are found without jieba; the rule above is about literal words.
        found = {w for w in segmenter.find(text) if w in text}
        long = {w for w in found if len(w) >= SUBSTRING_MIN_LEN}
        short = {w for w in uncovered(found, text) if len(w) < SUBSTRING_MIN_LEN}
        expected = short_keywords_by_full_cut(segmenter, text)
        expected = {w for w in uncovered(expected | long, text) if len(w) < SUBSTRING_MIN_LEN}
        if short != expected:
            wrong.append((text, sorted(short ^ expected)))
    assert not wrong, wrong[:5]
    assert len(texts) > 1500


@pytest.mark.parametrize("text, present, absent", [
    ("停电动车", set(), {"停电"}),
    ("楼道停电", {"停电"}, set()),
    ("请问物业电话", {"请问"}, {"请"}),
    ("it's broken", set(), {"ok"}),
])
def test_a_keyword_inside_another_word_is_not_found(segmenter, text, present, absent):
    found = segmenter.find(normalize(text))
    assert present <= set(found) and not absent & set(found)


def test_remembered_cuts_are_forgotten_when_the_dictionary_grows():
    """jieba's cut of a stretch is remembered (it recurs message after message); a word
    the community adds changes cuts, so what was remembered goes."""
    segmenter = Segmenter(set())
    stretch = "住在翠微花苑小区"
    before = segmenter._cut(stretch)
    assert "翠微花苑" not in before and segmenter._cut(stretch) is before   # remembered
    segmenter.add_words(["翠微花苑"])
    assert "翠微花苑" in segmenter._cut(stretch)
