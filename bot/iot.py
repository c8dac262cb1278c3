"""Devices post readings to `POST /iot/{device}` (README "Devices (IoT)"): a smart water
meter's reading, a door sensor's "open", an emergency button's "press".

Each request is signed with the device's own key (settings.device_keys, from the community
file's `[[devices]] key_env` or the keys file):

    X-Linli-Timestamp: 1718000000                       (epoch seconds, the signing time)
    X-Linli-Signature: hex(HMAC-SHA256(key, timestamp + "." + body))

and answered: 404 an unknown device, 413 a body over MAX_BODY bytes, 401 a bad signature
(compared in constant time) or a timestamp more than WINDOW seconds off this server's
clock, 409 a signature seen before within the window (a replay; remembered in Redis for
twice the window), 400 a body that is not JSON of the device's kind, 200 stored. The
reading goes into the device's time series (storage/devices.py) and, as an Event of kind
"device", onto the inbound stream through `runtime.accept` — the chat messages' durable
path — once per device and reading time, however often it is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math

from aiohttp import web

from bot.settings import SettingsError
from handlers.events import Event
from storage.devices import Devices

log = logging.getLogger(__name__)
MAX_BODY = 4096    # bytes: a reading is a few dozen
WINDOW = 300.0     # seconds a timestamp may be off the server's clock
EVENTS = {"door": ("open",), "button": ("press",)}   # what each event-posting type may send


def sign(key: str, timestamp: str, body: bytes) -> str:
    """The X-Linli-Signature of a body signed at `timestamp` (its header's text)."""
    return hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def mount(app: web.Application, runtime) -> None:
    """Add POST /iot/{device} when the community file has devices; a device without a key
    stops the start with an error naming it."""
    settings = runtime.settings
    if not settings.community.devices:
        return
    if settings.missing_device_keys:
        named = ", ".join(f"{d} ({settings.community.devices[d].key_env or 'LINLI_DEVICE_KEYS_FILE'})"
                          for d in settings.missing_device_keys)
        raise SettingsError(f"no HMAC key for device {named}: set the variable its key_env names, "
                            "or put it in the keys file LINLI_DEVICE_KEYS_FILE")
    app.router.add_post("/iot/{device}", Receiver(runtime).handle)


def _refuse(status: int, error: str) -> web.Response:
    return web.json_response({"error": error}, status=status)


class Receiver:
    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.devices = Devices(runtime.store, runtime.settings.device_retention_days)

    async def handle(self, request: web.Request) -> web.Response:
        runtime = self.runtime
        name = request.match_info["device"]
        device = runtime.settings.community.devices.get(name)
        if device is None:
            return _refuse(404, "unknown device")
        if (request.content_length or 0) > MAX_BODY:
            return _refuse(413, f"body over {MAX_BODY} bytes")
        body = b""
        while chunk := await request.content.read(MAX_BODY + 1 - len(body)):
            body += chunk
            if len(body) > MAX_BODY:
                return _refuse(413, f"body over {MAX_BODY} bytes")
        timestamp = request.headers.get("X-Linli-Timestamp", "")
        signature = request.headers.get("X-Linli-Signature", "").strip().lower()
        expected = sign(runtime.settings.device_keys[device.id], timestamp, body)
        if not hmac.compare_digest(expected.encode(), signature.encode("ascii", "replace")):
            log.warning("iot %s: refused a bad signature", device.id)
            return _refuse(401, "bad signature")
        now = runtime.clock.now()
        try:
            signed_at = float(timestamp)
        except ValueError:
            return _refuse(401, "bad timestamp")
        if not math.isfinite(signed_at) or abs(now - signed_at) > WINDOW:
            log.warning("iot %s: refused a timestamp %.0f s off", device.id, signed_at - now)
            return _refuse(401, f"timestamp more than {WINDOW:.0f} s off the server's clock")
        if not await self.devices.first_use_of(device.id, signature, 2 * WINDOW):
            log.warning("iot %s: refused a replayed signature", device.id)
            return _refuse(409, "replayed request")
        try:
            reading, event, at = _parse(body, device.type, signed_at, now)
        except ValueError as exc:
            return _refuse(400, str(exc))
        stored, new = await self.devices.record(device.id, device.type, at, now, reading=reading, event=event)
        data = {"device": device.id, "person": device.person, "type": device.type, "use": stored.use,
                "alert": device.type == "button", "at": stored.at, "reading": stored.reading,
                "event": stored.event}
        await runtime.accept(Event(id=f"iot:{device.id}:{stored.at!r}", channel="iot", kind="device",
                                   sender=f"iot:{device.id}", received_at=now, data=data))
        return web.json_response({"ok": True, "new": new, "use": stored.use, "at": stored.at})


def _parse(body: bytes, kind: str, signed_at: float, now: float) -> tuple[float | None, str | None, float]:
    """(reading, event, at) from a body {"reading": N} or {"event": "open"|"press"}, with
    an optional "at" (epoch seconds; default the signing time, not in the future)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    unknown = set(data) - {"reading", "event", "at"}
    if unknown:
        raise ValueError(f"unknown field {sorted(unknown)[0]!r}")
    at = data.get("at", signed_at)
    if isinstance(at, bool) or not isinstance(at, (int, float)) or not math.isfinite(at) or at <= 0:
        raise ValueError('"at" must be epoch seconds')
    if at > now + WINDOW:
        raise ValueError('"at" is in the future')
    reading, event = data.get("reading"), data.get("event")
    if kind == "water_meter":
        if event is not None or isinstance(reading, bool) or not isinstance(reading, (int, float)) \
                or not math.isfinite(reading):
            raise ValueError('a water meter posts {"reading": number}')
        return float(reading), None, float(at)
    allowed = EVENTS[kind]
    if reading is not None or event not in allowed:
        raise ValueError(f'a {kind} posts {{"event": "{allowed[0]}"}}')
    return None, event, float(at)
