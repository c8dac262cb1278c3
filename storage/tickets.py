"""The ticket repository: one hash per ticket, an append-only history, and indexes.

A ticket is opened by create_once.lua (storage/create_once.py), once per event, with its
history and every index it belongs in. State changes go through one Lua script that
checks the current state and records the change atomically, once per operation key, so
a redelivered command is harmless; which states each action applies to is one table,
TRANSITIONS. The same scripts keep the open-ticket indexes (all open tickets, and by building, category,
assignee and department, each scored by creation time), so finding a duplicate or
listing 待办 costs what is open, not what was ever reported. Readers still check each
ticket they load: an index narrows the search, the ticket's own fields decide. A ticket
waiting for staff to confirm it (待确认, `unconfirmed`) is not open: it is in none of those
indexes but in the triage queue, which the same scripts keep. They keep the statistics too
(storage/stats.py: counters by the day a ticket was created), in the same step.

Memory: a closed ticket keeps its hash (a listpack: a long text is stored in pieces of at
most PIECE_BYTES, so the hash never turns into a hashtable), its history (compact rows)
and its entries in the creation and reporter indexes. Which operations were applied is
remembered only as long as an event can come again; the event that opened it, as 12 hex
digits in its hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, Iterable

from storage.create_once import Created, CreateOnce
from storage.keys import NEW_ID
from storage.stats import DEFAULT_TZ, increments, local_day, periods_of
from storage.store import Store

STATUSES = ("open", "assigned", "in_progress", "resolved", "closed", "escalated", "duplicate", "rejected",
            "unconfirmed", "dismissed", "lapsed")
OPEN_STATES = ("open", "assigned", "in_progress", "escalated")   # someone still has to act: indexed
QUEUE_STATES = ("unconfirmed",)   # the triage queue (待确认): staff confirm (→ open) or dismiss it
TRIAGE_STATES = ("unconfirmed", "dismissed", "lapsed")   # never a ticket anyone was told of
# What each action does to a ticket, by the action its history entry names: the states it
# applies to (a ticket in any other state is a conflict), None for any state (a note
# that changes no state: a deadline passed, a neighbour reported the same problem). The
# one place these are decided; Tickets.transition looks an action up here.
TRANSITIONS: dict[str, tuple[str, ...] | None] = {
    # staff
    "assigned": OPEN_STATES,                               # 派单 (and a volunteer's 接单)
    "started": ("open", "assigned", "escalated"),          # 处理
    "resolved": OPEN_STATES,                               # 办结 (and a volunteer's 完成)
    "rejected": OPEN_STATES,                               # 驳回
    "escalated": ("open", "assigned", "in_progress"),      # 吹哨
    "merged": OPEN_STATES,                                 # 合并 (it becomes a duplicate)
    "volunteer_withdrew": OPEN_STATES,                     # the volunteer assigned gave it back
    # the reporter
    "rated": ("resolved",),                                # 评价
    "reopened": ("resolved", "closed", "rejected"),        # 重开
    "attached": OPEN_STATES,                               # a photo
    "located": OPEN_STATES,                                # a place
    # the triage queue (待确认)
    "confirmed": QUEUE_STATES,
    "dismissed": QUEUE_STATES,
    "lapsed": QUEUE_STATES,
    # time
    "autoclosed": ("resolved",),                           # not rated in time
    "overdue": None,
    "overdue_secretary": None,
    # others
    "co_reported": None,
}
INDEXES = {"building": "b", "category": "c", "assignee": "a", "department": "d"}
NONE = "-"                # the index of "no building" (and of "no category")
# Done marks last 7 days (storage/outbox.py), platform retries far less: after this no
# event comes again, so what guards against running one twice may go.
REMEMBER_SECONDS = 8 * 86400
PIECE_BYTES = 60          # longer values are kept as NAME, NAME~1, … (hash-max-listpack-value is 64)
INDEX_VERSION = "1"
_NUMBERS = {"created_at", "respond_due", "resolve_due", "responded_at", "resolved_at", "closed_at"}
_INTS = {"rating", "duplicate_of", "reopens"}
_JSON = {"location"}
_BRIEF = ("id", "status", "reporter", "created_at", "category", "urgent", "building", "assignee",
          "department", "respond_due", "resolve_due")


@dataclass
class Ticket:
    id: int
    status: str
    reporter: str
    text: str
    created_at: float
    category: str | None = None
    urgent: bool = False
    chat: str | None = None
    building: str | None = None
    location: dict | None = None
    assignee: str | None = None
    department: str | None = None
    rating: int | None = None
    comment: str | None = None
    respond_due: float | None = None
    resolve_due: float | None = None
    responded_at: float | None = None
    resolved_at: float | None = None
    closed_at: float | None = None
    duplicate_of: int | None = None
    reason: str | None = None
    reopens: int = 0            # times 重开 (the statistics' reopen rate)
    history: list[dict[str, Any]] = field(default_factory=list)
    co_reporters: dict[str, dict[str, Any]] = field(default_factory=dict)  # person -> their report

    @classmethod
    def from_hash(cls, raw: dict[str, str], history: Iterable[str] = (), co: dict[str, str] | None = None) -> "Ticket":
        known = cls.__dataclass_fields__
        values: dict[str, Any] = {}
        for name, value in joined(raw).items():
            if name not in known or name == "history":
                continue
            if name == "id" or name in _INTS:
                values[name] = int(value)
            elif name in _NUMBERS:
                values[name] = float(value)
            elif name == "urgent":
                values[name] = value == "1"
            elif name in _JSON:
                values[name] = json.loads(value)
            else:
                values[name] = value
        return cls(**values, history=[history_entry(h) for h in history],
                   co_reporters={person: json.loads(record) for person, record in (co or {}).items()})


@dataclass(frozen=True)
class Transition:
    result: str          # ok | replay | conflict | missing
    before: str          # the status the ticket had

    @property
    def applied(self) -> bool:
        return self.result in ("ok", "replay")


def to_hash(fields: dict[str, Any], json_fields: Iterable[str] = _JSON) -> dict[str, str]:
    """A record's fields as hash values; None clears a field (the transition script
    deletes empty values). Tasks use it too."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        if value is None:
            out[name] = ""
        elif isinstance(value, bool):
            out[name] = "1" if value else "0"
        elif name in json_fields:
            out[name] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        else:
            out[name] = str(value)
    return out


def in_pieces(values: dict[str, str], most: int = PIECE_BYTES) -> dict[str, str]:
    """Values longer than `most` bytes as pieces NAME, NAME~1, NAME~2… cut between
    characters, so the hash keeps its compact encoding; `joined` puts them back."""
    out: dict[str, str] = {}
    for name, value in values.items():
        if len(value.encode()) <= most:
            out[name] = value
            continue
        pieces, piece, size = [], [], 0
        for ch in value:
            width = len(ch.encode())
            if size + width > most and piece:
                pieces.append("".join(piece))
                piece, size = [], 0
            piece.append(ch)
            size += width
        pieces.append("".join(piece))
        out[name] = pieces[0]
        out.update({f"{name}~{n}": text for n, text in enumerate(pieces[1:], 1)})
    return out


def joined(raw: dict[str, str]) -> dict[str, str]:
    """A hash read back, long values in one piece again."""
    if not any("~" in name for name in raw):
        return raw
    whole = {name: value for name, value in raw.items() if "~" not in name}
    pieces = sorted((name.split("~", 1)[0], int(name.split("~", 1)[1]), value)
                    for name, value in raw.items() if "~" in name)
    for name, _, value in pieces:
        if name in whole:
            whole[name] += value
    return whole


_ENTRY = ("at", "by", "action", "status", "note")
# The state each action leaves a ticket in, unless its entry says otherwise.
_IMPLIED = {"opened": "open", "assigned": "assigned", "started": "in_progress", "resolved": "resolved",
            "rated": "closed", "autoclosed": "closed", "rejected": "rejected", "merged": "duplicate",
            "escalated": "escalated", "triaged": "unconfirmed", "confirmed": "open", "dismissed": "dismissed",
            "lapsed": "lapsed"}


def history_json(entry: dict[str, Any]) -> str:
    """A history entry as stored: a row `[at, by, action, note, status]`, the time to the
    millisecond, the note left out when empty and last, the status when the action
    implies it — a third of the object it stands for. Other entries stay objects."""
    entry = {**entry, "at": round(entry["at"], 3)} if isinstance(entry.get("at"), float) else entry
    if set(entry) <= set(_ENTRY) and all(name in entry for name in _ENTRY[:4]):
        row = [entry["at"], entry["by"], entry["action"], entry.get("note") or ""]
        if entry["status"] != _IMPLIED.get(entry["action"]):
            row.append(entry["status"])
        elif not row[-1]:
            row.pop()
        return json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def history_entry(raw: str) -> dict[str, Any]:
    """A stored history entry as `{at, by, action, status, note}` (a row or an object)."""
    value = json.loads(raw)
    if isinstance(value, list):
        at, by, action, *rest = value
        value = {"at": at, "by": by, "action": action, "status": rest[1] if len(rest) > 1 else _IMPLIED.get(action),
                 "note": rest[0] if rest else ""}
    return value


def _times(fields: dict[str, Any]) -> dict[str, Any]:
    """Times to the millisecond (shorter in the hash; nothing here needs more)."""
    return {name: round(value, 3) if name in _NUMBERS and isinstance(value, float) else value
            for name, value in fields.items()}


class Tickets:
    def __init__(self, store: Store, tz: tzinfo | None = None) -> None:
        self.store = store
        self.k = store.keys
        self._indexed = False
        self.tz = tz or DEFAULT_TZ     # the community's: a ticket counts in its local day (storage/stats.py)

    # -- writing --------------------------------------------------------------------

    async def open(self, event_id: str, fields: dict[str, Any], entry: dict[str, Any]) -> Created:
        """Create the ticket for `event_id` (or find the one it already created), in the
        open-ticket indexes or the triage queue as its state says."""
        fields = _times(fields)
        values = in_pieces({name: value for name, value in to_hash(fields).items()
                            if value != "" and not (name == "urgent" and value == "0")})
        k, at, reporter = self.k, fields["created_at"], fields["reporter"]
        values["day"] = local_day(at, self.tz)      # the day it counts in (storage/stats.py)
        # The ticket keeps its event as 12 hex digits of its SHA-1 (no by-event hash to
        # grow forever): a redelivery finds it among its reporter's tickets of the days an
        # event can come again (and a day ahead, for clocks apart).
        ev = hashlib.sha1(event_id.encode()).hexdigest()[:12]
        once = (CreateOnce(event_id, k.ticket_by_event(), k.ticket_seq(), remember=False)
                .find(k.tickets_of(reporter), at - REMEMBER_SECONDS, at + 86400, k.ticket(NEW_ID), "ev", ev)
                .hset(k.ticket(NEW_ID), {"id": NEW_ID, "ev": ev, **values})
                .rpush(k.ticket_history(NEW_ID), history_json(entry))
                .zadd(k.tickets(), at, NEW_ID)
                .zadd(k.tickets_of(reporter), at, NEW_ID))
        # (the indexes of the values as stored: a long one's first piece, as the scripts read it)
        if values.get("status") in OPEN_STATES:
            indexes = [self.index_key(), self.index_key("building", values.get("building")),
                       self.index_key("category", values.get("category"))]
            indexes += [self.index_key(by, values[by]) for by in ("assignee", "department") if values.get(by)]
            for index in indexes:
                once.zadd(index, at, NEW_ID)
            once.sadd(k.tickets_open_buildings(), values.get("building") or NONE)
        if values.get("status") in QUEUE_STATES:
            once.zadd(k.tickets_unconfirmed(), at, NEW_ID)
        # the statistics: it counts as created (and urgent) on its day, in the same step
        for key, counts in increments(k, values).items():
            for name, n in counts.items():
                once.hincrby(key, name, n)
        for period in periods_of(values):
            once.sadd(k.stats_periods(), period)
        return await once.run(self.store)

    async def transition(self, ticket_id: int, op_key: str, action: str, fields: dict[str, Any],
                         entry: dict[str, Any]) -> Transition:
        """Apply `action` (a key of TRANSITIONS, normally what `entry` says was done) if
        the ticket is in a state it applies to, once per `op_key`."""
        if action not in TRANSITIONS:
            raise ValueError(f"unknown ticket action {action!r} (one of {', '.join(TRANSITIONS)})")
        allowed = TRANSITIONS[action]
        encoded = to_hash(_times(fields))
        values = in_pieces({name: value for name, value in encoded.items() if value != ""})
        values.update({name: "" for name, value in encoded.items() if value == ""})
        result, before = await self.store.scripts["ticket_transition"](
            keys=[self.k.ticket(ticket_id), self.k.ticket_history(ticket_id), self.k.ticket_ops(ticket_id)],
            args=[op_key, "*" if allowed is None else ",".join(allowed),
                  json.dumps(values, ensure_ascii=False), history_json(entry),
                  self.k.tickets_open(), ",".join(OPEN_STATES), REMEMBER_SECONDS,
                  self.k.tickets_unconfirmed(), ",".join(QUEUE_STATES),
                  self.k.stats_prefix(), self.k.stats_periods()])
        return Transition(result, before)

    async def join(self, ticket_id: int, person_id: str, report: dict[str, Any]) -> bool:
        """Add a co-reporter (their own words kept apart); False if they already are one.
        Their `查询` lists the ticket from now on."""
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(self._co(ticket_id), person_id, json.dumps(report, ensure_ascii=False))
            pipe.zadd(self.k.tickets_of(person_id), {ticket_id: report["at"]})
            added, _ = await pipe.execute()
        return bool(added)

    async def co_rate(self, ticket_id: int, person_id: str, rating: int, comment: str | None, at: float) -> bool:
        """A co-reporter's rating, kept with their report (the ticket's own is the
        reporter's); False if they are no co-reporter. Rating again replaces it."""
        key = self._co(ticket_id)
        raw = await self.store.redis.hget(key, person_id)
        if raw is None:
            return False
        report = {**json.loads(raw), "rating": rating, "comment": comment, "rated_at": round(at, 3)}
        await self.store.redis.hset(key, person_id, json.dumps(report, ensure_ascii=False))
        return True

    async def leave(self, ticket_id: int, person_id: str) -> None:
        async with self.store.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self._co(ticket_id), person_id)
            pipe.zrem(self.k.tickets_of(person_id), ticket_id)
            await pipe.execute()

    # -- reading --------------------------------------------------------------------

    async def get(self, ticket_id: int) -> Ticket | None:
        async with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.k.ticket(ticket_id))
            pipe.lrange(self.k.ticket_history(ticket_id), 0, -1)
            pipe.hgetall(self._co(ticket_id))
            raw, history, co = await pipe.execute()
        return Ticket.from_hash(raw, history, co) if raw else None

    def _co(self, ticket_id: int) -> str:
        return self.k.ticket_co(ticket_id)

    async def since(self, at: float) -> list[int]:
        """Tickets opened at or after `at`, oldest first (every ticket: prefer the open indexes)."""
        return [int(i) for i in await self.store.redis.zrangebyscore(self.k.tickets(), at, "+inf")]

    async def created_between(self, start: float, end: float, limit: int) -> list[int]:
        """Up to `limit` tickets opened from `start` to `end`, newest first (the index of
        every ticket by creation time, read by range: a listing of a period)."""
        found = await self.store.redis.zrevrangebyscore(self.k.tickets(), end, start, start=0, num=limit)
        return [int(i) for i in found]

    async def ids_of(self, person_id: str, since: float) -> list[int]:
        """The tickets a person reported or co-reported (joined) at or after `since`, newest first."""
        found = await self.store.redis.zrevrangebyscore(self.k.tickets_of(person_id), "+inf", since)
        return [int(i) for i in found]

    async def ids(self, reporter: str | None = None) -> list[int]:
        key = self.k.tickets_of(reporter) if reporter else self.k.tickets()
        return [int(i) for i in await self.store.redis.zrange(key, 0, -1)]

    async def many(self, ids: list[int], history: bool = True, co: bool = True) -> list[Ticket]:
        """Tickets in the order given (missing ones left out); `history=False` and `co=False`
        leave their history and co-reporters empty, for a reader of their fields only."""
        tickets = []
        for start in range(0, len(ids), 200):
            async with self.store.redis.pipeline(transaction=False) as pipe:
                for ticket_id in ids[start:start + 200]:
                    pipe.hgetall(self.k.ticket(ticket_id))
                    if history:
                        pipe.lrange(self.k.ticket_history(ticket_id), 0, -1)
                    if co:
                        pipe.hgetall(self._co(ticket_id))
                replies = iter(await pipe.execute())
            for _ in ids[start:start + 200]:
                raw = next(replies)
                hist = next(replies) if history else ()
                others = next(replies) if co else None
                if raw:
                    tickets.append(Ticket.from_hash(raw, hist, others))
        return tickets

    async def briefs(self, ids: list[int]) -> list[Ticket]:
        """Tickets for a listing: state, category, place, who answers for them and their
        deadlines, without their words, history or co-reporters (text is "")."""
        tickets = []
        for start in range(0, len(ids), 500):
            async with self.store.redis.pipeline(transaction=False) as pipe:
                for ticket_id in ids[start:start + 500]:
                    pipe.hmget(self.k.ticket(ticket_id), _BRIEF)
                replies = await pipe.execute()
            for values in replies:
                raw = {name: value for name, value in zip(_BRIEF, values) if value is not None}
                if raw.get("id") and raw.get("status") and raw.get("created_at"):
                    tickets.append(Ticket.from_hash({"reporter": "", "text": "", **raw}))
        return tickets

    # -- the open-ticket indexes -----------------------------------------------------

    def index_key(self, by: str | None = None, value: str | None = None) -> str:
        """All open tickets, or those of one building, category, assignee or department."""
        if by is None:
            return self.k.tickets_open()
        return self.k.tickets_open_by(INDEXES[by], value if value not in (None, "") else NONE)

    async def open_ids(self, by: str | None = None, value: str | None = None,
                       since: float | None = None) -> list[int]:
        """Ids of open tickets (all, or by building/category/assignee/department), newest
        first, opened at or after `since`. Candidates: a caller checks what it loads."""
        await self.ensure_indexed()
        found = await self.store.redis.zrevrangebyscore(self.index_key(by, value), "+inf",
                                                        "-inf" if since is None else since)
        return [int(i) for i in found]

    async def queue_ids(self) -> list[int]:
        """Ids of the tickets waiting for staff (待确认), newest first: the triage queue
        (candidates: a caller checks the state of what it loads)."""
        return [int(i) for i in await self.store.redis.zrevrange(self.k.tickets_unconfirmed(), 0, -1)]

    async def open_buildings(self) -> set[str | None]:
        """The buildings with open tickets (None: tickets with no building)."""
        await self.ensure_indexed()
        names = await self.store.redis.smembers(self.k.tickets_open_buildings())
        return {None if name == NONE else name for name in names}

    async def ensure_indexed(self) -> None:
        """Index a database written before the indexes existed, once (then remembered)."""
        if self._indexed:
            return
        if await self.store.redis.get(self.k.tickets_indexed()) != INDEX_VERSION:
            await self.reindex()
        self._indexed = True

    async def reindex(self, batch: int = 500) -> int:
        """Put every ticket in the open indexes it belongs in (and out of those its state
        leaves); idempotent. Returns how many tickets are open."""
        ids = await self.ids()
        open_count = 0
        for start in range(0, len(ids), batch):
            open_count += int(await self.store.scripts["ticket_reindex"](
                keys=[self.k.ticket(i) for i in ids[start:start + batch]],
                args=[self.k.tickets_open(), ",".join(OPEN_STATES), self.k.tickets_unconfirmed(),
                      ",".join(QUEUE_STATES)]))
        await self.store.redis.set(self.k.tickets_indexed(), INDEX_VERSION)
        self._indexed = True
        return open_count
