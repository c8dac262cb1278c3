"""What a need or an offer is about, as matching keys.

A text is cut by jieba (the classifier's Segmenter, with the community dictionary's place
names kept whole) and its words looked up in a small table of concepts: activities (修,
维修, 修理 → repair; 搬, 搬运, 搬家 → moving; 理发, 剪头 → haircut…) and things (冰箱 →
fridge, a kind of appliance; 自行车, 单车 → bicycle, a kind of vehicle…). A word typed
with one character wrong is read as the table word it nearly is (a common pinyin slip,
the Segmenter's; or one character off in a word of three or more, rapidfuzz). Words the
table does not know still count, as themselves (轮椅 meets 轮椅).

The keys are what the inverted index stores (a Redis set per key per kind,
storage/sharing.py): `a:repair`, `o:fridge`, `o:appliance`, `w:轮椅`. `compatible` then
decides whether a need and an offer found through a shared key really meet.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from nlp.normalize import standard
from nlp.segment import Segmenter

# Activities: a need asks for one, an offer of help gives one. `get` is asking for a thing
# (a need with no activity but a thing asks for the thing); `give` is what a 闲置 item does.
ACTS: dict[str, tuple[str, ...]] = {
    "repair": ("修", "维修", "修理", "修补", "修一修", "修好", "坏了", "坏", "检修", "修车", "修鞋", "补鞋", "修伞",
               "换灯泡", "通下水道", "疏通", "安装", "装", "拆装", "不转", "不亮", "不响", "不好使", "不好用",
               "出毛病", "毛病", "故障", "失灵", "没图像", "不制冷", "漏", "开锁", "换锁", "开不了机"),
    "moving": ("搬", "搬运", "搬家", "扛", "抬", "挪", "挪动", "搬东西", "运"),
    "haircut": ("理发", "剪", "剪发", "剪头", "剪头发", "理个发", "推头", "剃头", "理发店"),
    "childcare": ("看孩子", "带孩子", "照看孩子", "看娃", "带娃", "托管", "接孩子", "接送孩子", "接送", "照看"),
    "tutoring": ("辅导", "家教", "补课", "辅导作业", "功课", "教", "教教", "指导", "学", "讲解", "培训"),
    "errand": ("买菜", "代买", "跑腿", "取快递", "拿快递", "代购", "买药", "代取", "捎"),
    "company": ("陪", "陪同", "陪伴", "陪护", "陪诊", "陪聊", "聊天", "陪着", "散步", "走走", "遛弯", "推轮椅"),
    "eldercare": ("助浴", "助餐", "护理", "照护", "喂饭", "洗澡", "擦身"),
    "translate": ("翻译", "英语翻译", "英文翻译"),
    "plantcare": ("浇花", "浇水", "养花"),
    "cleaning": ("打扫", "保洁", "清洁", "擦窗", "擦玻璃", "大扫除", "收拾"),
    "cooking": ("做饭", "送餐", "烧饭", "煮饭", "包饺子"),
    "petcare": ("遛狗", "喂猫", "喂狗", "照顾宠物", "寄养", "代遛"),
    "sewing": ("缝", "缝补", "改衣服", "裁缝", "改裤脚"),
    "massage": ("按摩", "推拿", "理疗"),
    "checkup": ("量血压", "测血糖", "义诊", "体检"),
    "borrow": ("借", "借用", "租", "借我", "借一下"),
    "get": ("要", "求", "想要", "收", "求购", "收购"),
    "give": ("送", "赠", "赠送", "转让", "出借", "免费送", "送人", "白送", "闲置"),
}
# Things, each with the broader thing it is a kind of (None: none).
THINGS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "appliance": (None, ("家电", "电器", "小家电")),
    "fridge": ("appliance", ("冰箱", "冰柜")),
    "washer": ("appliance", ("洗衣机",)),
    "tv": ("appliance", ("电视", "电视机")),
    "aircon": ("appliance", ("空调",)),
    "microwave": ("appliance", ("微波炉",)),
    "heater": ("appliance", ("热水器", "电暖器", "取暖器")),
    "ricecooker": ("appliance", ("电饭煲", "电饭锅")),
    "fan": ("appliance", ("电风扇", "风扇")),
    "furniture": (None, ("家具", "家私")),
    "wardrobe": ("furniture", ("衣柜", "柜子", "衣橱", "大衣柜")),
    "sofa": ("furniture", ("沙发",)),
    "bed": ("furniture", ("床", "床垫", "婴儿床")),
    "table": ("furniture", ("桌子", "书桌", "餐桌", "茶几")),
    "chair": ("furniture", ("椅子", "凳子")),
    "shelf": ("furniture", ("书架", "架子", "鞋架")),
    "vehicle": (None, ("车",)),
    "bicycle": ("vehicle", ("自行车", "单车", "脚踏车", "童车", "儿童车")),
    "ebike": ("vehicle", ("电动车", "电瓶车")),
    "stroller": ("vehicle", ("婴儿车", "推车", "手推车")),
    "wheelchair": (None, ("轮椅",)),
    "digital": (None, ("数码",)),
    "phone": ("digital", ("手机", "智能手机", "微信", "支付宝", "健康码", "扫码")),
    "computer": ("digital", ("电脑", "笔记本", "打印机", "上网")),
    "plumbing": (None, ("水电", "水管", "下水道", "马桶", "水龙头", "漏水", "地漏")),
    "wiring": (None, ("水电", "电路", "插座", "开关", "灯泡", "电灯", "灯", "跳闸")),
    "clothes": (None, ("衣服", "衣物", "童装", "外套", "棉袄", "鞋子")),
    "books": (None, ("书", "图书", "绘本", "课本", "童书", "书籍", "教材", "课外书")),
    "toys": (None, ("玩具", "积木")),
    "homework": (None, ("作业", "数学", "英语", "英文", "语文", "钢琴", "书法", "画画")),
    "children": (None, ("儿童", "小孩", "孩子", "宝宝", "小朋友", "娃")),
    "elderly": (None, ("老人", "老年人", "长辈")),
    "dog": ("pet", ("狗", "小狗")),
    "cat": ("pet", ("猫", "小猫")),
    "pet": (None, ("宠物",)),
    "lock": (None, ("锁", "门锁", "锁芯", "开锁", "换锁")),
    "tools": (None, ("工具", "梯子", "电钻", "扳手", "螺丝刀", "冲击钻")),
    "hair": (None, ("头发",)),
}
# Things a need or offer may mention without being about them (儿童自行车 is about the bicycle).
_SIDE = {"children", "elderly"}
# Words that say nothing about what is needed or offered.
STOP = frozenset("""需要 提供 闲置 有人 有没有 谁 谁能 能不能 可以 可 帮忙 帮 帮个忙 一下 一个 一辆 一台 一张 一把 一些
个 辆 台 张 把 件 只 免费 无偿 我 我们 你 您 大家 邻居 家里 家 想 请 麻烦 谢谢 一起 如果 的 了 吗 呢 吧 啊 在 有
和 与 或 也 都 还 就 是 不 没 没有 能 会 去 来 给 到 点 些 很 太 好 下 上 次 每周 每天 时间 时候 小时 欢迎 联系
社区 小区 活动室 看看 看 几天 使用 用 找 找人 人手 东西 楼 号 栋 单元 室 层 附近 上门 可借 借给 送给 出 人 位 多 少 大 小 新 旧 八成 九成 成新""".split())
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_BUILDING = re.compile(r"\d+\s*(?:号楼|号|栋|幢|单元|楼|层|室)")

_WORD_CONCEPTS: dict[str, list[str]] = {}
for _act, _words in ACTS.items():
    for _word in _words:
        _WORD_CONCEPTS.setdefault(_word, []).append(f"a:{_act}")
for _thing, (_parent, _words) in THINGS.items():
    for _word in _words:
        _WORD_CONCEPTS.setdefault(_word, []).append(f"o:{_thing}")
# Two-concept words jieba keeps whole.
for _word, _extra in (("修车", "o:vehicle"), ("修鞋", "o:clothes"), ("补鞋", "o:clothes"), ("换灯泡", "o:wiring"),
                      ("通下水道", "o:plumbing"), ("辅导作业", "o:homework"), ("理发店", None), ("剪头发", "o:hair"),
                      ("看孩子", "o:children"), ("带孩子", "o:children"), ("照看孩子", "o:children"),
                      ("看娃", "o:children"), ("带娃", "o:children"), ("接孩子", "o:children"),
                      ("接送孩子", "o:children"), ("改衣服", "o:clothes"), ("遛狗", "o:dog"), ("喂猫", "o:cat"),
                      ("喂狗", "o:dog"), ("代遛", "o:dog")):
    if _extra:
        _WORD_CONCEPTS[_word].append(_extra)
VOCABULARY = tuple(_WORD_CONCEPTS)
# Near spellings only for words of content characters ("借一下" is one character from "理一下").
_NEAR = [w for w in VOCABULARY if len(w) >= 3 and not set(w) & set("一下个了我不没好")]


def parent(thing: str) -> str | None:
    return THINGS.get(thing, (None, ()))[0]


@dataclass(frozen=True)
class About:
    """What a text is about: activities, things (each with its broader thing), other words."""
    acts: frozenset[str]
    things: frozenset[str]
    words: frozenset[str]

    @property
    def keys(self) -> list[str]:
        """The index keys: each activity and thing (and the thing's broader one), each word."""
        keys = {f"a:{a}" for a in self.acts - {"get", "give", "borrow"}}
        for thing in self.things:
            keys.add(f"o:{thing}")
            if parent(thing):
                keys.add(f"o:{parent(thing)}")
        keys |= {f"w:{w}" for w in self.words}
        return sorted(keys)

    @property
    def main_things(self) -> frozenset[str]:
        """The things it is about (儿童, 老人 say only for whom)."""
        return self.things - _SIDE

    @property
    def services(self) -> frozenset[str]:
        return self.acts - {"get", "give", "borrow"}


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
    for word, at in _near_in(norm, found, {t for t in tokens if len(t) >= 2}).items():
        found.setdefault(word, at)
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
        if not token or token in STOP or (start >= 0 and set(range(start, start + len(token))) <= covered):
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
    return About(acts, things, frozenset(words))


def _near_in(norm: str, found: dict[str, int], known: set[str]) -> dict[str, int]:
    """Table words of three or more characters typed with one character wrong (洗衣鸡),
    where no table word was found and the stretch is not a word jieba knows (电视剧)."""
    taken = {i for word, at in found.items() for i in range(at, at + len(word))}
    near: dict[str, int] = {}
    for size in (3, 4):
        for i in range(len(norm) - size + 1):
            stretch = norm[i:i + size]
            if stretch in known or taken.intersection(range(i, i + size)) or _PUNCT.search(stretch):
                continue
            for word in _NEAR:
                if len(word) == size and Levenshtein.distance(word, stretch, score_cutoff=1) <= 1 \
                        and (word[0] == stretch[0] or word[-1] == stretch[-1]):
                    near.setdefault(word, i)
                    taken.update(range(i, i + size))
                    break
    return near


def _near(token: str) -> str | None:
    """The table word `token` is one character off from (three characters or more)."""
    if len(token) < 3:
        return None
    for word in _NEAR:
        if abs(len(word) - len(token)) <= 1 and Levenshtein.distance(word, token, score_cutoff=1) <= 1:
            return word
    return None


def things_meet(a: frozenset[str], b: frozenset[str]) -> bool:
    """The same thing, or one is the broader kind of the other (家电 and 冰箱)."""
    if a & b:
        return True
    return any(parent(x) in b for x in a) or any(parent(y) in a for y in b)


def compatible(need: About, offer: About, offer_is_thing: bool) -> bool:
    """Whether a need and an offer (of help, or of a thing: 闲置) are about the same."""
    need_things, offer_things = need.main_things, offer.main_things
    if offer_is_thing:
        # A thing meets a need for the thing, not a need for a service on it (修自行车).
        if need.services:
            return False
        if need_things and offer_things:
            return things_meet(need_things, offer_things)
        return bool(need.words & offer.words)
    if need.services and offer.services:
        if not need.services & offer.services:
            return False
        if need_things and offer_things:
            return things_meet(need_things, offer_things)
        return True
    if need.services or offer.services:
        # one side says what is done, the other only what it is about (洗衣机 / 修洗衣机)
        if need_things and offer_things:
            return things_meet(need_things, offer_things)
        return bool(need.words & offer.words)
    if need_things and offer_things:
        return things_meet(need_things, offer_things)
    return bool(need.words & offer.words)


def closeness(need: About, offer: About) -> float:
    """How much the two share (0…1), to rank candidates that meet."""
    a, b = set(need.keys), set(offer.keys)
    return len(a & b) / max(1, min(len(a), len(b))) if a and b else 0.0
