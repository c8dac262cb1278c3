"""The sharing package's commands and timers; the router joins every package's."""

from __future__ import annotations

from handlers.commands import Command
from handlers.permissions import STAFF
from handlers.sharing import digest, match, publish

COMMANDS = [
    Command("need", ("需要",), "need", publish.need, "sharing.usage.need"),
    Command("offer", ("提供",), "offer", publish.offer, "sharing.usage.offer"),
    Command("spare", ("闲置",), "spare", publish.thing, "sharing.usage.thing"),
    Command("accept", ("接受",), "accept", match.accept, "sharing.usage.accept"),
    Command("pass", ("不用",), "pass", match.decline, "sharing.usage.pass"),
    Command("leave", ("留言",), "leave", match.leave, "sharing.usage.leave"),
    Command("helped", ("帮完",), "helped", match.helped, "sharing.usage.helped"),
    Command("mysharing", ("我的供需",), "mysharing", publish.mine, "sharing.usage.mine", menu="我的供需"),
    Command("close", ("关闭",), "close", publish.close, "sharing.usage.close"),
    Command("takedown", ("下架",), "takedown", publish.remove, "sharing.usage.remove", allowed=STAFF),
]

TIMERS = {publish.EXPIRE: publish.on_expire, digest.DIGEST: digest.on_digest}
