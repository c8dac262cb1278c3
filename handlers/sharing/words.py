"""What a need or an offer is about, as matching keys.

A text is cut by jieba (the classifier's Segmenter, with the community dictionary's place
names kept whole) and its words looked up in tables of concepts, by family: activities (修,
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

from nlp.normalize import standard
from nlp.segment import Segmenter

# Activities: a need asks for one, an offer of help gives one. The trade words say how a
# thing changes hands: `get` is asking for a thing (a need with no activity but a thing asks
# for the thing); `give` is what a 闲置 item does; `borrow` asks to use it for a while;
# `sell` offers it for money; `collect` takes things away (回收, 收废品: a need "有人收旧冰箱吗"
# wants someone to take it, an offer "上门收废品" wants the things — neither gives anything).
ACTS: dict[str, tuple[str, ...]] = {
    # repair, and what people write when something is broken (坏了, 不亮, 断了, 漏水…) or
    # needs fitting (安装, 装, 换, 翻新) — a need naming a thing and one of these asks for a service
    "repair": ("修", "维修", "修理", "修补", "修一修", "修好", "坏了", "坏", "检修", "修车", "修鞋", "补鞋", "修伞",
               "换灯泡", "通下水道", "疏通", "安装", "装", "拆装", "不转", "不亮", "不响", "不好使", "不好用",
               "出毛病", "毛病", "故障", "失灵", "没图像", "不制冷", "漏", "开锁", "换锁", "开不了机",
               "换", "换屏", "换电池", "换滤芯", "修表", "断", "断了", "塌", "塌了", "裂", "裂了", "碎了", "破了",
               "松了", "晃", "加固", "卡住", "堵", "堵了", "不灵", "不热", "没声", "没声音", "不出水", "报错",
               "打不着", "打不着火", "点不着", "没电", "没电了", "移", "死机", "黑屏", "进水", "翻新", "移机", "移位",
               "电工", "水电工", "木工", "维修工", "调试", "设置", "布线", "装系统", "重装",
               # more of what people write when a thing of theirs misbehaves
               "不凉", "不制热", "不出热水", "不工作", "不启动", "不开机", "开不了", "打不开", "关不上", "关不紧",
               "滴水", "渗水", "异响", "噪音大", "声音大", "短路", "松动", "卡顿", "不充电", "充不进电",
               "不显示", "不准", "脱落", "掉了", "开裂", "生锈", "下不去水", "反味", "结冰", "不通", "堵塞",
               # a computer's or a phone's
               "中毒", "病毒", "弹窗", "杀毒", "蓝屏", "装软件", "远程协助", "内存不足", "变慢", "很慢", "太慢", "卡",
               "不行了", "不加热", "不工作了", "挂墙", "打孔", "上墙",
               # more symptoms, and how people in the south and north say them (塞咗: 堵了; 唔凍: 不冷)
               "冒火星", "冒火花", "冒火星子", "塞住", "塞咗", "冲唔落", "冲不下去", "拧不动", "转不了", "关不严",
               "关不严实", "滑丝", "拧不上", "掉链子", "没影", "没影儿", "只有声", "着不了", "打不着了", "唔凍", "唔冻",
               "不冻", "不冷", "不动了", "不吸", "唔制热", "唔制冷", "识整", "放气", "加氟", "窟窿", "破洞", "换灯",
               "吸不动", "下不去", "出溜", "不转了", "调调", "修修", "拾掇", "拆下来", "不热乎"),
    "moving": ("搬", "搬运", "搬家", "扛", "抬", "挪", "挪动", "搬东西", "运", "清运", "拉走", "体力活",
               "力气活", "倒腾", "扔", "扔大件", "抬家具", "搬重物", "弄下楼", "搬下楼"),
    "haircut": ("理发", "剪", "剪发", "剪头", "剪头发", "理个发", "推头", "剃头", "理发店",
                "推个头", "剃个头", "剪个头", "理个头", "板寸", "寸头", "平头", "剪剪头"),
    "childcare": ("看孩子", "带孩子", "照看孩子", "看娃", "带娃", "托管", "接孩子", "接送孩子", "接送", "照看",
                  "接娃", "送娃", "帮看娃", "看小孩", "照看小孩",
                  # school runs: 放学 on its own says whose child
                  "放学", "送孩子", "送学校", "接放学"),
    # lessons of any subject; what is taught is a thing (作业, 钢琴, 书法, 手机…)
    "tutoring": ("辅导", "家教", "补课", "辅导作业", "功课", "教", "教教", "指导", "学", "讲解", "培训", "求教",
                 "请教", "教学", "上课", "老师", "陪练", "口语", "课程", "兴趣班", "培训班", "不会用", "手机课",
                 # everyday ways of asking to be taught (带带: show me how)
                 "带带", "求带", "指点", "教练", "练练", "练", "学学", "想学", "搞不懂", "改作文", "讲讲", "幼小衔接"),
    "errand": ("买菜", "代买", "跑腿", "取快递", "拿快递", "代购", "买药", "代取", "捎", "收快递", "拿药", "取药",
               "快递", "外卖", "代办", "排队", "挂号", "取件",
               "带饭", "带个饭", "打饭", "预约挂号", "约号", "专家号"),
    "company": ("陪", "陪同", "陪伴", "陪护", "陪诊", "陪聊", "聊天", "陪着", "散步", "走走", "遛弯", "推轮椅",
                "晒太阳", "推老人", "出门转转", "下楼转转",
                # a game or the paper with someone (下棋, 读报)
                "下棋", "象棋", "陪下棋", "打牌", "读报", "念报纸", "读书读报", "念念", "读报纸", "看着"),
    "eldercare": ("助浴", "助餐", "护理", "照护", "喂饭", "洗澡", "擦身", "护工", "洗头", "剪指甲", "看护"),
    "translate": ("翻译", "英语翻译", "英文翻译"),
    "plantcare": ("浇花", "浇水", "养花", "浇", "园艺", "养绿植"),
    "cleaning": ("打扫", "保洁", "清洁", "擦窗", "擦玻璃", "大扫除", "收拾", "清洗", "钟点工", "家政",
                 # putting a home in order (打包 before a move)
                 "打包", "收纳", "整理", "归位", "拆洗", "洗洗"),
    "cooking": ("做饭", "送餐", "烧饭", "煮饭", "包饺子", "做菜", "烧菜", "炒菜", "做一桌菜", "下厨", "厨师",
                "家常菜", "私房菜", "做顿饭", "做顿", "做饭阿姨", "做口饭"),
    "petcare": ("遛狗", "喂猫", "喂狗", "照顾宠物", "寄养", "代遛", "照看宠物", "喂鱼", "换水", "铲屎", "喂", "遛",
                "溜狗", "洗护", "宠物美容", "宠物洗护", "放风", "养鱼"),
    "sewing": ("缝", "缝补", "改衣服", "裁缝", "改裤脚", "改衣", "改小", "改大", "改短", "改长", "收腰", "缝纫",
               "裁短", "裁剪", "改窗帘", "锁边", "钉扣子", "织补",
               # needlework and knitting
               "针线活", "缝缝补补", "穿针", "织", "织毛衣", "打毛衣", "毛线活", "针法", "钩针"),
    "massage": ("按摩", "推拿", "理疗", "捏捏", "按按", "捏捏按按", "拔罐", "艾灸"),
    "checkup": ("量血压", "测血糖", "义诊", "体检",
                # a doctor's advice
                "医生", "健康咨询", "看病", "问诊", "全科", "换药", "大夫"),
    # a counsellor's ear
    "counselling": ("心理", "心理咨询", "心理咨询师", "焦虑", "抑郁", "情绪", "厌学", "不想上学", "心理疏导"),
    # forms and offices: 社保, 医保, 居住证, 养老认证 (刷脸)
    "paperwork": ("填表", "表格", "报销", "居住证", "户籍", "户口", "社保", "医保", "养老认证", "认证", "刷脸",
                  "缴费", "续费", "办理流程", "办证", "退休工资"),
    # finding work
    "jobhelp": ("简历", "求职", "面试", "找工作", "改简历", "模拟面试", "求职材料"),
    # pictures of people
    "photo": ("拍照", "照相", "照张相", "摄影", "全家福", "拍全家福", "证件照", "摄影师"),
    # a seat in someone's car
    "ride": ("顺风车", "拼车", "搭车", "带一程", "搭个车", "蹭车", "捎一个", "捎个人", "顺路"),
    # print, copy, scan
    "printing": ("打印", "复印", "扫描", "打印复印", "电子版", "扫描件"),
    # advice on the law: a lawyer's, legal aid, and what people ask it about
    "legal": ("法律", "律师", "法律援助", "法律咨询", "法援", "劳动法", "劳动合同", "仲裁", "维权", "离婚", "遗嘱",
              "继承", "辞退", "欠薪", "赔偿", "合同纠纷", "婚姻家事", "打官司", "起诉",
              "押金", "退押金", "拖欠工资", "欠工资", "讨薪", "纠纷", "劳动纠纷", "租房纠纷", "理赔", "不赔", "交通事故",
              "工伤", "房东"),
    # rebuilding a room (a builder), not the debris it leaves (装修垃圾: a thing to haul)
    "renovation": ("装修", "装修师傅", "改造", "刷墙", "铺地板", "贴瓷砖", "防水", "背景墙", "电视背景墙"),
    "borrow": ("借", "借用", "租", "借我", "借一下"),
    "get": ("要", "求", "想要", "求购", "想买", "买", "蹲", "缺", "缺个", "投喂", "领养", "收养"),
    "give": ("送", "赠", "赠送", "转让", "出借", "免费送", "送人", "白送", "闲置", "随便拿"),
    "sell": ("出售", "卖", "转卖", "售", "便宜卖", "二手出售"),
    "collect": ("收", "回收", "收购", "收废品", "上门收", "收二手", "高价收", "收旧", "废品回收"),
}
# The trade words: how a thing changes hands, not a service.
TRADE = frozenset({"get", "give", "borrow", "sell", "collect"})
# Things, each with the broader thing it is a kind of (None: none). Two things meet when they
# are the same or one is the broader kind of the other (家电 and 冰箱), never as siblings
# (冰箱 and 洗衣机; 猫砂 and 猫爬架; 钢琴 and 数学).
THINGS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "appliance": (None, ("家电", "电器", "小家电", "厨电", "家用电器", "厨房电器")),
    "fridge": ("appliance", ("冰箱", "冰柜", "雪柜", "冰格", "冷冻室", "冷藏室")),
    "washer": ("appliance", ("洗衣机", "滚筒", "滚筒洗衣机", "波轮", "洗衣机内筒")),
    "tv": ("appliance", ("电视", "电视机", "机顶盒", "液晶电视", "彩电")),
    "aircon": ("appliance", ("空调", "冷气机", "冷气", "空调机")),
    "microwave": ("appliance", ("微波炉", "烤箱")),
    "waterheater": ("appliance", ("热水器", "电热水器", "燃气热水器", "壁挂炉", "热水炉")),
    "heater": ("appliance", ("电暖器", "取暖器", "电暖气", "油汀", "暖风机", "小太阳", "浴霸")),
    "ricecooker": ("appliance", ("电饭煲", "电饭锅")),
    "fan": ("appliance", ("电风扇", "风扇", "电扇", "落地扇", "台扇")),
    # the kitchen's appliances
    "stove": ("appliance", ("燃气灶", "煤气灶", "灶具", "灶台", "电磁炉", "灶")),
    "hood": ("appliance", ("油烟机", "抽油烟机")),
    "dishwasher": ("appliance", ("洗碗机",)),
    "sterilizer": ("appliance", ("消毒柜", "消毒碗柜")),
    "waterpurifier": ("appliance", ("净水器", "净水机")),
    "airpurifier": ("appliance", ("空气净化器", "净化器")),
    "humidifier": ("appliance", ("加湿器",)),
    "dehumidifier": ("appliance", ("除湿机", "除湿器", "抽湿机")),
    # the small ones
    "vacuum": ("appliance", ("吸尘器", "扫地机", "扫地机器人", "拖地机", "洗地机")),
    "kettle": ("appliance", ("电水壶", "热水壶", "烧水壶")),
    "blender": ("appliance", ("豆浆机", "榨汁机", "破壁机", "料理机")),
    "coffeemaker": ("appliance", ("咖啡机",)),
    "airfryer": ("appliance", ("空气炸锅",)),
    "blanket": ("appliance", ("电热毯", "电褥子")),
    "furniture": (None, ("家具", "家私", "桌椅")),
    # cabinets: a wardrobe, a bookcase, a shoe cabinet are different things (柜子: any of them)
    "cabinet": ("furniture", ("柜子", "小柜子", "储物柜")),
    "wardrobe": ("cabinet", ("衣柜", "衣橱", "大衣柜")),
    "bookcase": ("cabinet", ("书柜", "书架", "书橱")),
    "shoecabinet": ("cabinet", ("鞋柜", "鞋架")),
    "kitchencabinet": ("cabinet", ("橱柜",)),
    "sofa": ("furniture", ("沙发", "皮沙发")),
    "bed": ("furniture", ("床", "床垫", "婴儿床", "床板", "床架")),
    "table": ("furniture", ("桌子", "桌")),
    # a desk, a dining table and a coffee table are different things
    "desk": ("table", ("书桌", "学习桌", "写字台", "电脑桌", "写字桌", "办公桌")),
    "diningtable": ("table", ("餐桌", "饭桌")),
    "coffeetable": ("table", ("茶几",)),
    "chair": ("furniture", ("椅子", "凳子", "餐椅", "椅", "板凳", "折叠椅", "办公椅", "人体工学椅", "电脑椅", "转椅")),
    "shelf": ("furniture", ("架子", "置物架")),
    # what is fixed to the walls of a home (an installer's)
    "doorwindow": (None, ("门窗", "窗户", "合页", "防盗门", "窗框", "玻璃")),
    "fixture": (None, ("晾衣架", "窗帘", "窗帘杆", "挂画", "挂钩", "门帘", "纱窗", "镜子", "纱网", "防蚊网", "窗纱")),
    "vehicle": (None, ("车",)),
    "bicycle": ("vehicle", ("自行车", "单车", "脚踏车", "童车", "儿童车")),
    "ebike": ("vehicle", ("电动车", "电瓶车", "电驴", "小电驴", "电单车", "电摩", "电动自行车")),
    "stroller": ("vehicle", ("婴儿车", "推车", "手推车", "童推车")),
    # health: what helps the body, not a doctor's service
    "medical": (None, ("医疗器械", "护理用品")),
    "wheelchair": ("medical", ("轮椅",)),
    "bpmeter": ("medical", ("血压计", "血压仪")),
    "glucometer": ("medical", ("血糖仪",)),
    "thermometer": ("medical", ("体温计", "温度计", "额温枪")),
    "oximeter": ("medical", ("血氧仪",)),
    "walker": ("medical", ("拐杖", "助行器", "拐棍", "棍儿", "拄拐", "手杖")),
    "oxygen": ("medical", ("制氧机", "氧气瓶")),
    "nebulizer": ("medical", ("雾化器", "雾化机")),
    "digital": (None, ("数码", "电子产品")),
    "phone": ("digital", ("手机", "智能手机", "微信", "支付宝", "健康码", "扫码", "iphone", "苹果手机", "华为手机",
                          "医保码", "电子凭证", "医保电子凭证", "小程序", "app", "视频通话", "视频聊天")),
    "tablet": ("digital", ("平板", "平板电脑", "ipad")),
    "computer": ("digital", ("电脑", "笔记本", "打印机", "台式机", "笔记本电脑", "主机")),
    "network": ("digital", ("wifi", "无线网", "网络", "路由器", "宽带", "网线", "中继", "信号", "网", "网速")),
    "powerbank": ("digital", ("充电宝", "移动电源")),
    "audio": ("digital", ("音箱", "音响", "蓝牙音箱", "话筒", "麦克风", "耳机")),
    "camera": ("digital", ("相机", "摄像头", "投影仪")),
    "watch": (None, ("手表", "钟表", "闹钟", "挂钟")),
    "plumbing": (None, ("水电", "水管", "下水道", "马桶", "水龙头", "漏水", "地漏", "管道", "水槽", "水池", "洗手池", "洗菜池", "面盆", "下水")),
    "wiring": (None, ("水电", "电路", "插座", "开关", "灯泡", "电灯", "灯", "跳闸", "灯具", "电线", "吸顶灯", "灯管",
                       "排插", "插线板")),
    "clothes": (None, ("衣服", "衣物", "童装", "外套", "棉袄", "鞋子", "校服", "冬装", "夏装", "裤子", "裙子",
                       "羽绒服", "毛衣", "棉服", "棉衣", "毛线")),
    "books": (None, ("书", "图书", "书籍")),
    "kidsbooks": ("books", ("绘本", "童书", "课外书", "故事书", "漫画")),
    # what one studies from for school or an exam
    "studybooks": ("books", ("教材", "资料", "复习资料", "学习资料")),
    # for school (课本, 教辅) and for an exam after it (考公, 考研): the same shelf, not the same book
    "schoolbooks": ("studybooks", ("课本", "教辅", "习题", "练习册", "高中", "初中", "中考", "高考", "试卷")),
    "exambooks": ("studybooks", ("考公", "考研", "公务员", "行测", "申论", "真题", "考编", "教资", "司考")),
    "toys": (None, ("玩具", "积木", "乐高")),
    # what is taught: school subjects, music, calligraphy, drawing — siblings that do not meet
    "lessons": (None, ()),
    "homework": ("lessons", ("作业", "数学", "英语", "英文", "语文", "物理", "化学", "奥数", "小学作业", "理科", "文科",
                             "作文", "日记", "周记", "古诗", "古诗词", "唐诗", "拼音", "识字", "声母", "韵母")),
    "coding": ("lessons", ("编程", "少儿编程", "scratch", "python")),
    # sports: swimming and table tennis are different lessons
    "swimming": ("lessons", ("游泳", "旱鸭子")),
    "pingpong": ("lessons", ("乒乓球",)),
    "taichi": ("lessons", ("太极", "太极拳", "打太极", "拳", "打拳")),
    "pe": ("lessons", ("体育", "跳绳", "立定跳远", "体育中考")),
    "music": ("lessons", ("钢琴", "吉他", "古筝", "小提琴", "二胡", "乐器", "唱歌", "声乐", "尤克里里", "民谣琴", "弹唱")),
    "calligraphy": ("lessons", ("书法", "毛笔字", "练字", "硬笔")),
    "drawing": ("lessons", ("画画", "美术", "绘画", "素描")),
    "children": (None, ("儿童", "小孩", "孩子", "宝宝", "小朋友", "娃", "男童", "女童", "婴儿", "孙子", "孙女",
                          "娃儿", "娃娃", "小娃", "细路", "小学生", "外孙", "外孙女")),
    "elderly": (None, ("老年痴呆", "老人", "老年人", "长辈", "外婆", "奶奶", "爷爷", "外公", "我爸", "我妈", "老爷子", "老太太",
                         "老头子", "老伴", "老汉儿", "大爷", "大妈")),
    "women": (None, ("女士", "女装", "女款", "女式")),
    "men": (None, ("男士", "男装", "男款", "男式")),
    # care after a birth (月嫂): a person's, not a pet's
    "newmother": (None, ("月嫂", "产后", "坐月子", "产妇", "育儿嫂", "新手妈妈", "哄睡", "冲奶", "拍嗝")),
    "pet": (None, ("宠物",)),
    "dog": ("pet", ("狗", "小狗", "狗狗", "二哈", "哈士奇", "泰迪", "金毛", "柯基", "比熊", "小型犬")),
    "cat": ("pet", ("猫", "小猫", "猫咪")),
    "fish": ("pet", ("鱼", "金鱼", "鱼缸", "热带鱼")),
    "smallpet": ("pet", ("仓鼠", "兔子", "小兔子", "龙猫", "鹦鹉")),
    # what pets use: different goods that do not meet one another
    "petsupplies": (None, ("宠物用品",)),
    "petfood": ("petsupplies", ("猫粮", "狗粮", "宠物粮", "冻干", "猫罐头")),
    "litter": ("petsupplies", ("猫砂", "猫砂盆")),
    "petgear": ("petsupplies", ("猫爬架", "狗笼", "宠物笼", "猫笼", "航空箱", "牵引绳", "狗窝", "猫窝")),
    "baby": (None, ("母婴用品", "婴儿用品")),
    "diapers": ("baby", ("纸尿裤", "尿不湿", "拉拉裤", "尿布")),
    "babybath": ("baby", ("澡盆", "洗澡盆", "浴盆", "浴架", "婴儿浴盆")),
    "carseat": ("baby", ("安全座椅", "儿童座椅")),
    "lock": (None, ("锁", "门锁", "锁芯", "开锁", "换锁")),
    # tools: a ladder, a drill and a spanner are different things to borrow
    "tools": (None, ("工具", "五金工具")),
    "ladder": ("tools", ("梯子", "人字梯", "折叠梯", "伸缩梯", "爬梯")),
    "drill": ("tools", ("电钻", "冲击钻", "手电钻", "电锤")),
    "handtools": ("tools", ("扳手", "螺丝刀", "锤子", "钳子", "工具箱", "卷尺", "家伙什")),
    "carwasher": ("tools", ("洗车机", "洗车水枪", "水枪", "高压水枪")),
    "outdoor": (None, ("户外用品",)),
    "tent": ("outdoor", ("帐篷", "篷子", "天幕", "睡袋", "防潮垫", "野餐垫", "露营")),
    "plants": (None, ("绿植", "盆栽", "多肉", "绿萝", "吊兰", "花苗", "小苗", "发财树")),
    "pots": (None, ("花盆",)),
    # what one cooks and eats with
    "kitchenware": (None, ("锅", "炒锅", "锅碗瓢盆", "碗", "碗筷", "餐具", "厨具", "炊具", "锅具", "平底锅", "汤锅")),
    # greens and roots from a neighbour's plot
    "vegetables": (None, ("蔬菜", "青菜", "绿叶菜", "小白菜", "萝卜", "白菜", "菠菜", "自家种")),
    # what one sleeps under
    "bedding": (None, ("铺盖", "被子", "棉被", "被褥", "床单", "被套", "枕头", "褥子", "四件套")),
    # glasses, and an optician's adjustments
    "glasses": (None, ("眼镜", "老花镜", "近视眼镜", "镜架", "镜腿", "鼻托")),
    # warmers one holds, not a heater
    "warmers": (None, ("热水袋", "暖宝宝", "暖手宝")),
    "printer": ("computer", ("扫描仪", "复印机")),
    "office": ("computer", ("幻灯片", "ppt", "excel", "办公软件", "word", "表格软件")),
    # what is warm in a home: a radiator, floor heating (bled, cleaned)
    "heating": (None, ("暖气", "暖气片", "地暖", "暖通")),
    # catching mice and roaches at home
    "pestcontrol": (None, ("老鼠夹", "粘鼠板", "捕鼠器", "鼠夹", "蟑螂药", "杀虫剂", "灭蟑")),
    "boxes": (None, ("纸箱", "纸盒", "箱子", "收纳箱")),
    "debris": (None, ("装修垃圾", "建筑垃圾", "大件垃圾")),
    "hair": (None, ("头发",)),
    # a part of a thing (电饭煲内胆, 净水器滤芯): not the thing itself
    "part": (None, ("内胆", "配件", "零件", "滤芯", "遥控器", "充电器", "锅盖",
                     # what goes with a thing: a bike's pump, a sofa's cushions, a phone's case
                     "辅助轮", "打气筒", "沙发垫", "坐垫", "头盔", "琴凳", "钢琴凳", "手机壳", "钢化膜",
                     "手机膜", "跑轮", "打印纸", "a4纸", "猫抓板", "车筐", "车锁")),
}
# For whom a need or an offer is (儿童自行车 is about the bicycle, 男童冬装 about clothes for a
# boy): not what it is about; but two that name different people do not meet (男童/女士).
WHOM = frozenset({"children", "elderly", "women", "men"})
# Qualifiers: said of a thing without being the thing (a part of it).
_SIDE = WHOM | {"part"}
# What the community must fix, not a neighbour: a 需要 naming one of these and asking no help
# but a repair or a cleaning is a report, and goes to the tickets.
COMMUNAL = ("电梯", "楼道", "楼梯间", "路灯", "消防", "灭火器", "消防栓", "单元门", "门禁", "井盖", "化粪池", "外墙",
            "公共区域", "公共", "垃圾站", "垃圾桶", "绿化", "道闸", "监控", "暖气片", "供暖", "停车场", "楼顶")
# Words a danger reading mistakes ("打不着火" is a stove that will not light, not a fire).
CALM = ("打不着火", "点不着火", "打不着", "点不着", "不着火",
        # a socket of one's own that sparks wants an electrician, not the fire brigade
        "冒火星子", "冒火星", "冒火花")
# Having a look at a thing (帮忙看看电脑) asks for a repairer's eye.
LOOK = ("看看", "看一下", "看下", "瞧瞧", "检查", "帮看")
# What is alive: looked after, not looked at.
_ALIVE = frozenset({"pet", "dog", "cat", "fish", "newmother", "plants"})
# Who asks for their own home or for a neighbour's favour.
OWN = ("我家", "家里", "自家", "我的", "我们家", "家中", "俺家", "咱家")
# Words that say nothing about what is needed or offered.
STOP = frozenset("""需要 提供 闲置 有人 有没有 谁 谁能 能不能 可以 可 帮忙 帮 帮个忙 一下 一个 一辆 一台 一张 一把 一些
个 辆 台 张 把 件 只 免费 无偿 我 我们 你 您 大家 邻居 家里 家 想 请 麻烦 谢谢 一起 如果 的 了 吗 呢 吧 啊 在 有
和 与 或 也 都 还 就 是 不 没 没有 能 会 去 来 给 到 点 些 很 太 好 下 上 次 每周 每天 时间 时候 小时 欢迎 联系
社区 小区 活动室 看看 看 几天 使用 用 找 找人 人手 东西 楼 号 栋 单元 室 层 附近 上门 可借 借给 送给 出 人 位 多 少 大 小 新 旧 八成 九成 成新
有偿 急 急急急 求助 求帮 邻居们 大佬 师傅 懂 懂的 都行 都能 随叫随到 可约 服务 二手 旧的 也行 全套 单个 几件 一箱 几个 一点""".split())
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
        return self.things - _SIDE

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
    if not acts - TRADE and any(word in norm for word in LOOK) and things - _SIDE - _ALIVE:
        # "帮忙看看电脑": a look at a thing is what a repairer does (not at a dog: 看狗 is care)
        acts |= {"repair"}
    if "repair" in acts and "clothes" in things:
        acts |= {"sewing"}        # mending clothes is sewing (衣服破了 / 缝补)
    main = things - _SIDE
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
