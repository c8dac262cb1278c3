"""Where in the community a message is about: building, unit and room.

Residents write addresses many ways: "3号楼2单元502", "三栋", "3幢", "3#楼", "B座",
"2单元502室", "3-2-502". Only explicit markers count: "3楼" is a floor and "3号" a date,
so neither is read as a building.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.normalize import CN_NUMERAL_CHARS, cn_to_int, standard
from nlp.pii import pii_spans

_NUM = rf"(?:[0-9]{{1,4}}|[{CN_NUMERAL_CHARS}]{{1,5}})"
# A room number must not run on into a date, a time, money or a count ("3栋2023年").
_ROOM = r"(?P<room>[0-9]{3,4})(?:室|房间|房|号|户)?(?![0-9年月日元块点分时:%.])"

_BUILDING = re.compile(
    rf"(?:(?P<b_num>{_NUM})\s*(?:号楼|号栋|号幢|栋|幢|#楼|#)"
    # "座" only after a digit or a letter: "一座桥" is not building 1, "3号座位" no building.
    rf"|(?P<b_seat>[0-9]{{1,3}})\s*号?座(?!位)"
    rf"|(?<![A-Za-z])(?P<b_letter>[A-Za-z])\s*(?:座|栋|幢)(?!位))"
    rf"\s*(?:(?P<unit>{_NUM})\s*单元)?\s*(?:{_ROOM})?"
)
_UNIT = re.compile(rf"(?P<unit>{_NUM})\s*单元\s*(?:{_ROOM})?")
_ROOM_ONLY = re.compile(r"(?<![0-9])(?P<room>[0-9]{3,4})\s*(?:室|房间)")
# building-unit-room; a 4-digit first part is a year and a 3-4 digit middle part is a
# phone fragment, so the shape is kept tight.
_DASHED = re.compile(r"(?<![0-9\-])(?P<b>[0-9]{1,3})-(?P<unit>[0-9]{1,2})-"
                     r"(?P<room>[0-9]{3,4})(?![0-9\-])")


@dataclass(frozen=True)
class Location:
    building: str | None = None
    unit: str | None = None
    room: str | None = None

    def to_dict(self) -> dict:
        return {"building": self.building, "unit": self.unit, "room": self.room}

    def describe(self, public: bool = False) -> str:
        """Chinese description, e.g. "3号楼2单元502室".

        public=True stops at building level, which is all a group reply may show.
        """
        parts = []
        if self.building:
            parts.append(f"{self.building}座" if self.building.isalpha() else f"{self.building}号楼")
        if not public:
            if self.unit:
                parts.append(f"{self.unit}单元")
            if self.room:
                parts.append(f"{self.room}室")
        return "".join(parts)


def _number(raw: str | None) -> str | None:
    if not raw:
        return None
    value = cn_to_int(raw)
    return str(value) if value is not None and value > 0 else None


# Every form above needs one of these; most messages have none and skip the patterns.
_MARKERS = re.compile(r"[楼栋幢#座单室房\-]")


def extract_location(text: str, is_standard: bool = False) -> Location | None:
    """The first building/unit/room mentioned in `text`, or None; `is_standard`: the text
    has already been through `normalize.standard`."""
    if not is_standard:
        text = standard(text)
    if not _MARKERS.search(text):
        return None
    # Phone and ID numbers are blanked first so their digits are never read as a room.
    for start, end in reversed(pii_spans(text)):
        text = text[:start] + " " * (end - start) + text[end:]

    dashed = _DASHED.search(text)
    if dashed:
        return Location(_number(dashed["b"]), _number(dashed["unit"]), dashed["room"])

    building = unit = room = None
    b = _BUILDING.search(text)
    if b:
        if b["b_letter"]:
            building = b["b_letter"].upper()
        else:
            building = _number(b["b_num"] or b["b_seat"])
        unit, room = _number(b["unit"]), b["room"]
    if unit is None:
        u = _UNIT.search(text)
        if u:
            unit, room = _number(u["unit"]), room or u["room"]
    if room is None:
        r = _ROOM_ONLY.search(text)
        if r:
            room = r["room"]
    if building is None and unit is None and room is None:
        return None
    return Location(building, unit, room)
