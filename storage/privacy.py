"""Privacy: who was erased (注销), a 注销 waiting for its 确认注销, the retention job's
place in the time indexes it walks, and the raw steps of erasing or expiring records
that belong to other repositories but whose keys are plain (the ledger is never touched:
it is append-only and hash-chained).

Erasure leaves a tombstone (person id -> when, who asked, the request reference, never
what was erased): the community file cannot be edited by linli, so an erased id stays in
it until staff remove the entry, and the router treats the id as nobody meanwhile.
"""

from __future__ import annotations

import json
import time
from typing import Any

from storage.store import Store
from storage.tickets import history_entry, history_json, in_pieces, joined

PENDING_SECONDS = 600          # 注销 waits this long for 确认注销
ERASED = "-"                   # stands for an erased person where a record must name someone
# A ticket whose life is over: its words may expire (resolved still waits for a rating).
ENDED_STATES = ("closed", "rejected", "duplicate", "dismissed", "lapsed")
FREE_TEXT = ("text", "comment", "location")   # a ticket's words and place (a reason is staff's)


class Privacy:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.redis = store.redis
        self.k = store.keys

    # -- tombstones --------------------------------------------------------------------

    async def erased_ids(self) -> frozenset[str]:
        return frozenset(await self.redis.hkeys(self.k.privacy_erased()))

    async def glance(self) -> tuple[int, float]:
        """What every event reads, in one round trip: the tombstones' version (it moves with
        every erasure; 0: none yet) and until when some 注销 may be waiting."""
        version, until = await self.redis.mget(self.k.privacy_erased_version(), self.k.privacy_pending_until())
        return int(version or 0), float(until or 0)

    async def erased(self) -> dict[str, dict[str, Any]]:
        return {pid: json.loads(raw) for pid, raw in (await self.redis.hgetall(self.k.privacy_erased())).items()}

    async def mark_erased(self, person_id: str, record: dict[str, Any]) -> bool:
        """False if the person already was (the first record stays)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(self.k.privacy_erased(), person_id, json.dumps(record, ensure_ascii=False))
            pipe.incr(self.k.privacy_erased_version())
            added, _ = await pipe.execute()
        return bool(added)

    # -- 注销, then 确认注销 ------------------------------------------------------------

    async def ask(self, person_id: str, at: float) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.k.privacy_pending(person_id), f"asked:{at:.3f}", ex=PENDING_SECONDS)
            pipe.set(self.k.privacy_pending_until(), repr(at + PENDING_SECONDS))
            await pipe.execute()

    async def pending(self, person_id: str) -> str | None:
        """"asked:<time>", "confirmed:<event id>" or None."""
        return await self.redis.get(self.k.privacy_pending(person_id))

    async def claim(self, person_id: str, event_id: str, now: float) -> str | None:
        """确认注销 from `event_id`: 'ok' (go ahead), 'replay' (this event already claimed
        it: finish what it started), 'late' (asked too long ago) or None (nothing waits)."""
        key = self.k.privacy_pending(person_id)
        raw = await self.redis.get(key)
        if raw is None:
            return None
        state, _, value = raw.partition(":")
        if state == "confirmed":
            return "replay" if value == event_id else None
        if now - float(value) > PENDING_SECONDS:     # the fake clock may outrun the key's TTL
            await self.redis.delete(key)
            return "late"
        await self.redis.set(key, f"confirmed:{event_id}", keepttl=True)
        return "ok"

    async def cancel(self, person_id: str) -> bool:
        return bool(await self.redis.delete(self.k.privacy_pending(person_id)))

    # -- tickets -------------------------------------------------------------------------

    async def scrub_ticket(self, ticket_id: int, text: str, people: frozenset[str], every_note: bool,
                           entry: dict[str, Any] | None = None) -> bool:
        """Unlink `people` from a ticket: as its reporter its words become `text` and its
        comment and place go, as co-reporters their own reports go, in its history their
        name becomes ERASED and their notes (photos, places, comments) go — every note
        when `every_note` (retention). Category, building, state, dates and rating stay
        (the statistics); `entry`: a history entry added. False if there is no ticket."""
        k = self.k
        raw = await self.redis.hgetall(k.ticket(ticket_id))
        if not raw:
            return False
        reporter = joined(raw).get("reporter", "")
        wipe = reporter in people
        rows = []
        for item in map(history_entry, await self.redis.lrange(k.ticket_history(ticket_id), 0, -1)):
            theirs = item.get("by") in people
            if item.get("note") and (every_note or theirs):
                item = {**item, "note": ""}
            if theirs:
                item = {**item, "by": ERASED}
            rows.append(history_json(item))
        if entry:
            rows.append(history_json(entry))
        drop = [name for name in raw if name.split("~", 1)[0] in FREE_TEXT] if wipe else []
        async with self.redis.pipeline(transaction=True) as pipe:
            if drop:
                pipe.hdel(k.ticket(ticket_id), *drop)
            if wipe:
                pipe.hset(k.ticket(ticket_id), mapping={"reporter": ERASED, **in_pieces({"text": text})})
            if every_note:
                pipe.hset(k.ticket(ticket_id), "scrubbed", "1")
            pipe.delete(k.ticket_history(ticket_id))
            if rows:
                pipe.rpush(k.ticket_history(ticket_id), *rows)
            for person in people:
                pipe.hdel(k.ticket_co(ticket_id), person)
                pipe.zrem(k.tickets_of(person), ticket_id)
            await pipe.execute()
        return True

    # -- people ------------------------------------------------------------------------

    async def forget_household(self, person_id: str) -> bool:
        k = self.k
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in (k.household_registered(), k.household_verified(), k.household_details(),
                        k.household_verifications()):
                pipe.hdel(key, person_id)
            removed = await pipe.execute()
        return bool(removed[0])

    async def drop(self, *keys: str) -> int:
        """Delete whole keys of one person (a profile, a care log); how many existed."""
        return int(await self.redis.delete(*keys)) if keys else 0

    # -- polls -------------------------------------------------------------------------

    async def unlink_ballots(self, poll_id: int, person_id: str, alias: str) -> int:
        """In one poll, `person_id` no longer names a voter: they become `alias` in the
        voter list (voting for the same unit: themselves, now the alias, or their household)
        and in the ballot they cast, which counts as before. Returns how many links were cut."""
        k = self.k
        unit = await self.redis.hget(k.poll_voters(poll_id), person_id)
        if unit is None:
            return 0
        own = unit == person_id            # a person poll: the unit is the person
        ballot = await self.redis.hget(k.poll_ballots(poll_id), unit)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(k.poll_voters(poll_id), person_id)
            pipe.hset(k.poll_voters(poll_id), alias, alias if own else unit)
            if ballot is not None:
                record = json.loads(ballot)
                if record.get("by") == person_id:
                    record["by"] = alias
                    record.pop("event", None)
                    record.pop("reason", None)
                if own:
                    pipe.hdel(k.poll_ballots(poll_id), unit)
                pipe.hset(k.poll_ballots(poll_id), alias if own else unit, json.dumps(record, ensure_ascii=False))
            await pipe.execute()
        return 1

    # -- message copies ----------------------------------------------------------------

    async def purge_dead_letters(self, addresses: frozenset[str]) -> int:
        """Delete the kept copies (events no handler could take, messages no channel could
        deliver) sent by or to any of `addresses` (platform identities, "@person"). The
        stream is bounded (LINLI_DEAD_LETTERS_MAX): read once per erasure. How many."""
        key, start, doomed = self.k.dead_letters(), "-", []
        while True:
            page = await self.redis.xrange(key, start, "+", count=1000)
            for entry_id, fields in page:
                try:
                    data = json.loads(fields.get("event") or fields.get("outgoing") or "null")
                except ValueError:
                    continue
                if isinstance(data, dict) and {data.get("sender"), data.get("to")} & addresses:
                    doomed.append(entry_id)
            if len(page) < 1000:
                break
            start = f"({page[-1][0]}"
        if doomed:
            await self.redis.xdel(key, *doomed)
        return len(doomed)

    # -- retention -----------------------------------------------------------------------

    async def cursor(self, kind: str) -> float:
        return float(await self.redis.get(self.k.privacy_cursor(kind)) or "-inf")

    async def set_cursor(self, kind: str, at: float) -> None:
        await self.redis.set(self.k.privacy_cursor(kind), repr(at))

    async def waiting(self, kind: str) -> list[str]:
        return await self.redis.zrange(self.k.privacy_waiting(kind), 0, -1)

    async def wait(self, kind: str, members: dict[str, float]) -> None:
        if members:
            await self.redis.zadd(self.k.privacy_waiting(kind), members)

    async def done_waiting(self, kind: str, *members: str) -> None:
        if members:
            await self.redis.zrem(self.k.privacy_waiting(kind), *members)

    async def created_between(self, after: float, until: float, limit: int) -> list[tuple[str, float]]:
        """Tickets created after `after` (exclusive) up to `until`, oldest first: `limit`
        of them, and every other one created at the same moment as the last (so a cursor
        at that moment has seen them all)."""
        low = "-inf" if after == float("-inf") else f"({after!r}"
        found = await self.redis.zrangebyscore(self.k.tickets(), low, until, start=0, num=limit, withscores=True)
        if len(found) == limit:
            last = found[-1][1]
            same = await self.redis.zrangebyscore(self.k.tickets(), last, last)
            found = [item for item in found if item[1] < last] + [(member, last) for member in same]
        return found

    async def ticket_fields(self, ticket_id: str, *names: str) -> dict[str, str | None]:
        return dict(zip(names, await self.redis.hmget(self.k.ticket(ticket_id), names)))

    async def last_history_at(self, ticket_id: str) -> float | None:
        last = await self.redis.lrange(self.k.ticket_history(ticket_id), -1, -1)
        return float(history_entry(last[0])["at"]) if last else None

    async def trim_stream(self, key: str, older_than_days: float, dry_run: bool, now: float | None = None) -> int:
        """Entries of a stream (dead letters, audit) older than the days given, by their
        ids (the Redis server's wall clock); removed unless `dry_run`. How many."""
        oldest_ms = int(((time.time() if now is None else now) - older_than_days * 86400) * 1000)
        if oldest_ms <= 0:
            return 0
        if not dry_run:
            return int(await self.redis.xtrim(key, minid=f"{oldest_ms}-0", approximate=False))
        counted, start = 0, "-"
        while True:
            page = await self.redis.xrange(key, start, f"({oldest_ms}-0", count=1000)
            counted += len(page)
            if len(page) < 1000:
                return counted
            start = f"({page[-1][0]}"
