"""Checking the books: recompute the hash chain, every balance and the key index from the
entries themselves, and name every entry or balance that disagrees.

What each check catches: an entry edited in place (its hash no longer matches its
contents), an entry edited with its hash recomputed (the next entry no longer links to
it, or the head no longer matches the last one), an entry removed or inserted (links and
numbering), a cached balance changed (it differs from the sum of the entries), a key
index entry removed (the same earning could be booked again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from storage.ledger import FIELDS, GENESIS, UNITS, Ledger, entry_hash


@dataclass
class Report:
    entries: int = 0
    balances: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify(ledger: Ledger, batch: int = 1000) -> Report:
    count, head_hash, cached, idem, length = await ledger.snapshot()
    report = Report(entries=count)
    problems = report.problems
    prev, derived, keys = GENESIS, {}, {}
    read = 0
    # Entries are append-only, so 1..count are the ones the snapshot's balances cover.
    for start in range(1, count + 1, batch):
        raws = await ledger.raw_entries(start, min(start + batch - 1, count))
        for offset, raw in enumerate(raws):
            prev = _check(start + offset, raw, prev, derived, keys, problems)
        read += len(raws)
    # The last entries gone (the list cut short): named once, as missing; the head's hash
    # is theirs, so comparing it with the last one left would name them again.
    missing = range(read + 1, count + 1) if read < count else range(0)
    if length != count:
        gone = (f"missing entry {count}" if len(missing) == 1 else
                f"missing entries {missing.start}-{missing.stop - 1}" if missing else "entries missing")
        problems.append(f"{gone}: the ledger holds {length} entries but its head says {count}")
    if count and not missing and prev != head_hash:
        problems.append(f"entry {count}: its hash is not the one the head recorded (the last entry was changed)")
    for name in sorted(set(derived) | set(cached)):
        want, have = derived.get(name, 0), int(cached.get(name, 0))
        if want != have:
            problems.append(f"balance {name}: cached {have}, the entries say {want}")
    for unit in UNITS:
        total = sum(v for n, v in derived.items() if n.startswith(unit + "|"))
        if total:
            problems.append(f"{unit} do not sum to zero across accounts ({total:+d})")
    for key, seq in sorted(idem.items()):
        if int(seq) in missing:
            continue      # named above
        if keys.get(key) != int(seq):
            problems.append(f"key {key}: the key index says entry {seq}, the entries say {keys.get(key, 'none')}")
    for key, seq in sorted(keys.items(), key=lambda item: item[1]):
        if key not in idem and "#" not in key:
            problems.append(f"entry {seq} (key {key}): missing from the key index (it could be booked again)")
    report.balances = len(derived)
    return report


def _check(seq: int, raw: str, prev: str, derived: dict[str, int], keys: dict[str, int],
           problems: list[str]) -> str:
    """Check one entry and add it to the balances; returns the hash the next one links to."""
    try:
        data = json.loads(raw)
        fields = {name: data[name] for name in FIELDS}
        stored, amount = data["hash"], int(data["amount"])
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(f"entry {seq}: unreadable ({exc.__class__.__name__}: {exc})")
        return ""
    name = f"entry {seq} (key {data['key']})"
    if str(data["seq"]) != str(seq):
        problems.append(f"{name}: says it is entry {data['seq']}")
    if data["prev"] != prev:
        problems.append(f"{name}: does not link to the entry before it (that one or this one was changed)")
    computed = entry_hash(fields)
    if computed != stored:
        problems.append(f"{name}: contents do not match its hash (stored {stored[:12]}…, "
                        f"computed {computed[:12]}…): the entry was changed")
    if data["unit"] not in UNITS or amount <= 0 or data["from"] == data["to"]:
        problems.append(f"{name}: not a valid transfer ({data['amount']} {data['unit']})")
    if data["key"] in keys:
        problems.append(f"{name}: books key {data['key']} again (first in entry {keys[data['key']]})")
    else:
        keys[data["key"]] = seq
    for acct, signed in ((data["from"], -amount), (data["to"], amount)):
        derived[f"{data['unit']}|{acct}"] = derived.get(f"{data['unit']}|{acct}", 0) + signed
    return stored
