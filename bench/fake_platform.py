"""Local stand-ins for bench/runtime.py: a fake Telegram Bot API and a bare aiohttp
hello-world (the webhook baseline), both on 127.0.0.1 only.

    python bench/fake_platform.py hello --port 8101     # the baseline, as a process

`FakeBotApi` answers what `linli run` asks of Telegram (getMe, setMyCommands,
deleteWebhook, sendMessage, answerCallbackQuery…) with "ok", optionally after a delay,
and records when each sendMessage arrived (time.monotonic(), chat id, text), so the
benchmark can time a webhook POST to the reply it caused. See tests/fake_telegram.py
for the test suite's version, which this follows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import defaultdict

from aiohttp import web


class FakeBotApi:
    """Plays api.telegram.org. `delay`: seconds every call waits before answering."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: dict[str, int] = defaultdict(int)
        self.sent: list[tuple[float, int, str]] = []   # (monotonic arrival, chat id, text)
        self.runner: web.AppRunner | None = None
        self.base = ""

    async def handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        method = request.match_info["method"]
        if request.content_type == "application/json":
            data = await request.json()
        else:
            data = dict(await request.post())
        self.calls[method] += 1
        if method == "sendMessage":
            self.sent.append((arrived, int(data["chat_id"]), str(data.get("text", ""))))
        if self.delay:
            await asyncio.sleep(self.delay)
        if method == "getMe":
            return web.json_response({"ok": True, "result": {"id": 9, "is_bot": True, "first_name": "小邻",
                                                             "username": "linli_bot"}})
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": []})
        if method == "sendMessage":
            chat_id = int(data["chat_id"])
            return web.json_response({"ok": True, "result": {
                "message_id": len(self.sent), "date": int(time.time()),
                "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"},
                "text": data.get("text", "")}})
        return web.json_response({"ok": True, "result": True})

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        app.router.add_get("/bot{token}/{method}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]   # noqa: SLF001 - the port we were given
        self.base = f"http://127.0.0.1:{port}/bot"
        return self.base

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


def hello_app() -> web.Application:
    """The baseline: answers any POST with a tiny JSON after reading its body, as a
    webhook handler must."""

    async def answer(request: web.Request) -> web.Response:
        json.loads(await request.read())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    hello = commands.add_parser("hello", help="bare aiohttp app answering POST with {\"ok\": true}")
    hello.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.command == "hello":
        web.run_app(hello_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
