"""Devices' readings (README "Devices (IoT)"): a time series per device, a sorted set by
the reading's time trimmed to the retention on every write, and the newest reading kept
apart (so a water meter's next reading is compared with it even after a long silence).

Whether a reading shows use is decided as it is stored, in one script
(lua/device_record.lua): a water meter's reading above the one before it, a door's
"open". A reading sent again for the same time is stored once and answered as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from storage.store import Store

DAY = 24 * 3600


@dataclass(frozen=True)
class Reading:
    at: float
    reading: float | None = None
    event: str | None = None
    use: bool = False

    @classmethod
    def from_member(cls, member: str | bytes) -> "Reading":
        data = json.loads(member)
        return cls(at=float(data["at"]), reading=data.get("reading"), event=data.get("event"),
                   use=bool(data.get("use")))


class Devices:
    def __init__(self, store: Store, retention_days: float = 90) -> None:
        self.store = store
        self.retention = retention_days * DAY

    async def record(self, device: str, kind: str, at: float, now: float,
                     reading: float | None = None, event: str | None = None) -> tuple[Reading, bool]:
        """Store a reading; (the reading with its `use`, whether it is new). Readings older
        than the retention (counted from `now`) are dropped from the series."""
        keys = self.store.keys
        new, member = await self.store.scripts["device_record"](
            keys=[keys.device_readings(device), keys.device_last(device)],
            args=[repr(float(at)), "" if reading is None else repr(float(reading)), event or "", kind,
                  repr(float(now - self.retention))])
        return Reading.from_member(member), bool(new)

    async def readings(self, device: str, since: float = float("-inf"), until: float = float("inf")) -> list[Reading]:
        """The stored readings from `since` to `until`, oldest first."""
        members = await self.store.redis.zrangebyscore(self.store.keys.device_readings(device), since, until)
        return [Reading.from_member(m) for m in members]

    async def last(self, device: str) -> dict[str, str]:
        """The newest reading's fields (at, reading, event), even when the series has none left."""
        raw = await self.store.redis.hgetall(self.store.keys.device_last(device))
        return {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                for k, v in raw.items()}

    async def first_use_of(self, device: str, signature: str, ttl: float) -> bool:
        """True the first time a device's signature is seen within `ttl` seconds; False for
        a replay."""
        return bool(await self.store.redis.set(self.store.keys.device_nonce(device, signature), "1",
                                               nx=True, ex=max(1, int(ttl))))
