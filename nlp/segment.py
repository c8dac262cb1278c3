"""jieba segmentation and keyword spotting.

Each Segmenter owns a private ``jieba.Tokenizer``: adding rule keywords to the global
jieba dictionary would leak one community's rules into every other user of jieba in the
process (and into tests), so the global tokenizer is never touched.
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable

import ahocorasick
import jieba
from rapidfuzz import fuzz, process

# jieba logs "Building prefix dict ..." at DEBUG to stderr on first use; `linli classify`
# writes JSON lines and operators read stderr, so only real problems get through.
logging.getLogger("jieba").setLevel(logging.WARNING)

# Substring matching is used for keywords this long and longer, on top of token matching:
# two overlapping keywords ("楼道灯" + "灯不亮" in "楼道灯不亮") cannot both be one jieba
# token, and a three-character phrase is specific enough not to match by accident.
# Shorter keywords must be whole tokens, so "停电" does not fire inside "停电动车".
SUBSTRING_MIN_LEN = 3
TYPO_MIN_LEN = 4        # shorter words differ in meaning by one character ("电梯好" / "电梯坏")
TYPO_THRESHOLD = 80.0   # rapidfuzz partial_ratio; chosen with bench/typos.py
# jieba's suggested frequency only just beats a keyword's own pieces, so a common
# dictionary word next to it still wins ("月租车位" -> 月/租车/位). Giving keywords the
# weight of an ordinary everyday word lets them come out whole; two keywords competing
# for a character are then decided by the rest of the dictionary, as before.
KEYWORD_FREQ_FLOOR = 1000
CUTS_KEPT = 20_000   # remembered jieba cuts of short stretches (a few MB at most)
# Residents type with pinyin input and pick the wrong homophone ("下水到", "躁音",
# "垃圾筒", "电悌"). A keyword also matches with one character swapped for one of
# these common slips; arbitrary one-character differences would match far too much
# ("电梯好" is not "电梯坏").
_SLIPS = ("道到 筒桶 躁噪 燥噪 悌梯 坐座 帐账 按安 园圆 圾级 "
          "漏露 务物 页业 废费 炒吵 登灯 怀坏 休修 赌堵 馆管 搂楼 绕扰 优幼 拖托 样养 衣医 "
          "宝保 报保 政证 护户 底低 正政 资咨 寻询 义议 件建 临邻 究纠 分纷 引隐 换患 销消 "
          "房防 然燃 汽气 点电 现线 冲充 住注 清青 洁结 卫为 生声 音因 呆待 装庄 淹腌")
CONFUSABLE: dict[str, set[str]] = {}
for _pair in _SLIPS.split():
    CONFUSABLE.setdefault(_pair[0], set()).add(_pair[1])
    CONFUSABLE.setdefault(_pair[1], set()).add(_pair[0])


def _whole_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


# What jieba cuts as one run of text (its `re_han_default` blocks); anything else is a
# token of one character.
_IN_BLOCK = jieba.re_han_default


class _Joins:
    """Every pair of adjacent characters inside some dictionary word, with how far into a
    word it can sit, for the whole process: jieba's own dictionary (about 300,000 pairs,
    built once in about half a second) plus every word a Segmenter adds. A pair of a word
    since dropped only costs a little speed; a missing pair would cost correctness, so
    pairs are only ever added."""

    def __init__(self):
        self.back: dict[str, int] = {}   # pair -> its furthest start inside a word
        self._lock = threading.Lock()
        self._base = False

    def learn(self, tokenizer: jieba.Tokenizer, words: Iterable[str]) -> None:
        with self._lock:
            if not self._base:
                words = [w for w, freq in tokenizer.FREQ.items() if freq]
                self._base = True
            back = self.back
            for word in words:
                for i in range(len(word) - 1):
                    pair = word[i:i + 2]
                    if back.get(pair, -1) < i:
                        back[pair] = i

    def seam(self, text: str, i: int, freq: dict[str, int]) -> bool:
        """No word of the dictionary `freq` (jieba's prefix dictionary) crosses position
        `i` of `text`: every word that could would hold the pair of characters there."""
        if i <= 0 or i >= len(text):
            return True
        back = self.back.get(text[i - 1:i + 1])
        if back is None:
            return True
        for start in range(i - 1, max(i - 2 - back, -1), -1):
            end = i + 1
            piece = text[start:end]
            while piece in freq:
                if freq[piece]:
                    return False
                end += 1
                if end > len(text):
                    break
                piece = text[start:end]
        return True


_JOINS = _Joins()


def _cut_windows(cut: Callable[[str], tuple[str, ...]], text: str,
                 windows: list[tuple[int, int]]) -> tuple[list[int], list[str]]:
    """jieba's tokens of the stretches of `text` between seams, with where each starts;
    overlapping stretches are cut once (both their edges are seams)."""
    starts: list[int] = []
    tokens: list[str] = []
    upto = 0
    for left, right in sorted(windows):
        left = max(left, upto)
        if left >= right:
            continue
        pos = left
        for token in cut(text[left:right]):
            starts.append(pos)
            tokens.append(token)
            pos += len(token)
        upto = right
    return starts, tokens


class Segmenter:
    """Cuts normalised text into tokens and reports which known keywords occur in it."""

    def __init__(self, keywords: Iterable[str], fuzzy: Iterable[str] = (), extra: Iterable[str] = (),
                 even_inside: Iterable[str] = (), presence: Iterable[str] = ()):
        """`fuzzy`: words also matched with one homophone slip; `extra`: further strings whose
        occurrences the caller wants from `occurrences` (combo parts, single characters);
        `even_inside`: short words the caller needs found even inside a longer found word;
        `presence`: strings only whether they occur matters (a learned model's words):
        `scan` returns them apart, so they cost nothing in the steps that need places."""
        self._keywords = frozenset(k for k in keywords if k)
        self._even_inside = frozenset(even_inside)
        self._long = frozenset(k for k in self._keywords if len(k) >= SUBSTRING_MIN_LEN)
        self._short = self._keywords - self._long
        self._fuzzy = frozenset(k for k in fuzzy if len(k) >= 2)
        self._typo_words = sorted(k for k in self._fuzzy if len(k) >= TYPO_MIN_LEN)
        self.typo_threshold: float | None = TYPO_THRESHOLD
        # variant with one common slip -> the words it stands for ("下水到" -> 下水道)
        self._slips: dict[str, list[str]] = {}
        for word in self._fuzzy:
            for i, ch in enumerate(word):
                for alt in CONFUSABLE.get(ch, ()):
                    self._slips.setdefault(word[:i] + alt + word[i + 1:], []).append(word)
        # One Aho-Corasick automaton finds every occurrence of every rule word, slip and
        # extra string in a single C pass; everything after works from that table instead
        # of scanning the message once per word (bench/classify.py).
        self._automaton = ahocorasick.Automaton()
        placed = self._keywords | self._slips.keys() | {w for w in extra if w}
        for word in placed:
            self._automaton.add_word(word, (word, len(word)))
        for word in set(presence) - placed:
            if word:
                self._automaton.add_word(word, (word, 0))   # size 0: presence only
        if len(self._automaton):
            self._automaton.make_automaton()
        self._tokenizer: jieba.Tokenizer | None = None
        self._cuts: dict[str, tuple[str, ...]] = {}   # see _cut
        self._alone: frozenset[str] = frozenset()   # short keywords jieba keeps whole on their own
        self._lock = threading.Lock()
        self._user_words: set[str] = set()

    @property
    def ready(self) -> bool:
        return self._tokenizer is not None

    def _load(self) -> jieba.Tokenizer:
        # Loading the dictionary takes ~0.5-1 s, so it happens once, on first use (or on an
        # explicit warm-up), and concurrent first callers wait for the same load.
        with self._lock:
            if self._tokenizer is None:
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                # Shortest first: suggest_freq for a long keyword is computed against the
                # dictionary as it stands, so its pieces should already be known words.
                for word in sorted(self._keywords, key=len):
                    freq = tokenizer.suggest_freq(word, False)
                    if len(word) > 1:
                        freq = max(freq, KEYWORD_FREQ_FLOOR)
                    tokenizer.add_word(word, freq)
                for word in self._user_words:
                    tokenizer.add_word(word, max(tokenizer.suggest_freq(word, False), KEYWORD_FREQ_FLOOR))
                self._alone = frozenset(w for w in self._short if not w.isascii()
                                        and tokenizer.lcut(w, HMM=False) == [w])
                _JOINS.learn(tokenizer, self._keywords | self._user_words)
                self._tokenizer = tokenizer
            return self._tokenizer

    def _cut(self, stretch: str) -> tuple[str, ...]:
        """jieba's cut of a stretch between seams, remembered: the same few stretches
        ("电梯坏了", "楼道灯") come back in message after message, and jieba's cut of one
        depends only on it and the dictionary."""
        tokens = self._cuts.get(stretch)
        if tokens is None:
            if len(self._cuts) >= CUTS_KEPT:
                self._cuts.clear()
            tokens = self._cuts[stretch] = tuple((self._tokenizer or self._load()).cut(stretch, HMM=False))
        return tokens

    def forget_cuts(self) -> None:
        self._cuts = {}

    def add_words(self, words: Iterable[str]) -> None:
        """A community's own words (estate, street and place names) kept whole, so
        "阳光花园" is not read as "阳光" + "花园"."""
        with self._lock:
            fresh = {w for w in words if w and w not in self._user_words}
            self._user_words |= fresh
            if fresh:
                self.forget_cuts()   # cuts made with the old dictionary
            if self._tokenizer is not None:
                for word in fresh:
                    self._tokenizer.add_word(word, max(self._tokenizer.suggest_freq(word, False), KEYWORD_FREQ_FLOOR))
                _JOINS.learn(self._tokenizer, fresh)

    def warm_up(self) -> None:
        self._load()

    def frequency(self, word: str) -> int:
        """How common jieba's dictionary says `word` is (0: not a word it knows)."""
        tokenizer = self._tokenizer or self._load()
        return tokenizer.FREQ.get(word) or 0

    def tokens(self, text: str) -> list[str]:
        tokenizer = self._tokenizer or self._load()
        # HMM off: unknown runs stay single characters instead of being glued into new
        # "words" that would swallow a one-character keyword such as "漏" or "吵".
        return [t for t in tokenizer.lcut(text, HMM=False) if t.strip()]

    def occurrences(self, text: str) -> dict[str, list[int]]:
        """Every start, in order, of every rule word, slip and extra string in `text`."""
        return self.scan(text)[0]

    def scan(self, text: str) -> tuple[dict[str, list[int]], set[str]]:
        """`occurrences`, and the presence-only strings the text contains."""
        at: dict[str, list[int]] = {}
        present: set[str] = set()
        if len(self._automaton):
            for end, (word, size) in self._automaton.iter(text):
                if not size:
                    present.add(word)
                elif word in at:
                    at[word].append(end - size + 1)
                else:
                    at[word] = [end - size + 1]
        return at, present

    def find(self, text: str, typos: bool = False,
             at: dict[str, list[int]] | None = None) -> dict[str, int]:
        """Every keyword found in `text`, with the position it was first seen; `at`: the
        text's `occurrences`, when the caller has them. `typos`: also long topic words typed
        with one character wrong, when no topic word matched."""
        if at is None:
            at = self.occurrences(text)
        found: dict[str, int] = {}
        short, slips = [], []
        for word, starts in at.items():
            if word in self._long:
                found[word] = starts[0]
            elif word in self._short:
                short.append(word)
            if word in self._slips:
                slips.append(word)
        if short:
            self._find_tokens(text, short, at, found, typos)
        for variant in slips:
            for word in self._slips[variant]:
                found.setdefault(word, at[variant][0])
        if typos and self.typo_threshold and not any(word in self._fuzzy for word in found):
            self._find_typos(text, found, self.typo_threshold)
        return found

    def _find_tokens(self, text: str, short: list[str], at: dict[str, list[int]],
                     found: dict[str, int], typos: bool) -> None:
        """Short keywords count only as whole jieba tokens, so "停电" does not fire inside
        "停|电动车". jieba's best path is a sum of word scores, so wherever no dictionary
        word crosses a position (a `_JOINS.seam`), every path passes through it and the
        text either side is cut independently: a keyword with seams at both edges is a
        token on its own, and otherwise only the stretch between the nearest seams around
        it is cut, with the very tokens cutting the whole message would give.

        A place inside a longer word already found ("请" in "请问", "车" in "停车场") is not
        looked at: a match there only counts where it is not covered, so it would be
        dropped anyway, unless the caller asked for the word `even_inside`, or it is a topic
        word whose presence decides whether typos are tried."""
        tokenizer = self._tokenizer or self._load()
        seam, pairs, alone, freq = _JOINS.seam, _JOINS.back, self._alone, tokenizer.FREQ
        length = len(text)
        windows: list[tuple[int, int]] = []
        unsettled: dict[str, list[int]] = {}
        hosts = [(s, s + len(w)) for w in found for s in at[w]]
        if len(short) > 1:
            short.sort(key=len, reverse=True)   # the words found first may cover the shorter
        for word in short:
            size = len(word)
            skip_covered = word not in self._even_inside and not (typos and word in self._fuzzy)
            for start in at[word]:
                end = start + size
                if skip_covered and hosts and any(a <= start and end <= b and b - a > size for a, b in hosts):
                    continue
                # (the pair test inlined: most edges hold no pair and need no call)
                if word in alone and (start == 0 or text[start - 1:start + 1] not in pairs
                                      or seam(text, start, freq)) \
                        and (end == length or text[end - 1:end + 1] not in pairs or seam(text, end, freq)):
                    hosts += [(s, s + size) for s in at[word]]
                    found[word] = start
                    break
                if size == 1 and not _IN_BLOCK.match(word):
                    found[word] = start   # outside jieba's blocks a character is a token ("?")
                    break
                unsettled.setdefault(word, []).append(start)
                if word.isascii():
                    # jieba glues runs of single Latin letters and digits back together,
                    # so a seam inside one is no seam: Latin words get their whole block.
                    while start > 0 and _IN_BLOCK.match(text[start - 1]):
                        start -= 1
                    while end < length and _IN_BLOCK.match(text[end]):
                        end += 1
                while not seam(text, start, freq):
                    start -= 1
                while not seam(text, end, freq):
                    end += 1
                windows.append((start, end))
        if not unsettled:
            return
        starts, tokens = _cut_windows(self._cut, text, windows)
        for word, candidates in unsettled.items():
            size = len(word)
            for start in candidates:
                if start > found.get(word, length):
                    break
                i = bisect_right(starts, start) - 1
                token, token_start = tokens[i], starts[i]
                end = start + size
                if token_start == start and len(token) == size:
                    if word.isascii() and not _whole_word(text, start, end):
                        continue   # jieba cuts "broken" into br|ok|en; "ok" is not there
                elif not (size == 2 and len(token) > 2 and end <= token_start + len(token)
                          and _is_han(token[0]) and token not in self._keywords):
                    # jieba's dictionary has compounds that swallow keywords ("楼梯扶手",
                    # "电梯间"); a two-character keyword inside one Chinese token still
                    # counts, while one spanning two tokens ("停|电动车") does not.
                    continue
                found[word] = start
                break

    def _find_typos(self, text: str, found: dict[str, int], threshold: float) -> None:
        """Only where no topic word matched at all: a topic word of 5+ characters typed with
        one character wrong ("化粪池满了" as "化粪次满了"), scored by rapidfuzz's best partial
        alignment. The threshold is measured by bench/typos.py."""
        for word, score, _ in process.extract(text, self._typo_words, scorer=fuzz.partial_ratio,
                                              score_cutoff=threshold, limit=3):
            # A message shorter than the word is not the word mistyped: partial_ratio would
            # find "有人吗" inside "电梯里有人" and "在吗" inside "物业在吗".
            if len(word) > len(text):
                continue
            found.setdefault(word, fuzz.partial_ratio_alignment(word, text).dest_start)
