"""The triage queue (待确认): an `auto` group's message the classifier is unsure about waits
for staff without a word to anyone; staff list, confirm (the group and the reporter hear,
deadlines start) or dismiss it (nobody hears); what nobody confirms lapses; staff are
reminded once a day; a second neighbour's report confirms it; Telegram gets a 👀.

The thresholds are the test community's, per chat (b3: everything below 1.0 is unsure),
so no test depends on the bundled rules' exact confidences."""

import io
import json

import pytest
from telegram import Bot

from bot.admin.tickets import triage_change, triage_list
from bot.app import open_runtime
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import accept_update
from bot.delivery import Delivery
from bot.settings import Settings
from bot.worker import Worker
from handlers.community import TRIAGE_THRESHOLD, Chat, CommunityError, Triage, load_community
from tests.conftest import at_local, console_of
from tests.fake_telegram import update

COMMUNITY = '''
[community]
id = "triage"
name = "分流社区"
timezone = "Asia/Shanghai"
office_phone = "0512-66668888"

[triage]
lapse_days = 3
remind_at = "09:00"

[[chats]]
id = "b3"
name = "3号楼居民群"
kind = "building"
building = "3"
mode = "auto"
auto_threshold = 1.0        # nothing unaddressed is sure enough here…
triage_threshold = 0.05     # …and almost everything waits for staff
identities = ["tg:-100123"]

[[chats]]
id = "b4"
name = "4号楼居民群"
kind = "building"
building = "4"
mode = "auto"
auto_threshold = 1.0
triage_threshold = 0        # no triage: the unsure stays quiet, as before

[[chats]]
id = "b5"
name = "5号楼居民群"
kind = "building"
building = "5"
mode = "auto"

[[people]]
id = "zhang"
name = "张阿姨"
household = "3-2-502"
identities = ["tg:111"]

[[people]]
id = "li"
name = "李叔"
household = "3-2-601"

[[people]]
id = "wang"
name = "王奶奶"
household = "4-1-101"

[[people]]
id = "zhao"
name = "赵大爷"
household = "5-1-101"

[[people]]
id = "grid"
name = "林网格员"
roles = ["grid_worker"]
buildings = ["3", "4", "5"]
identities = ["tg:222"]

[[people]]
id = "secretary"
name = "周书记"
roles = ["secretary", "staff"]
'''

REPORT = "3号楼2单元的路灯坏了好几天了，晚上黑漆漆的"
SAME = "3号楼2单元路灯坏了，晚上太黑了"
OTHER = "3号楼门口的垃圾桶满了，没人清理"


@pytest.fixture
async def triage_console(redis_server, redis, tmp_path):
    async with console_of(COMMUNITY, tmp_path, redis_server) as session:
        await at_local(session, 10)
        yield session



def to(out, who):
    return [m["text"] for m in out if m["to"] == who]


async def held(console, sender="zhang", text=REPORT):
    await console.say(sender, "b3", text)
    out = console.transcript.new()
    assert out == []                 # not a word, to the group or to anyone
    return out


async def test_an_unsure_message_waits_silently_and_a_confirmation_announces_it(triage_console):
    console = triage_console
    tickets = console.runtime.services.tickets
    await held(console)
    ticket = await tickets.get(1)
    assert ticket.status == "unconfirmed" and ticket.category == "设施维修" and ticket.building == "3"
    assert await tickets.queue_ids() == [1] and await tickets.open_ids() == []   # not open: no 待办, no duplicate

    await console.say("grid", None, "待办")
    assert to(console.transcript.new(), "@grid") == ["没有待办工单。"]
    await console.advance(2 * 3600)
    await console.say("grid", None, "待确认")
    [listing] = to(console.transcript.new(), "@grid")
    assert "共 1 条" in listing and "#1 3号楼2单元 张阿姨 2小时前" in listing and "路灯坏了" in listing

    await console.say("grid", None, "确认 #1")
    out = console.transcript.new()
    assert to(out, "@grid")[0] == "已确认 #1，已通知群和反映人，开始计时。"
    assert to(out, "b3") == ["@张阿姨 已登记工单 #1（设施维修），24 小时内响应，进展会私信告诉您。"]
    assert any("已登记为工单 #1" in text and "路灯坏了" in text for text in to(out, "@zhang"))
    assert any(text.startswith("新工单") for text in to(out, "@grid"))   # its handler, as for any new ticket
    ticket = await tickets.get(1)
    assert ticket.status == "open" and [h["action"] for h in ticket.history] == ["triaged", "confirmed"]
    assert await tickets.queue_ids() == [] and await tickets.open_ids() == [1]
    jobs = [name for name, _ in await console.runtime.services.jobs.pending()]
    assert "triage:1:lapse" not in jobs and "ticket:1:respond_overdue" in jobs

    await console.advance(21 * 3600)           # the deadlines run from the confirmation
    assert any("提醒：工单 #1" in text and "响应" in text for text in to(console.transcript.new(), "@grid"))
    await console.say("grid", None, "确认 #1")
    assert to(console.transcript.new(), "@grid") == ["工单 #1 当前状态是“待受理”，不能确认。"]


async def test_a_dismissed_message_is_told_to_nobody(triage_console):
    console = triage_console
    await held(console)
    await console.say("grid", None, "忽略 #1 说的是别的小区")
    out = console.transcript.new()
    assert out == [{"to": "@grid", "text": "已忽略 #1，不会通知任何人。"}]
    ticket = await console.runtime.services.tickets.get(1)
    assert ticket.status == "dismissed" and ticket.reason == "说的是别的小区"
    await console.advance(4 * 86400)
    out = console.transcript.new()
    assert not [m for m in out if m["to"] in ("b3", "@zhang")]
    assert not any("待确认" in m["text"] for m in out)           # nothing waits: no reminder
    await console.say("grid", None, "确认 #1")
    assert to(console.transcript.new(), "@grid") == ["工单 #1 当前状态是“已忽略”，不能确认。"]
    await console.say("zhang", None, "查询")
    assert to(console.transcript.new(), "@zhang") == [console.runtime.services.texts("ticket.none_yet")]


async def test_what_nobody_confirms_lapses_after_lapse_days(triage_console):
    console = triage_console
    tickets = console.runtime.services.tickets
    await held(console)
    await console.advance(3 * 86400 - 60)
    assert (await tickets.get(1)).status == "unconfirmed"
    await console.advance(120)
    ticket = await tickets.get(1)
    assert ticket.status == "lapsed" and ticket.history[-1]["action"] == "lapsed"
    assert ticket.history[-1]["note"] == "3 天无人确认"
    out = console.transcript.new()
    assert not [m for m in out if m["to"] in ("b3", "@zhang")]
    assert await tickets.queue_ids() == []
    await console.say("grid", None, "确认 #1")
    assert to(console.transcript.new(), "@grid") == ["工单 #1 当前状态是“过期未确认”，不能确认。"]


async def test_thresholds_are_per_group(triage_console):
    console = triage_console
    tickets = console.runtime.services.tickets
    await console.say("wang", "b4", "4号楼1单元的路灯坏了好几天了")     # no triage there: quiet, nothing kept
    assert console.transcript.new() == [] and await tickets.ids() == []
    await console.say("zhao", "b5", "5号楼1单元电梯坏了，老人下不了楼")   # the rule file's threshold: a ticket
    out = console.transcript.new()
    assert to(out, "b5") and "已登记工单 #1" in to(out, "b5")[0]
    assert (await tickets.get(1)).status == "open"


def test_which_triage_threshold_applies():
    community = load_community_text(COMMUNITY)
    b3, b4, b5 = (community.chats[c] for c in ("b3", "b4", "b5"))
    assert community.triage_threshold(b3, 0.5) == 0.05             # the chat's own
    assert community.triage_threshold(b4, 0.5) is None              # 0: none in this chat
    assert community.triage_threshold(b5, 0.5) == 0.5               # the rule file's
    assert community.triage_threshold(b5, None) == TRIAGE_THRESHOLD   # else the community default
    written = community.__class__(**{**community.__dict__, "triage": Triage(threshold=0.4)})
    assert written.triage_threshold(b5, 0.5) == 0.4                 # [triage] threshold over the rule file
    off = community.__class__(**{**community.__dict__, "triage": Triage(threshold=0.0)})
    assert off.triage_threshold(b5, 0.5) is None and off.triage_threshold(b3, 0.5) == 0.05
    assert Chat(id="x", name="x", kind="building").triage_threshold is None


@pytest.mark.parametrize("change, problem", [
    (("triage_threshold = 0.05", "triage_threshold = 1.5"), "chats[0].triage_threshold: must be a number from 0 to 1"),
    (("auto_threshold = 1.0        #", "auto_threshold = 0.02 #"), "chats[0].triage_threshold: must not be above"),
    (("lapse_days = 3", "lapse_days = 0"), "triage.lapse_days: must be a positive number"),
    (('remind_at = "09:00"', 'remind_at = "9点"'), "triage.remind_at: '9点' is not a time of day"),
    (("lapse_days = 3", "lapse = 3"), "triage.lapse: unknown key"),
    (('office_phone = "0512-66668888"', "office_phone = 5"), "community.office_phone: must be a non-empty string"),
])
def test_mistakes_in_the_triage_keys_name_the_key(change, problem):
    with pytest.raises(CommunityError) as error:
        load_community_text(COMMUNITY.replace(*change))
    assert problem in str(error.value)


def load_community_text(text, tmp=None):
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.toml"
        path.write_text(text, encoding="utf-8")
        return load_community(path)


@pytest.mark.parametrize("text", ["待确认", "确认 #1", "忽略 #1", "忽略 #1 没事"])
async def test_a_resident_cannot_work_the_queue(triage_console, text):
    console = triage_console
    await held(console)
    await console.say("li", None, text)
    out = console.transcript.new()
    assert [m["to"] for m in out] == ["@li"]                       # only an answer to li, nothing else
    if not text.startswith("确认"):
        assert out[0]["text"].startswith("抱歉，这个操作只有社区工作人员可以使用")
    else:                                                          # 确认 #1 stays the time bank's for residents
        assert out[0]["text"] == "没有找到互助记录 E1。"
    await console.say("li", "b3", text)                            # in the group: nothing changes…
    if not text.startswith("确认"):                                # …and 待确认, 忽略 are ordinary talk
        assert [m for m in console.transcript.new() if m["to"] == "b3"] == []
    assert (await console.runtime.services.tickets.get(1)).status == "unconfirmed"


async def test_staff_are_reminded_once_a_day_while_something_waits(triage_console):
    console = triage_console
    await held(console)
    await held(console, "li", OTHER)
    await console.advance(22 * 3600)          # 08:00 the next day: not yet
    assert console.transcript.new() == []
    await console.advance(3600)               # 09:00
    assert console.transcript.new() == [{"to": "@grid", "text": "有 2 条群消息待确认，发“待确认”查看。"}]
    jobs = [name for name, _ in await console.runtime.services.jobs.pending() if name.startswith("triage:remind")]
    assert jobs == ["triage:remind"]          # one job for the community, now for tomorrow
    await console.say("grid", None, "确认 1")          # "#" may be left out for a waiting one
    await console.say("grid", None, "忽略 #2")
    console.transcript.new()
    await console.advance(2 * 86400)          # nothing waits: no reminder, and the job is gone
    assert not any("待确认" in m["text"] for m in console.transcript.new())
    assert not [name for name, _ in await console.runtime.services.jobs.pending() if name == "triage:remind"]
    await held(console, "li", OTHER)          # waiting again: tomorrow at 09:00, once
    await console.advance(86400)
    assert [m for m in console.transcript.new() if "待确认" in m["text"]] == [
        {"to": "@grid", "text": "有 1 条群消息待确认，发“待确认”查看。"}]


async def test_the_same_person_again_changes_nothing_and_a_neighbour_confirms_it(triage_console):
    console = triage_console
    tickets = console.runtime.services.tickets
    await held(console)
    await held(console)                       # zhang again: still waiting, still quiet
    assert await tickets.ids() == [1]
    await console.say("li", "b3", SAME)       # a second resident: that is the confirmation
    out = console.transcript.new()
    assert to(out, "b3") == ["@张阿姨 已登记工单 #1（设施维修），24 小时内响应，进展会私信告诉您。",
                             "@李叔 这个问题已有邻居反映：工单 #1（设施维修），目前「待受理」。已把您记为共同反映人，进展会私信同步。"]
    assert any("已登记为工单 #1" in text for text in to(out, "@zhang"))
    ticket = await tickets.get(1)
    assert ticket.status == "open" and "li" in ticket.co_reporters
    assert [h["action"] for h in ticket.history] == ["triaged", "confirmed", "co_reported"]
    assert ticket.history[1]["by"] == "li"
    assert await tickets.ids() == [1]


async def test_a_confident_report_of_a_waiting_problem_confirms_it(triage_console):
    console = triage_console
    tickets = console.runtime.services.tickets
    await held(console)
    await console.say("li", None, "报修 " + SAME)
    out = console.transcript.new()
    assert "@张阿姨 已登记工单 #1" in to(out, "b3")[0]
    assert any("共同反映人" in text for text in to(out, "@li"))
    assert await tickets.ids() == [1] and (await tickets.get(1)).status == "open"


async def test_the_admin_cli_lists_confirms_through_the_bot_and_dismisses(triage_console):
    console = triage_console
    runtime = console.runtime
    await held(console)
    await held(console, "li", OTHER)
    listing = io.StringIO()
    assert await triage_list(runtime, False, listing) == 0
    lines = listing.getvalue().splitlines()
    assert lines[0].startswith("#2") and lines[1].startswith("#1") and lines[-1] == "2 waiting"
    as_json = io.StringIO()
    await triage_list(runtime, True, as_json)
    assert [t["status_label"] for t in json.loads(as_json.getvalue())] == ["待确认", "待确认"]

    said = io.StringIO()
    assert await triage_change(runtime, "confirm", 1, out=said) == 0
    assert (await runtime.services.tickets.get(1)).status == "open"
    await console.drain()                     # the bot tells them, as for 确认 #1 in chat
    out = console.transcript.new()
    assert to(out, "b3") == ["@张阿姨 已登记工单 #1（设施维修），24 小时内响应，进展会私信告诉您。"]
    assert any("已登记为工单 #1" in text for text in to(out, "@zhang"))
    assert any(text.startswith("新工单") for text in to(out, "@grid"))
    assert (await runtime.services.tickets.get(1)).history[-1]["by"].startswith("admin:")

    assert await triage_change(runtime, "dismiss", 2, "闲聊", out=io.StringIO()) == 0
    await console.drain()
    assert console.transcript.new() == []
    assert (await runtime.services.tickets.get(2)).status == "dismissed"
    assert await triage_change(runtime, "confirm", 2, out=io.StringIO()) == 1


# -- Telegram: a triaged group message gets a 👀 -------------------------------------------------

@pytest.fixture
async def tg_triage(tmp_path, redis_server, redis, fake_api):
    path = tmp_path / "c.toml"
    path.write_text(COMMUNITY, encoding="utf-8")
    settings = Settings.load(path, data_dir=tmp_path, env={
        "REDIS_URL": redis_server, "TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_WEBHOOK_SECRET": "s",
        "TELEGRAM_API_BASE": fake_api.base})
    async with open_runtime(settings, fake_clock=True) as runtime:
        yield runtime


async def test_telegram_acknowledges_a_waiting_message_with_a_reaction(tg_triage, fake_api):
    runtime = tg_triage
    channel = TelegramChannel(Bot("123:abc", base_url=fake_api.base), runtime.store, "linli_bot")
    assert await accept_update(runtime, channel, update(41, REPORT))
    worker = Worker(runtime)
    while await runtime.inbound.backlog():
        await worker.step()
    delivery = Delivery(runtime, channel)
    await delivery.start()
    while await delivery.step():
        pass
    [reaction] = fake_api.called("setMessageReaction")
    assert int(reaction["chat_id"]) == -100123 and int(reaction["message_id"]) == 41
    assert json.loads(reaction["reaction"]) == [{"type": "emoji", "emoji": "👀"}]
    assert fake_api.sent() == []              # no message, to the group or anyone
    assert (await runtime.services.tickets.get(1)).status == "unconfirmed"


# -- the queue is kept by the ticket scripts --------------------------------------------------

async def test_the_queue_and_the_open_indexes_follow_every_change(triage_console):
    console = triage_console
    runtime = console.runtime
    tickets = runtime.services.tickets
    from tests.test_ticket_indexes import check_indexes
    await held(console)
    await held(console, "li", OTHER)
    await held(console, "zhang", "3号楼3单元楼梯扶手松了")
    assert await tickets.queue_ids() == [3, 2, 1]                      # newest first
    await check_indexes(runtime)                                        # none of them is open
    await console.say("grid", None, "确认 #1")
    await console.say("grid", None, "忽略 #2")
    await console.advance(3 * 86400 + 60)                               # #3 lapses
    assert [t.status for t in await tickets.many([1, 2, 3])] == ["open", "dismissed", "lapsed"]
    assert await tickets.queue_ids() == []
    await check_indexes(runtime)
    await runtime.redis.zadd(runtime.store.keys.tickets_unconfirmed(), {"2": 1.0})   # a stale entry…
    await tickets.reindex()
    assert await tickets.queue_ids() == []                              # …is taken out by reindex
    score = await runtime.redis.zscore(runtime.store.keys.tickets_unconfirmed(), "1")
    assert score is None
