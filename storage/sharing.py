"""供需: needs, offers of help and things to give away (items, X3), and the matches
proposed between them (M3).

An item is one hash, made once per event with every index it belongs in
(storage/create_once.py): the inverted index (a set per kind per matching key, holding
only open items), its owner's list, the digest's list of its building, the listing of
all. Closing, removing and expiring take it out of the inverted index in the same step
(storage/lua/sharing_close.lua), so candidates are found without reading every item and
a closed one is never proposed.

A match is made once per pair of items (the pair "NEED:OFFER" is its creation key, so a
pair passed on is never proposed again); each side's answer goes through
storage/lua/sharing_answer.lua.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple

from storage.create_once import Created, CreateOnce
from storage.keys import NEW_ID
from storage.store import Store

KINDS = ("need", "offer", "thing")
STATUSES = ("open", "closed", "removed", "expired")
MATCH_STATUSES = ("proposed", "accepted", "passed")


@dataclass
class Item:
    id: int
    kind: str                   # need | offer | thing
    text: str
    owner: str
    status: str
    created_at: float
    expires_at: float
    keys: list[str] = field(default_factory=list)
    spans: list[list[float]] = field(default_factory=list)   # [] : any time until it expires
    when: str = ""              # the words that named the time ("周六上午")
    building: str | None = None
    place: str | None = None    # @社区活动室
    on_behalf: str | None = None   # a shop or organisation staff published it for
    chat: str | None = None
    event: str = ""
    closed_at: float | None = None
    closed_by: str | None = None
    reason: str | None = None
    acts: str = ""              # what it is about, comma-separated (handlers/sharing/words.py)
    things: str = ""
    words: str = ""

    @property
    def ref(self) -> str:
        return f"X{self.id}"

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> "Item":
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in cls.__dataclass_fields__ or value == "":
                continue
            if name == "id":
                values[name] = int(value)
            elif name in ("created_at", "expires_at", "closed_at"):
                values[name] = float(value)
            elif name in ("keys", "spans"):
                values[name] = json.loads(value)
            else:
                values[name] = value
        return cls(**values)


@dataclass
class Match:
    id: int
    need: int
    offer: int
    need_owner: str
    offer_owner: str
    status: str
    created_at: float
    need_answer: str = ""
    offer_answer: str = ""
    accepted_at: float | None = None
    passed_by: str = ""
    exchange: int | None = None
    exchange_event: str = ""     # the 帮完 that recorded it

    @property
    def ref(self) -> str:
        return f"M{self.id}"

    def side_of(self, person_id: str) -> str | None:
        if person_id == self.need_owner:
            return "need"
        if person_id == self.offer_owner:
            return "offer"
        return None

    def other(self, person_id: str) -> str:
        return self.offer_owner if person_id == self.need_owner else self.need_owner

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> "Match":
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in cls.__dataclass_fields__ or value == "":
                continue
            if name in ("id", "need", "offer", "exchange"):
                values[name] = int(value)
            elif name in ("created_at", "accepted_at"):
                values[name] = float(value)
            else:
                values[name] = value
        return cls(**values)


class Answer(NamedTuple):
    result: str      # waiting | accepted | passed | replay:<one of those> | closed | missing
    status: str


class Sharing:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        self.k = store.keys

    # items
    async def publish(self, event_id: str, fields: dict[str, Any]) -> Created:
        """Make the item of `event_id` (or find the one it made) with its indexes."""
        k = self.k
        at = f"{fields['created_at']:.3f}"
        values = {"id": NEW_ID, "status": "open", "event": event_id}
        for name, value in fields.items():
            if value is None:
                continue
            values[name] = json.dumps(value, ensure_ascii=False) if name in ("keys", "spans") else (
                f"{value:.3f}" if isinstance(value, float) else value)
        created = (CreateOnce(event_id, k.sharing_by_event(), k.sharing_seq())
                   .hset(k.sharing_item(NEW_ID), values)
                   .zadd(k.sharing_items(), at, NEW_ID)
                   .zadd(k.sharing_of(fields["owner"]), at, NEW_ID)
                   .zadd(k.sharing_new(fields.get("building") or ""), at, NEW_ID))
        for key in fields["keys"]:
            created.sadd(k.sharing_index(fields["kind"], key), NEW_ID)
        return await created.run(self.store)

    async def get(self, item_id: int) -> Item | None:
        raw = await self.redis.hgetall(self.k.sharing_item(item_id))
        return Item.from_hash(raw) if raw else None

    async def _hashes(self, keys: list[str]) -> list[dict[str, str]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hgetall(key)
            return [raw for raw in await pipe.execute() if raw]

    async def many(self, ids: Iterable[int | str]) -> list[Item]:
        return [Item.from_hash(raw) for raw in await self._hashes([self.k.sharing_item(i) for i in ids])]

    async def candidates(self, kinds: Iterable[str], keys: Iterable[str]) -> set[int]:
        """The open items of these kinds sharing at least one key (the inverted index)."""
        names = [self.k.sharing_index(kind, key) for kind in kinds for key in keys]
        if not names:
            return set()
        return {int(i) for i in await self.redis.sunion(names)}

    async def take_off(self, item: Item, status: str, **fields: str) -> tuple[str, str]:
        """open -> closed | removed | expired, out of the index: ok | already (status) | missing."""
        reply = await self.store.scripts["sharing_close"](
            keys=[self.k.sharing_item(item.id), *(self.k.sharing_index(item.kind, key) for key in item.keys)],
            args=[item.id, status, json.dumps(fields, ensure_ascii=False)])
        return reply[0], (reply[1] if len(reply) > 1 else "")

    async def scrub(self, item_id: int, **fields: str) -> None:
        await self.redis.hset(self.k.sharing_item(item_id), mapping=fields)

    async def of(self, person_id: str, count: int = 50) -> list[Item]:
        ids = await self.redis.zrevrange(self.k.sharing_of(person_id), 0, count - 1)
        return await self.many(ids)

    async def ids(self, newest: int | None = None) -> list[int]:
        end = -1 if newest is None else newest - 1
        return [int(i) for i in await self.redis.zrevrange(self.k.sharing_items(), 0, end)]

    async def new_since(self, building: str, since: float, until: float) -> list[int]:
        return [int(i) for i in await self.redis.zrangebyscore(self.k.sharing_new(building), f"({since}", until)]

    # matches
    async def propose(self, need: Item, offer: Item, at: float, score: float) -> Created:
        """The match of this pair, made once ever (a pair passed on stays passed)."""
        k = self.k
        fields = {"id": NEW_ID, "need": need.id, "offer": offer.id, "need_owner": need.owner,
                  "offer_owner": offer.owner, "status": "proposed", "created_at": f"{at:.3f}",
                  "score": f"{score:.3f}"}
        return await (CreateOnce(f"{need.id}:{offer.id}", k.sharing_pairs(), k.sharing_match_seq())
                      .hset(k.sharing_match(NEW_ID), fields)
                      .zadd(k.sharing_matches_of(need.owner), f"{at:.3f}", NEW_ID)
                      .zadd(k.sharing_matches_of(offer.owner), f"{at:.3f}", NEW_ID)
                      .zadd(k.sharing_matches_of_item(need.id), f"{at:.3f}", NEW_ID)
                      .zadd(k.sharing_matches_of_item(offer.id), f"{at:.3f}", NEW_ID)
                      .run(self.store))

    async def paired(self, pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
        """Which of these (need, offer) pairs were proposed before (and are never again)."""
        if not pairs:
            return set()
        found = await self.redis.hmget(self.k.sharing_pairs(), [f"{n}:{o}" for n, o in pairs])
        return {pair for pair, f in zip(pairs, found) if f}

    async def match(self, match_id: int) -> Match | None:
        raw = await self.redis.hgetall(self.k.sharing_match(match_id))
        return Match.from_hash(raw) if raw else None

    async def matches(self, ids: Iterable[int | str]) -> list[Match]:
        return [Match.from_hash(raw) for raw in await self._hashes([self.k.sharing_match(i) for i in ids])]

    async def matches_of(self, person_id: str, count: int = 50) -> list[Match]:
        return await self.matches(await self.redis.zrevrange(self.k.sharing_matches_of(person_id), 0, count - 1))

    async def matches_of_item(self, item_id: int) -> list[Match]:
        return await self.matches(await self.redis.zrange(self.k.sharing_matches_of_item(item_id), 0, -1))

    async def answer(self, match_id: int, side: str, yes: bool, event_id: str, at: float) -> Answer:
        reply = await self.store.scripts["sharing_answer"](
            keys=[self.k.sharing_match(match_id)], args=[side, "yes" if yes else "no", event_id, f"{at:.3f}"])
        return Answer(*reply)

    async def note_exchange(self, match_id: int, exchange_id: int, event_id: str) -> None:
        await self.redis.hset(self.k.sharing_match(match_id), mapping={"exchange": exchange_id,
                                                                       "exchange_event": event_id})
