"""`linli admin devices`: the community file's devices with their newest reading
(`list`), a device's stored readings (`readings DEVICE`), and `post DEVICE --reading N`
(or `--event open|press`), which signs a reading with the device's key as the device
would and posts it to a running `linli run` (README "Devices (IoT)")."""

from __future__ import annotations

import argparse
import json
import time
from typing import TextIO

import aiohttp

from bot.admin.common import STDOUT, AdminError, iso, unknown
from bot.app import Runtime
from bot.iot import sign
from storage.devices import Devices


def register(areas: argparse._SubParsersAction, community_options) -> None:
    devices = areas.add_parser("devices", help="devices: list, readings DEVICE, post DEVICE --reading N")
    community_options(devices)
    devices.add_argument("action", choices=("list", "readings", "post"))
    devices.add_argument("device", nargs="?", help="the device's id (readings, post)")
    devices.add_argument("--reading", type=float, help="post: a water meter's reading")
    devices.add_argument("--event", choices=("open", "press"), help="post: a door's open, a button's press")
    devices.add_argument("--at", type=float, help="post: when it was read, epoch seconds (default: now)")
    devices.add_argument("--url", help="post: the running server (default http://LINLI_HOST:LINLI_PORT)")
    devices.add_argument("--json", action="store_true", help="JSON output")


async def run(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    community = runtime.settings.community
    store = Devices(runtime.store, runtime.settings.device_retention_days)
    if args.action == "list":
        rows = []
        for device in community.devices.values():
            last = await store.last(device.id)
            rows.append({"device": device.id, "type": device.type, "person": device.person,
                         "last_at": iso(float(last["at"]), runtime) if last.get("at") else None,
                         "last": last.get("reading") or last.get("event") or None,
                         "readings": await runtime.redis.zcard(runtime.store.keys.device_readings(device.id))})
        if args.json:
            json.dump(rows, out, ensure_ascii=False, indent=2)
            out.write("\n")
        for row in [] if args.json else rows:
            out.write(f"{row['device']:<14} {row['type']:<12} {row['person']:<16} {row['last_at'] or '-':<26} "
                      f"{row['last'] or '-':<12} {row['readings']}\n")
        return 0
    if not args.device or args.device not in community.devices:
        raise unknown("device", args.device or "", community.devices)
    device = community.devices[args.device]
    if args.action == "readings":
        readings = await store.readings(device.id)
        rows = [{"at": iso(r.at, runtime), "reading": r.reading, "event": r.event, "use": r.use} for r in readings]
        if args.json:
            json.dump(rows, out, ensure_ascii=False, indent=2)
            out.write("\n")
        for row in [] if args.json else rows:
            out.write(f"{row['at']}  {row['reading'] if row['event'] is None else row['event']}"
                      f"{'  use' if row['use'] else ''}\n")
        return 0
    key = runtime.settings.device_keys.get(device.id)
    if not key:
        raise AdminError(f"no key for device {device.id}: set {device.key_env or 'LINLI_DEVICE_KEYS_FILE'}")
    body: dict = {"reading": args.reading} if args.reading is not None else {"event": args.event}
    if (args.reading is None) == (args.event is None):
        raise AdminError("post: give --reading N (a water meter) or --event open|press")
    if args.at is not None:
        body["at"] = args.at
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))   # linli run's clock is the system's
    url = (args.url or f"http://{runtime.settings.host}:{runtime.settings.port}").rstrip("/")
    headers = {"X-Linli-Timestamp": stamp, "X-Linli-Signature": sign(key, stamp, raw),
               "Content-Type": "application/json"}
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{url}/iot/{device.id}", data=raw, headers=headers) as response:
                answer = await response.text()
                status = response.status
    except aiohttp.ClientError as exc:
        raise AdminError(f"cannot reach {url}: {exc}") from None
    out.write(f"{status} {answer}\n")
    return 0 if status == 200 else 1
