"""A time window as people write it in a need or an offer (handlers/sharing), found
anywhere in a sentence: the spans it names from now to a horizon. The days and times are
read as `dates.py` reads a deadline."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# The day and time words are dates.py's, so a window and a deadline read them alike.
from handlers.polls.dates import _DAY, _DAYS, _PARTS, _WEEKDAY, _number, parse_length, parse_when
from nlp.normalize import CN_NUMERAL_CHARS

# A time window as people write it in a need or an offer (handlers/sharing): 周六上午,
# 每周三下午, 明天晚上, 下周, 周末, 12月20日, 每天晚上, 晚上 (every evening); days of every
# week: 工作日 / 平日, 周一至周五 (and any 周X到周Y), 每周二、四; days of one week: 周六周日,
# 周六、日, 双休日; and the hours of the day: 14:00-16:00, 下午2点到4点, 早8点到晚6点, 19:00
# (two hours from then), 14:00以后 (to the day's end), 10点前, 10点前后, 10点起 2小时, 全天.
# Found anywhere in a sentence, the day and its hours apart or together (周二 19:00); windows
# joined by 或/和/、 (周六上午或周日下午) are one.
_SPANS = {"凌晨": (0, 6), "早上": (6, 9), "早晨": (6, 9), "清早": (6, 9), "上午": (6, 12),
          "中午": (11, 13), "下午": (12, 18), "傍晚": (17, 19), "晚上": (18, 24), "夜里": (18, 24),
          "夜间": (18, 24), "白天": (6, 18), "全天": (0, 24), "整天": (0, 24)}   # not 早/晚 alone: 早教, 晚辈
_SPAN = "|".join(sorted(_SPANS, key=len, reverse=True))
_WD = "[一二三四五六日天1-7]"
_WEEK = "(?:周|星期|礼拜)"
_TO = r"\s*(?:-|~|—|–|―|〜|至|到)\s*"
_WEEKDAYS = "工作日|平日|周一至周五|周一到周五"
_HOUR = rf"(?:\d{{1,2}}|[{CN_NUMERAL_CHARS}]{{1,3}})"
_AT = r"(?:[:：]\d{2}|点(?:半|一刻|三刻|\d{1,2}分?|钟|整)?)"   # 9:30, 9点, 9点半, 9点15
_CLOCK_PART = "|".join(sorted(set(_PARTS) | {"白天"}, key=len, reverse=True))   # 早8点, 晚6点
# 周一三五, 周六日: a weekday written straight after an earlier one (not 周五一起, 周三四点)
_LATER = "|".join(f"(?<={a}){'[' + '二三四五六日天'[i:] + ']'}" for i, a in enumerate("一二三四五六"))
_DAY_WORDS = (
    rf"(?P<every>每个?|每逢)?"
    rf"(?:(?P<rweek>本|这|这个|下|下个)?{_WEEK}(?P<r1>{_WD}){_TO}{_WEEK}?(?P<r2>{_WD})(?![\d:：点])"
    rf"|(?P<workdays>{_WEEKDAYS})"
    rf"|(?P<lweek>本|这|这个|下|下个|下下|下下个)?(?P<list>{_WEEK}{_WD}(?:[、,，/和及与或]?{_WEEK}{_WD}"
    rf"|[、,，/和及与或][一二三四五六日天]|{_LATER})+)(?![点时:：个\d])"
    rf"|(?P<week>本|这|这个|下|下个|下下|下下个)?{_WEEK}(?P<wd>{_WD})"
    rf"|(?P<wk>本|这|这个|下|下个)?(?P<weekend>周末|双休日|双休)"
    rf"|(?P<wholeweek>本周|这周|这个星期|这星期|下周|下个星期|下星期|下个礼拜|下礼拜)"
    rf"|(?P<rel>{_DAY})"
    rf"|(?P<m>\d{{1,2}}|[{CN_NUMERAL_CHARS}]+)月(?P<d>\d{{1,2}}|[{CN_NUMERAL_CHARS}]+)[日号]"
    rf"|(?P<daily>(?<=每)天|(?<=每)日|天天))")
_HOURS = (
    rf"(?:(?P<p1>{_CLOCK_PART})?(?P<h1>{_HOUR})(?P<a1>{_AT})?{_TO}(?P<p2>{_CLOCK_PART})?(?P<h2>{_HOUR})(?P<a2>{_AT})"
    rf"|(?P<part>{_CLOCK_PART})?(?P<h>{_HOUR})(?P<at>{_AT})"
    rf"(?:\s*(?P<open>前后|左右|以后|之后|以前|之前|后|前|起|开始)"
    rf"(?:\s*[,，]?\s*(?:共|约|大约|大概)?(?P<len>(?:\d+(?:\.\d+)?|[{CN_NUMERAL_CHARS}]+)个?半?(?:小时|钟头)|半小时))?)?"
    rf"|(?P<s1>{_SPAN}){_TO}(?P<s2>{_SPAN})"
    rf"|(?P<span>{_SPAN})"
    rf"|(?P<short>(?<=[六日天一二三四五7每])[早晚](?![教辈]))"
    rf")")
_WINDOW = re.compile(rf"{_DAY_WORDS}?(?:\s*{_HOURS})?")
_JOIN = re.compile(r"\s*(?:或者|或是|或|和|及|、|,|，|/)\s*")
MOST_SPANS = 62


def find_window(text: str, now: float, tz: ZoneInfo, horizon: float) -> tuple[list[tuple[float, float]], str] | None:
    """The times a sentence names, as spans (start, end) from `now` up to `horizon` (a
    weekly or daily one repeats until then), and the words that named them; None when it
    names no time. Spans wholly before `now` are dropped, so a time already past gives
    ([], words). A day and hours apart in the sentence are read together (周二 免费理发
    9:00-11:30); the words are those of the first window then."""
    written = unicodedata.normalize("NFKC", text)
    found = []                                        # (start, end, groups) of each window
    pos = 0
    while pos <= len(written):
        match = _WINDOW.search(written, pos)
        if match is None:
            break
        pos = match.end() if match.end() > match.start() else match.start() + 1
        g = match.groupdict()
        if g["h"] == "一" and g["at"] == "点" and len(g["part"] or "") == 1:
            g.update(part=None, h=None, at=None, open=None, len=None)   # 早一点, 快一点: a little
        if g["short"] and not _has_day(g) and written[match.start("short") - 1:match.start("short")] != "每":
            g["short"] = None                         # 住一晚: a night, not the evenings
        if match.group(0).strip() and _readable(g) and _spans_or_none(g, now, tz, horizon) is not None:
            found.append((match.start(), match.end(), g))   # not 2月30日, 25点
    if not found:
        return None
    # windows joined by 或/和/、 are read together; else the first, given hours or a day
    # written elsewhere in the sentence when it has none of its own
    first = [found[0]]
    for start, end, g in found[1:]:
        gap, before = written[first[-1][1]:start], first[-1][2]
        if not gap.strip() and _has_hours(before) and not _has_day(before) and _has_day(g) and not _has_hours(g):
            first[-1] = (first[-1][0], end, {**g, **{k: before[k] for k in _HOUR_KEYS}})   # 下午 周六
        elif _JOIN.fullmatch(gap) or not gap.strip():
            first.append((start, end, g))
        else:
            break
    groups = [g for _, _, g in first]
    rest = [g for _, _, g in found[len(first):]]
    if len(groups) == 1:
        only = groups[0]
        if _has_day(only) and not _has_hours(only):
            hours = next((g for g in rest if _has_hours(g) and not _has_day(g)), None)
            if hours:
                groups = [{**only, **{k: v for k, v in hours.items() if k in _HOUR_KEYS}}]
        elif _has_hours(only) and not _has_day(only) and not only["every"]:
            day = next((g for g in rest if _has_day(g) and not _has_hours(g)), None)
            if day:
                groups = [{**only, **{k: v for k, v in day.items() if k not in _HOUR_KEYS}}]
        if _spans_or_none(groups[0], now, tz, horizon) is None:
            groups = [only]                           # the two do not go together
    spans = [span for g in groups for span in _spans_or_none(g, now, tz, horizon)]
    spans = sorted((max(s, now), min(e, horizon)) for s, e in spans if e > now and s < horizon)[:MOST_SPANS]
    start, end = first[0][0], first[-1][1]
    words = text[start:end] if len(text) == len(written) else written[start:end]
    return spans, words.strip()


_HOUR_KEYS = ("p1", "h1", "a1", "p2", "h2", "a2", "part", "h", "at", "open", "len", "s1", "s2", "span", "short")
_DAY_KEYS = ("r1", "workdays", "list", "wd", "weekend", "wholeweek", "rel", "m", "daily")


def _has_day(g: dict) -> bool:
    return any(g[k] for k in _DAY_KEYS)


def _has_hours(g: dict) -> bool:
    return any(g[k] for k in ("h1", "h", "s1", "span", "short"))


def _readable(g: dict) -> bool:
    """Whether a match is a time: a day, a part of the day, or hours that cannot be a
    count ("3点" alone is too often one, or a building: "3栋")."""
    if _has_day(g) or g["span"] or g["s1"] or g["short"]:
        return True
    if g["h1"]:
        return bool(g["a1"] or g["a2"] and g["a2"].startswith("点") or g["p1"] or g["p2"]) and (
            g["h1"].isdigit() or bool(g["p1"]) or "点" in (g["a1"] or ""))
    if g["h"]:
        return bool(g["part"]) or (g["at"] or "").startswith((":", "：")) or bool(g["open"]) and g["h"].isdigit()
    return False


def _spans_or_none(g, now, tz, horizon):
    try:
        return _spans(g, now, tz, horizon)
    except ValueError:
        return None


def _clock(part: str | None, hour_text: str, at: str | None) -> float:
    """The hour (with its minutes as a fraction) 下午2点半 names; 24 for 晚上12点."""
    hour = int(_number(hour_text))
    minute = 0
    at = at or ""
    if at[:1] and at[0] in ":：":
        minute = int(at[1:])
    elif "半" in at:
        minute = 30
    elif "一刻" in at:
        minute = 15
    elif "三刻" in at:
        minute = 45
    elif re.search(r"\d", at):
        minute = int(re.search(r"\d+", at).group(0))
    if part and part in _PARTS:
        shift = _PARTS[part][0]
        if part in ("晚上", "夜里", "晚") and hour == 12:
            hour = 24
        elif shift == 12 and hour < 12 and not (part == "中午" and hour >= 10):
            hour += 12
        elif part == "凌晨" and hour == 12:
            hour = 0
    if not (0 <= hour <= 24 and 0 <= minute <= 59) or hour == 24 and minute:
        raise ValueError(hour_text)
    return hour + minute / 60


def _hours_of(g: dict) -> tuple[float, float] | None:
    """(start, end) hours of the day the words name; None for the whole day. An end past 24
    runs into the next day (晚上10点到凌晨2点)."""
    implied = {"今晚": "晚上", "明晚": "晚上", "后晚": "晚上", "今早": "早上", "明早": "早上"}.get(g["rel"] or "")
    if implied and not (g["p1"] or g["part"]):
        g = {**g, "p1": implied if g["h1"] else None, "part": implied if g["h"] else None}   # 今晚8点: 20:00
    if g["h1"]:
        p1, p2 = g["p1"], g["p2"] or g["p1"]          # 下午2点到4点: 4点 in the afternoon too
        start, end = _clock(p1, g["h1"], g["a1"]), _clock(p2, g["h2"], g["a2"])
        if not g["p1"] and not g["p2"] and 1 <= start < 7:
            start, end = start + 12, end + 12 if end < 12 else end   # 2-4点: nobody means the night
        if end <= start and end < 12 and not g["p2"]:
            end += 12                                 # 9点到5点: 5 in the afternoon
        if end <= start:
            end += 24                                 # 晚上10点到凌晨2点
        return start, end
    if g["h"]:
        at = _clock(g["part"], g["h"], g["at"])
        if not g["part"] and 1 <= at < 7 and not (g["at"] or "").startswith((":", "：")):
            at += 12                                  # 周六3点: the afternoon
        opened = g["open"] or ""
        if opened in ("前后", "左右"):
            return max(at - 1, 0), min(at + 1, 24)
        if opened in ("以前", "之前", "前"):
            first = _SPANS.get({"早": "早上", "晚": "晚上"}.get(g["part"], g["part"]) or "", (0, 0))[0]
            return (first, at) if at > first else None
        if opened:
            if g["len"]:
                length = parse_length(g["len"])
                if length:
                    return at, at + length / 3600
            return at, 24                            # 14:00以后: to the day's end
        return at, min(at + 2, 24)                   # 9点: the two hours from then
    if g["s1"]:
        return _SPANS[g["s1"]][0], _SPANS[g["s2"]][1] if _SPANS[g["s2"]][1] > _SPANS[g["s1"]][0] else 24
    if g["span"]:
        return _SPANS[g["span"]]
    if g["short"]:
        return _SPANS["晚上" if g["short"] == "晚" else "早上"]
    return None


def _weekdays(chars: str) -> set[int]:
    return {_WEEKDAY[c] for c in chars if c in _WEEKDAY and c != "末"}


def _spans(g: dict, now: float, tz: ZoneInfo, horizon: float) -> list[tuple[float, float]] | None:
    local = datetime.fromtimestamp(now, tz)
    today = local.date()
    last = datetime.fromtimestamp(horizon, tz).date()
    hours = _hours_of(g)
    if hours is None and (g["h"] or g["h1"]):
        return None
    start_h, end_h = hours or (0, 24)

    def on(day) -> tuple[float, float]:
        start = datetime(day.year, day.month, day.day, tzinfo=tz)
        return (start + timedelta(hours=start_h)).timestamp(), (start + timedelta(hours=end_h)).timestamp()

    def every(days: set[int]) -> list[tuple[float, float]]:
        found, day = [], today - timedelta(days=1)   # yesterday's may run past midnight
        while day <= last and len(found) < MOST_SPANS + 7:
            if day.weekday() in days:
                found.append(on(day))
            day += timedelta(days=1)
        return found

    monday = today - timedelta(days=today.weekday())
    if g["r1"] or g["workdays"]:                     # 周一至周五, 工作日: every week's, until the horizon
        if g["workdays"]:
            days = set(range(5))
        else:
            a, b = _WEEKDAY[g["r1"]], _WEEKDAY[g["r2"]]
            days = {(a + i) % 7 for i in range((b - a) % 7 + 1)}
        if g["rweek"]:                               # 下周一到周五: that week's
            first = monday + timedelta(days=7 if g["rweek"].startswith("下") else 0)
            return [on(first + timedelta(days=d)) for d in sorted(days)]
        return every(days)
    if g["list"]:                                    # 周六周日, 周二、四: the next of each (每: every)
        days = _weekdays(re.sub(_WEEK, "", g["list"]))
        if g["every"]:
            return every(days)
        spans = []
        for d in sorted(days):
            day = datetime.fromtimestamp(parse_when(f"{g['lweek'] or ''}周{'日' if d == 6 else '一二三四五六'[d]}",
                                                    now, tz), tz).date()
            spans.append(on(day))
        return spans
    if g["wholeweek"]:
        first = monday + timedelta(days=7 if g["wholeweek"].startswith("下") else 0)
        return [(on(first + timedelta(days=i))) for i in range(7)]
    if g["weekend"]:
        if g["every"]:
            return every({5, 6})
        first = monday + timedelta(days=12 if (g["wk"] or "").startswith("下") else 5)
        days = [on(first), on(first + timedelta(days=1))]
        if not g["wk"] and today.weekday() == 6:   # 周末 said on a Sunday: today, or the coming one
            days += [on(first + timedelta(days=7)), on(first + timedelta(days=8))]
        return days
    if g["wd"]:
        weekday = _WEEKDAY[g["wd"]]
        if g["every"]:
            return every({weekday})
        day = datetime.fromtimestamp(parse_when(f"{g['week'] or ''}周{g['wd']}", now, tz), tz).date()
        return [on(day)]
    if g["rel"]:
        if g["rel"] in ("今晚", "明晚", "后晚") and hours is None:
            start_h, end_h = _SPANS["晚上"]
        elif g["rel"] in ("今早", "明早") and hours is None:
            start_h, end_h = _SPANS["早上"]
        return [on(today + timedelta(days=_DAYS[g["rel"]]))]
    if g["m"]:
        try:
            day = datetime.fromtimestamp(parse_when(f"{g['m']}月{g['d']}日", now, tz), tz).date()
        except ValueError:
            return None
        return [on(day)]
    if g["daily"] and hours is None:
        return [(now, horizon)]   # 每天: any time
    if (g["h"] and not g["open"]) and not g["daily"]:   # 下午3点, 19:00: the next one
        return [span for span in (on(today), on(today + timedelta(days=1))) if span[1] > now][:1]
    return every(set(range(7)))   # 每天晚上, 晚上 alone, 9:00-17:00 alone: every day's
