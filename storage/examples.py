"""Labelled examples for learning the rules of one community: each judgement staff make
about a resident's message (confirmed, dismissed, rejected as no request at all) and each
message a resident reported again after the bot stayed quiet on it. Kept in a stream
(`linli:{community}:examples`), the newest `keep` (about: MAXLEN ~); the text arrives
masked (handlers/tickets/learning.py) and no one's id is stored with it.

The last message the bot stayed quiet on, per person and chat, is kept beside it for a
while (`remember_quiet` / `take_quiet`), so a report that follows can name it without
reading back through the chat.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from storage.store import Store

KEEP = 20_000
SOURCES = ("confirmed", "dismissed", "rejected", "reported_after_silence")
CHAT_KINDS = ("group", "private")
PAGE = 1000
TEXT_CHARS = 1000      # what the classifier reads of a message


@dataclass(frozen=True)
class Example:
    id: str              # the stream entry id (when it was kept, server time)
    at: float            # when it was judged (the bot's clock)
    text: str            # masked
    label: str           # a category, or chitchat
    source: str          # one of SOURCES
    chat_kind: str       # group | private


class Examples:
    def __init__(self, store: Store, keep: int = KEEP) -> None:
        self.store = store
        self.keep = keep

    async def record(self, at: float, text: str, label: str, source: str, chat_kind: str) -> str | None:
        """Keep one example (None: nothing to keep, an empty text); older ones beyond
        `keep` are trimmed in the same command."""
        if source not in SOURCES:
            raise ValueError(f"unknown example source {source!r} (one of {', '.join(SOURCES)})")
        if chat_kind not in CHAT_KINDS:
            raise ValueError(f"unknown chat kind {chat_kind!r} (group or private)")
        text = " ".join(text.split())[:TEXT_CHARS]
        if not text or not label:
            return None
        return await self.store.redis.xadd(
            self.store.keys.examples(),
            {"at": f"{at:.3f}", "text": text, "label": label, "source": source, "chat": chat_kind},
            maxlen=self.keep, approximate=True)

    async def all(self) -> list[Example]:
        """Every example kept, oldest first (read a page at a time)."""
        key, found, start = self.store.keys.examples(), [], "-"
        while True:
            page = await self.store.redis.xrange(key, min=start, count=PAGE)
            found += [_example(entry_id, fields) for entry_id, fields in page]
            if len(page) < PAGE:
                return found
            start = "(" + page[-1][0]

    async def latest(self, count: int) -> list[Example]:
        """The newest `count`, newest first."""
        page = await self.store.redis.xrevrange(self.store.keys.examples(), count=count)
        return [_example(entry_id, fields) for entry_id, fields in page]

    async def count(self) -> Counter[str]:
        """How many are kept, by source."""
        return Counter(e.source for e in await self.all())

    async def length(self) -> int:
        return await self.store.redis.xlen(self.store.keys.examples())

    # -- the last quiet message, per person and chat -------------------------------------

    async def remember_quiet(self, person_id: str, chat: str, at: float, text: str, seconds: int) -> None:
        """One SET, expiring after `seconds`; the next quiet message replaces it."""
        value = json.dumps({"at": at, "text": text[:TEXT_CHARS]}, ensure_ascii=False)
        await self.store.redis.set(self.store.keys.quiet(person_id, chat), value, ex=seconds)

    async def take_quiet(self, person_id: str, chat: str) -> tuple[float, str] | None:
        """The last quiet message (when, text), taken (GETDEL): it is named once."""
        raw = await self.store.redis.getdel(self.store.keys.quiet(person_id, chat))
        if not raw:
            return None
        data = json.loads(raw)
        return float(data["at"]), data["text"]


def _example(entry_id: str, fields: dict[str, str]) -> Example:
    return Example(id=entry_id, at=float(fields.get("at") or 0), text=fields.get("text", ""),
                   label=fields.get("label", ""), source=fields.get("source", ""),
                   chat_kind=fields.get("chat", "group"))
