"""The platform channels `linli run` and `linli worker` may serve: a line each. A new channel
is its module in this package (a `bot.channels.base.Channel`) and one line here; settings,
the HTTP server and the service find it through this list.

The order is the order of `Settings.platforms`, of the settings' checks and of start.
The console is not here: it is never configured from the environment; `linli console`
assembles it (bot/console.py).
"""

from __future__ import annotations

from bot.channels.telegram import TelegramChannel
from bot.channels.wechat import OfficialAccount
from bot.channels.wecom import WeCom

CHANNELS = (
    TelegramChannel,
    OfficialAccount,
    WeCom,
)
