"""Text normalisation shared by keyword matching and location extraction.

Residents type on phones with full-width digits ("３号楼"), stray spaces from voice input
("楼道 灯 不亮"), mixed case ("WIFI") and traditional characters (a phone set to Hong Kong
or Taiwan input: "電梯壞了"). Rules are written once, in plain simplified form, so the
message is brought to that form instead of every keyword being written in every variant.
"""

from __future__ import annotations

import re
import unicodedata

from zhconv import zhconv as _zhconv

from nlp import dialect as _dialect
from nlp import english as _english

# CJK ideographs plus the CJK punctuation block: a space between two of these carries no
# meaning in Chinese, so it is removed; a space between Latin words is kept.
_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_IN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")
_LATIN_PAIR = re.compile(r"[a-z]{2}")   # no English word without two letters in a row

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_UNITS)


def _simplified_table() -> dict[int, str]:
    """Traditional to simplified, character by character (電→电, 壞→坏, 燈→灯): one
    str.translate, a few microseconds a message. Word-level conversions are left out:
    they matter for writing, hardly for spotting 电梯 or 漏水."""
    _zhconv.loaddict()
    pairs = _zhconv.zhcdicts["zh2Hans"].items()
    return str.maketrans({t: s for t, s in pairs if len(t) == 1 and len(s) == 1})


_SIMPLIFIED = _simplified_table()


def simplified(text: str) -> str:
    return text.translate(_SIMPLIFIED)


def nfkc(text: str) -> str:
    """Full-width forms to half-width ("３＃楼" -> "3#楼"), compatibility characters folded."""
    return unicodedata.normalize("NFKC", text)


def standard(text: str) -> str:
    """Half-width, simplified characters: the form addresses are read in."""
    return simplified(nfkc(text))


def normalize(text: str) -> str:
    """The form every keyword is matched against: NFKC, lower case, simplified characters,
    English and dialect words in Mandarin, no spaces inside CJK."""
    return fold(standard(text))


def fold(text: str) -> str:
    """`standard` text to the keyword form: lower case; a mostly English message read as
    the Chinese words it names ("the lift is broken" → 电梯坏了, nlp/english.py); no spaces
    inside CJK; dialect words in Mandarin ("部𨋢坏咗" → 电梯坏了, nlp/dialect.py). Pinyin is
    read later, by the classifier: which words it can spell depends on the rule file."""
    text = text.lower()
    if _LATIN_PAIR.search(text):
        text = _english.read(text) or text
    text = _dialect.to_mandarin(_SPACE_IN_CJK.sub("", text))
    return _SPACES.sub(" ", text).strip()


def cn_to_int(numeral: str) -> int | None:
    """Parse a Chinese (or Arabic) numeral as residents write building numbers.

    Handles "三" -> 3, "十二" -> 12, "二十三" -> 23, "一百零五" -> 105, and the digit-by-digit
    style "一二" -> 12 that appears in typed addresses. Returns None for anything else.
    """
    if not numeral:
        return None
    if numeral.isdigit():
        return int(numeral)
    if any(ch not in _DIGITS and ch not in _UNITS for ch in numeral):
        return None
    if not any(ch in _UNITS for ch in numeral):
        # "一二" is read digit by digit, as on a door plate.
        return int("".join(str(_DIGITS[ch]) for ch in numeral))
    total, current = 0, 0
    for ch in numeral:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        else:
            unit = _UNITS[ch]
            # A bare "十" at the start means ten ("十二" = 12), not zero tens.
            total += (current or 1) * unit
            current = 0
    return total + current
