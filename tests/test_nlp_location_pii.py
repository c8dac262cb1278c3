"""Building/unit/room extraction and masking of phone and ID-card numbers."""

from __future__ import annotations

import pytest

from nlp import Classifier, Location
from nlp.location import extract_location
from nlp.pii import contains_pii, mask_pii


@pytest.mark.parametrize("text, building, unit, room", [
    ("3号楼楼道灯不亮", "3", None, None),
    ("三号楼漏水", "3", None, None),
    ("3栋电梯坏了", "3", None, None),
    ("三栋的垃圾没人清", "3", None, None),
    ("3幢门口", "3", None, None),
    ("3#楼停电了", "3", None, None),
    ("十二栋一单元1203", "12", "1", "1203"),
    ("二十三号楼", "23", None, None),
    ("3号楼2单元502", "3", "2", "502"),
    ("3号楼2单元502室漏水", "3", "2", "502"),
    ("2单元502室墙面渗水", None, "2", "502"),
    ("我家502室", None, None, "502"),
    ("3-2-502 楼上漏水", "3", "2", "502"),
    ("我住5栋502", "5", None, "502"),
    ("B座电梯坏了", "B", None, None),
    ("b栋", "B", None, None),
    ("３＃楼２单元５０２", "3", "2", "502"),              # full-width input
    ("电话13812345678，3栋", "3", None, None),           # phone digits are not a room
])
def test_locations(text, building, unit, room):
    assert extract_location(text) == Location(building, unit, room)


@pytest.mark.parametrize("text", [
    "3楼漏水",            # a floor, not a building
    "3号停水",            # a date
    "2024-05-01开会",
    "138-1234-5678",
    "价格50-100元",
    "一座桥",
    "5号座位",
    "今天天气不错",
])
def test_no_location(text):
    assert extract_location(text) is None


def test_describe_and_to_dict():
    loc = Location("3", "2", "502")
    assert loc.describe() == "3号楼2单元502室"
    assert loc.describe(public=True) == "3号楼"     # group replies stop at building level
    assert loc.to_dict() == {"building": "3", "unit": "2", "room": "502"}
    assert Location(None, "2", "502").describe() == "2单元502室"
    assert Location("B", None, None).describe() == "B座"


def test_classification_carries_location():
    result = Classifier.from_file().classify("三号楼2单元502室楼上漏水到我家了")
    assert result.location == Location("3", "2", "502")
    assert result.to_dict()["location"] == {"building": "3", "unit": "2", "room": "502"}
    assert Classifier.from_file().classify("电梯坏了").location is None


@pytest.mark.parametrize("text, masked", [
    ("电话13812345678", "电话138****5678"),
    ("138 1234 5678", "138****5678"),
    ("138-1234-5678", "138****5678"),
    ("+86 13812345678", "+86 138****5678"),
    ("联系我19912345678谢谢", "联系我199****5678谢谢"),
    ("１３８１２３４５６７８", "１３８****５６７８"),
    ("010-12345678", "010-****5678"),
    ("0591-8765432", "0591-***5432"),
    ("(010)12345678", "010-****5678"),
    ("身份证11010119900307123X", "身份证110101********123X"),
    ("110101199003071234", "110101********1234"),
    ("3栋2单元502，电话13912345678，身份证110101199003071234",
     "3栋2单元502，电话139****5678，身份证110101********1234"),
])
def test_mask_pii(text, masked):
    assert mask_pii(text) == masked
    assert contains_pii(text)
    assert not contains_pii(masked)


@pytest.mark.parametrize("text", [
    "电梯坏了", "3-2-502", "2024-05-01", "价格50-100元", "12345", "95598", "拨打110",
    "电话1381234567",                 # ten digits: not a mobile number
    "12345678901234567890",           # twenty digits: not an ID card
    "订单号2023120112345",
])
def test_no_pii(text):
    assert mask_pii(text) == text
    assert not contains_pii(text)
