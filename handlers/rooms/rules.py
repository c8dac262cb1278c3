"""The community file's `[[rooms]]`: what the community lends, when, and on what terms,
checked at start like the rest of the file (handlers/community.py calls `parse_rooms`).

    [[rooms]]
    id = "activity"                  # ASCII, used by the admin CLI and in keys
    name = "活动室"                   # what residents read
    words = ["多功能厅", "活动中心"]   # other names residents call it by
    kind = "room"                    # "room" (booked by the hour) or "equipment" (lent by the day)
    open = "周一至周五 09:00-21:00, 周六 09:00-17:00"   # days not named are closed
    closed = ["2026-12-25"]          # dates it is closed besides (holidays)
    approval = true                  # a booking waits for 批准 B3 (default false)
    max_hours = 4                    # a room: longest booking (default 4)
    max_days = 7                     # equipment: longest loan in days (default 7)
    ahead_days = 14                  # how far ahead one may book (default 14)
    approvers = ["zhang"]            # who is asked to approve (default: every staff member)

`open` is entries separated by commas (or semicolons), each days then time ranges:
`周一至周五 09:00-21:00`, `周六、周日 09:00-12:00 14:00-17:00`, `每天 08:00-20:00`,
`工作日 …`, `周末 …`. Equipment is lent by whole days: its `open` names the days it can be
picked up (`每天`, the default, or `周一至周五`), and times, if written, are ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from handlers.sections import Fail, table

KINDS = ("room", "equipment")
WHOLE_DAY = ((0, 1440),)
_DAY_CHARS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
              "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_RANGE = re.compile(r"(\d{1,2})[:：](\d{2})\s*[-~－—至到]\s*(\d{1,2})[:：](\d{2})")
_ID = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Room:
    id: str
    name: str
    words: tuple[str, ...] = ()
    kind: str = "room"
    open: str = "每天 09:00-21:00"
    # Minutes of the day it is open, per weekday (0 = Monday): ((540, 1260),) is 09:00-21:00.
    hours: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    closed: frozenset[str] = frozenset()     # ISO dates
    approval: bool = False
    max_hours: float = 4
    max_days: int = 7
    ahead_days: int = 14
    approvers: tuple[str, ...] = ()          # empty: staff

    @property
    def equipment(self) -> bool:
        return self.kind == "equipment"

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.words)

    def hours_on(self, day: date) -> tuple[tuple[int, int], ...]:
        """The opening spans (minutes) of a date: none on a closed date or weekday."""
        if day.isoformat() in self.closed:
            return ()
        return self.hours[day.weekday()]


def parse_open(text: str, equipment: bool = False) -> tuple[tuple[tuple[int, int], ...], ...]:
    """"周一至周五 09:00-21:00, 周六 09:00-17:00" -> spans per weekday; ValueError saying
    what is wrong (in English, for whoever edits the file)."""
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    text = unicodedata.normalize("NFKC", text)
    entries = [e.strip() for e in re.split(r"[,;，；]", text) if e.strip()]
    if not entries:
        raise ValueError("is empty")
    for entry in entries:
        first = _RANGE.search(entry)
        days_text = (entry[:first.start()] if first else entry).strip()
        rest = entry[first.start():] if first else ""
        days = _days(days_text)
        spans = []
        for match in _RANGE.finditer(rest):
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
                raise ValueError(f"{match.group(0)!r} is not a time range such as 09:00-21:00")
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if end <= start:
                raise ValueError(f"{match.group(0)!r} ends before it starts (a room cannot stay open past midnight)")
            spans.append((start, end))
        leftover = _RANGE.sub("", rest).replace("、", "").strip()
        if leftover:
            raise ValueError(f"cannot read {leftover!r} in {entry!r}")
        if not spans:
            if not equipment:
                raise ValueError(f"{entry!r} has no hours: write them like 周六 09:00-17:00")
            spans = list(WHOLE_DAY)
        if equipment:
            spans = list(WHOLE_DAY)
        for day in days:
            week[day].extend(spans)
    hours = []
    for day, spans in enumerate(week):
        spans.sort()
        for (s1, e1), (s2, _) in zip(spans, spans[1:]):
            if s2 < e1 and not equipment:
                raise ValueError(f"the hours of {'一二三四五六日'[day]} overlap ({s1 // 60:02d}:{s1 % 60:02d}…)")
        hours.append(tuple(dict.fromkeys(spans)))
    return tuple(hours)


def _days(text: str) -> list[int]:
    """"周一至周五" -> [0..4]; "周六、周日", "周六日", "每天", "工作日", "周末"."""
    text = text.replace("星期", "周").replace("礼拜", "周").replace(" ", "")
    whole = {"每天": range(7), "每日": range(7), "天天": range(7), "全周": range(7), "工作日": range(5),
             "周末": (5, 6)}
    if text in whole:
        return list(whole[text])
    if not text.startswith("周"):
        raise ValueError(f"{text or '(nothing)'!r} names no days: write 周一至周五, 周六, 每天 …")
    tokens = re.findall(r"[一二三四五六日天1-7]|至|到|-|~|—", text.replace("周", "").replace("、", ""))
    if "".join(tokens) != text.replace("周", "").replace("、", ""):
        raise ValueError(f"cannot read the days {text!r}: write 周一至周五, 周六、周日 …")
    days: list[int] = []
    i = 0
    while i < len(tokens):
        if tokens[i] not in _DAY_CHARS:
            raise ValueError(f"cannot read the days {text!r}")
        if i + 2 < len(tokens) and tokens[i + 1] not in _DAY_CHARS and tokens[i + 2] in _DAY_CHARS:
            first, last = _DAY_CHARS[tokens[i]], _DAY_CHARS[tokens[i + 2]]
            if last < first:
                raise ValueError(f"{text!r}: the days run backwards")
            days.extend(range(first, last + 1))
            i += 3
        else:
            days.append(_DAY_CHARS[tokens[i]])
            i += 1
    return days


def parse_rooms(raw: Any, people: dict, fail: Fail) -> tuple[Room, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise fail("rooms", "must be an array of tables ([[rooms]])")
    rooms = tuple(_room(item, f"rooms[{i}]", people, fail) for i, item in enumerate(raw))
    seen: dict[str, str] = {}
    for room in rooms:
        if room.id in {r.id for r in rooms if r is not room}:
            raise fail("rooms", f"duplicate id {room.id!r}")
        for word in room.names():
            if word in seen and seen[word] != room.id:
                raise fail(f"rooms.{room.id}.words", f"{word!r} also names room {seen[word]!r}")
            seen[word] = room.id
    return rooms


_ALLOWED = ("id", "name", "words", "kind", "open", "closed", "approval", "max_hours", "max_days", "ahead_days",
            "approvers")


def _room(raw: Any, key: str, people: dict, fail: Fail) -> Room:
    table(raw, key, _ALLOWED, fail)
    room_id = raw.get("id")
    if not isinstance(room_id, str) or not _ID.match(room_id):
        raise fail(f"{key}.id", "is required: ASCII letters, digits, '-' or '_', e.g. \"activity\"")
    key = f"rooms.{room_id}"
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or " " in name.strip():
        raise fail(f"{key}.name", "is required: one word residents call it, e.g. \"活动室\"")
    words = raw.get("words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() and " " not in w.strip()
                                              for w in words):
        raise fail(f"{key}.words", "must be a list of words, e.g. [\"多功能厅\"]")
    kind = raw.get("kind", "room")
    if kind not in KINDS:
        raise fail(f"{key}.kind", f"unknown kind {kind!r} (expected room or equipment)")
    equipment = kind == "equipment"
    open_text = raw.get("open", "每天" if equipment else None)
    if not isinstance(open_text, str):
        raise fail(f"{key}.open", "is required: opening hours such as \"周一至周五 09:00-21:00, 周六 09:00-17:00\"")
    try:
        hours = parse_open(open_text, equipment)
    except ValueError as exc:
        raise fail(f"{key}.open", f"{exc} (write e.g. \"周一至周五 09:00-21:00, 周六 09:00-17:00\")") from None
    closed = raw.get("closed", [])
    if not isinstance(closed, list) or not all(isinstance(d, (str, date)) for d in closed):
        raise fail(f"{key}.closed", "must be a list of dates, e.g. [\"2026-12-25\"]")
    dates = set()
    for value in closed:
        try:
            dates.add(value.isoformat() if isinstance(value, date) else date.fromisoformat(value).isoformat())
        except ValueError:
            raise fail(f"{key}.closed", f"{value!r} is not a date such as \"2026-12-25\"") from None
    approval = raw.get("approval", False)
    if not isinstance(approval, bool):
        raise fail(f"{key}.approval", "must be true or false")
    values: dict[str, Any] = {}
    for limit, default, whole in (("max_hours", 4, False), ("max_days", 7, True), ("ahead_days", 14, True)):
        value = raw.get(limit, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 or (whole and value != int(value)):
            raise fail(f"{key}.{limit}", "must be a positive " + ("whole number" if whole else "number"))
        values[limit] = int(value) if whole else float(value)
    approvers = raw.get("approvers", [])
    if not isinstance(approvers, list) or not all(isinstance(p, str) for p in approvers):
        raise fail(f"{key}.approvers", "must be a list of people's ids")
    for person in approvers:
        if person not in people:
            raise fail(f"{key}.approvers", f"unknown person {person!r}")
    return Room(id=room_id, name=name.strip(), words=tuple(w.strip() for w in words), kind=kind, open=open_text,
                hours=hours, closed=frozenset(dates), approval=approval, approvers=tuple(approvers), **values)

