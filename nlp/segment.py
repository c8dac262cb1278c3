"""jieba segmentation and keyword spotting.

Each Segmenter owns a private ``jieba.Tokenizer``: adding rule keywords to the global
jieba dictionary would leak one community's rules into every other user of jieba in the
process (and into tests), so the global tokenizer is never touched.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

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


class Segmenter:
    """Cuts normalised text into tokens and reports which known keywords occur in it."""

    def __init__(self, keywords: Iterable[str], fuzzy: Iterable[str] = ()):
        self._keywords = frozenset(k for k in keywords if k)
        self._long = frozenset(k for k in self._keywords if len(k) >= SUBSTRING_MIN_LEN)
        self._long_lengths = sorted({len(k) for k in self._long})
        self._fuzzy = frozenset(k for k in fuzzy if len(k) >= 2)
        self._fuzzy_lengths = sorted({len(k) for k in self._fuzzy})
        self._typo_words = sorted(k for k in self._fuzzy if len(k) >= TYPO_MIN_LEN)
        self.typo_threshold: float | None = TYPO_THRESHOLD
        self._tokenizer: jieba.Tokenizer | None = None
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
                self._tokenizer = tokenizer
            return self._tokenizer

    def add_words(self, words: Iterable[str]) -> None:
        """A community's own words (estate, street and place names) kept whole, so
        "阳光花园" is not read as "阳光" + "花园"."""
        with self._lock:
            fresh = {w for w in words if w and w not in self._user_words}
            self._user_words |= fresh
            if self._tokenizer is not None:
                for word in fresh:
                    self._tokenizer.add_word(word, max(self._tokenizer.suggest_freq(word, False), KEYWORD_FREQ_FLOOR))

    def warm_up(self) -> None:
        self._load()

    def tokens(self, text: str) -> list[str]:
        tokenizer = self._tokenizer or self._load()
        # HMM off: unknown runs stay single characters instead of being glued into new
        # "words" that would swallow a one-character keyword such as "漏" or "吵".
        return [t for t in tokenizer.lcut(text, HMM=False) if t.strip()]

    def find(self, text: str, typos: bool = False) -> tuple[list[str], dict[str, int]]:
        """Tokens of `text` and every keyword found, with the position it was first seen;
        `typos`: also long topic words typed with one character wrong, when no topic word matched."""
        tokens = self.tokens(text)
        found: dict[str, int] = {}
        pos = 0
        for token in tokens:
            at = max(text.find(token, pos), 0)
            pos = at + len(token)
            if token in self._keywords:
                if token.isascii() and not _whole_word(text, at, at + len(token)):
                    continue   # jieba cuts "broken" into br|ok|en; "ok" is not there
                found.setdefault(token, at)
            elif len(token) > 2 and "\u4e00" <= token[0] <= "\u9fff":
                # jieba's dictionary has compounds that swallow keywords ("楼梯扶手",
                # "电梯间"); a two-character keyword inside one Chinese token still
                # counts, while one spanning two tokens ("停|电动车") does not. Latin
                # tokens are whole words: "broken" does not contain "ok".
                for i in range(len(token) - 1):
                    piece = token[i:i + 2]
                    if piece in self._keywords:
                        found.setdefault(piece, at + i)
        for size in self._long_lengths:
            for start in range(len(text) - size + 1):
                piece = text[start:start + size]
                if piece in self._long and piece not in found:
                    found[piece] = start
        if self._fuzzy:
            self._find_slips(text, found)
            if typos and self.typo_threshold and not any(word in self._fuzzy for word in found):
                self._find_typos(text, found, self.typo_threshold)
        return tokens, found

    def _find_typos(self, text: str, found: dict[str, int], threshold: float) -> None:
        """Only where no topic word matched at all: a topic word of 5+ characters typed with
        one character wrong ("化粪池满了" as "化粪次满了"), scored by rapidfuzz's best partial
        alignment. The threshold is measured by bench/typos.py."""
        for word, score, _ in process.extract(text, self._typo_words, scorer=fuzz.partial_ratio,
                                              score_cutoff=threshold, limit=3):
            found.setdefault(word, fuzz.partial_ratio_alignment(word, text).dest_start)

    def _find_slips(self, text: str, found: dict[str, int]) -> None:
        # Start from the few characters that have a common slip and try every window
        # through them, rather than every window of the message.
        for i, ch in enumerate(text):
            for alt in CONFUSABLE.get(ch, ()):
                for size in self._fuzzy_lengths:
                    for start in range(max(0, i - size + 1), min(i, len(text) - size) + 1):
                        word = text[start:i] + alt + text[i + 1:start + size]
                        if word in self._fuzzy:
                            found.setdefault(word, start)
