"""Duplicate reports join the open ticket as co-reporters; staff can split a wrong merge.
The merge decision is measured on labelled pairs (tests/data/duplicate_pairs.tsv)."""

import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from duplicates import load_pairs, scores  # noqa: E402

from handlers.tickets.duplicates import THRESHOLD  # noqa: E402

DAY = 86400


def test_the_merge_decision_on_labelled_pairs(runtime):
    """Wrongly merged reports hide a problem, so precision matters most."""
    pairs = load_pairs()
    assert len(pairs) >= 60 and 0.4 < sum(p[0] for p in pairs) / len(pairs) < 0.6
    precision, recall, *_ = scores(runtime.services.classifier, pairs, THRESHOLD)
    assert precision >= 0.95 and recall >= 0.85, (precision, recall)


async def test_a_second_report_of_the_same_problem_joins_the_open_ticket(console):
    await console.say("r301", "b3", "3号楼2单元楼道灯坏了，晚上看不见")
    await console.say("r302", "b3", "3号楼2单元楼道的灯不亮了，黑乎乎的")
    out = console.transcript.new()
    joined = [m for m in out if m["to"] == "b3" and "共同反映人" in m["text"]]
    assert joined and "#1" in joined[0]["text"] and "黑乎乎" not in joined[0]["text"]
    assert await console.runtime.services.tickets.get(2) is None
    ticket = await console.runtime.services.tickets.get(1)
    assert list(ticket.co_reporters) == ["r302"] and ticket.history[-1]["action"] == "co_reported"
    await console.say("r302", None, "查询")
    assert "#1" in console.transcript.new()[0]["text"]                  # their 查询 lists it
    await console.say("grid", None, "处理 #1 马上去看")
    out = console.transcript.new()
    assert {m["to"] for m in out if "工单 #1" in m["text"] and "有新进展" in m["text"]} >= {"@r301", "@r302"}
    await console.say("grid", None, "办结 #1 已换灯泡")
    out = console.transcript.new()
    assert any(m["to"] == "@r302" and "已换灯泡" in m["text"] for m in out)
    assert not any(m["to"] == "@r302" and "评价 #1" in m["text"] for m in out)   # only the reporter rates


@pytest.mark.parametrize("second, chat, merged", [
    ("3号楼电梯坏了", "b3", False),                      # another problem
    ("3号楼5单元楼道灯坏了", "b3", False),                # another unit
    ("4号楼2单元楼道灯坏了", "b4", False),                # another building
    ("3号楼2单元楼道灯坏了，黑漆漆的", "b3", True),
])
async def test_what_joins_and_what_does_not(console, second, chat, merged):
    await console.say("r301", "b3", "3号楼2单元楼道灯坏了，晚上看不见")
    await console.say("r401" if chat == "b4" else "r302", chat, second)
    assert (await console.runtime.services.tickets.get(2) is None) is merged


async def test_a_week_later_it_is_a_new_ticket_and_the_same_reporter_is_told_it_is_known(console):
    await console.say("r301", "b3", "3号楼2单元楼道灯坏了，晚上看不见")
    await console.say("r301", "b3", "3号楼2单元楼道灯坏了！")
    assert "已经反映过" in console.transcript.new()[-1]["text"]
    await console.advance(8 * DAY)
    await console.say("r302", "b3", "3号楼2单元楼道灯坏了")
    assert await console.runtime.services.tickets.get(2) is not None


async def test_an_urgent_report_always_opens_its_own_ticket(console):
    await console.say("r301", "b3", "3号楼2单元闻到煤气味")
    await console.say("r302", "b3", "3号楼2单元好大的煤气味")
    assert await console.runtime.services.tickets.get(2) is not None


async def test_staff_split_a_wrong_merge(console):
    await console.say("r301", "b3", "3号楼2单元楼道灯坏了，晚上看不见")
    await console.say("r302", "b3", "3号楼2单元楼道的灯不亮了，黑乎乎的")
    console.transcript.new()
    await console.say("r302", None, "拆分 #1")
    assert "只有" in console.transcript.new()[0]["text"]
    await console.say("grid", None, "拆分 #1 r305")
    assert "不是工单 #1 的共同反映人" in console.transcript.new()[0]["text"]
    await console.say("grid", None, "拆分 #1")
    out = console.transcript.new()
    assert any(m["to"] == "@r302" and "单独登记为工单 #2" in m["text"] for m in out)
    assert any(m["to"] == "@grid" and "新工单 #2" in m["text"] for m in out)
    tickets = console.runtime.services.tickets
    assert (await tickets.get(1)).co_reporters == {} and (await tickets.get(2)).reporter == "r302"
    await console.say("grid", None, "拆分 #1")
    assert "没有共同反映人" in console.transcript.new()[0]["text"]
