"""Dialect words and particles to Mandarin (issue #14): "我困咗喺电梯度" reads as
"我困在电梯里", "部𨋢坏咗" as "电梯坏了", "侬屋里厢漏水了" as "你家里漏水了".

The table is data, ``nlp/lexicon/dialect.toml``: words replaced longest first, left to
right, never overlapping (one Aho-Corasick pass), then a few regular expressions for the
words whose meaning depends on what is next to them ("唔" before a verb, "11座"), run only
on a message that holds what one of them starts with. Called
by ``nlp.normalize.fold`` on simplified, lower-case text, for messages and rule words
alike.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import ahocorasick

TABLE = Path(__file__).resolve().parent / "lexicon" / "dialect.toml"


class DialectTable:
    def __init__(self, words: dict[str, str], patterns: list[tuple[str, str]]):
        self.words = words
        self.patterns = [(re.compile(p), to) for p, to in patterns]
        # One Aho-Corasick pass finds the words and tells whether a pattern may apply: each
        # pattern's leading characters ("唔", "有在") are in the automaton too, marked as
        # triggers, so most messages cost one C scan and no regular expression at all.
        triggers = {_leading_literal(p) for p, _ in patterns}
        for trigger in triggers:
            for i in range(1, len(trigger)):
                # a word starting inside a trigger would be hidden by it (longest match)
                clash = [k for k in words if k.startswith(trigger[i:])]
                if clash:
                    raise ValueError(f"dialect pattern trigger {trigger!r} hides {clash}")
        self._automaton = ahocorasick.Automaton()
        for trigger in triggers:
            self._automaton.add_word(trigger, (len(trigger), None, False))
        for key, value in words.items():
            self._automaton.add_word(key, (len(key), value, key.isascii()))
        if len(self._automaton):
            self._automaton.make_automaton()
        self._latin = tuple(k for k in words if k.isascii())

    @classmethod
    def load(cls, path: str | Path = TABLE) -> "DialectTable":
        from nlp.normalize import standard   # (normalize imports this module)

        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        words: dict[str, str] = {}
        for group, table in data.items():
            if group == "patterns":
                continue
            for raw, value in table.items():
                key = standard(raw).lower()
                if words.get(key, value) != value:
                    raise ValueError(f"{path}: [{group}] {raw!r}: listed twice with two meanings "
                                     f"({words[key]!r}, {value!r})")
                words[key] = value
        patterns = [(p["pattern"], p["to"]) for p in data.get("patterns", [])]
        return cls(words, patterns)

    def to_mandarin(self, text: str) -> str:
        """`text` (simplified, lower case) with every dialect word in Mandarin."""
        if text.isascii() and not any(k in text for k in self._latin):
            return text
        out, upto, triggered = [], 0, False
        for end, (size, value, latin) in self._automaton.iter_long(text):
            if value is None:
                triggered = True
                continue
            start = end - size + 1
            if latin and not _whole_word(text, start, end + 1):
                continue
            out.append(text[upto:start])
            out.append(value)
            upto = end + 1
        if out:
            out.append(text[upto:])
            text = "".join(out)
        if triggered:
            for rx, to in self.patterns:
                text = rx.sub(to, text)
        return text


def _whole_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalpha()) and not (after.isascii() and after.isalpha())


_LOOKAROUND = re.compile(r"\(\?<?[!=][^)]*\)")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]+")


def _leading_literal(pattern: str) -> str:
    """The Chinese characters every match of `pattern` starts with, its look-arounds aside
    ("(?<![所只])有在(?=…)" → 有在). Each pattern of the table starts its match with some."""
    found = _CJK_RUN.match(_LOOKAROUND.sub("", pattern))
    if not found:
        raise ValueError(f"dialect pattern {pattern!r}: must start with Chinese characters")
    return found.group()


_TABLE: DialectTable | None = None


def table() -> DialectTable:
    global _TABLE
    if _TABLE is None:
        _TABLE = DialectTable.load()
    return _TABLE


def to_mandarin(text: str) -> str:
    return (_TABLE or table()).to_mandarin(text)
