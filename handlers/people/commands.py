"""The people package's commands; the router joins every package's."""

from __future__ import annotations

from handlers.commands import Command
from handlers.people import households, linking, web_login
from handlers.permissions import ANYONE, STAFF

COMMANDS = [
    Command("register", ("登记",), "register", households.register, "households.usage.register"),
    Command("verify", ("核实",), "verify", households.verify, "households.usage.verify", allowed=STAFF),
    Command("link", ("绑定",), "link", linking.link, "linking.usage.link", allowed=ANYONE, menu="绑定账号：/link 绑定码"),
    Command("unlink", ("解绑",), "unlink", linking.unlink, "linking.usage.unlink"),
    Command("linkcode", ("绑定码",), "linkcode", linking.issue_code, "linking.usage.code", allowed=STAFF),
    Command("bind", ("绑定群",), "bind", linking.bind_chat, "linking.usage.bind", allowed=STAFF),
    Command("unbind", ("解绑群",), "unbind", linking.unbind_chat, "linking.usage.unbind", allowed=STAFF),
    Command("login", ("登录",), "login", web_login.login, "web.usage.login", allowed=web_login.WORKBENCH,
            refusal="web.not_allowed"),
]

TIMERS: dict = {}
