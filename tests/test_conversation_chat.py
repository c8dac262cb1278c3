"""Conversations with the bot (#16): every 1:1 message gets an answer (thanks, 🙏, "好的",
English, chit-chat, a follow-up on an open ticket, a bare score after a rating request);
a follow-up nudges whoever holds the ticket, once a day; 人工客服 reaches someone on duty;
"我同意" during a poll is told how to vote; 评价 takes Chinese numerals and says the score
must be 1 to 5; 派单 with nobody asks whom; 查询 names 系统 and says how much history it
shows; 待办 gives each ticket's words, place, due time and holder; a message longer than its
platform allows is cut with "…（全文见工单 #N）" when it carries a ticket's text; a Telegram
sticker, voice message or photo 1:1 is answered too.

The demo community: zhang (张阿姨) lives in building 3, whose grid worker is grid (林网格员);
设施维修 is routed to wuye_li (李经理（物业）)."""

import re

import pytest
from telegram import Bot

from bot.channels.base import fitted
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import update_to_event
from bot.channels.wechat import OfficialAccount
from bot.channels.wecom import WeCom
from bot.delivery import Delivery
from bot.worker import Worker
from handlers.events import Outgoing
from tests.fake_telegram import update

GREETING = "您好，我是小邻，社区的小助手。"
NOT_UNDERSTOOD = "没有看出需要处理的问题哦。"
PROGRESS = "您的工单进展：\n#1 设施维修 · "
RATE_ASK = "请给工单 #1 打个分：1-5 分"
RATE_RANGE = "分数要在 1-5 分之间"
RATED = "感谢评价！工单 #1 已结案（{} 分）。"


async def say(console, who, text, chat=None):
    await console.say(who, chat, text)
    return console.transcript.new()


def to(out, whom):
    return [m["text"] for m in out if m["to"] == whom and not m["text"].startswith("🎉")]


async def opened(console):
    """zhang's ticket #1 (设施维修, routed to wuye_li), open."""
    await say(console, "zhang", "3号楼电梯坏了，老人下不了楼")


async def resolved(console):
    """zhang's ticket #1, resolved: she was asked to rate it."""
    await opened(console)
    await say(console, "wuye_li", "办结 #1 已修好")


# setup, what zhang says 1:1, what her one answer holds, whether it opens a ticket
ONE_TO_ONE = [
    (None, "谢谢你啊小邻", "不客气", False),
    (None, "🙏🙏🙏", "不客气", False),
    (None, "[抱拳][抱拳]", "不客气", False),                 # WeChat's emoji codes
    (None, "好的", "好的。有事随时找我", False),
    (None, "你好，在吗", GREETING, False),
    (None, "你是谁", GREETING, False),
    (None, "Hello, can you help me?", "我只看得懂中文", False),
    (None, "今天天气不错", NOT_UNDERSTOOD, False),
    (None, "@小邻", "我是小邻，社区的小助手。", False),            # the bot's name alone, 1:1: the help
    (None, "我同意", NOT_UNDERSTOOD, False),               # no poll open
    (None, "怎么还没修好啊，都好几天了", NOT_UNDERSTOOD, False),  # asks after nothing: no "其他" ticket
    (opened, "怎么还没修好啊，都好几天了", PROGRESS + "待受理", False),
    (opened, "3号楼电梯怎么还没修好", PROGRESS + "待受理", False),
    (opened, "都好几天了还没人来", PROGRESS + "待受理", False),
    (resolved, "5分", RATED.format(5), False),
    (resolved, "五分", RATED.format(5), False),
    (resolved, "4分，还行", RATED.format(4), False),
    (resolved, "9分", RATE_RANGE, False),
    (resolved, "谢谢", "不客气！有事随时找我。\n工单 #1 已办结，请点下面的分数打个分", False),
    (resolved, "怎么还没修好啊", "您的工单 #1 设施维修 · 已办结。问题还在的话，7 天内可以发“重开 #1 原因”", False),
]


@pytest.mark.parametrize("setup, text, answer, opens", ONE_TO_ONE)
async def test_every_1to1_message_gets_an_answer(console, setup, text, answer, opens):
    if setup:
        await setup(console)
    before = await console.runtime.services.tickets.ids()
    out = await say(console, "zhang", text)
    said = to(out, "@zhang")
    assert len(said) == 1 and answer in said[0], out
    assert (await console.runtime.services.tickets.ids() != before) is opens


async def test_a_follow_up_nudges_whoever_holds_the_ticket_once_a_day(console):
    await opened(console)
    await say(console, "wuye_li", "处理 #1 下午去看")
    out = await say(console, "zhang", "怎么还没修好啊，都好几天了")
    [nudge] = to(out, "@wuye_li")
    assert nudge.startswith("催办：张阿姨 问工单 #1（设施维修，3号楼）怎么还没办好。\n内容：3号楼电梯坏了，老人下不了楼\n办结时限")
    assert "已提醒负责人尽快处理。" in to(out, "@zhang")[0]

    out = await say(console, "zhang", "催一下")                   # the same day: not again
    assert to(out, "@wuye_li") == []
    assert "今天已经提醒过负责人了" in to(out, "@zhang")[0]

    await console.advance(80 * 3600)                              # next days, overdue by now
    console.transcript.new()
    out = await say(console, "zhang", "到底什么时候来修啊")
    assert "已超时" in to(out, "@wuye_li")[-1]
    assert "已超过办结时限" in to(out, "@zhang")[0]

    out = await say(console, "zhang", "3号楼楼道灯不亮好几天了")          # another problem: a ticket of its own
    assert "工单 #2" in to(out, "@zhang")[0] and await console.runtime.services.tickets.ids() == [1, 2]


async def test_asking_for_a_person_tells_the_one_on_duty_once_a_day(console):
    out = await say(console, "zhang", "人工客服")
    assert to(out, "@grid") == ["张阿姨（3号楼）发消息说要找工作人员，请尽快联系。"]
    assert to(out, "@zhang")[0].endswith("已告诉林网格员，会尽快联系您。")
    out = await say(console, "zhang", "转人工")
    assert to(out, "@grid") == [] and to(out, "@zhang")[0].endswith("已告诉林网格员，会尽快联系您。")


@pytest.mark.parametrize("text, answer, rating", [
    ("评价 #1 9", RATE_RANGE, None),
    ("评价 #1 0", RATE_RANGE, None),
    ("评价 #1 五", RATED.format(5), 5),
    ("评价 #1 四分 还行", RATED.format(4), 4),
    ("评价 #1 5分很满意", RATED.format(5), 5),
    ("评价 #1 5 很满意", RATED.format(5), 5),
    ("评价 #1", RATE_ASK, None),
    ("评价 #1 十分满意", RATE_ASK, None),                     # "very satisfied", not ten points
    ("评价 3", RATED.format(3), 3),                            # no number: the one waiting for her score
])
async def test_rating_takes_chinese_numerals_and_says_the_score_is_1_to_5(console, text, answer, rating):
    await resolved(console)
    out = await say(console, "zhang", text)
    said = to(out, "@zhang")
    assert len(said) == 1 and said[0].startswith(answer), out
    assert "#12" not in said[0]
    if rating is None:
        assert [b["command"] for b in out[-1]["buttons"][0]] == [f"评价 #1 {n}" for n in (5, 4, 3, 2, 1)]
    ticket = await console.runtime.services.tickets.get(1)
    assert ticket.rating == rating


async def test_a_bare_score_with_two_tickets_waiting_asks_which(console):
    await say(console, "zhang", "3号楼电梯坏了，老人下不了楼")
    await say(console, "zhang", "3号楼2单元楼道灯不亮了")
    await say(console, "wuye_li", "办结 #1 已修好")
    await say(console, "wuye_li", "办结 #2 已换灯泡")
    out = await say(console, "zhang", "5分")
    assert to(out, "@zhang") == ["您有几张工单在等打分：#2、#1。请说是哪一张，例如“评价 #2 5”。"]


@pytest.mark.parametrize("text, answer", [
    ("派单 #1", "派给谁？请写上名字，例如“派单 #1 @林网格员”；要请志愿者帮忙，发“派单 #1 志愿者”。"),
    ("派单 #1 @", "派给谁？"),
    ("派单 #1 @nobody 快去看看", "没有找到“nobody”这个人，请用 @人员编号 或全名。\n例如“派单 #1 @林网格员”。"),
])
async def test_assigning_to_nobody_asks_whom(console, text, answer):
    await opened(console)
    out = await say(console, "grid", text)
    [said] = to(out, "@grid")
    assert said.startswith(answer) and "“？”" not in said, said


async def test_the_history_names_the_system_in_chinese_and_says_how_much_it_shows(console):
    await opened(console)
    await console.advance(30 * 3600)          # past the response deadline: the system's entries
    console.transcript.new()
    out = await say(console, "grid", "查询 #1")
    [short] = to(out, "@grid")
    assert "系统 超时" in short and "system" not in short and "最近" not in short   # all of a short history
    for round_ in range(4):
        await say(console, "wuye_li", f"办结 #1 第{round_ + 1}次修")
        await say(console, "zhang", "重开 #1 还是坏的")
    out = await say(console, "grid", "查询 #1")
    [long] = to(out, "@grid")
    history = [line for line in long.splitlines() if line.startswith("· ")]
    total = len((await console.runtime.services.tickets.get(1)).history)
    assert f"处理记录（最近5条，共{total}条）：" in long and len(history) == 5 and total > 8, long


async def test_todo_says_what_where_until_when_and_who(console):
    await opened(console)                                                  # 1, routed to 物业
    await say(console, "zhang", "3号楼2单元楼下垃圾桶满了好几天没人倒，臭得很，苍蝇到处飞")  # 2
    await say(console, "grid", "派单 #1 @wuye_li")
    await console.advance(100 * 3600)                                      # 1 and 2 overdue by a day and more
    await say(console, "r102", "1号楼门口垃圾堆了好几天没人清理")                     # 3, due in 3 days
    out = await say(console, "secretary", "待办")
    [listing] = to(out, "@secretary")
    lines = listing.splitlines()
    assert lines[0] == "待办工单（3 件，紧急和快到期的在前）："
    assert lines[1] == "#1 设施维修 · 已受理 · 3号楼"
    assert re.fullmatch(r"   “3号楼电梯坏了，老人下不了楼” ⏰已超时 1天\d+小时，负责人：李经理（物业）", lines[2]), lines[2]
    assert lines[3] == "#2 环境卫生 · 待受理 · 3号楼2单元"
    assert re.fullmatch(r"   “3号楼2单元楼下垃圾桶满了好几天没人倒，…” ⏰已超时 1天\d+小时，暂无负责人", lines[4]), lines[4]
    assert lines[5] == "#3 环境卫生 · 待受理 · 1号楼"
    assert re.fullmatch(r"   “1号楼门口垃圾堆了好几天没人清理” \d+月\d+日 \d\d:\d\d 前办结，暂无负责人", lines[6]), lines[6]


async def test_agreeing_in_the_council_during_a_poll_is_told_how_to_vote(console):
    out = await say(console, "r104", "我同意", "council")
    assert out == []                                                      # no poll: neighbours talking
    await say(console, "r101", "发起投票 是否同意调整物业费 规则=三分之二 范围=议事会 截止=3天", "council")
    for text, example in [("我同意", "投票 1 1"), ("我也赞成！", "投票 1 1"), ("反对", "投票 1 2"), ("+1", "投票 1 1")]:
        out = await say(console, "r104", text, "council")
        [hint] = to(out, "council")
        assert hint == f"要投票请发“{example}”。选项：1 赞成，2 反对；不投可以发“投票 1 弃权”。", hint
    await say(console, "r104", "投票 1 1", "council")
    assert to(await say(console, "r104", "我同意", "council"), "council") == []    # voted already
    assert await say(console, "zhang", "我同意", "b3") == []                       # not her poll, not her chat
    out = await say(console, "r201", "我同意")                                       # 1:1, a member who has not voted
    assert to(out, "@r201")[0].startswith("要投票请发“投票 1 1”")


# -- Telegram: 1:1 messages without text, messages longer than a platform allows ---------

async def handled_and_sent(tg_runtime, fake_api) -> dict[int, str]:
    """Every stored update handled and every reply sent: what each chat got last."""
    worker = Worker(tg_runtime)
    while await tg_runtime.inbound.backlog():
        await worker.step()
    ticks = iter(range(1_000_000, 2_000_000, 10))           # Telegram's pace (1 a second a chat) never holds one back
    channel = TelegramChannel(Bot("123:abc", base_url=fake_api.base), tg_runtime.store, clock=lambda: next(ticks))
    delivery = Delivery(tg_runtime, channel)
    await delivery.start()
    while await delivery.step():
        pass
    return dict(fake_api.sent())


def media_update(update_id, content, chat_id=111, chat_type="private"):
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1700000000, "from": {"id": 111, "is_bot": False, "first_name": "张"},
        "chat": {"id": chat_id, "type": chat_type}, **content}}


@pytest.mark.parametrize("content, answer", [
    ({"sticker": {"file_id": "s1", "emoji": "👍"}}, "这类消息我还看不懂。"),
    ({"voice": {"file_id": "v1", "duration": 3}}, "抱歉，这条语音我没听清。"),
    ({"document": {"file_id": "d1"}}, "这类消息我还看不懂。"),
    ({"photo": [{"file_id": "small"}, {"file_id": "big"}]}, "收到照片。请先用文字说一下是什么问题"),
])
async def test_a_telegram_message_without_text_1to1_is_answered(tg_runtime, fake_api, content, answer):
    event = update_to_event(media_update(5, content), "linli_bot", 0.0)
    await tg_runtime.accept(event)
    sent = await handled_and_sent(tg_runtime, fake_api)
    assert sent[111].startswith(answer), sent
    assert update_to_event(media_update(6, content, -100123, "supergroup"), "linli_bot", 0.0) is None   # a group's: quiet


async def test_a_telegram_photo_1to1_joins_the_open_ticket(tg_runtime, fake_api):
    await tg_runtime.accept(update_to_event(update(1, "3号楼楼道灯坏了", 111, 111, "private"), "linli_bot", 0.0))
    await tg_runtime.accept(update_to_event(media_update(2, {"photo": [{"file_id": "a"}, {"file_id": "big"}]}),
                                            "linli_bot", 0.0))
    sent = await handled_and_sent(tg_runtime, fake_api)
    assert sent[111] == "照片已附到工单 #1，处理人员能看到。"
    history = (await tg_runtime.services.tickets.get(1)).history
    assert history[-1]["action"] == "attached" and history[-1]["note"] == "big"


LONG = "3号楼2单元电梯坏了三天，" + "楼上的老人下不了楼，买菜看病都成了难事，" * 500   # over 10,000 characters


async def test_a_long_ticket_text_is_cut_at_telegrams_limit_saying_where_the_whole_is(tg_runtime, fake_api):
    assert len(LONG) > 10_000
    message = update(1, LONG, chat_id=111, user_id=111, chat_type="private")     # zhang, 1:1
    await tg_runtime.accept(update_to_event(message, "linli_bot", tg_runtime.clock.now()))
    sent = await handled_and_sent(tg_runtime, fake_api)
    assert "工单 #1" in sent[111] and len(sent[111]) < 200                 # her short reply: whole
    push = sent[222]                                                     # the grid worker's 新工单
    assert push.startswith("新工单：\n#1 ") and LONG[:200] in push
    assert len(push.encode("utf-16-le")) // 2 <= 4096 and push.endswith("…（全文见工单 #1）"), push[-50:]


@pytest.mark.parametrize("channel, size", [("wechat", 2048), ("wecom", 2048)])
def test_wechat_and_wecom_texts_are_cut_at_2048_bytes(channel, size):
    limit = (OfficialAccount if channel == "wechat" else WeCom).text_limit
    ticket = fitted(Outgoing(to="@grid", text=LONG, cut_note="…（全文见工单 #3）"), limit, "…（消息太长，后面的没有显示）")
    assert len(ticket.text.encode()) <= size and ticket.text.endswith("…（全文见工单 #3）")
    listing = "\n".join(f"#{n} 设施维修 · 待受理 · 3号楼" for n in range(1, 200))
    other = fitted(Outgoing(to="@grid", text=listing), limit, "…（消息太长，后面的没有显示）")
    assert len(other.text.encode()) <= size and other.text.endswith("3号楼\n…（消息太长，后面的没有显示）")
    short = Outgoing(to="@zhang", text="好的")
    assert fitted(short, limit, "…") is short
