"""Rooms and equipment (预约, #19): the community file's [[rooms]] and its errors, reading
slots as residents write them, overlapping and adjacent slots, many bookings of one slot at
once through real Redis (exactly one wins), approval, lapse, reminders, cancellation,
utilisation arithmetic (table-driven) and its counters, privacy, and quiet groups."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.community import CommunityError, load_community
from handlers.rooms import slots
from handlers.rooms.rules import Room, parse_open
from handlers.rooms.usage import recount_month, usage_of
from storage.rooms import Rooms
from tests.conftest import at_local, console_of

TZ = ZoneInfo("Asia/Shanghai")
HOUR, DAY = 3600, 86400

# What both this file's community and the story's (tests/test_rooms_story.py) lend.
ROOMS = """
[[rooms]]
id = "activity"
name = "活动室"
words = ["多功能厅"]
open = "周一至周五 09:00-21:00, 周六 09:00-17:00"
max_hours = 4

[[rooms]]
id = "wheelchair"
name = "轮椅"
kind = "equipment"
max_days = 7
"""

# Two residents who both want the same slot, here and in the story.
PEOPLE = """
[[people]]
id = "wang"
name = "王奶奶"
household = "3-1-101"

[[people]]
id = "li"
name = "李阿姨"
household = "3-1-201"
"""

COMMUNITY = """
[community]
id = "rooms-test"
name = "场地测试社区"

[[rooms]]
id = "meeting"
name = "会议室"
open = "每天 08:00-20:00"
approval = true
approvers = ["chen"]
""" + ROOMS + PEOPLE + """
[[people]]
id = "chen"
name = "陈主任"
household = "3-1-301"

[[people]]
id = "zhang"
name = "张社工"
roles = ["staff"]

[[chats]]
id = "b3"
name = "3号楼居民群"
kind = "building"
building = "3"
identities = ["console:b3"]
"""


@pytest.fixture
async def console(tmp_path, redis_server, redis):
    async with console_of(COMMUNITY, tmp_path, redis_server) as session:
        await at_local(session, 10)
        yield session


def texts_to(out, who):
    return [m["text"] for m in out if m["to"] == who]


def weekday_ahead(console, weekday: int, at_least: int = 2) -> date:
    """The first date with this weekday (0 = Monday) at least `at_least` days ahead."""
    today = datetime.fromtimestamp(console.runtime.clock.now(), TZ).date()
    day = today + timedelta(days=at_least)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def cn(day: date) -> str:
    return f"{day.month}月{day.day}日"


async def say(console, who, text, chat=None):
    await console.say(who, chat, text)
    return console.transcript.new()


# --- the community file ---------------------------------------------------------------

@pytest.mark.parametrize("text, equipment, expected", [
    ("周一至周五 09:00-21:00, 周六 09:00-17:00", False,
     {0: ((540, 1260),), 4: ((540, 1260),), 5: ((540, 1020),), 6: ()}),
    ("周六、周日 09:00-12:00 14:00-17:00；工作日 08:00-09:00", False,
     {0: ((480, 540),), 5: ((540, 720), (840, 1020)), 6: ((540, 720), (840, 1020))}),
    ("每天 08:00-24:00", False, {3: ((480, 1440),)}),
    ("周六日 10:00-11:00", False, {4: (), 5: ((600, 660),), 6: ((600, 660),)}),
    ("星期一到星期三 9:00-10:00", False, {2: ((540, 600),), 3: ()}),
    ("周一至周五", True, {0: ((0, 1440),), 5: ()}),
])
def test_opening_hours_read(text, equipment, expected):
    hours = parse_open(text, equipment)
    for weekday, spans in expected.items():
        assert hours[weekday] == spans


ROOM_HEAD = '[community]\nid = "x"\nname = "x"\n[[people]]\nid = "a"\nname = "甲"\n[[rooms]]\n'


@pytest.mark.parametrize("room, complaint", [
    ('id = "r"\nname = "活动室"', "rooms.r.open: is required"),
    ('id = "r"\nname = "活动室"\nopen = "周八 09:00-10:00"', "rooms.r.open"),
    ('id = "r"\nname = "活动室"\nopen = "周一 10:00-09:00"', "ends before it starts"),
    ('id = "r"\nname = "活动室"\nopen = "周一"', "has no hours"),
    ('id = "r"\nname = "活动室"\nopen = "周一 09:00-12:00, 周一 11:00-13:00"', "overlap"),
    ('id = "r"\nname = "活动室"\nopen = "周一 09:00-12:00"\nkind = "hall"', "unknown kind"),
    ('id = "r"\nname = "活动室"\nopen = "周一 09:00-12:00"\napprovers = ["nobody"]', "unknown person"),
    ('id = "r"\nname = "活动室"\nopen = "周一 09:00-12:00"\nmax_hours = 0', "rooms.r.max_hours"),
    ('id = "r"\nname = "活动室"\nopen = "周一 09:00-12:00"\nclosed = ["12月25日"]', "rooms.r.closed"),
    ('id = "r"\nname = "活动室"\nopen = "周一 09:00-12:00"\ncolour = "red"', "unknown key"),
    ('id = "房间"\nname = "活动室"', "rooms[0].id"),
])
def test_bad_rooms_are_refused_at_load_naming_the_key(tmp_path, room, complaint):
    path = tmp_path / "c.toml"
    path.write_text(ROOM_HEAD + room + "\n", encoding="utf-8")
    with pytest.raises(CommunityError) as raised:
        load_community(path)
    assert complaint in str(raised.value)


def test_two_rooms_may_not_share_a_word(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(ROOM_HEAD + 'id = "a"\nname = "活动室"\nopen = "每天 09:00-10:00"\n'
                    '[[rooms]]\nid = "b"\nname = "大厅"\nwords = ["活动室"]\nopen = "每天 09:00-10:00"\n',
                    encoding="utf-8")
    with pytest.raises(CommunityError, match="also names room"):
        load_community(path)


# --- reading slots ----------------------------------------------------------------------

ROOM = Room(id="a", name="活动室", hours=parse_open("周一至周五 09:00-21:00, 周六 09:00-17:00"))
CHAIR = Room(id="w", name="轮椅", kind="equipment", hours=parse_open("每天", True), max_days=7)
WEDNESDAY_10 = datetime(2026, 12, 16, 10, 0, tzinfo=TZ).timestamp()


@pytest.mark.parametrize("text, expected", [
    ("周六 14:00-16:00", "12月19日（周六）14:00-16:00"),
    ("明天下午2点到4点", "12月17日（周四）14:00-16:00"),
    ("12月20日 9:00-11:00", "12月20日（周日）09:00-11:00"),
    ("下周三上午", "12月23日（周三）09:00-12:00"),      # 上午 clipped to the opening hours
    ("下周三下午", "12月23日（周三）14:00-18:00"),
    ("周六 14:00 2小时", "12月19日（周六）14:00-16:00"),
    ("后天 晚上7点到9点", "12月18日（周五）19:00-21:00"),
    ("周六14:00～16:00", "12月19日（周六）14:00-16:00"),
    ("今晚", "12月16日（周三）18:00-21:00"),
    ("明天 2点半到4点", "12月17日（周四）14:30-16:00"),     # an hour from 1 to 6 alone: the afternoon
    ("周五 3点 2小时", "12月18日（周五）15:00-17:00"),
    ("12月20号上午9点到11点", "12月20日（周日）09:00-11:00"),
    ("星期六 下午两点到四点", "12月19日（周六）14:00-16:00"),
    ("下周一 9:30-11:00", "12月21日（周一）09:30-11:00"),
    # every kind of dash and colon
    ("周五 9：30 – 11：00", "12月18日（周五）09:30-11:00"),
    ("周五 9:30——11:00", "12月18日（周五）09:30-11:00"),
    ("周五 9∶30〜11∶00", "12月18日（周五）09:30-11:00"),
    # spaces anywhere
    ("下周一 上午 9 点 半 到 11 点", "12月21日（周一）09:30-11:00"),
    ("周四 晚上 7 点 - 8 点半", "12月17日（周四）19:00-20:30"),
    # dates with dots and slashes, a weekday beside the date, in brackets or not
    ("12.18 19:00-20:30", "12月18日（周五）19:00-20:30"),
    ("2026/12/21 10:00-12:00", "12月21日（周一）10:00-12:00"),
    ("12月21日（一）下午3点到5点", "12月21日（周一）15:00-17:00"),
    ("12月21日星期一 15:00-17:00", "12月21日（周一）15:00-17:00"),
    ("周一(12/21) 15:00-17:00", "12月21日（周一）15:00-17:00"),
    ("下周二（12.22）上午10点到12点", "12月22日（周二）10:00-12:00"),
    ("明天（周四）晚上7点到9点", "12月17日（周四）19:00-21:00"),
    # a start and a length
    ("周五下午三点开始，一个半小时", "12月18日（周五）15:00-16:30"),
    ("周四 9点起 两个钟头", "12月17日（周四）09:00-11:00"),
    ("下周一 10:00 共90分钟", "12月21日（周一）10:00-11:30"),
    ("周五下午3点两小时", "12月18日（周五）15:00-17:00"),
    ("周四 14:00 起 2 小时", "12月17日（周四）14:00-16:00"),
    # 从, commas, 的
    ("后天从上午9点到11点", "12月18日（周五）09:00-11:00"),
    ("周四，下午2点到4点。", "12月17日（周四）14:00-16:00"),
    ("周四的下午2点到4点", "12月17日（周四）14:00-16:00"),
    # one 点 for both hours; 晚 / 早 alone; an end after noon written as 1点
    ("周四晚上7-9点", "12月17日（周四）19:00-21:00"),
    ("下周二 9~11点", "12月22日（周二）09:00-11:00"),
    ("周四晚6点半-8点", "12月17日（周四）18:30-20:00"),
    ("周五早8点到9点半", "12月18日（周五）08:00-09:30"),
    ("周五 上午10点到1点", "12月18日（周五）10:00-13:00"),
])
def test_slots_read_as_residents_write_them(text, expected):
    start, end = slots.parse_slot(ROOM, text, WEDNESDAY_10, TZ)
    assert slots.span_words(start, end, TZ) == expected


@pytest.mark.parametrize("text, expected", [
    ("明天", "12月17日（周四）"),
    ("12月20日至12月22日", "12月20日（周日）至12月22日（周二）"),
    ("明天 3天", "12月17日（周四）至12月19日（周六）"),
    ("周五到下周一", "12月18日（周五）至12月21日（周一）"),
    ("12月20日（周日）～12月22日（周二）", "12月20日（周日）至12月22日（周二）"),
    ("从12.18到12.21", "12月18日（周五）至12月21日（周一）"),
])
def test_equipment_is_lent_by_whole_days(text, expected):
    start, end = slots.parse_slot(CHAIR, text, WEDNESDAY_10, TZ)
    assert slots.span_words(start, end, TZ, equipment=True) == expected


@pytest.mark.parametrize("text, key", [
    ("周六 14:00", "need_end"),
    ("随便什么时候", "time_bad"),
    ("周六 16:00-14:00", "end_before_start"),
    ("12月21日（周二）10:00-12:00", "time_bad"),    # the 21st is a Monday: which one was meant?
    ("明天 下午2点开始", "need_end"),
])
def test_unreadable_slots_say_why(text, key):
    with pytest.raises(slots.SlotError) as raised:
        slots.parse_slot(ROOM, text, WEDNESDAY_10, TZ)
    assert raised.value.key == key


@pytest.mark.parametrize("text, expected", [
    ("12.20", "2026-12-20 23:59"),
    ("12月20日（周日）18:00", "2026-12-20 18:00"),
    ("周日(12/20) 晚上8点", "2026-12-20 20:00"),
    ("2027.1.4", "2027-01-04 23:59"),
    ("1个半小时", "2026-12-16 11:30"),
    ("两个半钟头", "2026-12-16 12:30"),
])
def test_the_shared_date_reader_reads_these_too(text, expected):
    """Polls' 截止=, 议题 排期 and 供需 windows read days through the same reader."""
    from handlers import polls
    assert f"{datetime.fromtimestamp(polls.parse_when(text, WEDNESDAY_10, TZ), TZ):%Y-%m-%d %H:%M}" == expected


def test_a_date_with_the_wrong_weekday_is_not_read():
    from handlers import polls
    with pytest.raises(ValueError):
        polls.parse_when("12月20日（周六）", WEDNESDAY_10, TZ)


@pytest.mark.parametrize("text, key", [
    ("今天 8:00-9:00", "past"),
    ("周六 16:00-18:00", "outside"),          # Saturdays close at 17:00
    ("周日 10:00-11:00", "outside"),          # closed on Sundays
    ("周五 09:00-14:00", "too_long"),         # max 4 hours
    ("12月31日 10:00-11:00", "too_far"),      # 15 days ahead
])
def test_slots_outside_the_rules_are_refused(text, key):
    start, end = slots.parse_slot(ROOM, text, WEDNESDAY_10, TZ)
    with pytest.raises(slots.SlotError) as raised:
        slots.check(ROOM, start, end, WEDNESDAY_10, TZ)
    assert raised.value.key == key


# --- utilisation arithmetic --------------------------------------------------------------

def ts(y, m, d, hh=0, mm=0):
    return datetime.combine(date(y, m, d), time(hh, mm), tzinfo=TZ).timestamp()


WEEKDAYS_9_TO_5 = Room(id="r", name="活动室", hours=parse_open("周一至周五 09:00-17:00"), closed=frozenset({"2026-12-25"}))
CHAIR_WEEKDAYS = Room(id="w", name="轮椅", kind="equipment", hours=parse_open("周一至周五", True))


@pytest.mark.parametrize("room, month, hours", [
    (WEEKDAYS_9_TO_5, "2026-12", 22 * 8),     # 23 weekdays in Dec 2026, less Christmas (closed)
    (WEEKDAYS_9_TO_5, "2027-02", 20 * 8),
    (Room(id="s", name="s", hours=parse_open("周六 09:00-12:00 14:00-17:00")), "2026-12", 4 * 6),
    (Room(id="n", name="n", hours=parse_open("周日 10:00-11:00")), "2026-12", 4),
    (CHAIR_WEEKDAYS, "2026-12", 23 * 24),
])
def test_opening_hours_of_a_month(room, month, hours):
    assert slots.open_seconds(room, month, TZ) == hours * HOUR


@pytest.mark.parametrize("room, start, end, expected", [
    (WEEKDAYS_9_TO_5, ts(2026, 12, 16, 14), ts(2026, 12, 16, 16), {"2026-12": 2}),
    (WEEKDAYS_9_TO_5, ts(2026, 12, 16, 8), ts(2026, 12, 16, 10), {"2026-12": 1}),    # only the open part
    (WEEKDAYS_9_TO_5, ts(2026, 12, 25, 10), ts(2026, 12, 25, 12), {}),               # a closed date
    # equipment across the month's edge: Wed 30 Dec to Sun 3 Jan; weekends are not lent days
    (CHAIR_WEEKDAYS, ts(2026, 12, 30), ts(2027, 1, 4), {"2026-12": 48, "2027-01": 24}),
    (Room(id="late", name="l", hours=parse_open("每天 20:00-24:00")), ts(2026, 12, 31, 22), ts(2027, 1, 1, 0),
     {"2026-12": 2}),
])
def test_booked_hours_by_month(room, start, end, expected):
    assert slots.usage_by_month(room, start, end, TZ) == {m: h * HOUR for m, h in expected.items()}


# --- through the chat -------------------------------------------------------------------

async def test_adjacent_slots_fit_and_an_overlapping_one_is_told_what_is_free(console):
    day = cn(weekday_ahead(console, 2))           # a Wednesday: 09:00-21:00
    out = await say(console, "wang", f"预约 活动室 {day} 14:00-16:00")
    assert "已预约 B1" in texts_to(out, "@wang")[0]
    out = await say(console, "li", f"预约 多功能厅 {day} 16:00-18:00")
    assert "已预约 B2" in texts_to(out, "@li")[0]
    out = await say(console, "li", f"预约 活动室 {day} 15:00-17:00")
    reply = texts_to(out, "@li")[0]
    assert "已经有人约了" in reply and "09:00-14:00" in reply and "18:00-21:00" in reply
    out = await say(console, "li", f"预约 活动室 {day} 13:00-14:00")
    assert "已预约 B3" in texts_to(out, "@li")[0]
    out = await say(console, "wang", f"预约 活动室 {day}")
    assert "09:00-13:00、18:00-21:00" in texts_to(out, "@wang")[0]


async def test_many_bookings_of_one_slot_at_once_exactly_one_wins(console):
    repo = Rooms(console.runtime.store)
    start = console.runtime.clock.now() + 2 * DAY
    asks = [repo.book(f"race:{i}", "activity", f"p{i}", start + (i % 3) * 1800, start + 2 * HOUR + (i % 3) * 1800,
                      "approved", {}, {"2026-12": 7200}) for i in range(30)]
    results = await asyncio.gather(*asks)
    assert [r.result for r in results].count("ok") == 1
    assert {r.result for r in results} == {"ok", "taken"}
    assert len(await repo.live_between("activity", start - DAY, start + DAY, 4 * HOUR)) == 1
    # the winner's event asked again is the same booking, not a second
    winner = next(i for i, r in enumerate(results) if r.result == "ok")
    again = await repo.book(f"race:{winner}", "activity", "x", start, start + HOUR, "approved", {}, {})
    assert again.result == "replay" and again.id == results[winner].id


async def test_unknown_room_lists_the_rooms_and_bad_times_say_why(console):
    out = await say(console, "wang", "预约 游泳池 周六 14:00-16:00")
    assert "会议室、活动室、轮椅" in texts_to(out, "@wang")[0]
    out = await say(console, "wang", "预约 活动室 周六 14:00")
    assert "用到几点" in texts_to(out, "@wang")[0]
    out = await say(console, "wang", f"预约 活动室 {cn(weekday_ahead(console, 6))} 10:00-11:00")
    assert "不开放" in texts_to(out, "@wang")[0]
    out = await say(console, "wang", f"预约 活动室 {cn(weekday_ahead(console, 2, 30))}")   # a day too far ahead
    assert "最多只能预约 14 天" in texts_to(out, "@wang")[0]
    out = await say(console, "wang", "预约")
    assert "轮椅" in texts_to(out, "@wang")[0] and "需工作人员批准" in texts_to(out, "@wang")[0]


async def test_a_group_stays_quiet_on_talk_but_answers_a_real_booking(console):
    assert texts_to(await say(console, "wang", "预约 明天体检", chat="b3"), "b3") == []
    assert texts_to(await say(console, "wang", "预约", chat="b3"), "b3") == []
    assert "会议室" in texts_to(await say(console, "wang", "@小邻 预约", chat="b3"), "b3")[0]
    out = await say(console, "wang", f"预约 活动室 {cn(weekday_ahead(console, 2))} 10:00-11:00", chat="b3")
    assert "已预约 B1" in texts_to(out, "b3")[0]
    out = await say(console, "wang", "我的预约", chat="b3")      # what one booked goes 1:1
    assert "私信" in texts_to(out, "b3")[0] and "B1 活动室" in texts_to(out, "@wang")[0]


async def test_approval_first_come_holds_the_slot_then_approve_or_refuse(console):
    day = cn(weekday_ahead(console, 3))
    out = await say(console, "wang", f"预约 会议室 {day} 09:00-11:00 楼组长开会")
    assert "等社区工作人员批准" in texts_to(out, "@wang")[0]
    assert "批准 B1" in texts_to(out, "@chen")[0] and texts_to(out, "@zhang") == []   # the room's approver
    assert "（楼组长开会）" in texts_to(out, "@chen")[0]                              # the note after the time
    out = await say(console, "li", f"预约 会议室 {day} 10:00-12:00")
    assert "已经有人约了" in texts_to(out, "@li")[0]                 # pending holds the slot
    assert texts_to(await say(console, "chen", "批准", chat="b3"), "b3") == []   # staff talking in a group
    out = await say(console, "chen", "批准")
    assert "B1" in texts_to(out, "@chen")[0]
    out = await say(console, "chen", "批准 B1")
    assert "已批准预约 B1" in texts_to(out, "@chen")[0] and "批准了" in texts_to(out, "@wang")[0]
    usage = await Rooms(console.runtime.store).usage(f"{weekday_ahead(console, 3):%Y-%m}")
    assert usage.get("meeting") == 2 * HOUR
    out = await say(console, "li", f"预约 会议室 {day} 13:00-14:00")
    out = await say(console, "zhang", "拒绝 B2")
    assert "原因" in texts_to(out, "@zhang")[0]
    out = await say(console, "zhang", "拒绝 B2 当天有社区活动")
    assert "没有批准：当天有社区活动" in texts_to(out, "@li")[0]
    out = await say(console, "li", f"预约 会议室 {day} 13:00-14:00")
    assert "B3" in texts_to(out, "@li")[0]       # refused frees the slot


async def test_refusal_of_a_non_approver(console):
    await say(console, "wang", f"预约 会议室 {cn(weekday_ahead(console, 3))} 09:00-11:00")
    out = await say(console, "li", "批准 B1")
    assert "只有社区工作人员" in texts_to(out, "@li")[0]
    assert texts_to(await say(console, "li", "拒绝 这种做法", chat="b3"), "b3") == []     # talk in a group
    assert (await Rooms(console.runtime.store).get(1)).status == "pending"
    # an approver of one room may not decide on another's bookings
    await say(console, "wang", f"预约 活动室 {cn(weekday_ahead(console, 3))} 09:00-11:00")
    out = await say(console, "chen", "拒绝 B2 不行")
    assert "要由社区工作人员批准" in texts_to(out, "@chen")[0]
    assert (await Rooms(console.runtime.store).get(2)).status == "approved"


async def test_an_undecided_booking_lapses_before_its_start_and_frees_the_slot(console):
    day = weekday_ahead(console, 3)
    await say(console, "wang", f"预约 会议室 {cn(day)} 15:00-16:00")
    start = datetime.combine(day, time(15), tzinfo=TZ).timestamp()
    await console.advance(start - 2 * HOUR + 60 - console.runtime.clock.now())
    out = console.transcript.new()
    assert "已失效" in texts_to(out, "@wang")[0] and "已失效" in texts_to(out, "@chen")[0]
    booking = await Rooms(console.runtime.store).get(1)
    assert booking.status == "lapsed"
    assert await Rooms(console.runtime.store).live_between("meeting", start - DAY, start + DAY, DAY) == []


async def test_reminder_before_the_start_and_none_after_cancelling(console):
    day = weekday_ahead(console, 2)
    await say(console, "wang", f"预约 活动室 {cn(day)} 14:00-16:00")
    await say(console, "li", f"预约 活动室 {cn(day)} 16:00-18:00")
    out = await say(console, "li", "取消预约 B2 不去了")
    assert "已取消预约 B2" in texts_to(out, "@li")[0]
    start = datetime.combine(day, time(14), tzinfo=TZ).timestamp()
    await console.advance(start - console.runtime.clock.now() + 5 * HOUR)
    out = console.transcript.new()
    assert any("快到了" in t for t in texts_to(out, "@wang"))
    assert texts_to(out, "@li") == []


async def test_cancel_by_owner_or_staff_only(console):
    day = cn(weekday_ahead(console, 2))
    await say(console, "wang", f"预约 活动室 {day} 14:00-16:00")
    out = await say(console, "li", "取消预约 B1")
    assert "不是您约的" in texts_to(out, "@li")[0]
    out = await say(console, "zhang", "取消预约 B1 消防检查")
    assert "已取消预约 B1" in texts_to(out, "@zhang")[0]
    assert "张社工取消（消防检查）" in texts_to(out, "@wang")[0]
    out = await say(console, "wang", "取消预约 B1")
    assert "已经是“已取消”" in texts_to(out, "@wang")[0]
    out = await say(console, "wang", "我的预约")
    assert "没有预约" in texts_to(out, "@wang")[0]


async def test_equipment_loans_by_days(console):
    out = await say(console, "wang", "预约 轮椅 明天 3天")
    assert "已预约 B1" in texts_to(out, "@wang")[0]
    out = await say(console, "li", "预约 轮椅 后天")
    reply = texts_to(out, "@li")[0]
    assert "已经有人约了" in reply and "起可借" in reply
    out = await say(console, "li", "预约 轮椅 明天 10天")
    assert "最多借 7 天" in texts_to(out, "@li")[0]
    out = await say(console, "wang", "我的预约")
    assert "B1 轮椅" in texts_to(out, "@wang")[0]


async def test_usage_counts_approved_only_and_matches_a_recount(console):
    """Pending bookings count once approved; cancelled, refused and lapsed never."""
    store, community = console.runtime.store, console.runtime.settings.community
    day = weekday_ahead(console, 2)
    month = f"{day:%Y-%m}"
    for text in (f"预约 活动室 {cn(day)} 09:00-13:00", f"预约 活动室 {cn(day)} 13:00-15:00",
                 f"预约 会议室 {cn(day)} 08:00-10:00", f"预约 会议室 {cn(day)} 10:00-12:00",
                 f"预约 会议室 {cn(day)} 12:00-13:00"):
        await say(console, "wang", text)
    await say(console, "wang", "取消预约 B2")          # approved, then cancelled
    await say(console, "chen", "批准 B3")               # pending → approved: 2 h
    await say(console, "chen", "拒绝 B4 有活动")         # refused
    rows = {u.room.id: u for u in await usage_of(store, community, month)}      # B5 still pending
    assert rows["activity"].booked_hours == 4 and rows["meeting"].booked_hours == 2
    assert rows["activity"].idle and rows["wheelchair"].booked_hours == 0
    assert await recount_month(store, community, month) == {"activity": 4 * HOUR, "meeting": 2 * HOUR}


async def test_privacy_lists_and_forgets_bookings(console):
    from handlers import rooms
    from handlers.context import Context
    from handlers.events import Event
    day = cn(weekday_ahead(console, 2))
    await say(console, "wang", f"预约 活动室 {day} 14:00-16:00")
    runtime = console.runtime
    ctx = Context(runtime.services, Event(id="privacy:1", channel="admin", kind="timer",
                                          received_at=runtime.clock.now()))
    kept = await rooms.kept_about(ctx, "wang")
    assert len(kept) == 1 and "B1 活动室" in kept[0]
    assert await rooms.forget(ctx, "wang") == 1
    assert await rooms.forget(ctx, "wang") == 0
    booking = await Rooms(runtime.store).get(1)
    assert booking.status == "cancelled" and booking.person == "(已注销)" and booking.text == ""
    assert await rooms.kept_about(ctx, "wang") == []
    out = await say(console, "li", f"预约 活动室 {day} 14:00-16:00")
    assert "已预约" in texts_to(out, "@li")[0]         # the slot was freed


async def test_help_topic_offers_the_decisions_only_to_those_who_decide(console):
    resident = texts_to(await say(console, "wang", "帮助 预约"), "@wang")[0]
    assert "预约 活动室 周六 14:00-16:00" in resident and "取消预约 B3" in resident and "批准" not in resident
    approver = texts_to(await say(console, "chen", "帮助 预约"), "@chen")[0]     # the meeting room's approver
    assert "批准 B3" in approver and "拒绝 B3" in approver
    assert "批准 B3" in texts_to(await say(console, "zhang", "帮助 轮椅"), "@zhang")[0]


async def test_equipment_for_today_waiting_for_approval_lapses_an_hour_later(tmp_path, redis_server, redis):
    community = COMMUNITY.replace('kind = "equipment"', 'kind = "equipment"\napproval = true')
    async with console_of(community, tmp_path, redis_server) as session:
        await at_local(session, 10)
        out = await say(session, "wang", "预约 轮椅 今天")
        assert "等社区工作人员批准" in texts_to(out, "@wang")[0]
        await session.advance(50 * 60)
        assert texts_to(session.transcript.new(), "@wang") == []
        await session.advance(20 * 60)
        assert "已失效" in texts_to(session.transcript.new(), "@wang")[0]
