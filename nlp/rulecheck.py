"""`linli rules check`: every problem of a rule file at once, each with its line.

`Rules.load` stops at the first mistake, which is right at start-up; a community worker
editing the file wants the whole list, with line numbers, and also the mistakes that load
fine but make a word useless: a word listed in two categories (it helps neither), an
empty category (never chosen), a short word jieba never cuts out as a token (never
matched, because words under three characters must be whole tokens).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nlp.normalize import normalize
from nlp.rules import (CATEGORY_KEYS, CHAR_KEY, SETTINGS_KEYS, SIGNAL_KEYS, TOP_KEYS, URGENCY_KEYS,
                       RuleError, Rules)
from nlp.segment import SUBSTRING_MIN_LEN, Segmenter

WORD_LISTS = ("keywords", "strong", "weak")
_HEADER = re.compile(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_\-]*)\s*=")
_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


@dataclass(frozen=True)
class Problem:
    line: int            # 0 when no line can be named
    key: str
    message: str
    error: bool = True   # False: a warning; the file loads but a word is wasted

    def format(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        kind = "error" if self.error else "warning"
        return f"{where}: {kind}: {self.key}: {self.message}" if self.key else f"{where}: {kind}: {self.message}"


class _Lines:
    """Where each table, key and quoted word sits in the file (tomllib keeps no lines)."""

    def __init__(self, text: str):
        self.keys: dict[str, int] = {}
        self.words: dict[tuple[str, str], int] = {}    # (dotted key, normalised word) -> line
        table, key = "", ""
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                table = ".".join(p.strip().strip('"') for p in _split_dotted(header.group(1)))
                key = ""
                self.keys.setdefault(table, number)
                continue
            found = _KEY.match(line)
            if found:
                key = f"{table}.{found.group(1)}" if table else found.group(1)
                self.keys.setdefault(key, number)
            code = line.split("#", 1)[0] if '"' not in line.split("#", 1)[0] else line
            for raw in _STRING.findall(code):
                try:
                    word = normalize(json.loads(f'"{raw}"'))
                except ValueError:
                    continue
                self.words.setdefault((key, word), number)

    def of(self, key: str, word: str | None = None) -> int:
        if word is not None and (key, word) in self.words:
            return self.words[(key, word)]
        while key:
            if key in self.keys:
                return self.keys[key]
            key = key.rpartition(".")[0]
        return 0


def _split_dotted(name: str) -> list[str]:
    return re.findall(r'"[^"]*"|[^.]+', name)


def check_file(path: str | Path, sample: Iterable[str] = ()) -> list[Problem]:
    """All problems of a rule file; `sample` messages let the token check use real text."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(0, "", f"cannot read the rule file: {exc}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        return [Problem(int(line.group(1)) if line else 0, "", f"TOML syntax error: {exc}")]
    lines = _Lines(text)
    problems = _unknown_keys(data, lines) + _empty_classes(data, lines)
    if not any(p.error for p in problems):
        try:
            rules = Rules.from_dict(data, source=str(path))
        except RuleError as exc:
            key, _, message = str(exc).removeprefix(f"{path}: ").partition(": ")
            problems.append(Problem(lines.of(key), key, message or key))
        else:
            problems += _shared_words(rules, lines) + _untokenisable(rules, lines, sample)
    return sorted(problems, key=lambda p: (p.line, p.key))


def _unknown_keys(data: dict, lines: _Lines) -> list[Problem]:
    found = []

    def walk(table, where: str, allowed) -> None:
        if not isinstance(table, dict):
            return
        for key in table:
            if key not in allowed:
                full = f"{where}.{key}" if where else key
                found.append(Problem(lines.of(full), full,
                                     f"unknown key (expected one of {', '.join(allowed)})"))

    walk(data, "", TOP_KEYS)
    walk(data.get("settings"), "settings", SETTINGS_KEYS)
    walk(data.get("urgency"), "urgency", URGENCY_KEYS)
    walk(data.get("signals"), "signals", SIGNAL_KEYS + (CHAR_KEY,))
    for name, body in (data.get("categories") or {}).items():
        walk(body, f"categories.{name}", CATEGORY_KEYS)
    return found


def _empty_classes(data: dict, lines: _Lines) -> list[Problem]:
    found = []
    for name, body in (data.get("categories") or {}).items():
        if not isinstance(body, dict) or body.get("fallback"):
            continue
        if not any(body.get(k) for k in ("keywords", "strong", "combos")):
            key = f"categories.{name}"
            found.append(Problem(lines.of(key), key, "empty class: no keywords, strong words or "
                                 "combos, so it can never be chosen"))
    return found


def _shared_words(rules: Rules, lines: _Lines) -> list[Problem]:
    """A word in two categories adds the same points to both: it cannot tell them apart."""
    first: dict[str, str] = {}
    found = []
    for cat in rules.categories:
        for kind in WORD_LISTS:
            for word in getattr(cat, kind):
                key = f"categories.{cat.name}.{kind}"
                other = first.setdefault(word, key)
                if other.rsplit(".", 1)[0] != key.rsplit(".", 1)[0]:
                    found.append(Problem(lines.of(key, word), key,
                                         f"{word!r} is also in {other} (line {lines.of(other, word)})",
                                         error=False))
    return found


def _untokenisable(rules: Rules, lines: _Lines, sample: Iterable[str]) -> list[Problem]:
    """Short words must come out of jieba whole. Alone between punctuation they always do
    once added to the dictionary, unless they hold characters jieba splits apart; in real
    messages a neighbouring dictionary word can swallow them every time ("停电" in "停电动车")."""
    short = {w for w in rules.all_keywords() if len(w) < SUBSTRING_MIN_LEN}
    segmenter = Segmenter(rules.all_keywords())
    never: dict[str, int] = {}
    seen: dict[str, str] = {}
    for word in short:
        if segmenter.tokens(f"，{word}。") != ["，", word, "。"]:
            never[word] = -1
    counts: dict[str, list[int]] = {w: [0, 0] for w in short if w not in never}   # lost, as token
    for text in sample:
        norm = normalize(text)
        present = [w for w in counts if w in norm]
        if not present:
            continue
        found = segmenter.find(norm)
        for word in present:
            if word in found:
                counts[word][1] += 1
            elif not any(word in other for other in found):
                # Not even inside a longer rule word ("坏" in "坏了" is fine): lost.
                counts[word][0] += 1
                seen.setdefault(word, norm[:30])
    for word, (lost, tokens) in counts.items():
        if lost >= 3 and tokens == 0:
            never[word] = lost
    found = []
    for word, inside in never.items():
        key = _where(rules, word)
        if inside < 0:
            message = f"{word!r} is never a whole jieba token (it holds characters jieba cuts apart)"
        else:
            message = (f"{word!r} occurs in {inside} sample messages but jieba never cuts it out "
                       f"as a token and no longer rule word covers it (e.g. {seen[word]!r}); "
                       "add the phrase it sits in")
        found.append(Problem(lines.of(key, word), key, message, error=inside < 0))
    return found


def _where(rules: Rules, word: str) -> str:
    for cat in rules.categories:
        for kind in WORD_LISTS:
            if word in getattr(cat, kind):
                return f"categories.{cat.name}.{kind}"
    if word in rules.urgency:
        return "urgency.keywords"
    for name in SIGNAL_KEYS:
        if word in getattr(rules.signals, name):
            return f"signals.{name}"
    return ""
