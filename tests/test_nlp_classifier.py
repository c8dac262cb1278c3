"""The default rules on representative resident messages, the dev set and real chit-chat."""

from __future__ import annotations

import csv
import io
import json
import logging
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from nlp import Classification, Classifier
from nlp.evaluate import read_lines

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TAXONOMY = ("设施维修", "环境卫生", "噪音扰民", "停车交通", "物业服务", "安全隐患", "邻里纠纷",
            "养老服务", "托育教育", "政策咨询", "意见建议", "其他")


@pytest.fixture(scope="module")
def clf() -> Classifier:
    classifier = Classifier.from_file()
    classifier.warm_up()
    return classifier


def test_api_shape(clf):
    assert clf.categories == TAXONOMY
    assert 0 < clf.actionable_threshold <= clf.auto_threshold <= 1
    result = clf.classify("3号楼电梯坏了，麻烦物业来修一下")
    assert isinstance(result, Classification)
    data = result.to_dict()
    assert set(data) == {"text", "actionable", "category", "urgent", "confidence",
                         "keywords", "location", "life_risk"}
    assert data["location"] == {"building": "3", "unit": None, "room": None}
    assert isinstance(data["keywords"], list) and "电梯坏了" in data["keywords"]
    assert data["confidence"] == round(result.confidence, 3)
    json.dumps(data, ensure_ascii=False)  # JSON-ready


@pytest.mark.parametrize("text, category", [
    ("3号楼2单元楼道灯不亮好几天了", "设施维修"),
    ("下水道堵了，厨房的水下不去", "设施维修"),
    ("楼上漏水到我家了，卫生间天花板一直在滴水", "设施维修"),
    ("电梯又停了！！！", "设施维修"),
    ("家里下水到堵了，谁来看看", "设施维修"),            # pinyin slip: 下水到 = 下水道
    ("垃圾没人清，臭死了", "环境卫生"),
    ("草坪上好多狗屎，遛狗的能不能自己捡一下", "环境卫生"),
    ("广场舞太吵了，每天晚上放到十点多", "噪音扰民"),
    ("楼上半夜装修，电钻声吵得人睡不着", "噪音扰民"),
    ("隔壁邻居的狗一整夜都在叫", "噪音扰民"),              # barking is noise, not a dispute
    ("有辆白色车一直占用我的车位，打电话也不接", "停车交通"),
    ("小区里乱停车太严重了", "停车交通"),
    ("物业费交了服务却这么差", "物业服务"),
    ("门禁卡丢了，去哪里补办？", "物业服务"),
    ("保安上班时间在睡觉，谁都能随便进小区", "物业服务"),
    ("电动车在楼道里充电，太危险了", "安全隐患"),
    ("有人飞线充电，电线从五楼拉下来", "安全隐患"),
    ("消防通道被堵了，堆满了杂物", "安全隐患"),
    ("高空抛物！刚才一个酒瓶从楼上掉下来", "安全隐患"),
    ("楼道里闻到很重的燃气味道", "安全隐患"),
    ("5号楼楼顶有人违章搭建", "安全隐患"),
    ("对门邻居把鞋柜放在楼道里，说了好几次也不搬", "邻里纠纷"),
    ("和隔壁因为公共墙的事吵起来了，希望社区出面调解", "邻里纠纷"),
    ("6栋的独居老人好几天没出门了，谁能去看看", "养老服务"),
    ("社区有老年食堂吗", "养老服务"),
    ("养老补贴什么时候发", "养老服务"),
    ("孩子放学没人接，社区有没有托管班", "托育教育"),
    ("幼儿园入园要准备什么材料", "托育教育"),
    ("请问老年卡怎么办理", "政策咨询"),
    ("医保怎么在社区办理？", "政策咨询"),
    ("居住证过期了怎么续签", "政策咨询"),
    ("建议在小区里增加几个充电桩", "意见建议"),
    ("希望能在中心花园多装几个长椅", "意见建议"),
    ("投诉一下，有人在群里天天发赌博链接", "其他"),
])
def test_reports_open_tickets_in_the_right_category(clf, text, category):
    # Said to the bot: in an `auto` group a report this model is less sure of waits in the
    # triage queue instead (tests/test_triage.py, bench/group_talk.py).
    result = clf.classify(text, addressed=True)
    assert result.actionable, (text, result.confidence, result.keywords)
    assert result.category == category, (text, result.category, result.keywords)
    assert result.keywords
    assert min(clf.actionable_threshold, clf.triage_threshold) <= result.confidence <= 1


@pytest.mark.parametrize("text", [
    "早上好", "晚安各位", "收到", "好的好的", "哈哈哈哈哈", "👍👍👍", "[玫瑰][玫瑰]", "",
    "谢谢物业把路灯修好了", "电梯已经修好了，谢谢物业", "下水道已经通了，感谢维修师傅",
    "【通知】明天上午9点停水", "【温馨提示】本周六上午在中心广场举行消防演练",
    "物业通知：明天上午清洗二次供水水箱，届时暂停供水",
    "出一个婴儿车，九成新，要的私聊", "团购的水果到了，在门口自提",
    "今天电梯里碰到王阿姨了，精神特别好", "今天好热啊，出门一身汗", "明天要下大雨了",
    "孩子今天第一天上幼儿园，哭了一早上", "我家狗狗今天在草坪上玩疯了",
    "这家的包子真好吃，推荐给大家", "有人要一起跳广场舞吗", "生日快乐！",
    "新装的人脸识别门禁还挺灵的", "社区助餐点的饭菜挺合口味", "明天降温，大家注意加衣服",
])
def test_chitchat_notices_and_thanks_stay_quiet(clf, text):
    result = clf.classify(text)
    assert not result.actionable, (text, result.confidence, result.keywords)
    assert result.category is None and not result.urgent
    assert result.confidence < clf.actionable_threshold


@pytest.mark.parametrize("text, urgent", [
    ("着火了！3栋12楼冒黑烟了，快打119", True),
    ("楼道里有很重的煤气味，是不是燃气泄漏了", True),
    ("7号楼电梯困人了！里面有个小孩", True),
    ("快来人！6栋有老人晕倒在楼梯口了", True),
    ("车里锁着个小孩在哭，车窗全关着，谁认识车主", True),
    ("楼上扔下来一个花盆，差一点就砸头上了", True),
    ("楼道灯不亮好几天了", False),
    ("【温馨提示】发现燃气泄漏请拨打96777", False),   # a notice is never urgent
])
def test_urgency(clf, text, urgent):
    result = clf.classify(text)
    assert result.urgent is urgent, (text, result.keywords)
    if urgent:
        assert result.actionable


def test_a_fix_followed_by_a_new_problem_is_a_report(clf):
    assert not clf.classify("路灯修好了，谢谢").actionable
    assert clf.classify("路灯修好了没几天又坏了").actionable


def test_notice_words_inside_a_complaint_do_not_silence_it(clf):
    assert clf.classify("停水了也不提前通知一下，什么时候来水？").actionable


def test_topic_alone_is_not_enough_but_topic_and_problem_is(clf):
    alone, report = clf.classify("电梯"), clf.classify("电梯坏了")
    assert not alone.actionable and report.actionable
    assert report.confidence > alone.confidence


def test_auto_threshold_is_reachable_for_clear_reports(clf):
    assert clf.classify("3号楼电梯坏了，老人下不了楼，麻烦物业快来修").confidence \
        >= clf.auto_threshold


def test_no_stdout_and_global_jieba_untouched():
    import jieba
    out = io.StringIO()
    with redirect_stdout(out):
        fresh = Classifier.from_file()
        fresh.warm_up()
        fresh.classify("楼道灯不亮")
    assert out.getvalue() == ""
    assert logging.getLogger("jieba").getEffectiveLevel() >= logging.WARNING
    # The rule words live in the classifier's own tokenizer, not jieba's global one.
    assert "飞线充电" not in jieba.dt.FREQ


def _dev_rows() -> list[tuple[str, str]]:
    lines = (DATA / "resident_messages.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "text\tlabel"
    return [tuple(line.split("\t")) for line in lines[1:] if line.strip()]


def test_dev_set_is_well_formed():
    rows = _dev_rows()
    labels = {label for _, label in rows}
    assert labels <= set(TAXONOMY) | {"chitchat"}
    for category in TAXONOMY:
        assert sum(label == category for _, label in rows) >= 15, category
    assert len(rows) >= 250


def test_dev_set_floors(clf):
    rows = _dev_rows()
    reports = [(t, c) for t, c in rows if c != "chitchat"]
    quiet = [t for t, c in rows if c == "chitchat"]
    quiet += (DATA / "chitchat_messages.txt").read_text(encoding="utf-8").splitlines()
    results = [(clf.classify(t), c) for t, c in reports]
    found = [(r, c) for r, c in results if r.actionable]
    recall = len(found) / len(reports)
    accuracy = sum(r.category == c for r, c in found) / len(found)
    false_tickets = sum(clf.classify(t).actionable for t in quiet if t) / len(quiet)
    assert recall >= 0.93, recall
    assert accuracy >= 0.90, accuracy
    assert false_tickets <= 0.01, false_tickets


def _shared(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} not available (needs ../shared/data)")
    return path


def _lccc_turns() -> list[str]:
    turns = []
    with _shared("chitchat/lccc_toy_train.txt").open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % 3 == 0:                           # a deterministic third is plenty
                turns += [t.replace(" ", "") for t in line.rstrip("\n").split("\t") if t.strip()]
    return turns


def _smp_chat() -> list[str]:
    with _shared("chitchat/smp2017_ecdt_task1.tsv").open(encoding="utf-8") as f:
        return [row[2] for row in csv.reader(f, delimiter="\t")
                if len(row) > 2 and row[1] == "chat"]


def _crosswoz() -> list[str]:
    with _shared("chitchat/crosswoz_test_user_turns.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


@pytest.mark.parametrize("corpus", [_lccc_turns, _smp_chat, _crosswoz],
                         ids=["lccc", "smp2017-chat", "crosswoz"])
def test_real_chitchat_false_tickets(clf, corpus):
    texts = corpus()
    assert len(texts) > 500
    rate = sum(clf.classify(t).actionable for t in texts) / len(texts)
    assert rate <= 0.02, rate   # the goal for real small talk


def test_real_citizen_complaints_are_actionable(clf):
    path = _shared("tipdm2020c/fujian4_2816_messages_with_replies.csv")
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:600]
    texts = [f"{r['留言主题']}。{' '.join(r['留言详情'].split())}" for r in rows]
    rate = sum(clf.classify(t).actionable for t in texts) / len(texts)
    assert rate >= 0.9, rate


def test_the_issue_bars_on_messages_written_after_the_rules():
    """Twenty-one sets written apart from the rule file (each measured before the rules saw it:
    README), with the bars the issue sets for unseen messages."""
    clf = Classifier.from_file()
    lines = (DATA / "resident_messages_urgency.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "text\tlabel\turgent"
    rows = [line.split("\t") for line in lines[1:] if line.strip()]
    reports = [(clf.classify(t), label, urgent == "1") for t, label, urgent in rows if label != "chitchat"]
    quiet = [t for t, label, _ in rows if label == "chitchat"]
    found = [(r, label) for r, label, _ in reports if r.actionable]
    assert len(found) / len(reports) >= 0.92
    assert sum(r.category == label for r, label in found) / len(found) >= 0.85
    assert sum(clf.classify(t).actionable for t in quiet) / len(quiet) <= 0.03
    assert [r.text for r, _, urgent in reports if urgent and not r.urgent] == []


@pytest.mark.parametrize("text, actionable", [
    ("社区有托管班吗？", True),                          # a service question to the community
    ("请问大家娃上的哪家幼儿园呀？", False),               # ... to the neighbours
    ("有人知道社区食堂几点开饭吗", False),
    ("宝妈们，四点半课堂是免费的吗？", False),
    ("四点半课堂是免费的吗？", True),
    ("大家家里停水了吗？我家一滴水都没有", True),          # trouble said: a report whoever is asked
    ("有人知道物业为什么还不修电梯吗，都坏三天了", True),
])
def test_a_question_put_to_the_neighbours_is_not_a_request(clf, text, actionable):
    assert clf.classify(text).actionable is actionable, clf.classify(text).keywords


def test_hard_small_talk_stays_mostly_quiet(clf):
    """450 messages of small talk written to mention what reports are about (praise for a fix,
    stories that are over, questions put to neighbours, news from elsewhere) with no request:
    a regression guard at the level measured when they were learned from (README)."""
    texts = read_lines(DATA / "hard_chitchat.txt")
    assert len(texts) == 450
    assert sum(clf.classify(t).actionable for t in texts) / len(texts) <= 0.11
