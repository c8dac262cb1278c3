"""Linking a new platform account to a person with a one-time code, and a group chat to
one of the community's chats, from inside the chats; bindings work at once, both ways."""

import re

import pytest

from bot.worker import Worker
from handlers.events import Event
from storage.identities import Identities
from tests.test_points import handle


def tg(update_id, sender, text, chat=None):
    return Event(id=f"tg:{update_id}", channel="tg", sender=sender, chat=chat,
                 chat_kind="group" if chat else "private", text=text, addressed=True)


async def run(runtime, event):
    from handlers.context import Context
    from handlers.router import route
    ctx = Context(runtime.services, event)
    await route(ctx)
    return [m.text for m in ctx.outgoing]


async def code_for(runtime, person="zhang"):
    ctx = await handle(runtime, "grid", f"绑定码 {person}")
    return re.search(r"绑定码：(\d{6})", ctx.outgoing[0].text).group(1)


async def test_a_resident_links_a_new_account_with_a_code_from_staff(runtime):
    assert "绑定码" in (await run(runtime, tg(1, "tg:555", "3号楼灯坏了")))[0]     # unknown: told how
    code = await code_for(runtime)
    said = await run(runtime, tg(2, "tg:555", f"/link {code}"))
    assert "绑定成功" in said[0] and "张阿姨" in said[0]
    assert await Identities(runtime.store).owner("tg:555") == "@zhang"
    said = await run(runtime, tg(3, "tg:555", "查询"))
    assert "#" in said[0] or "没有" in said[0]                                      # now she is herself
    again = await run(runtime, tg(4, "tg:666", f"绑定 {code}"))
    assert "不对或已过期" in again[0]                                                # a code works once


async def test_codes_cannot_be_guessed_through(runtime):
    for n in range(5):
        assert "不对或已过期" in (await run(runtime, tg(n, "tg:777", "绑定 000000")))[0]
    code = await code_for(runtime)
    assert "尝试次数过多" in (await run(runtime, tg(9, "tg:777", f"绑定 {code}")))[0]
    assert await Identities(runtime.store).owner("tg:777") is None


@pytest.mark.parametrize("who, text, expected", [
    ("zhang", "绑定码 zhang", "只有"),                  # staff only
    ("grid", "绑定码 nobody", "没有找到"),
    ("zhang", "绑定 123456", "已经和您关联"),          # a console identity from the file
])
async def test_linking_says_why_not(runtime, who, text, expected):
    ctx = await handle(runtime, who, text)
    assert expected in ctx.outgoing[0].text


async def test_a_code_asked_for_in_a_group_is_sent_privately(runtime):
    ctx = await handle(runtime, "grid", "绑定码 zhang", chat="staff")
    assert [m.to for m in ctx.outgoing] == ["@grid", "staff"]
    assert re.search(r"\d{6}", ctx.outgoing[0].text) and not re.search(r"\d{6}", ctx.outgoing[1].text)


async def test_a_code_sent_in_a_group_is_refused_and_kept(runtime):
    code = await code_for(runtime)
    said = await run(runtime, tg(1, "tg:555", f"绑定 {code}", chat="tg:-42"))
    assert "私聊" in said[0]
    assert "绑定成功" in (await run(runtime, tg(2, "tg:555", f"绑定 {code}")))[0]


async def test_staff_bind_a_group_and_its_reports_become_tickets_of_that_building(runtime):
    await Identities(runtime.store).bind("tg:900", "@grid")
    said = await run(runtime, tg(1, "tg:900", "/bind b9", chat="tg:-42"))
    assert "没有“b9”" in said[0] and "b3（3号楼居民群）" in said[0]
    said = await run(runtime, tg(2, "tg:900", "绑定群 b3", chat="tg:-42"))
    assert "3号楼居民群" in said[0]
    await Identities(runtime.store).bind("tg:555", "@zhang")
    event = Event(id="tg:3", channel="tg", sender="tg:555", chat="tg:-42", chat_kind="group",
                  text="楼道灯坏了好几天了，晚上看不见", received_at=runtime.clock.now())
    await runtime.accept(event)
    await Worker(runtime).step(block_ms=None)
    ticket = await runtime.services.tickets.get(1)
    assert ticket is not None and ticket.chat == "b3" and ticket.building == "3"
    said = await run(runtime, tg(4, "tg:900", "解绑群", chat="tg:-42"))
    assert "解除" in said[0] and await Identities(runtime.store).owner("tg:-42") is None


async def test_binding_a_group_needs_staff_and_a_group(runtime):
    await Identities(runtime.store).bind("tg:555", "@zhang")
    assert "只有" in (await run(runtime, tg(1, "tg:555", "绑定群 b3", chat="tg:-42")))[0]
    await Identities(runtime.store).bind("tg:900", "@grid")
    assert "在要绑定的群里" in (await run(runtime, tg(2, "tg:900", "绑定群 b3")))[0]


async def test_unlinking_forgets_the_account(runtime):
    await Identities(runtime.store).bind("tg:555", "@zhang")
    assert "已解除" in (await run(runtime, tg(1, "tg:555", "解绑")))[0]
    assert "绑定码" in (await run(runtime, tg(2, "tg:555", "查询")))[0]


def test_staff_get_a_code_from_the_command_line(linli, tmp_path):
    from tests.conftest import DEMO
    data = ["--community", str(DEMO), "--data-dir", str(tmp_path)]
    out = linli("admin", "people", "link-code", "zhang", *data)
    assert out.returncode == 0 and re.match(r"\d{6} ", out.stdout)
    assert linli("admin", "people", "link-code", "nobody", *data).returncode == 1
