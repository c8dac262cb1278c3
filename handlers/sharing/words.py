"""What a need or an offer is about, as matching keys.

A text is cut by jieba (the classifier's Segmenter, with the community dictionary's place
names kept whole) and its words looked up in vocabulary.py's tables of concepts, by family: activities (修,
维修, 坏了, 不亮 → repair; 搬, 搬运 → moving; 理发 → haircut; 法律援助, 离婚 → legal…), how
a thing changes hands (借 borrow, 要 get, 送 give, 出售 sell, 回收 collect), and things,
each under its broader kind (冰箱 → 家电; 书柜 → 柜子 → 家具; 血压计 → 医疗器械; 钢琴 →
lessons) and siblings that do not meet one another (洗碗机 / 消毒柜, 猫砂 / 猫爬架). For
whom (儿童, 老人, 女士) and a part of a thing (内胆) are said of a thing, not the thing.

A table word inside a longer one does not count (照看 in 照看宠物). A word typed wrong is
read as the table word it nearly is: a common pinyin slip (the Segmenter's), one character
off in a word of three or more (rapidfuzz: 洗衣鸡), or the same sound with a character in
common (配诊 → 陪诊, 帐蓬 → 帐篷) — never where jieba found a longer word (上门服务), nor
when the character typed instead is a table word itself (折叠椅). A one-character verb jieba
joined to where it goes counts (搬下去: 搬). Words the table does not know still count, as
themselves (轮椅 meets 轮椅).

The keys are what the inverted index stores (a Redis set per key per kind,
storage/sharing.py): `a:repair`, `o:fridge`, `o:appliance`, `w:纸箱`. `compatible` then
decides whether a need and an offer found through a shared key really meet.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from typing import Callable

from pypinyin import lazy_pinyin
from rapidfuzz.distance import Levenshtein

from handlers.sharing.vocabulary import ACTS, ALIVE, CALM, COMMUNAL, LOOK, OWN, SIDE, STOP, THINGS, TRADE, WHOM
from nlp.normalize import standard
from nlp.segment import Segmenter

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_BUILDING = re.compile(r"\d+\s*(?:号楼|号|栋|幢|单元|楼|层|室)")

_WORD_CONCEPTS: dict[str, list[str]] = {}
for _act, _words in ACTS.items():
    for _word in _words:
        _WORD_CONCEPTS.setdefault(_word, []).append(f"a:{_act}")
for _thing, (_parent, _words) in THINGS.items():
    for _word in _words:
        _WORD_CONCEPTS.setdefault(_word, []).append(f"o:{_thing}")
# Two-concept words jieba keeps whole: an activity and what it is done to or for.
for _word, _extra in (("修车", "o:vehicle"), ("修鞋", "o:clothes"), ("补鞋", "o:clothes"), ("换灯泡", "o:wiring"),
                      ("通下水道", "o:plumbing"), ("辅导作业", "o:homework"), ("理发店", None), ("剪头发", "o:hair"),
                      ("看孩子", "o:children"), ("带孩子", "o:children"), ("照看孩子", "o:children"),
                      ("看娃", "o:children"), ("带娃", "o:children"), ("接孩子", "o:children"),
                      ("接送孩子", "o:children"), ("改衣服", "o:clothes"), ("遛狗", "o:dog"), ("喂猫", "o:cat"),
                      ("喂狗", "o:dog"), ("代遛", "o:dog"), ("接娃", "o:children"), ("送娃", "o:children"),
                      ("帮看娃", "o:children"), ("看小孩", "o:children"), ("照看小孩", "o:children"),
                      ("照看宠物", "o:pet"), ("照顾宠物", "o:pet"), ("喂鱼", "o:fish"), ("修表", "o:watch"),
                      ("换屏", "o:digital"), ("电工", "o:wiring"), ("水电工", "o:plumbing"), ("木工", "o:furniture"),
                      ("手机课", "o:phone"), ("漏水", "a:repair"), ("装系统", "o:computer"),
                      ("换滤芯", "o:part"), ("改窗帘", "o:fixture")):
    if _extra:
        _WORD_CONCEPTS[_word].append(_extra)
VOCABULARY = tuple(_WORD_CONCEPTS)
# One-character verbs of the table and what jieba may join to them (搬下去, 修好, 借走).
_VERBS = frozenset(w for w in VOCABULARY if len(w) == 1 and any(c.startswith("a:") and c[2:] not in TRADE
                                                                  for c in _WORD_CONCEPTS[w]))
_AGE = frozenset("旧新老")
_COMPLEMENTS = frozenset("下去 上去 下来 上来 过去 过来 回来 回去 出去 进来 走 好 完 上 下 到 一下 一趟".split())
# Near spellings only for words of content characters ("借一下" is one character from "理一下").
# Not the trade words: one character changes how a thing changes hands (上门做 is no 上门收).
_NEAR = [w for w in VOCABULARY if len(w) >= 3 and not set(w) & set("一下个了我不没好")
         and not all(c.startswith("a:") and c[2:] in TRADE for c in _WORD_CONCEPTS[w])]


def parent(thing: str) -> str | None:
    return THINGS.get(thing, (None, ()))[0]


def ancestors(thing: str) -> list[str]:
    """Its broader kinds, nearest first (书柜 → 柜子 → 家具)."""
    found = []
    up = parent(thing)
    while up and up not in found:
        found.append(up)
        up = parent(up)
    return found


@dataclass(frozen=True)
class About:
    """What a text is about: activities, things (each with its broader thing), other words."""
    acts: frozenset[str]
    things: frozenset[str]
    words: frozenset[str]

    @property
    def keys(self) -> list[str]:
        """The index keys: each activity and thing (and the thing's broader one), each word."""
        keys = {f"a:{a}" for a in self.acts - TRADE}
        for thing in self.things:
            keys.add(f"o:{thing}")
            keys |= {f"o:{up}" for up in ancestors(thing)}
        keys |= {f"w:{w}" for w in self.words}
        return sorted(keys)

    @property
    def main_things(self) -> frozenset[str]:
        """The things it is about (儿童, 老人 say only for whom)."""
        return self.things - SIDE

    @property
    def services(self) -> frozenset[str]:
        return self.acts - TRADE


_segmenters: dict[tuple[str, ...], Segmenter] = {}
_lock = threading.Lock()


def segmenter(dictionary: tuple[str, ...] = ()) -> Segmenter:
    """One per community dictionary, for the process: building one loads jieba's
    dictionary (about a second), so it is done once."""
    with _lock:
        found = _segmenters.get(dictionary)
        if found is None:
            found = _segmenters[dictionary] = Segmenter(VOCABULARY, fuzzy=VOCABULARY)
            found.add_words(dictionary)
        return found


def about(text: str, dictionary: tuple[str, ...] = ()) -> About:
    """The activities, things and other words of `text` (a place name from the community
    dictionary is a word like any other: 阳光花园 stays whole)."""
    norm = _BUILDING.sub(" ", standard(text).lower())
    seg = segmenter(dictionary)
    found = seg.find(norm, typos=True)      # table words, slips (洗衣医 → 洗衣机) and long-word typos
    # A table word of two or more characters counts inside a longer word too (搬家具: 家具);
    # one character (修, 搬, 车) only as a word of its own.
    for word, starts in seg.occurrences(norm).items():
        if len(word) >= 2 and word in _WORD_CONCEPTS:
            found.setdefault(word, starts[0])
    tokens = seg.tokens(norm)
    # A slip is looked for only where jieba found no longer word (上门服务 is no 上门收).
    inside: set[tuple[int, int]] = set()
    position = 0
    for token in tokens:
        start = norm.find(token, position)
        if start >= 0:
            position = start + len(token)
            if len(token) >= 3:
                inside.update((i, j) for i in range(start, position) for j in range(i + 2, position + 1)
                              if (i, j) != (start, position))
    for word, at in _near_in(norm, found, {t for t in tokens if len(t) >= 2}, inside).items():
        found.setdefault(word, at)
    for word, at in _sounding(norm, found, inside, seg.frequency).items():
        found.setdefault(word, at)
    found = _outermost(found)
    # A one-character verb jieba joined to where it goes (搬下去, 修好了): the verb counts.
    joined = set()
    for token in tokens:
        if token in _WORD_CONCEPTS or len(token) < 2:
            continue
        if token[0] in _VERBS and token[1:] in _COMPLEMENTS:
            found.setdefault(token[0], norm.find(token))
            joined.add(token)
        elif token[0] in _AGE and token[1:] in _WORD_CONCEPTS:
            # 旧书, 新床: how old the thing is, then the thing
            found.setdefault(token[1:], norm.find(token) + 1)
            joined.add(token)
    concepts: set[str] = set()
    words: set[str] = set()
    covered: set[int] = set()
    for word, at in found.items():
        concepts.update(_WORD_CONCEPTS.get(word, ()))
        covered.update(range(at, at + len(word)))
    position = 0
    for token in tokens:
        start, position = norm.find(token, position), norm.find(token, position) + len(token)
        token = _PUNCT.sub("", token)
        if not token or token in STOP or token in joined or (start >= 0 and set(range(start, start + len(token))) <= covered):
            continue
        if token in _WORD_CONCEPTS:
            concepts.update(_WORD_CONCEPTS[token])
            continue
        near = _near(token)
        if near:
            concepts.update(_WORD_CONCEPTS[near])
        elif len(token) >= 2 and not token.isdigit():
            words.add(token)
    acts = frozenset(c[2:] for c in concepts if c.startswith("a:"))
    things = frozenset(c[2:] for c in concepts if c.startswith("o:"))
    if not acts - TRADE and any(word in norm for word in LOOK) and things - SIDE - ALIVE:
        # "帮忙看看电脑": a look at a thing is what a repairer does (not at a dog: 看狗 is care)
        acts |= {"repair"}
    if "repair" in acts and "clothes" in things:
        acts |= {"sewing"}        # mending clothes is sewing (衣服破了 / 缝补)
    main = things - SIDE
    if main and all("pet" in (t, *ancestors(t)) for t in main) and acts & {"repair", "eldercare", "haircut", "cleaning"}:
        acts |= {"petcare"}       # trimming, washing a dog (泰迪 修修毛 洗个澡) is a pet's care
    # Something alive and what befalls it, nothing asked of it (狗狗没地方去, 一堆绿植咋办): its
    # care; named alone (多肉) it is the thing wanted.
    if not acts and main and words and all("pet" in (t, *ancestors(t)) for t in main):
        acts = frozenset({"petcare"})
    elif not acts and main == {"plants"} and words:
        acts = frozenset({"plantcare"})
    if not acts and main and all("lessons" in ancestors(t) for t in main):
        acts = frozenset({"tutoring"})   # a subject, a sport, an instrument alone is to be taught (跳绳 80个, 打太极)
    return About(acts, things, frozenset(words))


def _near_in(norm: str, found: dict[str, int], known: set[str],
             inside: set[tuple[int, int]] = frozenset()) -> dict[str, int]:
    """Table words of three or more characters typed with one character wrong (洗衣鸡),
    where no table word was found and the stretch is not a word jieba knows (电视剧)."""
    taken = {i for word, at in found.items() for i in range(at, at + len(word))}
    near: dict[str, int] = {}
    for size in (3, 4):
        for i in range(len(norm) - size + 1):
            stretch = norm[i:i + size]
            if stretch in known or (i, i + size) in inside or taken.intersection(range(i, i + size)) \
                    or _PUNCT.search(stretch):
                continue
            for word in _NEAR:
                if len(word) == size and Levenshtein.distance(word, stretch, score_cutoff=1) <= 1 \
                        and (word[0] == stretch[0] or word[-1] == stretch[-1]) and _a_slip(word, stretch):
                    near.setdefault(word, i)
                    taken.update(range(i, i + size))
                    break
    return near


def _outermost(found: dict[str, int]) -> dict[str, int]:
    """Drop a table word found inside a longer one (照看 in 照看宠物, 洗澡 in 洗澡盆, 装修 in
    装修垃圾): the longer word says what is meant."""
    kept: dict[str, int] = {}
    spans: list[tuple[int, int]] = []
    for word, at in sorted(found.items(), key=lambda wa: -len(wa[0])):
        end = at + len(word)
        if any(s <= at and end <= e and (e - s) > len(word) for s, e in spans):
            continue
        kept[word] = at
        spans.append((at, end))
    return kept


_SOUNDS: dict[tuple[str, ...], str] = {}
# Characters too common to make two words alike (不想 is not 不响, 怀了 not 坏了).
_FUNCTION = frozenset("不没了一个下上的好大小打有是在我你他")
# A stretch jieba's dictionary counts at least this often is a word the writer meant (眼睛
# 11,190), not an input-method slip (帐蓬 6, 配诊 and 营儿 not words at all).
COMMON_WORD = 100


@functools.lru_cache(maxsize=8192)
def _reading(ch: str) -> str:
    """A character's usual toneless pinyin (kept: a text reads a few dozen)."""
    return lazy_pinyin(ch)[0]


def _sounds() -> dict[tuple[str, ...], str]:
    """Each table word of two to four Chinese characters by its toneless pinyin."""
    if not _SOUNDS:
        for word in VOCABULARY:
            if 2 <= len(word) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in word):
                _SOUNDS.setdefault(tuple(lazy_pinyin(word)), word)
    return _SOUNDS


def _sounding(norm: str, found: dict[str, int], inside: set[tuple[int, int]] = frozenset(),
              frequency: Callable[[str], int] = lambda word: 0) -> dict[str, int]:
    """Table words typed as another word that sounds the same — the pinyin input method's
    slip (配诊 → 陪诊, 帐蓬 → 帐篷, 营儿 → 婴儿) — sharing at least one character with it, in
    stretches no table word was found in. One pinyin reading of the text, then look-ups."""
    han = [i for i, ch in enumerate(norm) if "\u4e00" <= ch <= "\u9fff"]
    if len(han) < 2:
        return {}
    taken = {i for word, at in found.items() for i in range(at, at + len(word))}
    readings = {i: _reading(norm[i]) for i in han}
    sounds = _sounds()
    near: dict[str, int] = {}
    for size in (4, 3, 2):
        for i in range(len(norm) - size + 1):
            span = range(i, i + size)
            if (i, i + size) in inside or taken.intersection(span) or any(j not in readings for j in span):
                continue
            word = sounds.get(tuple(readings[j] for j in span))
            stretch = norm[i:i + size]
            if word and word != stretch and (set(word) & set(stretch)) - _FUNCTION \
                    and frequency(stretch) < COMMON_WORD:   # 眼睛 is meant, not a slip for 眼镜
                near[word] = i
                taken.update(span)
    return near


def _a_slip(word: str, typed: str) -> bool:
    """A slip, not another word: the character typed instead is no table word itself
    (折叠椅 is a chair, not a slip for 折叠梯)."""
    return not any(ch in _WORD_CONCEPTS for ch in set(typed) - set(word))


def _near(token: str) -> str | None:
    """The table word `token` is one character off from (three characters or more)."""
    if len(token) < 3:
        return None
    for word in _NEAR:
        if abs(len(word) - len(token)) <= 1 and Levenshtein.distance(word, token, score_cutoff=1) <= 1 \
                and _a_slip(word, token):
            return word
    return None


def things_meet(a: frozenset[str], b: frozenset[str]) -> bool:
    """The same thing, or one is the broader kind of the other (家电 and 冰箱)."""
    if a & b:
        return True
    return any(set(ancestors(x)) & b for x in a) or any(set(ancestors(y)) & a for y in b)


def specific(things: frozenset[str]) -> frozenset[str]:
    """A need's things without the broader kinds of the others it names: 行测资料 asks for
    exam books (资料 says only that they are books), not any books. An offer keeps all of
    its own: "家电维修：冰箱、洗衣机" offers every appliance, the two are examples."""
    return frozenset(t for t in things if not any(t in ancestors(o) for o in things))


def compatible(need: About, offer: About, offer_is_thing: bool) -> bool:
    """Whether a need and an offer (of help, or of a thing: 闲置) are about the same.

    In order: taking things away (回收) meets only taking away; people named for whom must
    be the same (男童 / 女士); a thing meets a need for the thing, not a need for a service
    on it; a need naming a thing and no service asks for the thing, not for a service on it
    (二手餐桌 / 家具维修); services must be shared; things must meet (the same, or one the
    broader kind of the other); a part (内胆) is not the whole thing."""
    if collects(need) != collects(offer):
        # 有人收旧冰箱吗 / 二手冰箱出售; 借笔记本 / 回收旧笔记本: neither gives what the other wants
        return False
    need_whom, offer_whom = need.things & WHOM, offer.things & WHOM
    if need_whom and offer_whom and not need_whom & offer_whom:
        return False
    need_things, offer_things = specific(need.main_things), offer.main_things
    if offer_is_thing or (not offer.services and offer.acts & {"give", "sell", "borrow"}):
        # A thing meets a need for the thing, not a need for a service on it (修自行车);
        # borrowing is asking for the thing, whatever it is for (借个梯子换灯泡).
        if need.services and "borrow" not in need.acts:
            return False
        if "borrow" in need.acts and "sell" in offer.acts and not offer.acts & {"give", "borrow"}:
            return False
        if ("part" in need.things) != ("part" in offer.things):
            return False          # 电饭煲 / 电饭煲内胆
        if need_things and offer_things:
            return things_meet(need_things, offer_things)
        return bool(need.words & offer.words)
    if need.services and offer.services:
        if not need.services & offer.services:
            return False
        if need_things and offer_things:
            return things_meet(need_things, offer_things)
        return True
    if offer.services and need_things:
        # wants the thing itself (二手餐桌, 空调 旧的也行), not a service on it
        return False
    if need.services or offer.services:
        # the offer says only what it is about (电工 灯具 浴霸 / 浴霸不亮)
        if need_things and offer_things:
            return things_meet(need_things, offer_things)
        return bool(need.words & offer.words)
    if need_things and offer_things:
        return things_meet(need_things, offer_things)
    return bool(need.words & offer.words)


def collects(side: About) -> bool:
    """Whether it is about taking things away (回收, 收废品) rather than a service (收快递)."""
    return "collect" in side.acts and not side.services


def communal(text: str) -> bool:
    """Whether the text names what the community must fix (电梯, 楼道, 路灯…)."""
    return any(word in text for word in COMMUNAL)


def own(text: str) -> bool:
    """Whether the text says it is about one's own home (我家, 家里…)."""
    return any(word in text for word in OWN)


def calm(text: str) -> str:
    """The text without the words a danger reading mistakes (打不着火)."""
    for word in CALM:
        text = text.replace(word, " ")
    return text


def closeness(need: About, offer: About) -> float:
    """How much the two share (0…1), to rank candidates that meet."""
    a, b = set(need.keys), set(offer.keys)
    return len(a & b) / max(1, min(len(a), len(b))) if a and b else 0.0
