"""供需 matching table (#19): needs and offers that should and should not meet — different
wordings, synonyms, near spellings, things against services, time windows that do and do
not overlap — then through the bot: far and near, expired, closed, the same owner."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.polls.windows import find_window
from handlers.sharing.words import about, compatible
from tests.conftest import console_of
from tests.test_sharing import COMMUNITY, monday_morning, say, to  # noqa: F401

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=TZ).timestamp()
HORIZON = MONDAY + 14 * 86400

# (need, offer kind, offer, meet?)
WORDS = [
    ("周六上午有人帮忙搬个衣柜", "offer", "周末可以帮忙搬家具", True),
    ("搬家需要两个壮劳力", "offer", "力气大，可以帮忙搬运重物", True),
    ("找人帮忙抬一下沙发", "offer", "可以帮邻居搬东西", True),
    ("冰箱坏了，谁能帮忙修一下", "offer", "维修家电，免费上门", True),
    ("洗衣机不转了想找人看看", "offer", "会修理洗衣机和冰箱", True),
    ("洗衣鸡坏了", "offer", "会修洗衣机", True),                          # a near spelling
    ("电视机没图像了要修", "offer", "家电维修", True),
    ("修一下自行车链条", "offer", "会修车，自行车电动车都行", True),
    ("想找人剪个头发", "offer", "每周三下午免费理发", True),
    ("老人行动不便，想请人上门理发", "offer", "可以上门剪发", True),
    ("放学后需要有人帮忙接孩子", "offer", "下午有空可以帮忙接送孩子", True),
    ("孩子数学作业需要辅导", "offer", "退休教师，可以辅导小学作业", True),
    ("想学用智能手机视频聊天", "offer", "教老人用手机、微信", True),
    ("帮忙买菜，腿脚不方便", "offer", "每天上午可以帮忙买菜跑腿", True),
    ("需要人陪我去医院看病", "offer", "可以陪老人看病、陪诊", True),
    ("家里需要大扫除", "offer", "可以帮忙打扫卫生", True),
    ("借个电钻用一下", "thing", "冲击钻 可以借", True),
    ("给孙子找辆小单车", "thing", "儿童自行车一辆 免费送", True),
    ("想要一台旧洗衣机", "thing", "一台八成新洗衣机 免费送", True),
    ("需要轮椅，借用几天", "thing", "轮椅一个 可以借", True),
    ("孩子上学缺课外书", "thing", "一箱童书和绘本 送给有需要的家庭", True),
    ("冬天了想要几件厚衣服", "thing", "闲置棉袄外套几件", True),
    ("有人帮忙换个灯泡", "offer", "会修电路、换灯泡", True),
    ("周末帮忙看一下孩子", "offer", "周末可以帮忙照看小孩", True),
    ("求一个婴儿床", "thing", "婴儿床一张，宝宝用不上了", True),
    ("谁家有多余的纸箱", "thing", "搬家剩下的纸箱很多", True),               # a word the table does not know
    ("电脑开不了机", "offer", "会修电脑", True),
    ("家里水龙头漏水", "offer", "水电维修", True),
    ("帮忙把旧沙发运下楼", "offer", "有力气，可以帮忙搬运", True),
    ("找人帮忙修门锁", "offer", "会开锁换锁", True),
    ("腿脚不便需要推轮椅出去走走", "offer", "可以陪老人散步", True),
    ("帮忙给花浇水", "offer", "出差时可以帮忙浇花喂猫", True),
    # families of things: kitchen and small appliances, medical devices, lessons, pets, parts…
    ("抽油烟机声音很大想清洗一下", "offer", "上门清洗油烟机、空调", True),
    ("空气炸锅坏了", "offer", "小家电维修", True),
    ("书柜的门掉了 需要加固", "offer", "木工活 修桌椅柜子", True),
    ("路由器老断网 想重新设置", "offer", "会弄网络和路由器", True),
    ("想要一个体温计", "thing", "额温枪 闲置 没怎么用", True),
    ("教资真题", "thing", "考研考公资料一堆", True),
    ("想让孩子学画画", "offer", "美术老师 周末教小朋友画画", True),
    ("家里金鱼没人喂", "offer", "帮忙照看宠物", True),
    ("裤腿太长想裁短一点", "offer", "裁缝 改短改长 缝补", True),
    ("合同纠纷想找个律师问问", "offer", "法律援助 免费咨询", True),
    ("露营少个睡袋", "thing", "睡袋两个 可借", True),
    ("下周找人配诊去医院", "offer", "陪诊服务", True),               # 配诊: sounds as 陪诊
    ("箱子太重 帮忙搬上去", "offer", "可以帮忙搬东西", True),        # 搬 joined to where it goes
    ("旧家具没地方放 有人收吗", "offer", "上门回收旧家具", True),
    ("借把梯子 想自己换个灯", "thing", "折叠梯 可借", True),          # borrowing, whatever it is for
    ("帮忙看看笔记本为啥开机那么慢", "offer", "电脑维修 装系统", True),  # a look at a thing: a repair
    ("孩子放假想找些旧书看", "thing", "旧书一摞 随便拿", True),       # 旧书: the thing, old
    ("外套拉链那里破了", "offer", "缝缝补补 改裤脚", True),             # mending clothes is sewing
    ("衣柜门松了", "offer", "家具维修", True),                         # 衣柜 → 柜子 → 家具
    # should not meet
    ("洗碗机", "thing", "空气炸锅 九成新", False),                  # appliances of different kinds
    ("想要一个血糖仪", "thing", "血压计 闲置", False),
    ("考研资料", "thing", "初中练习册", False),                      # exam books, not school books
    ("需要钢琴老师", "offer", "英语家教", False),                    # different subjects
    ("一张旧书桌", "offer", "家具维修", False),                      # the thing, not a service on it
    ("空调 旧的也行", "offer", "空调清洗", False),
    ("狗粮", "thing", "狗笼", False),                                # different pet goods
    ("女童羽绒服", "thing", "男士羽绒服", False),                    # for someone else
    ("想要一台电饭锅", "thing", "电饭锅内胆", False),                # a part is not the whole
    ("借一台电脑用几天", "offer", "回收旧电脑 旧手机", False),       # collecting is not lending
    ("有人收旧空调吗", "offer", "二手空调出售", False),               # both want to part with one
    ("旧衣柜想换个地方 移一下", "thing", "衣柜 免费送", False),      # a service on it
    ("狗狗需要人陪几天", "offer", "产后陪护", False),                # a pet, not a mother
    ("吉他弦断了", "offer", "吉他教学", False),                      # a repair, not lessons
    ("装修师傅 卫生间翻新", "offer", "装修垃圾清运", False),         # the builder, not the debris
    ("借个电钻打几个孔", "thing", "人字梯 可借", False),              # tools of different kinds
    ("想要个旧鞋柜", "thing", "衣柜 免费送", False),                  # cabinets of different kinds
    ("借两把折叠椅", "thing", "折叠梯 可借", False),                  # 折叠椅 is a chair, no slip for 折叠梯
    ("帮忙收一下快递", "offer", "上门收废品", False),                 # an errand, not collecting
    # should not meet
    ("帮忙接孩子放学", "offer", "可以辅导作业", False),
    ("修空调", "offer", "修电脑", False),
    ("周六上午有人帮忙搬个衣柜", "offer", "每周三下午免费理发", False),
    ("冰箱坏了，谁能帮忙修一下", "offer", "可以帮忙搬家具", False),
    ("修一下自行车链条", "thing", "儿童自行车一辆 免费送", False),     # a repair, not the thing
    ("修电脑", "offer", "维修家电", False),
    ("修洗衣机", "offer", "会修自行车", False),
    ("想找人剪个头发", "offer", "可以辅导小学作业", False),
    ("借个电钻用一下", "thing", "儿童自行车一辆 免费送", False),
    ("给孙子找辆小单车", "thing", "一台八成新洗衣机 免费送", False),
    ("需要人陪我去医院看病", "offer", "教老人用手机、微信", False),
    ("孩子数学作业需要辅导", "offer", "可以帮忙接送孩子", False),
    ("想要一台旧洗衣机", "thing", "轮椅一个 可以借", False),
    ("帮忙买菜", "offer", "可以帮忙打扫卫生", False),
    # everyday and regional words for things (雪柜, 冷气机, 滚筒, 电驴, 电褥子) and symptoms
    ("雪柜唔凍，边个识整", "offer", "冰箱维修", True),
    ("冷气机唔制冷", "offer", "空调维修加氟", True),
    ("滚筒洗衣服洗到一半不动了", "offer", "家电上门维修", True),
    ("电驴骑不动了 帮忙瞅瞅", "offer", "电动车维修", True),
    ("机顶盒没影儿了", "offer", "电视维修", True),
    ("洗手池塞住了", "offer", "疏通下水道马桶", True),
    ("电褥子不热乎了 谁会拾掇", "offer", "小家电维修", True),
    ("冷气机唔制冷", "offer", "电动车维修", False),
    # haircut, school runs, children and elders as people say them
    ("想推个头，板寸就行", "offer", "会理发", True),
    ("娃儿放学没人接", "offer", "可以帮忙接送小学生", True),
    ("老爷子想找人杀两盘象棋", "offer", "下午在凉亭下棋", True),
    ("想找人给我爸读报", "offer", "可以给老人念报纸", True),
    # lessons: a subject, a sport or an instrument alone is to be taught; siblings do not meet
    ("孩子作文写不出来", "offer", "语文老师改作文", True),
    ("跳绳总是不及格", "offer", "体育老师可以指导跳绳", True),
    ("想学游泳", "offer", "乒乓球陪练", False),
    ("想学写代码 少儿编程", "offer", "教小朋友编程", True),
    ("想学织毛衣", "offer", "会针线活 可以教", True),
    # advice: a doctor's, a counsellor's, a lawyer's; forms; a job; photos; a ride; printing
    ("想问问医生血压药要不要换", "offer", "全科医生 健康咨询", True),
    ("孩子厌学很焦虑", "offer", "心理咨询师", True),
    ("房东扣押金不退", "offer", "律师 法律咨询", True),
    ("社保缴费不会弄", "offer", "帮忙办理社保医保", True),
    ("想找人帮改简历", "offer", "做过HR 可以模拟面试", True),
    ("想拍张全家福", "offer", "摄影爱好者 免费拍照", True),
    ("周六去火车站 有顺风车吗", "offer", "周六开车去火车站 可以捎一个", True),
    ("谁能帮忙打印几页", "offer", "家里有打印机 可以帮忙打印复印", True),
    # a pet's trim is its care; a plant's water is plant care
    ("家里泰迪该修修毛了", "offer", "宠物洗护美容", True),
    ("床垫太沉 要扔 一个人弄不下楼", "offer", "力气活 帮忙扔大件", True),
    # things: kitchenware, bedding, greens, diapers, glasses; tables and chairs by kind
    ("缺口炒锅", "thing", "锅碗瓢盆一套", True),
    ("亲戚来了缺床被子", "thing", "棉被两床", True),
    ("尿不湿XL码", "thing", "纸尿裤XL码一包", True),
    ("想要个写字台", "thing", "学习桌 自提", True),
    ("想要个饭桌", "thing", "茶几一个", False),
    ("缺把办公椅", "thing", "人体工学椅", True),
    ("想要个除湿机", "thing", "加湿器", False),
    # a part or an accessory is not the thing
    ("想要个沙发", "thing", "沙发垫两个", False),
    ("想要辆电动车", "thing", "电动车头盔", False),
    ("想借个打气筒", "thing", "自行车一辆", False),
    ("热水器不出热水", "offer", "暖宝宝热水袋团购", False),
    # something alive and what befalls it is its care; named alone it is the thing wanted
    ("出差半个月，猫咪没人管", "offer", "可以上门喂猫铲屎", True),
    ("放假回老家 一屋子盆栽怎么办", "offer", "邻居出门可以帮忙浇花", True),
    ("多肉", "offer", "可以帮忙浇花", False),
    # pests at home: a trap is a thing, not a report
    ("想借个粘鼠板", "thing", "老鼠夹两个 送人", True),
]


@pytest.mark.parametrize("need, kind, offer, meet", WORDS)
def test_what_meets(need, kind, offer, meet):
    assert compatible(about(need), about(offer), kind == "thing") is meet


def _window(text):
    found = find_window(text, MONDAY, TZ, HORIZON)
    return (found[0] if found else None) or [(MONDAY, HORIZON)]


def _overlap(a, b):
    return any(s1 < e2 and s2 < e1 for s1, e1 in _window(a) for s2, e2 in _window(b))


TIMES = [
    ("周六上午", "周末", True),
    ("周六上午", "周六下午", False),
    ("周六上午9点", "周六上午", True),
    ("明天晚上", "每天晚上", True),
    ("明天晚上", "明天上午", False),
    ("下周", "下周三下午", True),
    ("下周", "周三下午", False),            # this Wednesday, not next week's
    ("每周三下午", "下周三", True),
    ("每周三下午", "周四", False),
    ("12月20日", "周日", False),            # 12月20日 is the Sunday after next
    ("12月20日", "下周日", True),
    ("周日下午", "周六上午", False),
    ("", "周六上午", True),                 # no time: any time until it expires
    ("晚上", "明天晚上", True),
    ("这周末", "下周末", False),
    # hours of the day narrow it: a range, 下午2-4点, 早…到晚…, touching ends do not overlap
    ("周三 8:30-10:00", "周三下午", False),
    ("周三 8:30-10:00", "周三上午", True),
    ("明天下午三点到五点", "明天 13:00-14:30", False),
    ("明天下午三点到五点", "明天16:00", True),
    ("周四 10:00~11:00", "周四 11:00-12:00", False),
    ("每天8:00-12:00", "周五 13:00", False),
    ("每天8:00-12:00", "周五 10:00", True),
    ("周五下午2-4点", "周五 16:30", False),
    ("上午9点至下午5点", "今天下午3点", True),       # hours alone: every day's
    ("早7点到晚9点", "每晚10点后", False),
    ("晚上10点到凌晨1点", "周二 00:30", True),        # into the next day
    # one hour: the two from then; after it, to the day's end; before it, from the start
    ("周四 20:00", "周四上午", False),
    ("周四 20:00", "周四晚上", True),
    ("周六15:00以后", "周六上午", False),
    ("周六15:00以后", "周六晚上", True),
    ("每天晚上8点后", "每天上午", False),
    ("周日10点前", "周日下午", False),
    ("周日10点前", "周日早上", True),
    ("周三10点左右", "周三上午", True),
    ("周三下午两点起 一个半小时", "周三 16:00", False),
    # the weekdays of every week until the item expires
    ("平日晚上", "周六晚上", False),
    ("工作日", "周二", True),
    ("工作日", "下周四下午", True),
    ("只限工作日", "这周末", False),
    ("周二至周四", "周五", False),
    ("周二至周四", "下周三上午", True),
    ("周一到周五晚上", "周三 20:00", True),
    ("周一到周五晚上", "周三 10:00", False),
    ("每周二、四下午", "下周四 15:00", True),
    ("每周二、四下午", "周三下午", False),
    # days of one week, and two windows joined
    ("周末两天都行", "周日下午", True),
    ("周六、日", "周一", False),
    ("双休日", "周日", True),
    ("周六上午或周日下午", "周日 15:00", True),
    ("周六上午或周日下午", "周六下午", False),
    ("周五 有空 14:00以后", "周五上午", False),      # the day and its hours apart
    ("上午 周日", "周日下午", False),
]


@pytest.mark.parametrize("text, thing, read", [
    ("帐蓬一顶 可以借", "tent", True),             # an input-method slip for 帐篷 (a rare word in jieba's dictionary)
    ("营儿床 宝宝用不上了", "bed", True),           # 营儿 is no word: 婴儿
    ("眼睛刚做完手术，想找人陪我去复查", "glasses", False),   # 眼睛 is a common word, meant: no slip for 眼镜
])
def test_a_word_that_sounds_like_a_table_word_is_a_slip_only_when_it_is_no_common_word(text, thing, read):
    assert (thing in about(text).things) is read


@pytest.mark.parametrize("one, other, meet", TIMES)
def test_when_windows_overlap(one, other, meet):
    assert _overlap(one, other) is meet


def test_the_weekend_said_on_a_sunday_is_today_and_the_coming_one():
    sunday = MONDAY - 86400
    spans, _ = find_window("周末", sunday, TZ, sunday + 14 * 86400)
    days = [datetime.fromtimestamp(s, TZ).day for s, _ in spans]
    assert days == [6, 12, 13]                      # Sunday 6 December (from now on), Saturday 12, Sunday 13
    saturday, _ = find_window("周六上午", sunday, TZ, sunday + 14 * 86400)
    assert any(s1 < e2 and s2 < e1 for s1, e1 in spans for s2, e2 in saturday)


@pytest.mark.parametrize("text, words", [
    ("提供 周二 9:00-11:30 免费理发", "周二 9:00-11:30"),
    ("需要 周一到周五19:00以后 修吸尘器", "周一到周五19:00以后"),
    ("提供 保洁 仅工作日", "工作日"),
    ("提供 跑腿 早8点到晚6点", "早8点到晚6点"),
    ("需要 窗帘太长 裁短一点", None),                # a little, not one o'clock
    ("需要 出差住一晚", None),
    ("需要 0-6个月宝宝衣服", None),
    ("需要 3号楼 帮忙搬3点东西", None),
])
def test_the_words_that_name_a_window(text, words):
    found = find_window(text, MONDAY, TZ, HORIZON)
    assert (found[1] if found else None) == words


def test_a_time_already_past_has_no_span():
    spans, words = find_window("今天早上有人帮忙", MONDAY, TZ, HORIZON)
    assert spans == [] and words == "今天早上"


@pytest.fixture
async def console(tmp_path, redis_server, redis):
    async with console_of(COMMUNITY, tmp_path, redis_server) as session:
        await monday_morning(session)
        yield session


def proposed(out, who):
    return [t for t in to(out, who) if "接受 M" in t]


@pytest.mark.parametrize("text, ticket", [
    ("需要 楼道的灯坏了好几天", True),                     # the community's to fix
    ("需要 有人帮忙修下单元门的门禁", True),
    ("需要 帮我修一下我家冰箱", False),                    # one's own home
    ("需要 有人帮忙通下水道吗", False),
    ("需要 煤气灶点不着火 想找人看看", False),             # not a fire
    ("需要 电梯停了 帮忙把几箱水搬上楼", False),           # a favour, though the lift is out
    ("需要 被公司辞退了 想咨询劳动法", False),             # advice, not a complaint
    ("需要 卧室插座一插台灯就冒火花 谁会弄", False),       # an electrician's job at home
    ("需要 家里闹老鼠 想借个捕鼠器", False),               # a thing to borrow
])
async def test_a_need_is_a_report_only_when_the_community_must_see_to_it(console, text, ticket):
    out = await say(console, "li", text)
    assert bool(await console.runtime.services.tickets.ids()) is ticket, out


async def test_far_and_near_both_meet_near_first_and_told_roughly_where(console):
    await say(console, "zhao", "提供 可以帮忙修自行车")          # 9号楼: another grid
    await say(console, "wang", "提供 会修车，自行车都行")         # 5号楼: 3号楼's grid
    out = await say(console, "li", "需要 自行车坏了，想找人修")    # 3号楼
    told = [m["to"] for m in out if "接受 M" in m["text"] and m["to"] != "@li"]
    assert told == ["@wang", "@zhao"]
    li = proposed(out, "@li")
    assert "附近楼栋 5号楼" in li[0] and "本社区" in li[1]


async def test_an_expired_item_is_not_proposed(console):
    await say(console, "zhang", "提供 明天上午可以帮忙搬东西")
    await console.advance(2 * 86400)
    console.transcript.new()
    out = await say(console, "li", "需要 有人帮忙搬个柜子")
    assert proposed(out, "@li") == []


async def test_a_closed_item_is_not_proposed(console):
    await say(console, "zhang", "提供 可以帮忙搬东西")
    await say(console, "zhang", "关闭 X1")
    out = await say(console, "li", "需要 有人帮忙搬个柜子")
    assert proposed(out, "@li") == []


async def test_ones_own_offer_is_not_proposed_to_oneself(console):
    await say(console, "li", "提供 可以帮忙搬东西")
    out = await say(console, "li", "需要 有人帮忙搬个柜子")
    assert proposed(out, "@li") == []


async def test_only_the_best_few_are_proposed(console):
    for who in ("zhang", "wang", "zhao", "chen"):
        await say(console, who, "提供 可以帮忙搬东西")
    await say(console, "grid", "提供 可以帮忙搬家具")
    out = await say(console, "li", "需要 有人帮忙搬个柜子")
    assert len(proposed(out, "@li")) == 3                # [sharing] proposals, default 3
