"""The check every community-file section a package defines starts with ([points],
[volunteers], [care], [agenda], [sharing], [retention], [[rooms]] …): a table whose keys
are all known, or the file's error naming the key — so a typo never silently falls back
to a default."""

from __future__ import annotations

from typing import Any, Callable, Iterable

# Makes the file's error for a key ("agenda.window_days") and what is wrong with it.
Fail = Callable[[str, str], Exception]


def table(raw: Any, key: str, allowed: Iterable[str], fail: Fail, shape: str = "") -> dict:
    """`raw`, checked to be a table with only `allowed` keys (`shape`: an example of one,
    for the error)."""
    if not isinstance(raw, dict):
        raise fail(key, f"must be a table{' such as ' + shape if shape else ''}")
    known = set(allowed)
    for name in raw:
        if name not in known:
            raise fail(f"{key}.{name}", f"unknown key (allowed: {', '.join(sorted(known))})")
    return raw
