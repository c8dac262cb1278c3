"""The 爱心超市: its catalogue (items with a price in points or hours and a stock) and the
redemptions made from it.

Items written in the community file are copied in on every start (name, price and unit
follow the file; their stock is seeded once, then lives here); staff add their own with
`linli admin rewards`. A redemption is one ledger transaction whose guards check the
item's price and that it is on offer, whose count takes one from the stock, and whose
payer floor checks the balance: all in ledger_append.lua, so 100 people asking for the
last 10 haircuts at once get exactly 10 codes.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Iterable, NamedTuple

from storage.ledger import SINK, Change, Ledger, Posted, Transfer, Txn, account
from storage.store import Store

CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"   # nothing residents could misread (0/O, 1/I, 5/S)
CODE_LENGTH = 6


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    price: int
    unit: str
    stock: int | None      # None: unlimited
    active: bool = True
    source: str = "admin"  # file | admin
    description: str = ""

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> "Item":
        stock = raw.get("stock", "")
        return cls(id=raw["id"], name=raw["name"], price=int(raw["price"]), unit=raw["unit"],
                   stock=int(stock) if stock != "" else None,
                   active=raw.get("active", "1") == "1" and raw.get("in_file") != "0",
                   source=raw.get("source", "admin"), description=raw.get("description", ""))


class Stock(NamedTuple):
    """What reward_stock.lua answered: ok (`stock` the new stock), missing, unlimited, or
    negative (`stock` what it would have gone below zero from)."""
    result: str
    stock: int | None = None


@dataclass(frozen=True)
class Redemption:
    code: str
    person: str
    item: str
    name: str
    price: int
    unit: str
    status: str            # issued | fulfilled | cancelled
    at: float
    seq: int
    done_event: str = ""   # the event that fulfilled it (a redelivery of it is not a conflict)

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> "Redemption":
        return cls(code=raw["code"], person=raw["person"], item=raw["item"], name=raw["name"],
                   price=int(raw["price"]), unit=raw["unit"], status=raw["status"], at=float(raw["at"]),
                   seq=int(raw.get("seq") or 0), done_event=raw.get("done_event", ""))


class Rewards:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        self.k = store.keys

    def item_key(self, item_id: str) -> str:
        return self.k.reward_item(item_id)

    def code_key(self, code: str) -> str:
        return self.k.reward_code(code)

    def of_key(self, person_id: str) -> str:
        return self.k.rewards_of(person_id)

    def codes_key(self) -> str:
        return self.k.reward_codes()

    async def sync(self, items: Iterable) -> None:
        """Copy the community file's items in: definition from the file, stock seeded once;
        an item taken out of the file is no longer on offer (its history stays)."""
        items = list(items)
        listed = self.k.reward_items_from_file()
        gone = set(await self.redis.smembers(listed)) - {item.id for item in items}
        async with self.redis.pipeline(transaction=False) as pipe:
            for item_id in gone:
                pipe.hset(self.item_key(item_id), "in_file", "0")
                pipe.srem(listed, item_id)
            for item in items:
                key = self.item_key(item.id)
                pipe.hset(key, mapping={"id": item.id, "name": item.name, "price": item.price, "unit": item.unit,
                                        "source": "file", "description": item.description, "in_file": "1"})
                pipe.sadd(listed, item.id)
                pipe.hsetnx(key, "active", "1")
                if item.stock is None:
                    pipe.hdel(key, "stock")
                else:
                    pipe.hsetnx(key, "stock", item.stock)
                pipe.sadd(self.k.reward_items(), item.id)
            await pipe.execute()

    async def items(self, active_only: bool = False) -> list[Item]:
        ids = sorted(await self.redis.smembers(self.k.reward_items()))
        async with self.redis.pipeline(transaction=False) as pipe:
            for item_id in ids:
                pipe.hgetall(self.item_key(item_id))
            raws = await pipe.execute()
        items = [Item.from_hash(raw) for raw in raws if raw]
        return [i for i in items if i.active or not active_only]

    async def item(self, item_id: str) -> Item | None:
        raw = await self.redis.hgetall(self.item_key(item_id))
        return Item.from_hash(raw) if raw else None

    async def find(self, text: str) -> list[Item]:
        """Items on offer a resident means by `text`: its id or name, else names containing it."""
        items = await self.items(active_only=True)
        exact = [i for i in items if text in (i.id, i.name)]
        return exact or [i for i in items if text and text in i.name]

    async def add(self, item: Item) -> bool:
        key = self.item_key(item.id)
        if not await self.redis.hsetnx(key, "id", item.id):
            return False
        fields = {"name": item.name, "price": item.price, "unit": item.unit, "active": "1", "source": "admin",
                  "description": item.description}
        if item.stock is not None:
            fields["stock"] = item.stock
        await self.redis.hset(key, mapping=fields)
        await self.redis.sadd(self.k.reward_items(), item.id)
        return True

    async def update(self, item_id: str, **fields: str | int) -> None:
        await self.redis.hset(self.item_key(item_id), mapping=fields)

    async def stock(self, item_id: str, mode: str, number: int) -> Stock:
        """mode 'set' or 'add' (see Stock for the answers)."""
        reply = await self.store.scripts["reward_stock"](keys=[self.item_key(item_id)], args=[mode, number])
        return Stock(reply[0], int(reply[1]) if len(reply) > 1 else None)

    # redemptions
    async def redeem(self, ledger: Ledger, person_id: str, item: Item, event_id: str, at: float,
                     by: str) -> tuple[Posted, str]:
        """Pay for one `item` and take it from stock; returns the booking and the code (on
        'replay', the code this event was given before)."""
        for _ in range(5):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            txn = Txn(key=f"redeem:{event_id}", event=event_id, at=at, transfers=[
                Transfer(item.unit, account(person_id), SINK, item.price, "redeemed", item.name, by, code, floor=0)])
            key = self.item_key(item.id)
            # The price and offer the resident saw are the ones they pay: a change in between is a conflict.
            txn.guard(key, "active", "1").guard(key, "price", str(item.price)).guard(key, "unit", item.unit)
            txn.count(key, "stock", -1).fresh(self.code_key(code))
            txn.write(self.code_key(code), code=code, person=person_id, item=item.id, name=item.name,
                      price=item.price, unit=item.unit, status="issued", at=f"{at:.3f}", seq="$seq")
            txn.zadd(self.of_key(person_id), at, code).zadd(self.codes_key(), at, code)
            posted = await ledger.post(txn)
            if posted.result == "replay":
                entry = await ledger.entry(posted.seq)
                return posted, entry.ref if entry else ""
            if posted.result != "taken":
                return posted, code if posted.ok else ""
        raise RuntimeError("could not find a free redemption code")

    async def cancel(self, ledger: Ledger, redemption: Redemption, event_id: str, at: float, by: str) -> Posted:
        """Refund an issued redemption and put the item back in stock, once."""
        txn = Txn(key=f"refund:{redemption.code}", event=event_id, at=at, transfers=[
            Transfer(redemption.unit, SINK, account(redemption.person), redemption.price, "refunded",
                     redemption.name, by, redemption.code)])
        key = self.code_key(redemption.code)
        txn.guard(key, "status", "issued").count(self.item_key(redemption.item), "stock", 1)
        txn.write(key, status="cancelled", cancelled_at=f"{at:.3f}", cancelled_by=by)
        return await ledger.post(txn)

    async def fulfil(self, code: str, event_id: str, at: float, by: str) -> Change:
        """issued -> fulfilled: ok | conflict (with the status) | missing."""
        reply = await self.store.scripts["ledger_cas"](
            keys=[self.code_key(code)],
            args=["status", "issued", json.dumps({"status": "fulfilled", "fulfilled_at": f"{at:.3f}",
                                                   "fulfilled_by": by, "done_event": event_id})])
        return Change(*reply)

    async def redemption(self, code: str) -> Redemption | None:
        raw = await self.redis.hgetall(self.code_key(code.upper()))
        return Redemption.from_hash(raw) if raw else None

    async def redemptions(self, person_id: str | None = None, count: int = 1000) -> list[Redemption]:
        """Newest first: one person's, or everyone's."""
        key = self.of_key(person_id) if person_id else self.codes_key()
        codes = await self.redis.zrevrange(key, 0, count - 1)
        async with self.redis.pipeline(transaction=False) as pipe:
            for code in codes:
                pipe.hgetall(self.code_key(code))
            raws = await pipe.execute()
        return [Redemption.from_hash(raw) for raw in raws if raw]
