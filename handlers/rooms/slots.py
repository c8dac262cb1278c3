"""Time arithmetic for bookings, with no texts and no Redis: reading a slot as residents
write it (through the polls package's date reader), opening hours as timestamps, what is
free on a day, and how many opening seconds of each month a booking covers.

A slot is [start, end) in timestamps: 14:00-16:00 and 16:00-18:00 do not overlap. A room
is booked by the hour inside one opening span of one day; equipment by whole days
(local midnight to midnight), starting on a day it is lent.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers import polls
from handlers.rooms.rules import Room

DAY = 86400
# What a part of the day books when written without hours (下周三上午), clipped to the
# room's opening hours.
PART_SPANS = {"早上": (420, 540), "上午": (480, 720), "中午": (720, 840), "下午": (840, 1080),
              "傍晚": (1020, 1140), "晚上": (1080, 1320)}
_PARTS = ("凌晨", "早上", "早晨", "上午", "中午", "下午", "傍晚", "晚上", "夜里")
_SHORT = {"今晚": "今天晚上", "明晚": "明天晚上", "后晚": "后天晚上", "今早": "今天早上", "明早": "明天早上"}
_NUM = r"(?:\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"
_TIME = rf"(?:{'|'.join(_PARTS)})?{_NUM}(?:[:：]\d{{2}}|(?:点|时)(?:半|一刻|三刻|{_NUM}分?|整|钟)?)"
_RANGE = re.compile(rf"^(?P<left>.+?)\s*(?:-|~|－|—|到|至)\s*(?P<right>{_TIME})$")
_PART_ALONE = re.compile(rf"^(?P<day>.*?)\s*(?P<part>{'|'.join(PART_SPANS)})$")
_HAS_TIME = re.compile(rf"{_NUM}\s*(?:[:：]\d{{2}}|点|时)|{'|'.join(_PARTS)}")
_DAY_RANGE = re.compile(r"^(?P<left>.+?)\s*(?:-|~|－|—|到|至)\s*(?P<right>.+)$")


class SlotError(Exception):
    """What is wrong with a slot: a texts key (rooms.<key>) and its values."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def local(at: float, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(at, tz)


def midnight(day: date, tz: ZoneInfo) -> float:
    return datetime.combine(day, time(0), tzinfo=tz).timestamp()


def _at(day: date, minute: int, tz: ZoneInfo) -> float:
    return datetime.combine(day + timedelta(days=minute // 1440), time((minute % 1440) // 60, minute % 60),
                            tzinfo=tz).timestamp()


def openings(room: Room, day: date, tz: ZoneInfo) -> list[tuple[float, float]]:
    """The day's opening spans as timestamps (none on a closed day)."""
    return [(_at(day, s, tz), _at(day, e, tz)) for s, e in room.hours_on(day)]


_CN = "零〇一二两三四五六七八九十"
_DASHES = re.compile(r"\s*[-‐‑‒–—―~〜]+\s*")               # after NFKC: －→-, ～→~
_LONE_PART = re.compile(rf"(?<![今明后傍最])晚(?=\s*[\d{_CN}]|\s|$)|(?<![今明清提最])早(?![上晨饭餐])(?=\s*[\d{_CN}])")
_HOUR_RANGE = re.compile(rf"(?<![\d.\-/月年点时:])(\d{{1,2}}|[{_CN}]{{1,3}})\s*(-|到|至)\s*(\d{{1,2}}|[{_CN}]{{1,3}})\s*(点|时)")
# A start and then a length: 周六 14:00 2小时, 下午两点开始，两个小时, 10点起 1个半小时,
# 下午2点两小时 (hours straight after the time).
_LENGTH_AT = re.compile(r"(?:\s*(?:开始|起)\s*[,、;]?\s*|\s*[,、;]\s*|\s+|(?<=[点半刻整钟])(?=\S*(?:小时|钟头)))"
                        r"(?:一共|总共|共|用|大约|大概|约|时长|持续)?(?P<len>[^,、;]+)$")
_FILLER = re.compile(r"[,、;。!?]|的|之间$|(?:开始|起)(?=$|-|到|至)")


def _clean(text: str) -> str:
    """One way of writing what residents write many ways: half-width, one kind of dash,
    晚7点 as 晚上7点, no 从, 2-4点 as 2点-4点; spaces kept (a length is the word after one)."""
    text = " ".join(unicodedata.normalize("NFKC", text).replace("∶", ":").split())
    for short, long in _SHORT.items():
        text = text.replace(short, long)
    text = _DASHES.sub("-", text).replace("从", "")
    text = _LONE_PART.sub(lambda m: m.group(0) + "上", text)
    return _HOUR_RANGE.sub(r"\1\4\2\3\4", text).strip()


def _when(text: str, now: float, tz: ZoneInfo) -> float:
    try:
        return polls.parse_when(text, now, tz)
    except ValueError:
        raise SlotError("time_bad", text=text) from None


def _day_of(text: str, now: float, tz: ZoneInfo) -> date:
    return local(_when(text, now, tz), tz).date()


def parse_slot(room: Room, text: str, now: float, tz: ZoneInfo) -> tuple[float, float] | date | None:
    """(start, end) of what `text` asks for; a date when it names a day alone (预约 活动室
    周六: what is free then); None when it names nothing (what is free soon). SlotError
    when it cannot be read; whether the slot is allowed is `check`'s business."""
    text = _clean(text)
    if not text:
        return None
    return _equipment_slot(room, text, now, tz) if room.equipment else _room_slot(room, text, now, tz)


def _room_slot(room: Room, text: str, now: float, tz: ZoneInfo) -> tuple[float, float] | date:
    text, length = _split_length(text)
    text = _FILLER.sub("", "".join(text.split()))    # 下午 2 点 到 4 点, 周六，2点起
    ranged = _RANGE.match(text)
    if ranged:
        left, right = ranged.group("left"), ranged.group("right")
        start = _when(left, now, tz)
        part = next((p for p in _PARTS if p in left), None)
        if part and not any(right.startswith(p) for p in _PARTS):
            right = part + right                      # 下午2点到4点: 4点 is in the afternoon too
        day = local(start, tz).date()
        end = _when(f"{day.year}年{day.month}月{day.day}日{right}", now, tz)
        if end <= start and 1 <= local(end, tz).hour <= 11 < local(start, tz).hour + 5 \
                and not re.search(r"\d{2}", right[:2]) \
                and local(end + 12 * 3600, tz).date() == day and end + 12 * 3600 > start:
            end += 12 * 3600                          # 上午10点到2点: 2 in the afternoon
        if end <= start:
            raise SlotError("end_before_start")
        return _afternoon(start, end, part, tz)
    alone = _PART_ALONE.match(text)
    if alone and not re.search(r"\d|点", alone.group("part")):
        part = alone.group("part")
        s, e = PART_SPANS[part]
        if alone.group("day"):
            day = _day_of(alone.group("day"), now, tz)
        else:
            day = local(now, tz).date()
            if _at(day, e, tz) <= now:
                day += timedelta(days=1)
        span = (_at(day, s, tz), _at(day, e, tz))
        for open_start, open_end in openings(room, day, tz):
            if open_start < span[1] and open_end > span[0]:
                return max(span[0], open_start), min(span[1], open_end)
        raise SlotError("outside", name=room.name, day=day_words(day), hours=hours_words(room, day))
    if not _HAS_TIME.search(text):
        return _day_of(text, now, tz)
    start = _when(text, now, tz)
    if length is None:
        raise SlotError("need_end", name=room.name)
    return _afternoon(start, start + length, next((p for p in _PARTS if p in text), None), tz)


def _split_length(text: str) -> tuple[str, float | None]:
    """The start and the length written after it, the first place from the left where
    the rest reads as a length; (text, None) if none does."""
    for cut in range(max(1, len(text) - 24), len(text)):   # 一共大约两个半小时 is shorter
        tail = _LENGTH_AT.match(text, cut)
        if tail and (seconds := polls.parse_length(tail.group("len"))) is not None:
            return text[:cut], seconds
    return text, None


def _afternoon(start: float, end: float, part: str | None, tz: ZoneInfo) -> tuple[float, float]:
    """"明天2点半到4点" means the afternoon: nobody books a room between 1 and 6 at night, so
    an hour there with no 上午/凌晨/… is read twelve hours later."""
    if part is None and 1 <= local(start, tz).hour <= 6:
        return start + 12 * 3600, end + 12 * 3600
    return start, end


def _equipment_slot(room: Room, text: str, now: float, tz: ZoneInfo) -> tuple[float, float]:
    days = None
    head, _, last = text.rpartition(" ")
    if head and (seconds := polls.parse_length(last)) is not None:
        text, days = head.strip(), max(1, round(seconds / DAY))
    first = last_day = None
    ranged = _DAY_RANGE.match(text)
    if ranged and days is None:
        try:
            first, last_day = _day_of(ranged.group("left"), now, tz), _day_of(ranged.group("right"), now, tz)
        except SlotError:
            first = None
    if first is None:
        first = _day_of(text, now, tz)
        last_day = first + timedelta(days=(days or 1) - 1)
    if last_day < first:
        raise SlotError("end_before_start")
    return midnight(first, tz), midnight(last_day + timedelta(days=1), tz)


def check(room: Room, start: float, end: float, now: float, tz: ZoneInfo) -> None:
    """SlotError unless the slot may be booked: not past, not too far ahead, not too long,
    inside the opening hours (a room) or starting on a day it is lent (equipment)."""
    first = local(start, tz).date()
    today = local(now, tz).date()
    if (first < today) if room.equipment else (start < now):
        raise SlotError("past")
    if first > today + timedelta(days=room.ahead_days):
        raise SlotError("too_far", days=room.ahead_days)
    if room.equipment:
        if round((end - start) / DAY) > room.max_days:
            raise SlotError("too_long_days", name=room.name, days=room.max_days)
        if not room.hours_on(first):
            raise SlotError("closed_day", name=room.name, day=day_words(first), hours=room.open)
        return
    if end - start > room.max_hours * 3600:
        raise SlotError("too_long", name=room.name, hours=f"{room.max_hours:g}")
    if not any(s <= start and end <= e for s, e in openings(room, first, tz)):
        raise SlotError("outside", name=room.name, day=day_words(first), hours=hours_words(room, first))


def free_spans(room: Room, day: date, taken: list[tuple[float, float]], now: float,
               tz: ZoneInfo) -> list[tuple[float, float]]:
    """The day's opening spans less what is taken and what is past."""
    free = []
    for s, e in openings(room, day, tz):
        s = max(s, now)
        for ts, te in sorted(taken):
            if te <= s or ts >= e:
                continue
            if ts > s:
                free.append((s, ts))
            s = max(s, te)
        if s < e:
            free.append((s, e))
    return [(s, e) for s, e in free if e - s >= 15 * 60 or room.equipment]


def usage_by_month(room: Room, start: float, end: float, tz: ZoneInfo) -> dict[str, float]:
    """Seconds of opening hours [start, end) covers, by month ("2026-12") of the day they fall on."""
    used: dict[str, float] = {}
    day = local(start, tz).date()
    last = local(end, tz).date()
    while day <= last:
        for s, e in openings(room, day, tz):
            overlap = min(e, end) - max(s, start)
            if overlap > 0:
                used[f"{day:%Y-%m}"] = used.get(f"{day:%Y-%m}", 0.0) + overlap
        day += timedelta(days=1)
    return used


def month_days(month: str) -> list[date]:
    year, number = (int(p) for p in month.split("-"))
    day = date(year, number, 1)
    days = []
    while day.month == number:
        days.append(day)
        day += timedelta(days=1)
    return days


def open_seconds(room: Room, month: str, tz: ZoneInfo) -> float:
    """The room's opening hours in a month, in seconds (closed weekdays and dates left out)."""
    return sum(e - s for day in month_days(month) for s, e in openings(room, day, tz))


def month_bounds(month: str, tz: ZoneInfo) -> tuple[float, float]:
    days = month_days(month)
    return midnight(days[0], tz), midnight(days[-1] + timedelta(days=1), tz)


WEEKDAYS = "一二三四五六日"


def day_words(day: date) -> str:
    """"12月19日（周六）"."""
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def hours_words(room: Room, day: date) -> str:
    spans = room.hours_on(day)
    if not spans:
        return "不开放"
    return "、".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in spans)


def span_words(start: float, end: float, tz: ZoneInfo, equipment: bool = False) -> str:
    """"12月19日（周六）14:00-16:00"; equipment "12月19日（周六）至12月21日（周一）"."""
    a, b = local(start, tz), local(end, tz)
    if equipment:
        last = (b - timedelta(seconds=1)).date()
        return day_words(a.date()) if last == a.date() else f"{day_words(a.date())}至{day_words(last)}"
    end_text = "24:00" if b.date() != a.date() and b.hour == 0 and b.minute == 0 else f"{b:%H:%M}"
    return f"{day_words(a.date())}{a:%H:%M}-{end_text}"
