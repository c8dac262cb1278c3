"""Urgent messages: every one flagged, opened even in `mention` groups, staff on duty pushed,
and the emergency numbers posted when life is at risk."""

from __future__ import annotations

import pytest

from nlp import Classifier

URGENT = [
 # gas
 "楼道里一股煤气味，是不是哪家漏气了", "3栋2单元闻到很浓的天然气味道", "厨房燃气管道好像漏气了，味道很大",
 "5号楼楼道里全是煤气味，大家别开灯", "家里燃气表那里有嘶嘶的声音，还有味道",
 # fire / smoke
 "着火了！3栋12楼冒黑烟了", "地下车库有辆电动车烧起来了", "楼道里有烟，好像哪家着火了",
 "6号楼楼顶冒烟了，快看看", "垃圾房起火了，火很大", "隔壁家厨房冒出好多烟，敲门没人应",
 "电动车充电的时候自燃了", "配电箱烧焦了，有股焦糊味还冒烟",
 # trapped in a lift
 "7号楼电梯困人了！里面有个小孩", "3号楼电梯坏了，困住人了", "我被困在电梯里了，按警铃没人理", "电梯卡在两层中间，里面有人出不来",
 "有个老人关在电梯里半个小时了", "电梯突然停了，我妈在里面",
 # a fall
 "快来人！6栋有老人晕倒在楼梯口了", "楼下有个老人摔倒了起不来", "王奶奶在楼道摔了一跤，头在流血",
 "小区门口有人倒在地上不动了", "有个孩子从滑梯上摔下来了，胳膊好像断了",
 # elderly not seen for days
 "6栋的独居老人好几天没出门了", "对门的李大爷三天没见人了，敲门也没人应", "楼上独居的老太太好几天没动静了，电话也打不通",
 "隔壁孤寡老人一个星期没见到了，有点担心", "2单元的张奶奶好几天没下楼了，家里灯也不亮",
 # falling objects
 "高空抛物！刚才一个酒瓶从楼上掉下来", "外墙的瓷砖掉下来了，差点砸到人", "楼上的花盆掉下来砸到车了",
 "12楼的空调外机摇摇欲坠，随时要掉", "阳台上的玻璃掉下来了，楼下有小孩在玩", "有人从楼上往下扔东西，差点砸到孩子",
 # sparks / electrical
 "楼道电表箱一直在冒火花", "电线杆上的线在打火，噼里啪啦的", "充电桩冒火星了", "插座冒火花还有焦味",
 "楼下配电箱有电火花，还噼啪响", "小区路灯的电线断了垂在地上，还在冒火花",
 # violence
 "楼下两家吵起来了，已经动手了，有人拿着棍子",
]
NOT_URGENT = ["楼道灯不亮好几天了", "【温馨提示】发现燃气泄漏请拨打96777", "电梯又停了，什么时候修",
              "楼上装修太吵了", "垃圾没人清", "今天去看了奶奶，她身体挺好"]
LIFE = ["着火了！3栋12楼冒黑烟了", "楼下有个老人摔倒了起不来", "我被困在电梯里了，按警铃没人理"]


@pytest.fixture(scope="module")
def clf() -> Classifier:
    classifier = Classifier.from_file()
    classifier.warm_up()
    return classifier


@pytest.mark.parametrize("text", URGENT)
def test_every_urgent_message_is_flagged(clf, text):
    result = clf.classify(text)
    assert result.actionable and result.urgent and result.life_risk, (text, result.keywords)
    assert result.confidence >= clf.auto_threshold


@pytest.mark.parametrize("text", NOT_URGENT)
def test_ordinary_reports_notices_and_talk_are_not_urgent(clf, text):
    result = clf.classify(text)
    assert not result.urgent and not result.life_risk, (text, result.keywords)


@pytest.mark.parametrize("text", ["大家好，3栋着火了", "早上好 电梯里困人了", "哈哈哈 楼道里好大的煤气味",
                                  "在吗在吗 6栋有老人摔倒了起不来"])
def test_a_greeting_or_a_laugh_does_not_hide_danger_to_life(clf, text):
    result = clf.classify(text)
    assert result.actionable and result.urgent and result.life_risk, (text, result.keywords)


@pytest.mark.parametrize("text", [
    "你的爱就像火苗", "早上起不来，又迟到了", "电梯里碰到王阿姨了", "打火机放哪了", "落水管堵了，麻烦修一下",
    "【温馨提示】发现燃气泄漏请拨打96777", "老人摔倒了起不来，幸好已经没事了，谢谢大家",
])
def test_life_words_in_small_talk_and_notices_raise_no_alarm(clf, text):
    assert not clf.classify(text).life_risk, text


@pytest.mark.parametrize("text", ["5号楼水管爆了，楼道里全是水", "有两个男的在撬10号楼201的门，保安快过去！"])
def test_urgent_without_danger_to_life_is_urgent_but_without_emergency_numbers(clf, text):
    result = clf.classify(text)
    assert result.actionable and result.urgent and not result.life_risk


async def test_a_mention_group_gets_a_ticket_the_numbers_and_staff_a_push(console):
    await console.say("zhang", "b6", "6号楼2单元楼道里一股煤气味，是不是哪家漏气了")
    replies = console.transcript.new()
    group = [r["text"] for r in replies if r["to"] == "b6"]
    assert any("工单 #" in t for t in group), replies
    assert any("119" in t and "120" in t and "110" in t for t in group), group
    pushed = {r["to"] for r in replies if r["to"].startswith("@")}
    assert {"@secretary", "@grid"} <= pushed, replies
    [ticket_id] = await console.runtime.services.tickets.ids()
    ticket = await console.runtime.services.tickets.get(ticket_id)
    assert ticket.urgent and ticket.category == "安全隐患"


async def test_urgent_without_danger_to_life_opens_quietly_in_a_mention_group(console):
    await console.say("zhang", "b6", "6号楼水管爆了，楼道里全是水")
    replies = console.transcript.new()
    group = [r["text"] for r in replies if r["to"] == "b6"]
    assert any("工单 #" in t for t in group) and not any("119" in t for t in group), replies
    assert {"@secretary", "@grid"} <= {r["to"] for r in replies}


async def test_ordinary_reports_still_wait_to_be_addressed_in_a_mention_group(console):
    await console.say("zhang", "b6", "6号楼门口垃圾堆了三天没人清理")
    assert console.transcript.new() == []


@pytest.mark.parametrize("chat", ["b1", "b6"])   # an auto group and a mention group
async def test_staff_answering_in_a_group_open_nothing_unless_they_address_the_bot(console, chat):
    # Staff replies echo the report they answer, urgent words included.
    await console.say("grid", chat, "楼道里一股煤气味的那户已经联系上了，先别开灯，师傅马上到")
    await console.say("wuye_li", chat, "1号楼门口垃圾堆了三天没人清理的事，今天下午清走")
    assert console.transcript.new() == []
    assert await console.runtime.services.tickets.ids() == []
    await console.say("grid", chat, "@小邻 1号楼门口垃圾堆了三天没人清理")
    assert any("工单 #" in r["text"] for r in console.transcript.new() if r["to"] == chat)
