"""Channels wire themselves (bot/channels/base.py): a channel is its module and a line in
bot/channels/registry.py; settings, the HTTP server and the service find it there."""

from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import logsafe, service
from bot.app import open_runtime
from bot.channels import registry
from bot.channels.base import BaseChannel, ChannelConfig
from bot.server import build_app
from bot.settings import Settings, SettingsError
from tests.conftest import DEMO


@dataclass(frozen=True)
class EchoConfig(ChannelConfig):
    token: str = field(repr=False)


class EchoChannel(BaseChannel):
    """A whole channel, as a new platform's module would define it."""

    name = "echo"
    title = "Echo"

    def __init__(self, config: EchoConfig, commands) -> None:
        self.config, self.menu, self.started, self.closed = config, [c.slash for c in commands if c.menu], False, False

    @classmethod
    def configure(cls, env):
        if env.get("ECHO_PORT") and not env.get("ECHO_TOKEN"):
            raise SettingsError("ECHO_TOKEN: required with ECHO_PORT")
        return EchoConfig(token=env["ECHO_TOKEN"]) if env.get("ECHO_TOKEN") else None

    @classmethod
    def from_settings(cls, runtime, commands):
        config = runtime.settings.channels.get(cls.name)
        return cls(config, commands) if config else None

    def routes(self, runtime):
        async def hello(request):
            return web.Response(text=f"echo {len(self.menu)}")
        return [("GET", "/echo", hello)]

    async def start(self):
        self.started = True

    async def close(self):
        self.closed = True

    async def send(self, identity, message):
        pass


async def test_a_channel_is_added_by_its_module_and_a_registry_line(monkeypatch, redis_server, redis, tmp_path):
    monkeypatch.setattr(registry, "CHANNELS", (*registry.CHANNELS, EchoChannel))
    with pytest.raises(SettingsError, match="ECHO_TOKEN: required with ECHO_PORT"):
        Settings.load(DEMO, data_dir=tmp_path, env={"REDIS_URL": redis_server, "ECHO_PORT": "1"})
    settings = Settings.load(DEMO, data_dir=tmp_path, env={"REDIS_URL": redis_server, "ECHO_TOKEN": "e-s3cret"})
    assert settings.platforms == ("echo",)
    assert "e-s3cret" in logsafe.secrets_of(settings) and "e-s3cret" not in repr(settings.channels)
    async with open_runtime(settings, fake_clock=True) as runtime:
        channels = await service._start_channels(runtime)
        assert [type(c) for c in channels] == [EchoChannel] and channels[0].started
        assert len(channels[0].menu) == 12   # the command table reached it
        async with TestClient(TestServer(build_app(runtime, channels))) as client:
            response = await client.get("/echo")
            assert (response.status, await response.text()) == (200, "echo 12")


def test_no_channel_configured_means_no_platform(tmp_path):
    settings = Settings.load(DEMO, data_dir=tmp_path, env={})
    assert settings.platforms == () and settings.channels == {}


@pytest.mark.parametrize("env, message", [
    ({"TELEGRAM_MODE": "push"}, "TELEGRAM_MODE: 'push' is neither webhook nor polling"),
    ({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_MODE": "webhook"}, "TELEGRAM_WEBHOOK_SECRET: required in webhook mode"),
    ({"TELEGRAM_MAX_PER_SECOND": "0"}, "TELEGRAM_MAX_PER_SECOND: must be more than 0"),
    ({"WECHAT_APP_ID": "wx1", "WECHAT_TOKEN": "t"}, "WECHAT_APP_SECRET: required with WECHAT_APP_ID"),
    ({"WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s", "WECHAT_TOKEN": "t", "WECHAT_AES_KEY": "short"},
     "WECHAT_AES_KEY: the EncodingAESKey is 43 characters"),
    ({"WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s", "WECHAT_TOKEN": "t", "WECHAT_REPLY_BUDGET": "5"},
     "WECHAT_REPLY_BUDGET: WeChat waits 5 seconds at most; keep it under 4"),
    ({"WECOM_CORP_ID": "ww1"}, "WECOM_AGENT_ID: required with WECOM_CORP_ID"),
    ({"WECOM_CORP_ID": "ww1", "WECOM_AGENT_ID": "2", "WECOM_SECRET": "s", "WECOM_TOKEN": "t",
      "WECOM_AES_KEY": "A" * 43, "WECOM_BOT_TOKEN": "b"}, "WECOM_BOT_TOKEN and WECOM_BOT_AES_KEY"),
])
def test_each_channel_checks_its_own_settings(tmp_path, env, message):
    with pytest.raises(SettingsError) as error:
        Settings.load(DEMO, data_dir=tmp_path, env=env)
    assert str(error.value).startswith(message)


def test_the_registered_channels_read_their_settings(tmp_path):
    env = {"TELEGRAM_BOT_TOKEN": "1:abc", "WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s", "WECHAT_TOKEN": "t",
           "WECOM_CORP_ID": "ww1", "WECOM_AGENT_ID": "2", "WECOM_SECRET": "s2", "WECOM_TOKEN": "t2",
           "WECOM_AES_KEY": "A" * 43}
    settings = Settings.load(DEMO, data_dir=tmp_path, env=env)
    assert settings.platforms == ("tg", "wx", "wecom")
    tg, wx, wecom = (settings.channels[name] for name in settings.platforms)
    assert (tg.mode, tg.per_second, tg.api_base) == ("polling", 30, "https://api.telegram.org/bot")
    assert (wx.reply_budget, wx.cs_limit, wx.template_field) == (1.0, 5, "content")
    assert (wecom.agent_id, wecom.bot_token) == (2, None)
    assert [c.name for c in registry.CHANNELS] == ["tg", "wx", "wecom"]
    assert all(c.title for c in registry.CHANNELS)
