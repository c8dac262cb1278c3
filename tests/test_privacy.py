"""Bank cards masked with phones and ID cards; licence plates masked in groups only."""

from __future__ import annotations

import pytest

from handlers.context import Context
from handlers.events import Event
from nlp.pii import contains_pii, mask_group, mask_pii, mask_plates


@pytest.mark.parametrize("text, masked", [
    ("退款请打到6222021234567890123", "退款请打到6222***********0123"),
    ("卡号 6217 0000 1000 1234，户名张三", "卡号 6217********1234，户名张三"),
    ("信用卡4392-2500-1234-5678", "信用卡4392********5678"),
    ("身份证110101199003074512", "身份证110101********4512"),     # 18 digits: still an ID card
    ("电话13812345678", "电话138****5678"),
    ("3号楼2单元502，共1500元", "3号楼2单元502，共1500元"),         # short numbers untouched
    ("订单号12345678901234", "订单号12345678901234"),               # 14 digits: no card
])
def test_bank_cards_are_masked_with_the_other_numbers(text, masked):
    assert mask_pii(text) == masked
    assert contains_pii(text) is (text != masked)


@pytest.mark.parametrize("text, masked", [
    ("苏E·12345停在消防通道上", "苏E***45停在消防通道上"),
    ("京AD12345挡住了单元门", "京A****45挡住了单元门"),          # new-energy plate
    ("车牌沪a8b2c9一直占我车位", "车牌沪a***c9一直占我车位"),
    ("粤B 6X8Y2乱停", "粤B***Y2乱停"),
    ("3号楼的车位A12345", "3号楼的车位A12345"),                  # no province: not a plate
])
def test_plates_are_masked_for_groups(text, masked):
    assert mask_plates(text) == masked
    assert mask_pii(text) == text                                 # kept for staff and tickets


def test_group_mask_does_both():
    assert mask_group("苏E·12345的车主电话13812345678") == "苏E***45的车主电话138****5678"


def test_group_replies_mask_plates_and_cards_private_messages_keep_them():
    event = Event(id="e1", channel="console", sender="console:zhang", chat="console:b3", chat_kind="group")
    ctx = Context(services=None, event=event)
    text = "苏E·12345堵了消防通道，车主卡号6222021234567890123"
    ctx.reply(text)
    ctx.tell("grid", text)
    group, private = ctx.outgoing
    assert "12345" not in group.text and "6222021234567890123" not in group.text
    assert "苏E***45" in group.text
    assert private.to == "@grid" and private.text == text
