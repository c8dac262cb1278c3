"""议题: topics residents propose for the council's agenda. One hash per topic, an
append-only history, its seconds (unit -> who and when), the people who follow it, the
评议 given, and indexes: every topic by creation time, the topics in each state, and each
person's topics.

A topic is proposed once per event (storage/create_once.py), with the proposer's own
seconding, history and indexes. Seconding is storage/lua/agenda_second.lua: one per unit,
and the threshold checked in the same step, so the topic reaches the agenda exactly once
however many second at once. Every other change is storage/lua/agenda_transition.lua:
the state checked against TRANSITIONS, the by-state indexes moved, once per operation key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple

from storage.create_once import Created, CreateOnce
from storage.keys import NEW_ID
from storage.store import Store

STATUSES = ("seconding", "agenda", "voting", "referred", "merged", "declined", "withdrawn", "lapsed",
            "failed", "implementing", "done", "evaluated")
# Someone still has to act on these: the public board (议题) lists them.
OPEN_STATES = ("seconding", "agenda", "voting", "referred", "implementing", "done")
# What each action does, by the action its history entry names: the states it applies to
# (any other is a conflict), None for any state. The one place this is decided.
TRANSITIONS: dict[str, tuple[str, ...] | None] = {
    "withdrawn": ("seconding", "agenda"),          # 撤回议题 (the proposer)
    "lapsed": ("seconding",),                      # the seconding window ended
    "scheduled": ("agenda",),                      # 排期 (a note: the meeting's date)
    "reminded": ("agenda",),                       # the secretary reminded (a note)
    "poll": ("agenda",),                           # 决定 … 投票 → 表决中
    "referred": ("agenda",),                       # 决定 … 转交 → 已转交
    "merged": ("seconding", "agenda"),             # 决定 … 合并 → 已合并
    "declined": ("agenda",),                       # 决定 … 不采纳 → 未采纳
    "reopened": ("voting",),                       # its poll was cancelled: back to 待议
    "passed": ("voting",),                         # the poll passed → 落实中
    "failed": ("voting",),                         # the poll did not → 未通过
    "assigned": ("implementing", "referred"),      # 落实 (who, by when)
    "progress": ("implementing", "referred"),      # 进展 (a note)
    "overdue": ("implementing",),                  # the due date passed (a note)
    "done": ("implementing", "referred"),          # 进展 … 完成 → 已落实
    "evaluated": ("done",),                        # the 评议 window ended → 已评议
    "followed": None,                              # another topic was merged into it (a note)
    "forgotten": None,                             # someone erased (注销) (a note)
}
_FLOATS = {"created_at", "lapse_at", "reached_at", "meeting_at", "due", "done_at", "rating_avg"}
_INTS = {"id", "threshold", "base", "poll", "merged_into", "rating_count"}


@dataclass
class Topic:
    id: int
    title: str
    status: str
    proposer: str
    created_at: float
    threshold: int
    unit: str                         # household | person: what one seconding stands for
    scope: str                        # building | community
    text: str = ""                    # the proposer's lines of why
    building: str | None = None
    base: int = 0                     # the units a percent threshold was taken of (0: a number)
    chat: str | None = None           # where it was proposed
    lapse_at: float | None = None
    reached_at: float | None = None
    meeting_at: float | None = None   # 排期
    poll: int | None = None
    department: str | None = None
    merged_into: int | None = None
    reason: str | None = None         # why it was declined
    owner: str | None = None          # who carries it out
    due: float | None = None
    done_at: float | None = None
    rating_avg: float | None = None
    rating_count: int | None = None
    seconds: dict[str, dict[str, Any]] = field(default_factory=dict)
    followers: set[str] = field(default_factory=set)
    ratings: dict[str, int] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"Y{self.id}"

    @property
    def count(self) -> int:
        return len(self.seconds)

    def seconders(self) -> list[str]:
        """Who seconded, in order (the proposer first)."""
        return [s["by"] for s in sorted(self.seconds.values(), key=lambda s: s["at"]) if s.get("by")]


class Second(NamedTuple):
    """What agenda_second.lua answered."""
    result: str     # ok | reached | replay | already | closed | missing
    detail: str     # replay: ok or reached; already: who seconded for the unit; closed: the status
    count: int


def _decode(raw: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in Topic.__dataclass_fields__ or value == "":
            continue
        if name in _INTS:
            values[name] = int(value)
        elif name in _FLOATS:
            values[name] = float(value)
        else:
            values[name] = value
    return values


def _encode(fields: dict[str, Any]) -> dict[str, str]:
    return {name: "" if value is None else str(value) for name, value in fields.items()}


class Topics:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        self.k = store.keys

    async def create(self, event_id: str, fields: dict[str, Any], entry: dict[str, Any],
                     own: tuple[str, dict[str, Any]] | None) -> Created:
        """The topic `event_id` proposes, once however often the event comes; `own`: the
        proposer's unit and seconding, counted from the start."""
        k = self.k
        values = {name: value for name, value in _encode({**fields, "status": "seconding"}).items() if value}
        once = (CreateOnce(event_id, k.topic_by_event(), k.topic_seq())
                .hset(k.topic(NEW_ID), {**values, "id": NEW_ID})
                .rpush(k.topic_history(NEW_ID), json.dumps(entry, ensure_ascii=False))
                .sadd(k.topic_followers(NEW_ID), fields["proposer"])
                .zadd(k.topics(), fields["created_at"], NEW_ID)
                .zadd(k.topics_in("seconding"), fields["created_at"], NEW_ID)
                .zadd(k.topics_of(fields["proposer"]), fields["created_at"], NEW_ID))
        if own is not None:
            once.hset(k.topic_seconds(NEW_ID), {own[0]: json.dumps(own[1], ensure_ascii=False)})
        return await once.run(self.store)

    async def made_by(self, event_id: str) -> int | None:
        """The topic this event proposed, if it did (a redelivered proposal)."""
        found = await self.redis.hget(self.k.topic_by_event(), event_id)
        return int(found) if found else None

    async def get(self, topic_id: int) -> Topic | None:
        k = self.k
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(k.topic(topic_id))
            pipe.hgetall(k.topic_seconds(topic_id))
            pipe.smembers(k.topic_followers(topic_id))
            pipe.hgetall(k.topic_ratings(topic_id))
            pipe.lrange(k.topic_history(topic_id), 0, -1)
            raw, seconds, followers, ratings, history = await pipe.execute()
        if not raw:
            return None
        return Topic(**_decode(raw), seconds={u: json.loads(s) for u, s in seconds.items()},
                     followers=set(followers), ratings={p: int(r) for p, r in ratings.items()},
                     history=[json.loads(h) for h in history])

    async def counts(self, ids: Iterable[int]) -> dict[int, int]:
        """How many seconded each topic (for the board: one round trip)."""
        ids = list(ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            for topic_id in ids:
                pipe.hlen(self.k.topic_seconds(topic_id))
            found = await pipe.execute()
        return dict(zip(ids, found))

    async def briefs(self, ids: Iterable[int]) -> list[dict[str, str]]:
        """The hashes alone (no history), for lists."""
        ids = list(ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            for topic_id in ids:
                pipe.hgetall(self.k.topic(topic_id))
            return [raw for raw in await pipe.execute() if raw]

    async def ids(self) -> list[int]:
        return [int(i) for i in await self.redis.zrange(self.k.topics(), 0, -1)]

    async def in_states(self, states: Iterable[str]) -> list[int]:
        """Topic ids in these states, oldest first (from the by-state indexes: no scan)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for state in states:
                pipe.zrange(self.k.topics_in(state), 0, -1, withscores=True)
            found = await pipe.execute()
        return [int(i) for i, _ in sorted((pair for rows in found for pair in rows), key=lambda p: p[1])]

    async def of_person(self, person_id: str) -> list[int]:
        return [int(i) for i in await self.redis.zrange(self.k.topics_of(person_id), 0, -1)]

    async def second(self, topic_id: int, op_key: str, unit: str, person: str, at: float,
                     entry: dict[str, Any], reached: dict[str, Any]) -> Second:
        k = self.k
        result, detail, count = await self.store.scripts["agenda_second"](
            keys=[k.topic(topic_id), k.topic_seconds(topic_id), k.topic_history(topic_id), k.topic_ops(topic_id),
                  k.topic_followers(topic_id), k.topics_of(person), k.topics_in("seconding"), k.topics_in("agenda")],
            args=[op_key, unit, person, f"{at:.3f}", json.dumps({"by": person, "at": at}, ensure_ascii=False),
                  json.dumps(entry, ensure_ascii=False), json.dumps(reached, ensure_ascii=False)])
        return Second(result, detail, int(count))

    async def transition(self, topic_id: int, op_key: str, action: str, fields: dict[str, Any],
                         entry: dict[str, Any]) -> tuple[str, str]:
        """(ok | replay | conflict | missing, the status before): `action` looked up in
        TRANSITIONS."""
        allowed = TRANSITIONS[action]
        k = self.k
        result, before = await self.store.scripts["agenda_transition"](
            keys=[k.topic(topic_id), k.topic_history(topic_id), k.topic_ops(topic_id)],
            args=[op_key, "*" if allowed is None else ",".join(allowed),
                  json.dumps(_encode(fields), ensure_ascii=False), json.dumps(entry, ensure_ascii=False),
                  k.topics_state_prefix()])
        return result, before

    async def follow(self, topic_id: int, people: Iterable[str], at: float) -> None:
        """These people hear the topic's steps from now on (a merged topic's followers)."""
        people = list(people)
        if not people:
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(self.k.topic_followers(topic_id), *people)
            for person in people:
                pipe.zadd(self.k.topics_of(person), {str(topic_id): at}, nx=True)
            await pipe.execute()

    async def rate(self, topic_id: int, person: str, score: int) -> None:
        """A person's 评议 (a later one replaces theirs: the same person, the same value, twice is once)."""
        await self.redis.hset(self.k.topic_ratings(topic_id), person, score)

    async def mark_owner(self, topic_id: int, person: str, at: float) -> None:
        await self.redis.zadd(self.k.topics_of(person), {str(topic_id): at}, nx=True)

    async def forget(self, person: str, pseudonym: str) -> int:
        """Take `person` out of every topic they are in (from their index: no scan): the
        seconding stays (others' counts need it) under `pseudonym`, as do their 评议 and
        history entries; they follow nothing. Returns how many topics changed."""
        k = self.k
        changed = 0
        for topic_id in await self.of_person(person):
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hgetall(k.topic_seconds(topic_id))
                pipe.hget(k.topic_ratings(topic_id), person)
                pipe.lrange(k.topic_history(topic_id), 0, -1)
                pipe.hmget(k.topic(topic_id), "proposer", "owner")
                seconds, rating, history, (proposer, owner) = await pipe.execute()
            async with self.redis.pipeline(transaction=True) as pipe:
                for unit, raw in seconds.items():
                    record = json.loads(raw)
                    if record.get("by") == person:
                        record["by"] = pseudonym
                        if unit == person:            # a person's own unit: its key names them
                            pipe.hdel(k.topic_seconds(topic_id), unit)
                            unit = pseudonym
                        pipe.hset(k.topic_seconds(topic_id), unit, json.dumps(record, ensure_ascii=False))
                if rating is not None:
                    pipe.hdel(k.topic_ratings(topic_id), person)
                    pipe.hset(k.topic_ratings(topic_id), pseudonym, rating)
                for n, raw in enumerate(history):
                    item = json.loads(raw)
                    if item.get("by") == person:
                        item["by"] = pseudonym
                        pipe.lset(k.topic_history(topic_id), n, json.dumps(item, ensure_ascii=False))
                if proposer == person:
                    pipe.hset(k.topic(topic_id), "proposer", pseudonym)
                if owner == person:
                    pipe.hdel(k.topic(topic_id), "owner")
                pipe.srem(k.topic_followers(topic_id), person)
                await pipe.execute()
            changed += 1
        await self.redis.delete(k.topics_of(person))
        return changed
