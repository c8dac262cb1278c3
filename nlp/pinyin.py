"""Messages typed in pinyin, read as the Chinese words they spell (issue #14):
"louxia you ren chou yan" reads as "楼下有人抽烟", "10 dong 2 danyuan dianti huai le" as
"10栋2单元电梯坏了".

A ``PinyinReader`` is built once per rule file: every word of the rules (and the small
words of ``nlp/lexicon/pinyin.toml``) is indexed by its toneless pinyin, the other
readings of its characters considered too ("着火" under zhao huo, zhe huo and zhuo huo,
the usual one first where two words share a pinyin). A message is
read only when it is mostly Latin letters that parse as pinyin syllables — run together
or not, tone numbers or marks tolerated, a few English words or numbers among them — and
not English ("the lift is broken" stays English: nlp/english.py reads that). The syllables
are then covered by known words with a small dynamic programme (fewest syllables left
over, then fewest typed words cut apart, then fewest words); a syllable no word covers
stays as it is, in Latin letters. Numbers stay, and a syllable after one is read as an
address word ("10 dong" → 10栋).

pypinyin's dictionaries are read once per process (about 0.3 s); the index of the default
rule file takes about 0.1 s to build.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import threading
import tomllib
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from nlp import english
from nlp.rules import SIGNAL_KEYS, Rules

LEXICON = Path(__file__).resolve().parent / "lexicon" / "pinyin.toml"

_TWO_LETTERS = re.compile(r"[a-z]{2}")
_ACCENTED = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")
_TONE_DIGIT = re.compile(r"(?<=[a-z])[1-5](?![0-9])")
_TOKENS = re.compile(r"(?P<w>[a-z][a-z']*)|(?P<n>[0-9]+)|(?P<c>[\u3400-\u9fff\uf900-\ufaff]+)|(?P<o>\S)")
_CJK_WORD = re.compile(r"[\u3400-\u9fff]+")
# Syllables that are English words too but, typed among pinyin, are nearly always pinyin:
# they never count as a sign that a message is English.
_PINYIN_FIRST = frozenset("a an ai ao he me men ma ta ni wo de le ne ren hen you shi hao "
                          "ba na zai hai dian yi er bu mei ye dou jiu yao".split())
MAX_VARIANTS = 24        # readings indexed per word (the product of its characters')
MAX_SEGMENTATIONS = 16   # ways of cutting one run-together token into syllables
MAX_TOKEN = 48           # letters of one run-together token read as pinyin (a URL is not)


class PinyinReader:
    def __init__(self, words: Iterable[str]):
        """`words`: the rule words, the likelier first where two share a pinyin."""
        lexicon = tomllib.loads(LEXICON.read_text(encoding="utf-8"))
        self._dictionaries = _dictionaries()
        self.syllables = self._dictionaries.syllables
        self._longest_syllable = max(map(len, self.syllables))
        self.after_number: dict[str, str] = dict(lexicon.get("after_number", {}))
        index: dict[tuple[str, ...], tuple[tuple[int, int, int], str]] = {}
        sources = (lexicon.get("prefer", []), [w for w in words if _CJK_WORD.fullmatch(w)])
        for source, group in enumerate(sources):
            for order, word in enumerate(group):
                for tier, key in self._readings(word):
                    rank = (tier, source, order)
                    if key not in index or rank < index[key][0]:
                        index[key] = (rank, word)
        # syllables → (word, 1 if only a second reading of it spells them)
        self.index = {key: (word, rank[0]) for key, (rank, word) in index.items()}
        self.longest = max(map(len, self.index), default=1)
        self._english = english.table()
        self._segmentations: dict[str, list[tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_rules(cls, rules: Rules) -> "PinyinReader":
        """Every word of a rule file, life and urgency words first (where two words share a
        pinyin, missing a fire costs more), then categories' strong words, topic words,
        signals, weak words, combo parts and a learned model's words."""
        words: list[str] = [*rules.life, *rules.urgency]
        for cat in rules.categories:
            words += cat.strong
        for cat in rules.categories:
            words += cat.keywords
        for name in ("problem", "request", "complaint", *SIGNAL_KEYS, "problem_chars"):
            words += getattr(rules.signals, name)
        for cat in rules.categories:
            words += cat.weak
            words += [w for combo in cat.combos for w in combo]
        words += [w for combo in rules.life_combos for part in combo for w in part]
        model = getattr(rules, "model", None)
        if model is not None:                   # a learned model's words count too
            words += model.words
        return cls(dict.fromkeys(words))

    # ── the index ──────────────────────────────────────────────────────────────────────

    def _readings(self, word: str):
        """(tier, syllables) for `word`: tier 0 its usual reading (pypinyin's phrase
        dictionary, else each character's first reading), tier 1 every other combination
        of its characters' first three readings, and ü typed as u (lv → lu)."""
        options = []
        for ch in word:
            readings = self._dictionaries.readings(ch)
            if not readings:
                return
            options.append(readings[:3])
        usual = self._usual(word, options)
        yield 0, usual
        if len(word) == 1:
            # one character under a second reading would take a syllable from a common
            # word ("xi" is also 屎, "qi" 宿): only the usual one
            return
        seen = {usual}
        for key in itertools.islice(itertools.product(*options), MAX_VARIANTS):
            for variant in (key, tuple(_u_for_v(s) for s in key)):
                if variant not in seen:
                    seen.add(variant)
                    yield 1, variant
        as_u = tuple(_u_for_v(s) for s in usual)
        if as_u not in seen:
            yield 1, as_u

    def _usual(self, word: str, options: list[list[str]]) -> tuple[str, ...]:
        """pypinyin's reading of `word`: the longest phrase of its dictionary at each place
        ("着火了" = 着火 + 了 → zhao huo le), else the character's first reading."""
        out: list[str] = []
        i = 0
        while i < len(word):
            for j in range(len(word), i + 1, -1):
                phrase = self._dictionaries.phrases.get(word[i:j])
                if phrase:
                    out += phrase.split()
                    i = j
                    break
            else:
                out.append(options[i][0])
                i += 1
        return tuple(out)

    # ── reading a message ──────────────────────────────────────────────────────────────

    def read(self, text: str) -> str | None:
        """`text` (normalised: lower case) with its pinyin read as Chinese words, or None
        when it is not a pinyin message or no known word is in it."""
        if not _TWO_LETTERS.search(text):
            return None
        if _ACCENTED.search(text):            # tone marks: diàntī → dianti
            text = _strip_tones(text)
        if len(_TONE_DIGIT.findall(text)) >= 2:   # tone numbers: dian4ti1 → dian'ti'
            text = _TONE_DIGIT.sub("'", text)
        tokens = [(m.lastgroup, m.group()) for m in _TOKENS.finditer(text)]
        words = [t for kind, t in tokens if kind == "w"]
        letters = sum(len(w) for w in words)
        if letters < 3 * sum(len(t) for kind, t in tokens if kind == "c"):
            return None
        parsed: dict[str, tuple[str, ...] | None] = {}
        pinyin = englishy = unknown = 0
        for word in words:
            cuts = self._segment(word)
            seen_as_english = (self._english.is_english(word.strip("'"))
                               and word not in _PINYIN_FIRST)
            if cuts and not seen_as_english:
                pinyin += 1
                parsed[word] = self._best_cut(cuts)
            else:
                parsed[word] = None
                if seen_as_english:
                    englishy += 1
                else:
                    unknown += 1
        long_word = any(parsed[w] and len(parsed[w]) >= 2 for w in words)
        if not (pinyin >= 2 or (pinyin == 1 and long_word)):
            return None
        if 3 * englishy > pinyin or unknown > max(1, len(words) // 5):
            return None
        return self._convert(tokens, parsed)

    def _segment(self, token: str) -> list[tuple[str, ...]]:
        """Every way (up to MAX_SEGMENTATIONS) of cutting `token` into pinyin syllables;
        an apostrophe is a cut that must be there ("xi'an")."""
        found = self._segmentations.get(token)
        if found is not None:
            return found
        if len(token) > MAX_TOKEN:
            return []
        cuts: list[tuple[str, ...]] = [()]
        for part in token.split("'"):
            if not part:
                continue
            options = self._split(part)
            cuts = [a + b for a in cuts for b in options][:MAX_SEGMENTATIONS]
            if not cuts:
                break
        if cuts == [()]:
            cuts = []
        with self._lock:
            if len(self._segmentations) > 50_000:
                self._segmentations.clear()
            self._segmentations[token] = cuts
        return cuts

    def _split(self, part: str) -> list[tuple[str, ...]]:
        ways: dict[int, list[tuple[str, ...]]] = {len(part): [()]}
        for start in range(len(part) - 1, -1, -1):
            here: list[tuple[str, ...]] = []
            for end in range(min(len(part), start + self._longest_syllable), start, -1):
                if part[start:end] in self.syllables and end in ways:
                    here += [(part[start:end],) + rest for rest in ways[end]]
                    if len(here) >= MAX_SEGMENTATIONS:
                        break
            if here:
                ways[start] = here[:MAX_SEGMENTATIONS]
        return ways.get(0, [])

    def _best_cut(self, cuts: list[tuple[str, ...]]) -> tuple[str, ...]:
        """The cut of fewest syllables, as pinyin is written ("dianti" is dian ti, not di an
        ti; "xian" is one syllable, xi'an two), then the one known words cover best
        ("fangan": fang an or fan gan)."""
        def score(cut):
            uncovered, _, rare, words, _ = self._cover(cut, [False] + [True] * (len(cut) - 1), None)
            return len(cut), uncovered, words + rare
        return min(cuts, key=score) if len(cuts) > 1 else cuts[0]

    def _cover(self, syllables: tuple[str, ...], inside: list[bool], after_number: bool | None):
        """Cover `syllables` with known words. `inside[i]`: syllable i continues the token of
        syllable i-1 (a word starting there cuts a typed word). The best cover leaves the
        fewest syllables over, then cuts the fewest typed words, then has the fewest words,
        a word read under a second reading counting as two ("you yi gu" is 有一股, not
        有蛇鼓; "shui bu zhao" is 睡不着, not 水不找). Returns (uncovered, cuts, second
        readings, words, pieces), pieces as (chinese or None, syllables)."""
        n = len(syllables)
        best: list[tuple] = [()] * (n + 1)
        best[n] = (0, 0, 0, 0, [])
        for i in range(n - 1, -1, -1):
            cut = 1 if inside[i] else 0
            choices = []
            for size in range(min(self.longest, n - i), 0, -1):
                key = syllables[i:i + size]
                found = self.index.get(key)
                if i == 0 and after_number and size == 1 and key[0] in self.after_number:
                    found = (self.after_number[key[0]], 0)
                if found is not None:
                    u, c, r, w, p = best[i + size]
                    choices.append((u, c + cut, r + found[1], w + 1, [(found[0], key)] + p))
            u, c, r, w, p = best[i + 1]
            choices.append((u + 1, c + cut, r, w + 1, [(None, syllables[i:i + 1])] + p))
            best[i] = min(choices, key=lambda x: (x[0], x[1], x[2] + x[3], x[2]))
        return best[0]

    def _convert(self, tokens, parsed) -> str | None:
        pieces: list[str] = []
        covered = total = 0
        run: list[str] = []
        inside: list[bool] = []
        run_after_number = False
        previous = None

        def flush():
            nonlocal covered, total
            if not run:
                return
            found = self._cover(tuple(run), inside, run_after_number)[-1]
            for word, key in found:
                total += len(key)
                if word is None:
                    pieces.append(" ".join(key))
                else:
                    covered += len(key)
                    pieces.append(word)
            run.clear()
            inside.clear()

        for kind, token in tokens:
            cut = parsed.get(token) if kind == "w" else None
            if cut:
                if not run:
                    run_after_number = previous == "n"
                run.extend(cut)
                inside.extend([False] + [True] * (len(cut) - 1))
            else:
                flush()
                if kind == "w":
                    pieces.append(self._english.word(token.strip("'")) or token)
                else:
                    pieces.append(token)
            previous = kind
        flush()
        if not covered or 2 * covered < total:
            return None
        return _join(pieces)


def _join(pieces: list[str]) -> str:
    """Chinese words and numbers meet ("10栋2单元电梯"); Latin words keep a space."""
    out = ""
    for piece in pieces:
        if out and (out[-1].isascii() and out[-1].isalpha() or piece[0].isascii() and piece[0].isalpha()):
            out += " "
        out += piece
    return out


def _strip_tones(text: str) -> str:
    """diàn → dian, lǜ → lv (ü, with or without a tone, is typed v)."""
    text = unicodedata.normalize("NFD", text).replace("u\u0308", "v")
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _u_for_v(syllable: str) -> str:
    return syllable.replace("v", "u") if syllable[:1] in ("l", "n") else syllable


class _Dictionaries:
    """pypinyin's character and phrase dictionaries, toneless, loaded once per process
    from pypinyin's own data files and kept in a compact form: importing pypinyin would keep
    its 47,000 phrases as lists of lists for the life of the process, objects the garbage
    collector would walk for as long as linli runs. Here they are strings."""

    def __init__(self):
        raw_chars, raw_phrases = _pypinyin_data()
        # every accented letter of the data → plain (ǜ → v), one str.translate a string
        accented = {ch for ch in "".join(raw_chars.values()) if not ch.isascii()}
        self._tones = str.maketrans({ch: _strip_tones(ch) for ch in accented})
        self._raw = {chr(int(code)): readings for code, readings in raw_chars.items()}
        self._chars: dict[str, tuple[str, ...]] = {}
        self.syllables = frozenset(s for reading in set(",".join(self._raw.values()).split(","))
                                   for s in _usable(reading.translate(self._tones)))
        self.phrases = {word: " ".join([p[0] for p in syllables]).translate(self._tones)
                        for word, syllables in raw_phrases.items()}

    def readings(self, ch: str) -> tuple[str, ...]:
        """`ch`'s toneless readings, most common first ("着": zhe, zhao, zhuo)."""
        found = self._chars.get(ch)
        if found is None:
            raw = self._raw.get(ch, "")
            found = tuple(dict.fromkeys(s for reading in raw.split(",") if reading
                                        for s in _usable(reading.translate(self._tones))))
            self._chars[ch] = found
        return found


def _usable(syllable: str) -> tuple[str, ...]:
    """A syllable as it is typed: ü as v, and as u after l/n (lv, lu); none for the
    vowel-less interjections (m, n, ng, hm, hng) and ê, which would let any run of
    consonants parse as pinyin."""
    if not (syllable.isascii() and syllable.isalpha() and any(v in syllable for v in "aeiouv")):
        return ()
    as_u = _u_for_v(syllable)
    return (syllable,) if as_u == syllable else (syllable, as_u)


_DICTIONARIES: _Dictionaries | None = None
_LOAD_LOCK = threading.Lock()


def _dictionaries() -> _Dictionaries:
    global _DICTIONARIES
    with _LOAD_LOCK:
        if _DICTIONARIES is None:
            _DICTIONARIES = _Dictionaries()
        return _DICTIONARIES


def _pypinyin_data() -> tuple[dict, dict]:
    spec = importlib.util.find_spec("pypinyin")
    folder = Path(next(iter(spec.submodule_search_locations))) if spec else None
    try:
        return tuple(json.loads((folder / name).read_text(encoding="utf-8"))
                     for name in ("pinyin_dict.json", "phrases_dict.json"))
    except (OSError, TypeError, ValueError):   # a pypinyin that keeps them elsewhere
        from pypinyin.phrases_dict import phrases_dict
        from pypinyin.pinyin_dict import pinyin_dict
        return pinyin_dict, phrases_dict
