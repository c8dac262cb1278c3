"""Injected time: handlers ask a clock, never `time.time()`, so deadlines are testable."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock that moves only when told to (console `--fake-clock`, tests)."""

    def __init__(self, start: float) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def set(self, when: float) -> None:
        if when < self._now:
            raise ValueError("a fake clock never runs backwards")
        self._now = float(when)


def parse_duration(text: str) -> float:
    """'25h', '90m', '3d', '1d12h', '30s' -> seconds."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    total, number = 0.0, ""
    for ch in text.strip().lower():
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in units and number:
            total += float(number) * units[ch]
            number = ""
        else:
            raise ValueError(f"not a duration: {text!r} (use e.g. 25h, 90m, 3d)")
    if number or total <= 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 25h, 90m, 3d)")
    return total
