"""Personal data in resident messages: mainland phone, ID-card and bank-card numbers,
and licence plates.

Group replies, logs and ticket summaries shown to other residents must not echo these,
so they are masked the way Chinese apps conventionally do ("138****5678"), which still
lets the reporter recognise their own number. Masking errs towards masking: an 18-digit
order number looks like an ID card and is masked too, which costs nothing.

Licence plates are not secret the way a phone number is, and staff need them to find a
car that blocks a fire lane; but a group must not learn whose car is whose, so they are
masked in group replies only (``mask_group``), and kept in tickets and private messages.
"""

from __future__ import annotations

import re

# Digits are matched with [0-9] plus their full-width forms, not \d, so Arabic-Indic
# and other scripts' digits are not mistaken for a phone number.
_D = "[0-9０-９]"
_SEP = r"[ \-－]?"
_NOT_DIGIT_BEFORE = r"(?<![0-9０-９])"
_NOT_DIGIT_AFTER = r"(?![0-9０-９])"

_PATTERN = re.compile(
    # 18-character resident ID: 6-digit region, 8-digit birth date, 3 digits, check digit
    # (0-9 or X). Tried first so its digits are not read as a phone number.
    rf"(?<![0-9０-９A-Za-z])(?P<id_head>{_D}{{6}}) ?(?P<id_mid>{_D}{{8}}) ?"
    rf"(?P<id_tail>{_D}{{3}}[0-9０-９XxＸｘ])(?![0-9０-９A-Za-z])"
    # Bank card: 16-19 digits starting 3-6 (UnionPay 62, Visa 4, Mastercard 5, Amex 3),
    # often written in groups of four. After the ID card, so an 18-digit run stays an ID.
    rf"|{_NOT_DIGIT_BEFORE}(?P<card>[3-6３-６](?:[ \-－]?{_D}){{15,18}}){_NOT_DIGIT_AFTER}"
    # Mobile: 1[3-9]x xxxx xxxx, also written with spaces or dashes and a +86 prefix.
    rf"|{_NOT_DIGIT_BEFORE}(?P<cc>(?:\+|＋)?86{_SEP})?(?P<mob_head>[1１][3-9３-９]{_D})"
    rf"{_SEP}(?P<mob_mid>{_D}{{4}}){_SEP}(?P<mob_tail>{_D}{{4}}){_NOT_DIGIT_AFTER}"
    # Landline: 0 + 2-3 digit area code, then 7-8 digits ("010-12345678", "0591 8765432").
    rf"|{_NOT_DIGIT_BEFORE}[(（]?(?P<area>[0０]{_D}{{2,3}})[)）]?{_SEP}"
    rf"(?P<local>{_D}{{7,8}}){_NOT_DIGIT_AFTER}"
)


def _mask(match: re.Match[str]) -> str:
    if match.group("id_head"):
        return f"{match.group('id_head')}{'*' * 8}{match.group('id_tail')[-4:]}"
    if match.group("card"):
        digits = [ch for ch in match.group("card") if ch.isdigit()]
        return f"{''.join(digits[:4])}{'*' * (len(digits) - 8)}{''.join(digits[-4:])}"
    if match.group("mob_head"):
        return f"{match.group('cc') or ''}{match.group('mob_head')}****{match.group('mob_tail')}"
    local = match.group("local")
    return f"{match.group('area')}-{'*' * (len(local) - 4)}{local[-4:]}"


def mask_pii(text: str) -> str:
    """Mask phone and ID-card numbers; every other character is returned unchanged."""
    return _PATTERN.sub(_mask, text)


def contains_pii(text: str) -> bool:
    return _PATTERN.search(text) is not None


def pii_spans(text: str) -> list[tuple[int, int]]:
    """Where the personal numbers are, so other extractors can skip those digits."""
    return [m.span() for m in _PATTERN.finditer(text)]


# Mainland plates: province abbreviation, city letter (no I or O), then 5 characters (6 for
# new-energy cars), sometimes with a dot or a space after the letter: 苏E·12345, 京AD12345.
_PLATE = re.compile(
    r"(?P<head>[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Za-hj-np-z])"
    r"[·•.\- ]?(?P<body>[A-HJ-NP-Za-hj-np-z0-9０-９]{5,6})(?![A-Za-z0-9０-９])")


def mask_plates(text: str) -> str:
    """苏E·12345 -> 苏E***45: enough for the owner to recognise, not for others to look up."""
    return _PLATE.sub(lambda m: f"{m.group('head')}{'*' * (len(m.group('body')) - 2)}"
                                f"{m.group('body')[-2:]}", text)


def mask_group(text: str) -> str:
    """What a group may see: personal numbers and licence plates masked."""
    return mask_plates(mask_pii(text))
