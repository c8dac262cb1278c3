"""The ledger itself, on a real Valkey: the Lua SHA-256 chain agrees with Python's, a key
books once, floors and caps hold, and `verify` names whatever was changed behind its back."""

import json

import pytest

from handlers.points.verify import verify
from storage.ledger import GENESIS, POOL, SINK, Ledger, Transfer, Txn, entry_hash
from storage.store import Store


@pytest.fixture
def books(redis):
    return Ledger(Store.open(redis, "t"))


def grant(key, person="a", amount=10, unit="points", note=""):
    return Txn(key=key, event=f"ev-{key}", at=1700000000.25,
               transfers=[Transfer(unit, POOL, f"person:{person}", amount, "test", note)])


async def test_every_entry_links_to_the_one_before_with_a_python_checkable_sha256(books, redis):
    # notes of every length around SHA-256's 64-byte block edges, in ASCII and in Chinese
    notes = ["", "a", "讲" * 14, "x" * 55, "y" * 56, "z" * 63, "w" * 64, "讲" * 40 + "ab", "长" * 400]
    for i, note in enumerate(notes):
        assert (await books.post(grant(f"k{i}", note=note))).ok
    raws = [json.loads(r) for r in await redis.lrange(books.entries_key, 0, -1)]
    prev = GENESIS
    for seq, raw in enumerate(raws, 1):
        assert raw["seq"] == str(seq) and raw["prev"] == prev
        assert raw["hash"] == entry_hash(raw)          # Lua and hashlib agree
        prev = raw["hash"]
    assert await redis.hget(books.head_key, "hash") == prev
    report = await verify(books)
    assert report.ok and report.entries == len(notes), report.problems


async def test_the_same_key_books_once(books):
    first = await books.post(grant("vote:P3:zhang", "zhang", 3))
    again = [await books.post(grant("vote:P3:zhang", "zhang", 3)) for _ in range(2)]
    assert first.ok and first.balances == (-3, 3)
    assert [p.result for p in again] == ["replay", "replay"] and all(p.seq == first.seq for p in again)
    assert await books.length() == 1
    assert await books.balance("person:zhang", "points") == 3


async def test_a_payer_never_goes_below_its_floor_and_nothing_is_written_when_refused(books):
    await books.post(grant("g", "a", 10))
    spend = Txn(key="s", event="e", at=1.0, transfers=[Transfer("points", "person:a", SINK, 11, "x", floor=0)])
    refused = await books.post(spend)
    assert (refused.result, refused.actual) == ("insufficient", "10")
    assert await books.length() == 1 and await books.balance("person:a", "points") == 10
    # the key of a refused transaction stays free: it may be booked once the money is there
    await books.post(grant("g2", "a", 1))
    assert (await books.post(spend)).ok and await books.balance("person:a", "points") == 0


@pytest.mark.parametrize("amounts, cap, booked", [
    ([3, 3, 3], 9, [True, True, True]),
    ([3, 3, 3, 3], 9, [True, True, True, False]),
    ([5, 5], 9, [True, False]),
])
async def test_a_daily_cap_stops_credits_that_would_pass_it(books, amounts, cap, booked):
    results = []
    for i, amount in enumerate(amounts):
        txn = grant(f"c{i}", "a", amount).cap(books.cap_key("a", "2024-05-01"), "points:x", amount, cap)
        results.append((await books.post(txn)).ok)
    assert results == booked
    assert await books.balance("person:a", "points") == sum(a for a, ok in zip(amounts, booked) if ok)


async def test_units_are_separate_and_balances_sum_to_zero(books):
    await books.post(grant("p", "a", 10, "points"))
    await books.post(grant("h", "a", 150, "hours"))
    assert await books.balances_of("person:a") == {"points": 10, "hours": 150}
    balances = await books.all_balances()
    for unit in ("points", "hours"):
        assert sum(v for k, v in balances.items() if k.startswith(unit + "|")) == 0


async def tamper(redis, books, seq, rehash=False, **changes):
    """Edit a stored entry directly in Redis; `rehash`: as someone who knows the format would."""
    raw = json.loads(await redis.lindex(books.entries_key, seq - 1))
    raw.update(changes)
    if rehash:
        raw["hash"] = entry_hash(raw)
    await redis.lset(books.entries_key, seq - 1, json.dumps(raw, ensure_ascii=False))


@pytest.mark.parametrize("how, expected", [
    ("amount", ["entry 2 (key k2): contents do not match its hash", "balance points|person:b: cached 20"]),
    ("amount_rehashed", ["entry 3 (key k3): does not link to the entry before it"]),
    ("last_rehashed", ["entry 4: its hash is not the one the head recorded"]),
    ("note", ["entry 1 (key k1): contents do not match its hash"]),
    ("balance", ["balance points|person:a: cached 999, the entries say 10"]),
    ("key_index", ["entry 2 (key k2): missing from the key index"]),
    ("removed_last", ["the ledger holds 3 entries but its head says 4"]),
])
async def test_verify_names_what_was_changed_behind_its_back(books, redis, how, expected):
    for i, person in enumerate(["a", "b", "c", "d"], 1):
        await books.post(grant(f"k{i}", person, 10 * i))
    assert (await verify(books)).ok
    if how == "amount":
        await tamper(redis, books, 2, amount="200")
    elif how == "amount_rehashed":
        await tamper(redis, books, 2, amount="200", rehash=True)
    elif how == "last_rehashed":
        await tamper(redis, books, 4, to="person:a", rehash=True)
    elif how == "note":
        await tamper(redis, books, 1, note="改过")
    elif how == "balance":
        await redis.hset(books.balances_key, "points|person:a", 999)
    elif how == "key_index":
        await redis.hdel(books.idem_key, "k2")
    elif how == "removed_last":
        await redis.rpop(books.entries_key)
    report = await verify(books)
    assert not report.ok
    for text in expected:
        assert any(text in problem for problem in report.problems), report.problems
