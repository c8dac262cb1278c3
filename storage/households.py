"""Household registrations made in chat (`登记`) or by a roster import, and staff
verifications (`核实`). The community file's households are not stored here: the
handlers merge them in (see handlers/people/households.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple

from storage.store import Store


@dataclass(frozen=True)
class Registration:
    person: str
    household: str               # "3-2-502"
    verified: bool
    at: float = 0.0
    source: str = ""             # chat | import
    verified_by: str = ""
    verified_at: float | None = None


class Registered(NamedTuple):
    status: str          # verified | pending
    previous: str        # the household the person was registered in before, or ''


class Verified(NamedTuple):
    result: str          # ok | already | unregistered
    household: str


class Households:
    def __init__(self, store: Store) -> None:
        self.store = store
        k = store.keys
        self.registered_key = k.household_registered()
        self.verified_key = k.household_verified()
        self.details_key = k.household_details()
        self.verifications_key = k.household_verifications()

    async def register(self, person: str, household: str, at: float, by: str, source: str,
                       verified: bool = False) -> Registered:
        details = json.dumps({"at": at, "by": by, "source": source}, ensure_ascii=False)
        status, previous = await self.store.scripts["household_register"](
            keys=[self.registered_key, self.verified_key, self.details_key],
            args=[person, household, "1" if verified else "0", details])
        if verified:
            await self.store.redis.hset(self.verifications_key, person, json.dumps({"by": by, "at": at}))
        return Registered(status, previous)

    async def verify(self, person: str, by: str, at: float) -> Verified:
        result, household = await self.store.scripts["household_verify"](
            keys=[self.registered_key, self.verified_key, self.verifications_key],
            args=[person, json.dumps({"by": by, "at": at})])
        return Verified(result, household)

    async def get(self, person: str) -> Registration | None:
        async with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.hget(self.registered_key, person)
            pipe.hget(self.verified_key, person)
            pipe.hget(self.details_key, person)
            pipe.hget(self.verifications_key, person)
            household, verified, details, verification = await pipe.execute()
        if household is None:
            return None
        return _registration(person, household, verified, details, verification)

    async def all(self) -> dict[str, Registration]:
        async with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.registered_key)
            pipe.hgetall(self.verified_key)
            pipe.hgetall(self.details_key)
            pipe.hgetall(self.verifications_key)
            registered, verified, details, verifications = await pipe.execute()
        return {person: _registration(person, household, verified.get(person), details.get(person),
                                      verifications.get(person))
                for person, household in registered.items()}


def _registration(person: str, household: str, verified: str | None, details: str | None,
                  verification: str | None) -> Registration:
    info = json.loads(details) if details else {}
    check = json.loads(verification) if verification else {}
    is_verified = verified == household
    return Registration(person=person, household=household, verified=is_verified, at=float(info.get("at", 0)),
                        source=info.get("source", ""),
                        verified_by=check.get("by", "") if is_verified else "",
                        verified_at=float(check["at"]) if is_verified and "at" in check else None)
