"""The poll repository: one hash per poll, its electorate fixed at creation (voters:
person -> the unit that votes, the person or their household), and its ballots.

A poll is made once per event (storage/create_once.py), with its voters and indexes.
Casting, closing and cancelling are Lua scripts: a ballot is checked and written
atomically, a poll closes only with a result counted from the ballots as they stand, and a
cancelled poll takes no ballot and publishes no result.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from storage.create_once import Created, CreateOnce
from storage.keys import NEW_ID
from storage.store import Store

_JSON = {"options", "electorate", "rule", "chats", "result"}
_BOOLS = {"anonymous", "changeable", "show_counts"}
_FLOATS = {"created_at", "deadline", "closed_at"}
_INTS = {"id", "eligible", "option_count", "version", "topic"}


@dataclass
class Poll:
    id: int
    question: str
    options: list[str]
    electorate: dict[str, Any]        # {"kind": "council" | "chat" | "households" | "people", ...}
    unit: str                         # person | household: what one ballot stands for
    rule: dict[str, Any]              # {"kind": "plurality" | "majority" | "threshold", "fraction", "base"}
    eligible: int                     # units that may vote
    deadline: float
    created_at: float
    created_by: str
    quorum: str | None = None         # "1/2": share of `eligible` that must vote
    anonymous: bool = False
    changeable: bool = False
    show_counts: bool = False
    chats: list[str] = field(default_factory=list)
    status: str = "open"              # open | closed | cancelled
    closed_at: float | None = None
    closed_reason: str | None = None  # deadline | decided | cancelled
    result: dict[str, Any] | None = None
    closed_event: str | None = None
    cancelled_by: str | None = None   # cancelled: the creator or staff member, or admin:USER
    cancel_reason: str | None = None
    version: int = 0
    topic: int | None = None          # the 议题 it was opened from (决定 Y3 投票), told when it closes

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> "Poll":
        known = cls.__dataclass_fields__
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in known:
                continue
            if name in _JSON:
                values[name] = json.loads(value)
            elif name in _BOOLS:
                values[name] = value == "1"
            elif name in _FLOATS:
                values[name] = float(value)
            elif name in _INTS:
                values[name] = int(value)
            elif name == "quorum":
                values[name] = value or None
            else:
                values[name] = value
        return cls(**values)

    def to_hash(self) -> dict[str, str]:
        out: dict[str, str] = {"option_count": str(len(self.options))}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value is None:
                continue
            if name in _JSON:
                out[name] = json.dumps(value, ensure_ascii=False)
            elif name in _BOOLS:
                out[name] = "1" if value else "0"
            else:
                out[name] = str(value)
        return out


@dataclass(frozen=True)
class Ballot:
    unit: str                  # the voter, or the household voted for
    by: str                    # the person who voted (a proxy's resident)
    at: float
    option: int | None         # 0 abstains; None in an anonymous poll (the choice is in the box)
    proxy: str = ""            # the staff member who entered it for the resident
    reason: str = ""

    @classmethod
    def from_json(cls, unit: str, raw: str) -> "Ballot":
        data = json.loads(raw)
        option = data.get("option")
        return cls(unit=unit, by=data["by"], at=float(data["at"]),
                   option=None if option is None else int(option),
                   proxy=data.get("proxy") or "", reason=data.get("reason") or "")


class Cast(NamedTuple):
    """What poll_cast.lua answered (see it for which results carry what)."""
    result: str       # ok | changed | same | replay | already | closed | ineligible | bad_option | missing
    unit: str = ""    # the voter, or the household voted for
    earlier: str = ""  # changed: the option chosen before; already: who voted for the unit
    proxy: str = ""   # already: the staff member who entered that ballot ('' if none)


@dataclass(frozen=True)
class Snapshot:
    """The ballots as they stood at one version, read in one transaction."""
    poll: Poll
    ballots: dict[str, Ballot]
    box: list[int]             # anonymous polls: the choices, unlinked; else []

    def choices(self) -> list[int]:
        if self.poll.anonymous:
            return list(self.box)
        return [b.option for b in self.ballots.values() if b.option is not None]


class Polls:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.k = store.keys

    async def create(self, event_id: str, poll: Poll, voters: dict[str, str]) -> Created:
        """Store the poll of `event_id` (or find the one it already stored); `poll.id` is
        set to its id."""
        k = self.k
        created = await (CreateOnce(event_id, k.poll_by_event(), k.poll_seq())
                         .hset(k.poll(NEW_ID), {**poll.to_hash(), "id": NEW_ID})
                         .hset(k.poll_voters(NEW_ID), voters)
                         .zadd(k.polls_open(), poll.deadline, NEW_ID)
                         .zadd(k.polls(), poll.created_at, NEW_ID)
                         .run(self.store))
        poll.id = created.id
        return created

    async def get(self, poll_id: int) -> Poll | None:
        raw = await self.store.redis.hgetall(self.k.poll(poll_id))
        return Poll.from_hash(raw) if raw else None

    async def cast(self, poll_id: int, person: str, option: int, at: float, event_id: str,
                   proxy: str = "", reason: str = "") -> Cast:
        """The one way a ballot is written; see storage/lua/poll_cast.lua for the replies."""
        k = self.k
        reply = await self.store.scripts["poll_cast"](
            keys=[k.poll(poll_id), k.poll_voters(poll_id), k.poll_ballots(poll_id), k.poll_box(poll_id)],
            args=[person, option, f"{at:.3f}", event_id, proxy, reason, secrets.token_hex(8)])
        return Cast(*reply)

    async def snapshot(self, poll_id: int) -> Snapshot | None:
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self.k.poll(poll_id))
            pipe.hgetall(self.k.poll_ballots(poll_id))
            pipe.zrange(self.k.poll_box(poll_id), 0, -1)
            raw, ballots, box = await pipe.execute()
        if not raw:
            return None
        return Snapshot(Poll.from_hash(raw), {unit: Ballot.from_json(unit, value) for unit, value in ballots.items()},
                        [int(member.rpartition(":")[2]) for member in box])

    async def close(self, poll_id: int, version: int, result: dict[str, Any], at: float, reason: str,
                    event_id: str) -> str:
        """'ok' | 'replay' | 'already' | 'stale' (a ballot came in since `version`) | 'missing'."""
        reply = await self.store.scripts["poll_close"](
            keys=[self.k.poll(poll_id), self.k.polls_open()],
            args=[version, json.dumps(result, ensure_ascii=False), f"{at:.3f}", reason, event_id, poll_id])
        return reply[0]

    async def cancel(self, poll_id: int, by: str, reason: str, at: float, event_id: str) -> tuple[str, str]:
        """Cancel an open poll (storage/lua/poll_cancel.lua): ('ok' | 'replay' | 'missing', '')
        or ('already', its status: closed | cancelled)."""
        reply = await self.store.scripts["poll_cancel"](
            keys=[self.k.poll(poll_id), self.k.polls_open()], args=[f"{at:.3f}", by, reason, event_id, poll_id])
        return reply[0], (reply[1] if len(reply) > 1 else "")

    async def voters(self, poll_id: int) -> dict[str, str]:
        """person -> the unit they vote for, as fixed at creation."""
        return await self.store.redis.hgetall(self.k.poll_voters(poll_id))

    async def unit_of(self, poll_id: int, person: str) -> str | None:
        return await self.store.redis.hget(self.k.poll_voters(poll_id), person)

    async def open_ids(self) -> list[int]:
        return [int(i) for i in await self.store.redis.zrange(self.k.polls_open(), 0, -1)]

    async def ids(self) -> list[int]:
        return [int(i) for i in await self.store.redis.zrange(self.k.polls(), 0, -1)]
