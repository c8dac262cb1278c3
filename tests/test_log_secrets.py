"""No secret in any log line: a real run against the fake Bot API with every logger at
DEBUG (python-telegram-bot logs its base URL and call parameters, httpx every request
URL, both with the token in them), logs captured from the root logger as `linli` writes
them, and not one line carries the token, the webhook secret or the Redis password."""

import asyncio
import io
import logging
import sys
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot

from bot import logsafe
from bot.app import open_runtime
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import poll_updates
from bot.delivery import Delivery
from bot.settings import Settings
from bot.worker import Worker
from tests.fake_telegram import COMMUNITY, FakeBotApi, update

TOKEN = "987654321:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"
WEBHOOK_SECRET = "wh-Secret_5f2c9d41e7"
REDIS_USER, REDIS_PASSWORD = "linli_logtest", "r3dis-p@ss:w0rd"   # quoted in the URL
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"          # bot/cli.py's


class RefusingBotApi(FakeBotApi):
    """The fake Bot API, refusing messages to some chats (a user who blocked the bot)."""

    def __init__(self, refused: set[int]):
        super().__init__()
        self.refused = refused

    async def handle(self, request):
        if request.match_info["method"] == "sendMessage":
            data = dict(await request.post()) if request.content_type != "application/json" else await request.json()
            if int(data["chat_id"]) in self.refused:
                return web.json_response({"ok": False, "error_code": 400,
                                          "description": "Bad Request: chat not found"}, status=400)
        return await super().handle(request)


@pytest.fixture
async def refusing_api():
    api = RefusingBotApi(refused={222})
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    api.base = f"http://127.0.0.1:{server.port}/bot"
    yield api
    await server.close()


@pytest.fixture
async def password_url(redis_server, redis):
    """The test server's URL with a user and password that Redis really checks (an ACL user)."""
    await redis.execute_command("ACL", "SETUSER", REDIS_USER, "on", f">{REDIS_PASSWORD}", "~*", "&*", "+@all")
    yield redis_server.replace("unix://", f"unix://{REDIS_USER}:{quote(REDIS_PASSWORD, safe='')}@", 1)
    await redis.execute_command("ACL", "DELUSER", REDIS_USER)


@pytest.fixture
def captured_logs():
    """Every logger at DEBUG and every record captured from the root logger, as `linli`
    configures logging: a handler on the root before logsafe.install (basicConfig's), and
    one added after it. Yields a function that installs logsafe as main() does."""
    root = logging.getLogger()
    early, late = io.StringIO(), io.StringIO()
    early_handler, late_handler = logging.StreamHandler(early), logging.StreamHandler(late)
    for handler in (early_handler, late_handler):
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.setLevel(logging.DEBUG)
    root.addHandler(early_handler)
    loggers = [root, *(logging.getLogger(name) for name in
                       ("httpx", "httpcore", "telegram", "aiohttp", "asyncio", "redis", "bot", "storage"))]
    levels = {logger: logger.level for logger in loggers}

    def install(settings):
        logsafe.install(logsafe.secrets_of(settings))
        assert logging.getLogger("httpx").level == logging.WARNING   # quiet by default
        root.addHandler(late_handler)
        for logger in [*loggers, *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]:
            levels.setdefault(logger, logger.level)
            logger.setLevel(logging.DEBUG)   # the worst case: everything at DEBUG, httpx included

    yield install, early, late
    logsafe.uninstall()
    root.removeHandler(early_handler)
    root.removeHandler(late_handler)
    for logger, level in levels.items():
        logger.setLevel(level)


async def test_no_log_line_carries_a_secret(tmp_path, password_url, refusing_api, captured_logs):
    install, early, late = captured_logs
    path = tmp_path / "c.toml"
    path.write_text(COMMUNITY, encoding="utf-8")
    settings = Settings.load(path, data_dir=tmp_path, env={
        "REDIS_URL": password_url, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_MODE": "polling", "TELEGRAM_API_BASE": refusing_api.base})
    install(settings)
    log = logging.getLogger("bot.test")

    async with open_runtime(settings, fake_clock=True) as runtime:
        # careless lines somewhere in the code: a URL with its password, a traceback with the token
        log.debug("connecting to %s", settings.redis_url)
        try:
            raise RuntimeError(f"POST {refusing_api.base}{TOKEN}/sendMessage failed")
        except RuntimeError:
            log.exception("sending failed")
        log.info("webhook", extra={"detail": f"secret_token={WEBHOOK_SECRET}"})

        # start-up as `linli run` does it, and registering a webhook with its secret
        bot = Bot(TOKEN, base_url=refusing_api.base)
        channel = TelegramChannel(bot, runtime.store)
        channel.username = (await bot.get_me()).username
        await channel.register_commands()
        await bot.set_webhook("https://linli.example/telegram", secret_token=WEBHOOK_SECRET)

        # two updates by long polling (deleteWebhook, getUpdates), handled by a worker
        refusing_api.updates = [update(1, "3号楼2单元电梯坏了，老人下不了楼"),
                                update(2, "查询", chat_id=111, chat_type="private")]
        stop = asyncio.Event()
        polling = asyncio.create_task(poll_updates(runtime, channel, stop, timeout=0))
        offset = runtime.store.keys("tg", "offset")
        for _ in range(200):
            if await runtime.redis.get(offset) == "3":
                break
            await asyncio.sleep(0.02)
        stop.set()
        await polling
        worker = Worker(runtime)
        for _ in range(20):
            if not await runtime.inbound.backlog():
                break
            await worker.step()
        assert await runtime.inbound.backlog() == 0

        # the replies: the group's goes out, the grid worker's is refused (chat not found)
        delivery = Delivery(runtime, channel)
        await delivery.start()
        for _ in range(20):
            if not await runtime.outbox.queue("tg").backlog():
                break
            await delivery.step()
        assert await runtime.outbox.queue("tg").backlog() == 0

    assert any(chat == -100123 for chat, _ in refusing_api.sent())
    for handler in logging.getLogger().handlers:
        handler.flush()
    for text in (early.getvalue(), late.getvalue()):
        lines = text.splitlines()
        secrets = {TOKEN, TOKEN.split(":")[1], quote(TOKEN, safe=""), WEBHOOK_SECRET,
                   REDIS_PASSWORD, quote(REDIS_PASSWORD, safe="")}
        leaks = [(secret, line) for line in lines for secret in secrets if secret in line]
        assert leaks == []
        # the calls happened and were logged, masked
        for evidence in ("getMe", "setMyCommands", "setWebhook", "deleteWebhook", "getUpdates", "sendMessage",
                         "/bot***/sendMessage",             # httpx: the request URL
                         "Set Bot API URL",                 # python-telegram-bot: its base URL
                         "'secret_token': '***'",           # python-telegram-bot: setWebhook's parameters
                         f"{REDIS_USER}:***@",              # the careless line
                         "RuntimeError: POST", "sending failed",
                         "giving up on a message to tg:222"):   # the refused send, at ERROR
            assert evidence in text, evidence
        assert sum("HTTP Request: POST" in line for line in lines) >= 6


def test_secrets_of_lists_every_secret_setting(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(COMMUNITY, encoding="utf-8")
    env = {"REDIS_URL": "redis://default:pa%24%24word@redis:6379/0", "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "WECHAT_APP_ID": "wx123", "WECHAT_APP_SECRET": "wx-app-secret", "WECHAT_TOKEN": "wxtoken",
           "WECHAT_AES_KEY": "A" * 43, "WECOM_CORP_ID": "ww1", "WECOM_AGENT_ID": "1000002",
           "WECOM_SECRET": "wecom-secret", "WECOM_TOKEN": "wecomtoken", "WECOM_AES_KEY": "B" * 43,
           "WECOM_BOT_TOKEN": "botToken", "WECOM_BOT_AES_KEY": "C" * 43}
    found = set(logsafe.secrets_of(Settings.load(path, data_dir=tmp_path, env=env)))
    assert found >= {TOKEN, WEBHOOK_SECRET, "wx-app-secret", "wxtoken", "A" * 43, "wecom-secret", "wecomtoken",
                     "B" * 43, "botToken", "C" * 43, "pa%24%24word", "pa$$word"}
    assert not found & {"wx123", "ww1", "1000002", "redis", "default"}   # ids and hosts are not secrets


def test_redaction_of_quoted_forms_tracebacks_extras_and_secret_shapes():
    redactor = logsafe.Redactor(["tok:en/1", "", "p@ss"])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "url %s and %s", ("/bottok%3Aen%2F1/getMe", "p%40ss"),
                               None)
    record.detail = "tok:en/1"
    redactor.filter(record)
    assert record.getMessage() == "url /bot***/getMe and ***" and record.detail == "***"
    for raw, masked in [
        ("redis://user:hunter2@redis:6379/0", "redis://user:***@redis:6379/0"),
        ("GET /cgi-bin/user?access_token=ABC123&userid=x", "GET /cgi-bin/user?access_token=***&userid=x"),
        ("/cgi-bin/gettoken?corpid=ww1&corpsecret=S3", "/cgi-bin/gettoken?corpid=ww1&corpsecret=***"),
        ("/cgi-bin/webhook/send?key=693a-91f6", "/cgi-bin/webhook/send?key=***"),
        ("{'url': 'https://x/telegram', 'secret_token': 'abc'}", "{'url': 'https://x/telegram', 'secret_token': '***'}"),
        ("delivery to wecom:robot:693a-91f6 failed", "delivery to wecom:robot:*** failed"),
        ("http://127.0.0.1:8080/healthz", "http://127.0.0.1:8080/healthz"),
    ]:
        assert redactor.redact(raw) == masked
    try:
        raise ValueError("bad token tok:en/1")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    redactor.filter(record)
    text = logging.Formatter().format(record)
    assert "ValueError: bad token ***" in text and "tok:en/1" not in text
