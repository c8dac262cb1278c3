"""English messages read as the Chinese words the rules know (issue #14): "the lift in
building 5 is broken" reads as "电梯 5栋 坏了", "anyone smell gas in block 3??" as
"有人 闻到燃气 3栋 ??".

Only a message that is mostly English words is read: a Chinese message with "wifi" or
"ok" in it is left alone, and so is pinyin ("dianti huai le" is no English word). The
table, ``nlp/lexicon/english.toml``, is data: places ("block 3" → 3栋), words and phrases
(longest first), words dropped, and everyday words that only count as English. Called by
``nlp.normalize.fold`` on lower-case text.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "lexicon" / "english.toml"

# A word: letters, with inner apostrophes and hyphens ("isn't", "e-bike"). Anything else
# that is not a space (digits, Chinese, punctuation) is a piece that stays as it is.
_TOKENS = re.compile(r"(?P<w>[a-z]+(?:['’][a-z]+)*(?:-[a-z]+)*)|(?P<o>[^a-z\s]+)")
_TWO_LETTERS = re.compile(r"[a-z]{2}")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# At least this share of the Latin words must be known English for a message to be read.
ENGLISH_SHARE = 0.6


class EnglishTable:
    def __init__(self, words: dict[str, str], drop: set[str], known: set[str],
                 places: list[tuple[str, str]]):
        self.phrases = {tuple(k.split()): v for k, v in words.items()}
        self.longest = max((len(k) for k in self.phrases), default=1)
        self.drop = drop
        # every word the table knows counts as English, phrase parts too ("order" of
        # "out of order")
        self.known = known | drop | {w for k in self.phrases for w in k}
        self.places = [(re.compile(p), to) for p, to in places]

    @classmethod
    def load(cls, path: str | Path = TABLE) -> "EnglishTable":
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        words = {" ".join(k.lower().replace("’", "'").split()): v for k, v in data["words"].items()}
        return cls(words, set(data.get("drop", {}).get("words", [])),
                   set(data.get("known", {}).get("words", [])),
                   [(p["pattern"], p["to"]) for p in data.get("places", [])])

    def word(self, word: str) -> str | None:
        """The Chinese for one English word, also without an ending ("leaking" → 漏水)."""
        found = self.phrases.get((word,))
        if found is None:
            base = _stem(word, lambda w: (w,) in self.phrases)
            if base:
                found = self.phrases[(base,)]
        return found

    def is_english(self, word: str) -> bool:
        return word in self.known or _stem(word, self.known.__contains__) is not None

    def mostly_english(self, text: str) -> bool:
        """Mostly English words: Latin words outweigh Chinese characters three to one and
        at least 60% of them are words of the table (a name or a slang word may be
        among them)."""
        if not _TWO_LETTERS.search(text):
            return False
        words = [m.group("w") for m in _TOKENS.finditer(text) if m.group("w")]
        letters = sum(map(len, words))
        if letters < 3 * len(_CJK.findall(text)):
            return False
        return sum(self.is_english(w.replace("’", "'")) for w in words) >= ENGLISH_SHARE * len(words)

    def read(self, text: str) -> str | None:
        """`text` (lower case) with its English words in Chinese, or None when it is not
        mostly English or no word of it is in the table."""
        if not self.mostly_english(text):
            return None
        for rx, to in self.places:
            text = rx.sub(to, text)
        tokens = [(m.group("w").replace("’", "'"), True) if m.group("w") else (m.group("o"), False)
                  for m in _TOKENS.finditer(text)]
        out: list[str] = []
        changed = False
        i = 0
        while i < len(tokens):
            token, is_word = tokens[i]
            if not is_word:
                out.append(token)
                changed |= bool(_CJK.search(token))    # a place read ("3栋")
                i += 1
                continue
            # the longest phrase starting here, among the words up to the next other piece
            run = 0
            while i + run < len(tokens) and tokens[i + run][1] and run < self.longest:
                run += 1
            for size in range(run, 1, -1):
                value = self.phrases.get(tuple(t for t, _ in tokens[i:i + size]))
                if value is not None:
                    out.append(value)
                    changed = True
                    i += size
                    break
            else:
                value = self.word(token)
                if value is not None:
                    out.append(value)
                    changed = True
                elif token not in self.drop:
                    out.append(token)
                i += 1
        return " ".join(out) if changed else None


def _stem(word: str, known) -> str | None:
    """`word` without a plural or verb ending, if `known` knows that form: "leaks" → leak,
    "smoking" → smoke, "stopped" → stop."""
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            base = word[:-len(ending)]
            for candidate in (base, base + "e", base[:-1] if base[-1:] == base[-2:-1] else None):
                if candidate and known(candidate):
                    return candidate
    return None


_TABLE: EnglishTable | None = None


def table() -> EnglishTable:
    global _TABLE
    if _TABLE is None:
        _TABLE = EnglishTable.load()
    return _TABLE


def read(text: str) -> str | None:
    return table().read(text)
