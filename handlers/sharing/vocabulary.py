"""What 供需 items are about, as tables a community worker can read and extend: activities
(ACTS) and the trade words (TRADE), things by family with their broader kinds (THINGS), for
whom (WHOM), and the words that decide a report from a need (COMMUNAL, CALM, OWN). How a
text is read against them is `words.py`."""

from __future__ import annotations

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
SIDE = WHOM | {"part"}
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
ALIVE = frozenset({"pet", "dog", "cat", "fish", "newmother", "plants"})
# Who asks for their own home or for a neighbour's favour.
OWN = ("我家", "家里", "自家", "我的", "我们家", "家中", "俺家", "咱家")
# Words that say nothing about what is needed or offered.
STOP = frozenset("""需要 提供 闲置 有人 有没有 谁 谁能 能不能 可以 可 帮忙 帮 帮个忙 一下 一个 一辆 一台 一张 一把 一些
个 辆 台 张 把 件 只 免费 无偿 我 我们 你 您 大家 邻居 家里 家 想 请 麻烦 谢谢 一起 如果 的 了 吗 呢 吧 啊 在 有
和 与 或 也 都 还 就 是 不 没 没有 能 会 去 来 给 到 点 些 很 太 好 下 上 次 每周 每天 时间 时候 小时 欢迎 联系
社区 小区 活动室 看看 看 几天 使用 用 找 找人 人手 东西 楼 号 栋 单元 室 层 附近 上门 可借 借给 送给 出 人 位 多 少 大 小 新 旧 八成 九成 成新
有偿 急 急急急 求助 求帮 邻居们 大佬 师傅 懂 懂的 都行 都能 随叫随到 可约 服务 二手 旧的 也行 全套 单个 几件 一箱 几个 一点""".split())
