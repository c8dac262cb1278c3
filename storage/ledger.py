"""The ledger of points and time-bank hours: double-entry, append-only, hash-chained.

Every entry moves a positive whole amount of one unit from one account to another
(`person:<id>`, `pool` the community's issuer, `sink` what was redeemed), so every unit
sums to zero. Hours are kept in hundredths of an hour: integers never drift. An entry
carries its transaction's idempotency key and the SHA-256 of the previous entry; the
balances hash is a cache that `verify` recomputes from the entries.

All writes go through `ledger_append.lua`: one script checks the key, the preconditions
and the balances and appends, so a redelivered event or two people at once get a defined
answer (see `Posted.result`), never a double booking.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from storage.create_once import Created, CreateOnce
from storage.keys import NEW_ID
from storage.store import Store

UNITS = ("points", "hours")
POOL, SINK = "pool", "sink"
GENESIS = "0" * 64
# The hashed fields, in order; ledger_append.lua has the same list.
FIELDS = ("seq", "at", "key", "event", "unit", "from", "to", "amount", "kind", "note", "by", "ref", "prev")


def account(person_id: str) -> str:
    return f"person:{person_id}"


def entry_hash(raw: dict[str, str]) -> str:
    """Each field as "<byte length>:<value>;" so no value can pass for its neighbour."""
    data = "".join(f"{len(str(raw[name]).encode())}:{raw[name]};" for name in FIELDS)
    return hashlib.sha256(data.encode()).hexdigest()


@dataclass(frozen=True)
class Transfer:
    unit: str
    source: str
    target: str
    amount: int
    kind: str
    note: str = ""
    by: str = "system"
    ref: str = ""
    floor: int | None = None      # the lowest balance `source` may reach; None: no limit


@dataclass(frozen=True)
class Entry:
    seq: int
    at: float
    key: str
    event: str
    unit: str
    source: str
    target: str
    amount: int
    kind: str
    note: str
    by: str
    ref: str
    hash: str

    @classmethod
    def parse(cls, raw: str) -> "Entry":
        d = json.loads(raw)
        return cls(seq=int(d["seq"]), at=float(d["at"]), key=d["key"], event=d["event"], unit=d["unit"],
                   source=d["from"], target=d["to"], amount=int(d["amount"]), kind=d["kind"], note=d["note"],
                   by=d["by"], ref=d["ref"], hash=d["hash"])

    def signed(self, acct: str) -> int:
        """The amount as `acct` sees it: + received, - paid."""
        return self.amount if self.target == acct else -self.amount


@dataclass(frozen=True)
class Posted:
    result: str                   # ok | replay | conflict | taken | short | capped | insufficient
    seq: int | None = None        # the first entry (ok) or the entry booked earlier (replay)
    balances: tuple[int, ...] = ()  # ok: source and target balance after each transfer
    index: int = 0                # which guard / count / transfer failed (1-based)
    actual: str = ""              # what a failed guard found, a short count, a payer's balance, a cap's use

    @property
    def ok(self) -> bool:
        return self.result == "ok"


class Change(NamedTuple):
    """What ledger_cas.lua answered: ok, conflict (`actual` is the status found) or missing."""
    result: str
    actual: str = ""


@dataclass
class Txn:
    """One transaction and the conditions it is booked under (see ledger_append.lua)."""

    key: str
    event: str
    at: float
    transfers: list[Transfer] = field(default_factory=list)
    spec: dict[str, Any] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    indexes: dict[str, list[str]] = field(default_factory=dict)

    def k(self, key: str) -> int:
        """The 1-based KEYS index of `key` (the script's first four keys are the ledger's)."""
        if key not in self.keys:
            self.keys.append(key)
        return self.keys.index(key) + 5

    def guard(self, key: str, name: str, expect: str) -> "Txn":
        self.spec.setdefault("guards", []).append({"k": self.k(key), "field": name, "expect": expect})
        return self

    def fresh(self, key: str) -> "Txn":
        self.spec.setdefault("fresh", []).append(self.k(key))
        return self

    def count(self, key: str, name: str, by: int, minimum: int = 0) -> "Txn":
        self.spec.setdefault("counts", []).append({"k": self.k(key), "field": name, "by": by, "min": minimum})
        return self

    def cap(self, key: str, name: str, add: int, limit: int, ttl: int = 3 * 86400) -> "Txn":
        self.spec["cap"] = {"k": self.k(key), "field": name, "add": add, "limit": limit, "ttl": ttl}
        return self

    def write(self, key: str, **values: Any) -> "Txn":
        self.spec.setdefault("writes", []).append({"k": self.k(key), "set": {n: str(v) for n, v in values.items()}})
        return self

    def zadd(self, key: str, score: float, member: str) -> "Txn":
        self.spec.setdefault("zadds", []).append({"k": self.k(key), "score": score, "member": member})
        return self

    def rank(self, key: str, member: str, by: int) -> "Txn":
        self.spec["rank"] = {"k": self.k(key), "member": member, "by": by}
        return self


class Ledger:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        k = store.keys
        self.entries_key, self.idem_key = k.ledger_entries(), k.ledger_keys()
        self.balances_key, self.head_key = k.ledger_balances(), k.ledger_head()

    def index_key(self, acct: str) -> str:
        return self.store.keys.ledger_account(acct)

    def cap_key(self, person_id: str, day: str) -> str:
        return self.store.keys.ledger_cap(day, person_id)

    def rank_key(self, month: str, building: str) -> str:
        return self.store.keys.ledger_rank(month, building)

    def optout_key(self) -> str:
        return self.store.keys.ledger_rank_optout()

    async def post(self, txn: Txn) -> Posted:
        transfers = []
        for t in txn.transfers:
            if t.unit not in UNITS or t.amount <= 0 or t.source == t.target:
                raise ValueError(f"bad transfer {t}")
            item = {"unit": t.unit, "from": t.source, "to": t.target, "amount": str(int(t.amount)),
                    "kind": t.kind, "note": t.note, "by": t.by, "ref": t.ref,
                    "index": [txn.k(self.index_key(a)) for a in (t.source, t.target) if a.startswith("person:")]}
            if t.floor is not None:
                item["floor"] = int(t.floor)
            transfers.append(item)
        spec = {**txn.spec, "key": txn.key, "event": txn.event, "at": f"{txn.at:.3f}", "transfers": transfers}
        reply = await self.store.scripts["ledger_append"](
            keys=[self.entries_key, self.idem_key, self.balances_key, self.head_key, *txn.keys],
            args=[json.dumps(spec, ensure_ascii=False)])
        result = reply[0]
        if result == "ok":
            return Posted("ok", int(reply[1]), tuple(int(b) for b in reply[2:]))
        if result == "replay":
            return Posted("replay", int(reply[1]))
        if result == "capped":
            return Posted("capped", actual=str(reply[1]))
        return Posted(result, index=int(reply[1]), actual=str(reply[2]) if len(reply) > 2 else "")

    # reading
    async def entry(self, seq: int) -> Entry | None:
        raw = await self.redis.lindex(self.entries_key, seq - 1)
        return Entry.parse(raw) if raw else None

    async def entries(self, start: int = 1, count: int = 1000) -> list[Entry]:
        return [Entry.parse(r) for r in await self.redis.lrange(self.entries_key, start - 1, start + count - 2)]

    async def entries_of(self, acct: str, count: int = 5) -> list[Entry]:
        """The account's last `count` entries, newest first."""
        seqs = await self.redis.lrange(self.index_key(acct), -count, -1)
        async with self.redis.pipeline(transaction=False) as pipe:
            for seq in reversed(seqs):
                pipe.lindex(self.entries_key, int(seq) - 1)
            raws = await pipe.execute()
        return [Entry.parse(r) for r in raws if r]

    async def balance(self, acct: str, unit: str) -> int:
        return int(await self.redis.hget(self.balances_key, f"{unit}|{acct}") or 0)

    async def balances_of(self, acct: str) -> dict[str, int]:
        values = await self.redis.hmget(self.balances_key, [f"{u}|{acct}" for u in UNITS])
        return {u: int(v or 0) for u, v in zip(UNITS, values)}

    async def all_balances(self) -> dict[str, int]:
        return {name: int(v) for name, v in (await self.redis.hgetall(self.balances_key)).items()}

    async def length(self) -> int:
        return int(await self.redis.llen(self.entries_key))

    async def snapshot(self) -> tuple[int, str | None, dict[str, str], dict[str, str], int]:
        """Head seq and hash, cached balances, key index and length, read as one."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hmget(self.head_key, ["seq", "hash"])
            pipe.hgetall(self.balances_key)
            pipe.hgetall(self.idem_key)
            pipe.llen(self.entries_key)
            (head_seq, head_hash), cached, idem, length = await pipe.execute()
        return int(head_seq or 0), head_hash, cached, idem, int(length)

    async def raw_entries(self, start: int, stop: int) -> list[str]:
        """Entries start..stop (1-based, inclusive) as stored."""
        return await self.redis.lrange(self.entries_key, start - 1, stop - 1)


@dataclass(frozen=True)
class Exchange:
    """Help one neighbour gave another, in hundredths of an hour, until the receiver
    confirms it (hours move), disputes it, or lets it lapse."""

    id: int
    giver: str
    receiver: str
    hours: int
    note: str
    status: str                   # pending | confirmed | disputed | lapsed
    created_at: float
    reason: str = ""

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> "Exchange":
        return cls(id=int(raw["id"]), giver=raw["giver"], receiver=raw["receiver"], hours=int(raw["hours"]),
                   note=raw.get("note", ""), status=raw["status"], created_at=float(raw["created_at"]),
                   reason=raw.get("reason", ""))


class Exchanges:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.k = store.keys

    def key(self, exchange_id: int) -> str:
        return self.k.exchange(exchange_id)

    def of_key(self, person_id: str) -> str:
        return self.k.exchanges_of(person_id)

    async def open(self, event_id: str, giver: str, receiver: str, hours: int, note: str,
                   at: float) -> Created:
        """Record the exchange of `event_id` (or find the one it already recorded)."""
        k = self.k
        fields = {"id": NEW_ID, "giver": giver, "receiver": receiver, "hours": str(hours), "note": note,
                  "status": "pending", "created_at": f"{at:.3f}", "event": event_id}
        return await (CreateOnce(event_id, k.exchange_by_event(), k.exchange_seq())
                      .hset(k.exchange(NEW_ID), fields)
                      .zadd(k.exchanges_of(receiver), f"{at:.3f}", NEW_ID)
                      .zadd(k.exchanges_of(giver), f"{at:.3f}", NEW_ID)
                      .run(self.store))

    async def get(self, exchange_id: int) -> Exchange | None:
        raw = await self.store.redis.hgetall(self.key(exchange_id))
        return Exchange.from_hash(raw) if raw else None

    async def of(self, person_id: str, count: int = 20) -> list[Exchange]:
        """The person's latest exchanges, given or received, newest first."""
        ids = await self.store.redis.zrevrange(self.of_key(person_id), 0, count - 1)
        async with self.store.redis.pipeline(transaction=False) as pipe:
            for exchange_id in ids:
                pipe.hgetall(self.key(int(exchange_id)))
            raws = await pipe.execute()
        return [Exchange.from_hash(r) for r in raws if r]

    async def change(self, exchange_id: int, expect: str, **values: str) -> Change:
        """Set fields if the status is still `expect`: ok | conflict (with the status) | missing."""
        reply = await self.store.scripts["ledger_cas"](
            keys=[self.key(exchange_id)], args=["status", expect, json.dumps(values, ensure_ascii=False)])
        return Change(*reply)
