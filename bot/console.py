"""`linli console`: talk to the bot as any person in any chat, through the same stream,
worker and outbox as a platform. JSON lines when piped (for scripts and tests), a small
interactive shell on a terminal.

Several consoles may share a data directory (or a Redis): each session has names of its
own (pid and a random part), so they are separate workers, and each prints what its own
lines caused (bot/addressing.py: a session's queue). A console waiting for its next line
lets go of its shards of the inbound stream (`idle`), so that it keeps no other console
waiting for its leases to run out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
import time
import uuid
from typing import TextIO

from bot.addressing import CONSOLE_SESSION, console_queue
from bot.app import Runtime
from bot.channels.console import ConsoleChannel, ConsoleInputError, message_event, parse_line
from bot.delivery import Delivery
from bot.worker import Worker
from handlers.clock import FakeClock, parse_duration

DRAIN_TIMEOUT = 60.0
IDLE_AFTER = 0.1   # seconds without a next line (a person typing, not a piped script): idle()


class ConsoleSession:
    def __init__(self, runtime: Runtime, out: TextIO | None = None, pretty: bool = False) -> None:
        self.runtime = runtime
        self.id = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.worker = Worker(runtime, name=f"console-worker-{self.id}")
        channel = ConsoleChannel(out, pretty)
        # Our own queue, and the shared one: console messages no console's line caused (a
        # job falling due, an admin action's notice), printed by the console holding it.
        self.delivery = Delivery(runtime, channel, name=f"console-delivery-{self.id}", queue=console_queue(self.id))
        self.shared = Delivery(runtime, channel, name=f"console-delivery-{self.id}")
        self.queue = self.delivery.queue

    async def __aenter__(self) -> "ConsoleSession":
        await self.delivery.start()
        await self.shared.start()
        await self.drain()  # whatever an earlier run left behind
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.worker.leave()
        for delivery in (self.delivery, self.shared):
            await delivery.leases.release(delivery.lease, delivery.name)
        await self._close_queue()

    async def _close_queue(self) -> None:
        """Our queue goes with us. What is still in it (a drain that gave up, Ctrl-C) moves
        to the shared queue, for the next console to print. (A reply written between the
        read and the move, by another console handling a line of ours, would be lost with
        the queue: only after a drain that gave up.)"""
        redis, own = self.runtime.redis, self.queue.stream
        left = await redis.xrange(own)
        async with redis.pipeline(transaction=True) as pipe:
            for _, fields in left:
                pipe.xadd(self.shared.queue.stream, fields)
            pipe.delete(own)
            await pipe.execute()

    async def say(self, sender: str, chat: str | None, text: str, message_id: str | None = None) -> bool:
        """Send a message as `sender`; False when the same message id was seen before."""
        event = message_event(self.runtime.settings.community, sender, chat, text,
                              self.runtime.clock.now(), message_id)
        event = dataclasses.replace(event, data={**event.data, CONSOLE_SESSION: self.id})   # its replies come to us
        fresh = await self.runtime.accept(event)
        await self.drain()
        return fresh

    async def advance(self, seconds: float) -> None:
        """Move the fake clock, firing every job that falls due on the way, in order."""
        clock = self.runtime.clock
        if not isinstance(clock, FakeClock):
            raise ConsoleInputError('"advance" needs the fake clock: start with --fake-clock')
        target = clock.now() + seconds
        jobs = self.runtime.services.jobs
        while (due := await jobs.next_due()) is not None and due <= target:
            clock.set(max(clock.now(), due))
            await self.runtime.save_fake_clock()
            await self.drain()
        clock.set(target)
        await self.runtime.save_fake_clock()
        await self.drain()

    async def idle(self) -> None:
        """We wait for our user: let another console take our shards meanwhile (and not
        count us as a live worker). The next line takes them again."""
        await self.worker.leave()

    async def drain(self) -> None:
        """Run until every event is handled and every message of ours delivered."""
        runtime = self.runtime
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while True:
            moved = await runtime.services.jobs.fire_due(runtime.clock.now())
            moved += await self.worker.step(block_ms=None)
            moved += await self.delivery.step(block_ms=None)
            moved += await self.shared.step(block_ms=None)
            if moved:
                continue
            if not await runtime.inbound.backlog() and not await self.queue.backlog():
                return
            if time.monotonic() > deadline:
                print("linli console: gave up waiting for the queue to drain "
                      "(is another linli process holding it?)", file=sys.stderr)
                return
            await asyncio.sleep(0.05)


async def run_script(session: ConsoleSession, lines: TextIO, errors: TextIO) -> int:
    """JSON lines in, JSON lines out; a bad line is reported and skipped. Returns the
    number of bad lines."""
    bad = 0
    number = 0
    while True:
        reading = asyncio.ensure_future(asyncio.to_thread(lines.readline))
        done, _ = await asyncio.wait({reading}, timeout=IDLE_AFTER)
        if not done:
            await session.idle()
        line = await reading
        if not line:
            return bad
        number += 1
        if not line.strip():
            continue
        try:
            data = parse_line(line)
            if "advance" in data:
                try:
                    await session.advance(parse_duration(data["advance"]))
                except ValueError as exc:
                    raise ConsoleInputError(str(exc)) from None
            else:
                await session.say(data["from"], data.get("chat"), data["text"], data.get("id"))
        except ConsoleInputError as exc:
            bad += 1
            print(f"linli console: line {number}: {exc}", file=errors, flush=True)


INTERACTIVE_HELP = """命令 (commands):
  :as PERSON     speak as this person      :in CHAT   speak in this chat (:in @ for 1:1)
  :people        list people               :chats     list chats
  :advance 25h   move the fake clock       :quit      leave
Anything else is sent as a message."""


async def run_interactive(session: ConsoleSession) -> None:
    community = session.runtime.settings.community
    residents = [p.id for p in community.people.values() if p.roles == {"resident"}]
    me = residents[0] if residents else next(iter(community.people), None)
    chat: str | None = None
    print(f"linli console — {community.name}. Type :help for commands.")
    while True:
        where = chat or "1:1"
        try:
            await session.idle()
            line = await asyncio.to_thread(input, f"[{me} @ {where}] ")
        except EOFError:
            return
        line = line.strip()
        try:
            if not line:
                continue
            if line in (":quit", ":q", ":exit"):
                return
            if line == ":help":
                print(INTERACTIVE_HELP)
            elif line == ":people":
                for p in community.people.values():
                    print(f"  {p.id:12} {p.name}  {' '.join(sorted(p.roles))}")
            elif line == ":chats":
                for c in community.chats.values():
                    print(f"  {c.id:12} {c.name}  ({c.kind}, {c.mode})")
            elif line.startswith(":as "):
                who = line[4:].strip()
                if who not in community.people:
                    raise ConsoleInputError(f"unknown person {who!r}; :people lists them")
                me = who
            elif line.startswith(":in "):
                target = line[4:].strip()
                if target not in ("@", "") and target not in community.chats:
                    raise ConsoleInputError(f"unknown chat {target!r}; :chats lists them")
                chat = None if target in ("@", "") else target
            elif line.startswith(":advance "):
                await session.advance(parse_duration(line.split(None, 1)[1]))
            else:
                await session.say(me, chat, line)
        except (ConsoleInputError, ValueError) as exc:
            print(f"  ! {exc}")
