"""A deadline as people write it, in the community's time zone:

- a length: 3天, 12小时, 1天12小时, 90分钟, 两周, 1个半小时, 3天后, 3日内, 3d, 36h;
- a day: 今天, 明天, 后天, 大后天, 周五 (the next Friday, today included), 本周日 / 这周日
  (this week's, Monday first), 下周五, 下下周一, 12月20日, 十二月二十日, 20号 / 20日 (the
  next 20th), 2025-01-20, 1-20, 1/20, 1.20; a date may carry its weekday, in brackets or
  not (12月20日（周日）, 12月20日(日), 周日(12.20), 明天(周四)): it must be that date's, else
  the text is unreadable;
- and a time of day after the day, or alone (today's, else tomorrow's): 18:00, 8点,
  8点半, 晚上8点, 下午3点30, 中午12点, 今晚9点, 明早8点; a part of the day alone means its
  end (明天上午 12:00, 下午 18:00, 晚上 23:59). A day without a time ends at 23:59.

`parse_when` answers a timestamp, which may be in the past (今天上午8点 written at noon):
the caller says so. Anything else is a ValueError.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from nlp.normalize import CN_NUMERAL_CHARS, cn_to_int

_NUM = rf"(?:\d+(?:\.\d+)?|[{CN_NUMERAL_CHARS}]+|半)"
_UNIT_SECONDS = (("个小时", 3600), ("小时", 3600), ("个钟头", 3600), ("钟头", 3600), ("分钟", 60), ("个星期", 604800),
                 ("个礼拜", 604800), ("星期", 604800), ("礼拜", 604800), ("周", 604800), ("天", 86400),
                 ("日", 86400), ("分", 60), ("秒", 1), ("min", 60), ("d", 86400), ("h", 3600),
                 ("m", 60), ("s", 1), ("w", 604800))
_UNITS = "|".join(re.escape(u) for u, _ in _UNIT_SECONDS)
_LENGTH = re.compile(rf"^(?:{_NUM}(?:{_UNITS}))+(?:以后|之后|后|以内|之内|内)?$")
_LENGTH_PART = re.compile(rf"({_NUM})({_UNITS})")
_AND_A_HALF = re.compile(rf"(\d+|[{CN_NUMERAL_CHARS}]+)个半(小时|钟头|星期|礼拜)")   # 1个半小时, 两个半钟头

_DAYS = {"今天": 0, "今日": 0, "今晚": 0, "今早": 0, "明天": 1, "明日": 1, "明晚": 1, "明早": 1, "后天": 2,
         "后日": 2, "后晚": 2, "大后天": 3}
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
# A part of the day: how an hour written after it reads (add 12 to 1-11 in the afternoon),
# and when it ends, for a day written with the part alone (明天上午).
_PARTS = {"凌晨": (0, 6, 0), "早上": (0, 9, 0), "早晨": (0, 9, 0), "清早": (0, 9, 0), "早": (0, 9, 0),
          "上午": (0, 12, 0), "中午": (12, 13, 0), "下午": (12, 18, 0), "傍晚": (12, 19, 0),
          "晚上": (12, 23, 59), "夜里": (12, 23, 59), "晚": (12, 23, 59)}
_PART = "|".join(sorted(_PARTS, key=len, reverse=True))
_DAY = "|".join(sorted(_DAYS, key=len, reverse=True))
_DATE = re.compile(
    rf"^(?:(?P<rel>{_DAY})"
    rf"|(?P<week>本|这|这个|下|下个|下下|下下个)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天末1-7])"
    rf"|(?:(?P<y>\d{{4}})[-/.年])?(?P<m>\d{{1,2}}|[{CN_NUMERAL_CHARS}]+)(?:[-/.]|月份?)"
    rf"(?P<d>\d{{1,2}}|[{CN_NUMERAL_CHARS}]+)(?:日|号)?"
    rf"|(?P<dd>\d{{1,2}}|[{CN_NUMERAL_CHARS}]+)(?:日|号))?"
    rf"(?P<part>{_PART})?"
    rf"(?:(?P<h>\d{{1,2}}|[{CN_NUMERAL_CHARS}]+)(?:[:：](?P<mm>\d{{2}})|(?:点|时)(?:(?P<half>半)|(?P<q>一刻|三刻)"
    rf"|(?P<mi>\d{{1,2}}|[{CN_NUMERAL_CHARS}]+)分?|整|钟)?))?$")
# What may follow `截止=明天` as a word of its own: a time of day ("18:00", "晚上8点").
TIME_WORD = re.compile(rf"^(?:{_PART})?(?:\d{{1,2}}|[{CN_NUMERAL_CHARS}]+)(?:[:：]\d{{2}}|(?:点|时)\S*)$"
                       rf"|^(?:{_PART})$")
END_OF_DAY = (23, 59)
# A date with its weekday beside it, either first, either in brackets (after normalize:
# "12月20日(周日)", "12.20周日", "周日(12.20)").
_ON_DAY = (rf"(?:\d{{4}}[-/.年])?(?:\d{{1,2}}|[{CN_NUMERAL_CHARS}]+)(?:[-/.]|月)(?:\d{{1,2}}|[{CN_NUMERAL_CHARS}]+)[日号]?"
           rf"|(?:\d{{1,2}}|[{CN_NUMERAL_CHARS}]+)[日号]")
_ITS_WEEKDAY = r"(?:本|这|这个|下|下个|下下|下下个)?(?:周|星期|礼拜)[一二三四五六日天1-7]"
_DATE_AND_WEEKDAY = re.compile(rf"^(?:(?P<d1>{_ON_DAY}|{_DAY})(?:\((?P<w0>[一二三四五六日天])\)|\(?(?P<w1>{_ITS_WEEKDAY})\)?)"
                               rf"|\(?(?P<w2>{_ITS_WEEKDAY})\)?\(?(?P<d2>{_ON_DAY}|{_DAY})\)?)")


def _number(text: str) -> float:
    if text == "半":
        return 0.5
    if text.replace(".", "", 1).isdigit():
        return float(text)
    value = cn_to_int(text)
    if value is None:
        raise ValueError(text)
    return float(value)


def normalize(text: str) -> str:
    """Half-width, lower case, no spaces: "２０号 18：00" -> "20号18:00"."""
    return "".join(unicodedata.normalize("NFKC", text).replace("∶", ":").lower().split())


def parse_length(text: str) -> float | None:
    """Seconds in 3天, 1天12小时, 两周, 3天后, 36h; None if it is not a length."""
    text = _AND_A_HALF.sub(lambda m: f"{_number(m.group(1)) + 0.5:g}{'周' if m.group(2) in ('星期', '礼拜') else m.group(2)}",
                           normalize(text))
    if not _LENGTH.match(text):
        return None
    if re.fullmatch(rf"(?:\d{{1,2}}|[{CN_NUMERAL_CHARS}]+)日", text):   # 20日 is the 20th; 3日内, 3天 are lengths
        return None
    total = sum(_number(n) * dict(_UNIT_SECONDS)[u] for n, u in _LENGTH_PART.findall(text))
    return total or None


def parse_when(text: str, now: float, tz: ZoneInfo) -> float:
    """The moment `text` names (see the module), as a timestamp; ValueError if unreadable."""
    length = parse_length(text)
    if length is not None:
        return now + length
    written = normalize(text)
    both = _DATE_AND_WEEKDAY.match(written)
    if both:                                         # 12月20日（周日）: the date, if it is a 周日
        on, weekday = both.group("d1") or both.group("d2"), both.group("w0") or both.group("w1") or both.group("w2")
        day = datetime.fromtimestamp(parse_when(on, now, tz), tz).date()
        if day.weekday() != _WEEKDAY[weekday[-1]]:
            raise ValueError(text)
        written = on + written[both.end():]
    match = _DATE.match(written)
    if not written or not match or not any(match.group(g) for g in ("rel", "wd", "m", "dd", "part", "h")):
        raise ValueError(text)
    g = match.groupdict()
    local = datetime.fromtimestamp(now, tz)
    today = local.date()
    hour, minute, day_after = _time_of_day(g, written)
    has_time = g["h"] is not None or g["part"] is not None or g["rel"] in ("今晚", "明晚", "后晚", "今早", "明早")

    def at(day) -> datetime:
        moment = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(hours=hour, minutes=minute)
        return moment + timedelta(days=day_after)

    if g["rel"]:
        return at(today + timedelta(days=_DAYS[g["rel"]])).timestamp()
    if g["wd"]:
        weekday = _WEEKDAY[g["wd"]]
        week = g["week"] or ""
        if week in ("本", "这", "这个"):
            day = today + timedelta(days=weekday - today.weekday())
        elif week:
            weeks = 2 if week.startswith("下下") else 1
            day = today + timedelta(days=weekday - today.weekday() + 7 * weeks)
        else:                                        # 周五: the next Friday, today included
            day = today + timedelta(days=(weekday - today.weekday()) % 7)
            if at(day).timestamp() <= now:
                day += timedelta(days=7)
        return at(day).timestamp()
    if g["m"]:
        year, month, dom = int(g["y"]) if g["y"] else local.year, int(_number(g["m"])), int(_number(g["d"]))
        when = _date(year, month, dom, at)
        if when.timestamp() <= now and not g["y"]:
            when = _date(year + 1, month, dom, at)   # "1月5日" written in December
        return when.timestamp()
    if g["dd"]:                                      # 20号: the next 20th
        dom = int(_number(g["dd"]))
        if not 1 <= dom <= 31:
            raise ValueError(text)
        year, month = local.year, local.month
        for _ in range(13):
            try:
                when = _date(year, month, dom, at)
            except ValueError:
                when = None
            if when is not None and when.timestamp() > now:
                return when.timestamp()
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        raise ValueError(text)
    if not has_time:
        raise ValueError(text)
    day = today if at(today).timestamp() > now else today + timedelta(days=1)   # 晚上8点: today's, else tomorrow's
    return at(day).timestamp()


def _date(year: int, month: int, dom: int, at) -> datetime:
    return at(date(year, month, dom))   # ValueError for 2月30日


def _time_of_day(g: dict, written: str) -> tuple[int, int, int]:
    """(hour, minute, days after the day) the text names; the end of the day if none."""
    part = g["part"] or {"今晚": "晚上", "明晚": "晚上", "后晚": "晚上", "今早": "早上", "明早": "早上"}.get(g["rel"] or "")
    if g["h"] is None:
        if part:
            _, hour, minute = _PARTS[part]
            return hour, minute, 0
        return (*END_OF_DAY, 0)
    hour = int(_number(g["h"]))
    if g["mm"] is not None:
        minute = int(g["mm"])
    elif g["half"]:
        minute = 30
    elif g["q"]:
        minute = 15 if g["q"] == "一刻" else 45
    elif g["mi"]:
        minute = int(_number(g["mi"]))
    else:
        minute = 0
    if part:
        shift = _PARTS[part][0]
        if part in ("晚上", "夜里", "晚") and hour == 12:
            hour = 24                                # 晚上12点: midnight
        elif shift == 12 and hour < 12 and not (part == "中午" and hour >= 10):
            hour += 12
        elif part == "凌晨" and hour == 12:
            hour = 0
    if hour == 24 and minute == 0:
        return 0, 0, 1                               # 晚上12点: midnight, the day's end
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(written)
    return hour, minute, 0
