"""No personal data in the logs (issue #20): a full scenario through the console — reports
with names and phone numbers in their text, a household registration, a poll, points and
the time bank, a linking code, a web sign-in link, a volunteer task, timers firing — with
every channel's secrets set, logging configured as `linli run` does it (INFO, logsafe
installed from the settings), and every record captured from the root logger. No line
holds a person's name from the community file, a phone or ID-card number, a message's
text, a linking code, a sign-in token or a secret; and the lines linli does write (ids
and counts) are there, so the search is not over an empty log.

Beside the scenario: a handler that crashes with the message's words in its exception
(the worker logs the traceback without exception messages), and careless log lines
naming a resident with her phone number (masked wherever they come from)."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from bot import logsafe
from bot.app import open_runtime
from bot.console import ConsoleSession, run_script
from bot.settings import Settings
from handlers.events import Event
from tests.conftest import DEMO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"   # bot/cli.py's
SECRETS = {
    "TELEGRAM_BOT_TOKEN": "987654321:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0",
    "TELEGRAM_WEBHOOK_SECRET": "wh-Secret_5f2c9d41e7",
    "WECHAT_APP_ID": "wx5e3c0d9a", "WECHAT_APP_SECRET": "wx-app-secret-8d7f", "WECHAT_TOKEN": "wxTokenA1b2",
    "WECHAT_AES_KEY": "Wq" * 21 + "x", "WECOM_CORP_ID": "ww77e1", "WECOM_AGENT_ID": "1000002",
    "WECOM_SECRET": "wecom-secret-3c4d", "WECOM_TOKEN": "wecomTokenZ9", "WECOM_AES_KEY": "Ek" * 21 + "y",
    "LINLI_WEB_URL": "https://linli.example.cn", "LINLI_WEB_SECRET": "web-secret-" + "k" * 30,
}
PHONES = ("13812345678", "138 1234 5678", "021-64371234", "110101195001011234")
# Words of the messages below that no log line may hold (each message's own text too).
WORDS = ("电梯坏了", "老人下不了楼", "漏水", "楼上", "买菜", "陪我去医院", "加装快递柜")


@pytest.fixture
def logs():
    """Every record at INFO and above, as `linli run` writes them (bot/cli.py: basicConfig
    at LINLI_LOG_LEVEL, INFO by default, then logsafe.install_for(settings))."""
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(logging.INFO)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    logsafe.uninstall()
    root.removeHandler(handler)
    root.setLevel(level)


def script(*items) -> io.StringIO:
    return io.StringIO("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items))


async def test_a_full_scenario_logs_no_name_number_text_code_token_or_secret(redis_server, redis, tmp_path, logs):
    settings = Settings.load(DEMO, data_dir=tmp_path, env={"REDIS_URL": redis_server, **SECRETS})
    logsafe.install_for(settings)
    names = [person.name for person in settings.community.people.values()]
    assert "张阿姨" in names and len(names) > 10
    messages = [
        {"from": "zhang", "text": "我是张阿姨，3号楼2单元电梯坏了，老人下不了楼，电话13812345678"},
        {"from": "zhang", "chat": "b3", "text": "@小邻 报修 502楼上漏水，联系张阿姨 138 1234 5678"},
        {"from": "zhang", "text": "登记 3栋2单元502"},
        {"from": "zhang", "text": "查询"},
        {"from": "grid", "text": "待办"},
        {"from": "grid", "text": "派单 #1 @wuye_li"},
        {"from": "wuye_li", "text": "办结 #1 已修好，联系人余阿姨 021-64371234"},
        {"from": "zhang", "text": "评价 #1 5 修得快"},
        {"from": "staff_chen", "text": "绑定码 张阿姨"},
        {"from": "staff_chen", "text": "登录"},
        {"from": "staff_chen", "text": "发起投票 小区东门加装快递柜吗 | 同意 | 不同意 截止=3天"},
        {"from": "r101", "text": "投票 1 1"},
        {"from": "r102", "text": "时间银行 @r103 1.5 买菜"},
        {"from": "r103", "text": "确认"},
        {"from": "zhang", "text": "积分"},
        {"from": "staff_chen", "text": "发布任务 陪我去医院 人数1"},
        {"advance": "4d"},
    ]
    stranger = "你好，我叫王小明，身份证110101195001011234，陪我去医院"   # someone linli does not know, on Telegram
    async with open_runtime(settings, fake_clock=True) as runtime:
        out = io.StringIO()
        async with ConsoleSession(runtime, out=out) as session:
            errors = io.StringIO()
            await run_script(session, script(*messages), errors)
            await runtime.accept(Event(id="tg:1:77", channel="tg", sender="tg:5550001", chat="tg:5550001",
                                       chat_kind="private", text=stranger, received_at=runtime.clock.now()))
            await session.drain()
        said = [json.loads(line) for line in out.getvalue().splitlines()]
    assert errors.getvalue() == ""
    everything = "\n".join(item["text"] for item in said)
    codes = re.findall(r"绑定码：(\d{6})", everything)
    tokens = re.findall(r"/web/login/([A-Za-z0-9_-]+)", everything)
    assert codes and tokens, everything   # the scenario did issue them

    text = logs.getvalue()
    lines = text.splitlines()
    forbidden = {*names, "王小明", *PHONES, *WORDS, *codes, *tokens,
                 *(value for key, value in SECRETS.items() if key not in ("WECHAT_APP_ID", "WECOM_CORP_ID",
                                                                          "WECOM_AGENT_ID", "LINLI_WEB_URL"))}
    forbidden |= {message["text"] for message in messages if "text" in message} | {stranger}
    leaks = [(word, line) for line in lines for word in forbidden if word in line]
    assert leaks == []
    assert lines, "nothing was logged: the search proves nothing"
    assert "linli ready" in text   # the capture works
    assert await_ticket_count(said) >= 2


def await_ticket_count(said: list[dict]) -> int:
    """Tickets the scenario opened, as the console said them (the reports did go through)."""
    return len({match for item in said for match in re.findall(r"工单 #(\d+)", item["text"])})


async def test_a_crashing_handler_is_logged_without_the_messages_words(redis_server, redis, tmp_path, logs,
                                                                        monkeypatch):
    """A handler whose exception quotes the message (`cannot read 「…」`): the worker logs the
    event id, the attempt, the frames and the exception's type; the words stay out of the log,
    and the whole traceback is kept in the dead-letter entry for staff."""
    import bot.worker
    from bot.worker import Worker

    text = "我是张阿姨，13812345678，楼上漏水三天了"

    async def broken_route(ctx):
        raise ValueError(f"cannot read 「{ctx.event.text}」") from KeyError(ctx.event.text[:6])

    monkeypatch.setattr(bot.worker, "route", broken_route)
    monkeypatch.setattr(bot.worker, "MAX_ATTEMPTS", 1)   # dead-lettered at once
    settings = Settings.load(DEMO, data_dir=tmp_path, env={"REDIS_URL": redis_server})
    logsafe.install_for(settings)
    async with open_runtime(settings, fake_clock=True) as runtime:
        await runtime.accept(Event(id="tg:1:78", channel="tg", sender="tg:5550002", chat="tg:5550002",
                                   chat_kind="private", text=text, received_at=runtime.clock.now()))
        worker = Worker(runtime)
        for _ in range(5):
            if not await runtime.inbound.backlog():
                break
            await worker.step()
        assert await runtime.inbound.backlog() == 0
        dead = await runtime.redis.xrange(runtime.store.keys.dead_letters())
    logged = logs.getvalue()
    assert "event tg:1:78 failed (attempt 1/1)" in logged
    assert "ValueError (its message is not logged)" in logged and "KeyError (its message is not logged)" in logged
    assert "broken_route" in logged   # the frames are there
    for words in (text, text[:6], "楼上漏水", "13812345678", "张阿姨"):
        assert words not in logged
    assert len(dead) == 1 and "楼上漏水" in dead[0][1]["error"]   # kept whole for staff


async def test_careless_lines_anywhere_are_masked(tmp_path, logs):
    """Names from the community file and numbers by their shape, whichever logger writes
    them and however (arguments, the message itself, a traceback, `extra=`)."""
    settings = Settings.load(DEMO, data_dir=tmp_path, env={"REDIS_URL": "redis://127.0.0.1:1/0"})
    logsafe.install_for(settings)
    log = logging.getLogger("handlers.somewhere")
    log.info("ticket by %s, phone %s, landline %s", "张阿姨", "13812345678", "021-64371234")
    log.warning("reported by 谭爷爷 (ID 110101195001011234)", extra={"detail": "call 卢奶奶 on 139 8765 4321"})
    try:
        raise RuntimeError("no reply to 余阿姨 at 13700001111")
    except RuntimeError:
        log.exception("sending failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    logged = logs.getvalue()
    for personal in ("张阿姨", "13812345678", "64371234", "谭爷爷", "110101195001011234", "余阿姨", "13700001111"):
        assert personal not in logged
    assert "ticket by ***, phone 138****5678, landline 021-****1234" in logged
    assert "reported by *** (ID 110101********1234)" in logged and "RuntimeError: no reply to *** at 137****1111" in logged
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    record.detail = "call 卢奶奶 on 139 8765 4321"
    logging.getLogger().handlers[-1].filter(record)
    assert record.detail == "call *** on 139****4321"
