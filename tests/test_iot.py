"""Devices (issue #18): signed readings posted to POST /iot/{device}, stored as a time
series with a retention, `use` computed, refusals (unknown device, forged signature,
expired timestamp, replay, oversize, bad JSON), the reading on the inbound stream once,
and one real `linli run` taking a signed reading."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import logsafe
from bot.app import open_runtime
from bot.iot import MAX_BODY, WINDOW, sign
from bot.server import build_app
from bot.settings import Settings, SettingsError
from handlers.community import CommunityError, load_community
from handlers.events import Event
from storage.devices import DAY, Devices
from tests.conftest import CLI_ENV, ROOT
from tests.test_cli import free_port, installed_linli

KEY = "wm301-key-0123456789abcdef"
DOOR_KEY = "door-key-0123456789abcdef"
BUTTON_KEY = "button-key-0123456789abcdef"
COMMUNITY = '''
[community]
id = "iot"
name = "设备社区"

[[people]]
id = "wang_nainai"
name = "王奶奶"
household = "3-1-101"

[[devices]]
id = "wm-301"
type = "water_meter"
person = "wang_nainai"
key_env = "LINLI_DEVICE_KEY_WM301"

[[devices]]
id = "door-301"
type = "door"
person = "wang_nainai"
key_env = "LINLI_DEVICE_KEY_DOOR301"

[[devices]]
id = "btn-301"
type = "button"
person = "wang_nainai"
'''
ENV = {"LINLI_DEVICE_KEY_WM301": KEY, "LINLI_DEVICE_KEY_DOOR301": DOOR_KEY}


@pytest.fixture
def community_file(tmp_path):
    path = tmp_path / "community.toml"
    path.write_text(COMMUNITY, encoding="utf-8")
    keys = tmp_path / "device-keys.toml"
    keys.write_text(f'"btn-301" = "{BUTTON_KEY}"\n', encoding="utf-8")
    return path


@pytest.fixture
def iot_settings(community_file, redis_server, tmp_path):
    return Settings.load(community_file, data_dir=tmp_path,
                         env={"REDIS_URL": redis_server, **ENV,
                              "LINLI_DEVICE_KEYS_FILE": str(tmp_path / "device-keys.toml")})


@pytest.fixture
async def client(iot_settings, redis):
    async with open_runtime(iot_settings, fake_clock=True) as runtime:
        client = TestClient(TestServer(build_app(runtime)))
        await client.start_server()
        client.runtime = runtime
        try:
            yield client
        finally:
            await client.close()


def signed(body: dict | bytes, key: str = KEY, timestamp: float | None = None) -> tuple[bytes, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = str(int(time.time() if timestamp is None else timestamp))
    return raw, {"X-Linli-Timestamp": stamp, "X-Linli-Signature": sign(key, stamp, raw),
                 "Content-Type": "application/json"}


async def post(client, device: str, body, key: str = KEY, timestamp: float | None = None):
    if timestamp is None:
        timestamp = client.runtime.clock.now()
    raw, headers = signed(body, key, timestamp)
    response = await client.post(f"/iot/{device}", data=raw, headers=headers)
    return response.status, await response.json()


async def device_events(runtime) -> list[Event]:
    found = []
    for shard in range(runtime.inbound.shards):
        for _, fields in await runtime.redis.xrange(runtime.inbound.stream(shard)):
            event = Event.from_json(fields["event"])
            if event.kind == "device":
                found.append(event)
    return found


# -- the community file and the settings

def test_devices_in_the_community_file_and_their_keys(iot_settings):
    devices = iot_settings.community.devices
    assert devices["wm-301"].type == "water_meter" and devices["wm-301"].person == "wang_nainai"
    assert iot_settings.device_keys == {"wm-301": KEY, "door-301": DOOR_KEY, "btn-301": BUTTON_KEY}
    assert KEY not in repr(iot_settings)
    assert set(logsafe.secrets_of(iot_settings)) >= {KEY, DOOR_KEY, BUTTON_KEY}


@pytest.mark.parametrize("addition, key, problem", [
    ('[[devices]]\nid = "x"\ntype = "toaster"\nperson = "wang_nainai"\n', "devices[3].type", "unknown type"),
    ('[[devices]]\nid = "x"\ntype = "door"\nperson = "ghost"\n', "devices[3].person", "unknown person"),
    ('[[devices]]\nid = "x y"\ntype = "door"\nperson = "wang_nainai"\n', "devices[3].id", "ASCII"),
    ('[[devices]]\nid = "wm-301"\ntype = "door"\nperson = "wang_nainai"\n', "devices[3].id", "duplicate id"),
    ('[[devices]]\nid = "x"\ntype = "door"\nperson = "wang_nainai"\nkey = "abc"\n', "devices[3].key",
     "never put a device's key"),
    ('[[devices]]\nid = "x"\ntype = "door"\nperson = "wang_nainai"\nkey_env = "no such"\n', "devices[3].key_env",
     "environment variable name"),
])
def test_device_mistakes_name_the_key(tmp_path, addition, key, problem):
    path = tmp_path / "c.toml"
    path.write_text(COMMUNITY + "\n" + addition, encoding="utf-8")
    with pytest.raises(CommunityError) as err:
        load_community(path)
    assert str(err.value).startswith(f"{path}: {key}:") and problem in str(err.value)
    assert "abc" not in str(err.value)


async def test_a_device_without_a_key_stops_the_server_with_its_name(community_file, redis_server, redis, tmp_path):
    settings = Settings.load(community_file, data_dir=tmp_path, env={"REDIS_URL": redis_server, **ENV})
    assert settings.missing_device_keys == ("btn-301",)
    async with open_runtime(settings, fake_clock=True) as runtime:
        with pytest.raises(SettingsError, match="btn-301"):
            build_app(runtime)
    with pytest.raises(SettingsError, match="LINLI_DEVICE_KEY_WM301") as err:
        Settings.load(community_file, data_dir=tmp_path, env={"LINLI_DEVICE_KEY_WM301": "short"})
    assert "short" not in str(err.value)


# -- the endpoint

async def test_a_signed_reading_is_stored_and_use_computed(client):
    now = client.runtime.clock.now()
    assert await post(client, "wm-301", {"reading": 100.5, "at": now - 60}) == (
        200, {"ok": True, "new": True, "use": False, "at": now - 60})   # the first: nothing to compare
    status, body = await post(client, "wm-301", {"reading": 100.5})
    assert status == 200 and body["use"] is False                       # the meter did not move
    status, body = await post(client, "wm-301", {"reading": 101.25, "at": now + 30})
    assert status == 200 and body["use"] is True                        # it moved: a sign of life
    devices = Devices(client.runtime.store)
    series = await devices.readings("wm-301")
    assert [(r.reading, r.use) for r in series] == [(100.5, False), (100.5, False), (101.25, True)]
    assert (await devices.last("wm-301"))["reading"] == "101.25"
    assert (await post(client, "door-301", {"event": "open"}, key=DOOR_KEY))[1]["use"] is True
    status, body = await post(client, "btn-301", {"event": "press"}, key=BUTTON_KEY)
    assert status == 200


async def test_the_reading_is_on_the_inbound_stream_once(client):
    now = client.runtime.clock.now()
    at = now - 10
    assert (await post(client, "wm-301", {"reading": 7, "at": at - 3600}))[0] == 200
    assert (await post(client, "wm-301", {"reading": 9, "at": at}))[1]["use"] is True
    # The device resends the same reading (a new request, signed again a second later).
    status, body = await post(client, "wm-301", {"reading": 9, "at": at}, timestamp=now + 1)
    assert status == 200 and body == {"ok": True, "new": False, "use": True, "at": at}
    await post(client, "btn-301", {"event": "press", "at": at}, key=BUTTON_KEY)
    events = await device_events(client.runtime)
    assert len(events) == 3
    meter = [e for e in events if e.data["device"] == "wm-301"]
    assert [e.data["at"] for e in meter] == [at - 3600, at]
    assert meter[1].data == {"device": "wm-301", "person": "wang_nainai", "type": "water_meter", "use": True,
                             "alert": False, "at": at, "reading": 9.0, "event": None}
    assert meter[1].channel == "iot"
    button = next(e for e in events if e.data["device"] == "btn-301")
    assert button.data["alert"] is True and button.data["event"] == "press" and button.data["type"] == "button"
    assert len(await Devices(client.runtime.store).readings("wm-301")) == 2


async def test_the_time_series_is_trimmed_to_the_retention(client):
    devices = Devices(client.runtime.store, retention_days=90)
    now = client.runtime.clock.now()
    for days_ago in (200, 100, 91, 89, 1, 0):   # each written when it was read
        await devices.record("wm-301", "water_meter", now - days_ago * DAY, now - days_ago * DAY,
                             reading=1000 - days_ago)
    # Each write trimmed what was older than 90 days then: the last, what is older than now - 90 days.
    assert [round((now - r.at) / DAY) for r in await devices.readings("wm-301")] == [89, 1, 0]
    assert all(r.use for r in await devices.readings("wm-301"))
    # Past a long silence, the next reading is still compared with the newest kept.
    await devices.record("wm-301", "water_meter", now + 200 * DAY, now + 200 * DAY, reading=999)
    series = await devices.readings("wm-301")
    assert len(series) == 1 and series[0].use is False
    assert client.runtime.settings.device_retention_days == 90


@pytest.mark.parametrize("case, status", [
    ("unknown device", 404), ("forged signature", 401), ("another device's key", 401),
    ("no signature", 401), ("expired timestamp", 401), ("future timestamp", 401),
    ("oversize", 413), ("bad JSON", 400), ("wrong shape", 400), ("a reading in the future", 400),
])
async def test_refusals(client, case, status):
    now = client.runtime.clock.now()
    device, body, key, stamp = "wm-301", {"reading": 5}, KEY, now
    headers_extra = {}
    if case == "unknown device":
        device = "wm-999"
    elif case == "forged signature":
        key = "not-the-key-0123456789abcdef"
    elif case == "another device's key":
        key = DOOR_KEY
    elif case == "expired timestamp":
        stamp = now - WINDOW - 5
    elif case == "future timestamp":
        stamp = now + WINDOW + 5
    elif case == "oversize":
        body = json.dumps({"reading": 5, "at": now}).encode() + b" " * MAX_BODY
    elif case == "bad JSON":
        body = b'{"reading": '
    elif case == "wrong shape":
        body = {"event": "press"}
    elif case == "a reading in the future":
        body = {"reading": 5, "at": now + 3600}
    raw, headers = signed(body, key, stamp)
    if case == "no signature":
        del headers["X-Linli-Signature"]
    response = await client.post(f"/iot/{device}", data=raw, headers={**headers, **headers_extra})
    assert response.status == status, await response.text()
    assert not await Devices(client.runtime.store).readings("wm-301")
    assert not await device_events(client.runtime)


async def test_a_replayed_request_is_refused(client):
    raw, headers = signed({"reading": 5}, KEY, client.runtime.clock.now())
    first = await client.post("/iot/wm-301", data=raw, headers=headers)
    again = await client.post("/iot/wm-301", data=raw, headers=headers)
    assert (first.status, again.status) == (200, 409)
    assert len(await device_events(client.runtime)) == 1
    ttl = await client.runtime.redis.ttl(client.runtime.store.keys.device_nonce("wm-301", headers["X-Linli-Signature"]))
    assert WINDOW < ttl <= 2 * WINDOW


# -- a real `linli run`

def test_linli_run_takes_a_signed_reading(community_file, tmp_path):
    port = free_port()
    env = {name: value for name, value in os.environ.items() if name not in CLI_ENV}
    env.update(ENV, LINLI_DEVICE_KEYS_FILE=str(tmp_path / "device-keys.toml"), LINLI_LOG_LEVEL="DEBUG")
    proc = subprocess.Popen([*installed_linli(), "run", "--community", str(community_file),
                             "--data-dir", str(tmp_path / "data"), "--port", str(port), "--worker-processes", "0"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    async def talk() -> list[tuple[int, dict]]:
        answers = []
        async with aiohttp.ClientSession() as session:
            for _ in range(150):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            for body in ({"reading": 10}, {"reading": 12}):
                raw, headers = signed(body)
                async with session.post(f"http://127.0.0.1:{port}/iot/wm-301", data=raw, headers=headers) as r:
                    answers.append((r.status, await r.json()))
                await asyncio.sleep(1.05)   # the next reading a second later
            async with session.post(f"http://127.0.0.1:{port}/iot/wm-301", data=raw, headers=headers) as r:
                answers.append((r.status, await r.json()))
        return answers

    def admin(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*installed_linli(), "admin", "devices", *args, "--community", str(community_file),
                               "--data-dir", str(tmp_path / "data")],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    try:
        answers = asyncio.run(talk())
        posted = admin("post", "wm-301", "--reading", "12.5", "--url", f"http://127.0.0.1:{port}")
        listed = admin("readings", "wm-301", "--json")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert [status for status, _ in answers] == [200, 200, 409], (answers, err[-3000:])
    assert answers[0][1]["use"] is False and answers[1][1]["use"] is True
    assert proc.returncode == 0, err[-3000:]
    # The helper signs as the device does; the readings are read back from the same store.
    assert posted.returncode == 0 and posted.stdout.startswith("200 "), posted.stderr
    assert [(r["reading"], r["use"]) for r in json.loads(listed.stdout)] == [(10, False), (12, True), (12.5, True)]
    for key in (KEY, BUTTON_KEY):
        assert key not in err
    assert "Traceback" not in err and " ERROR " not in err, err[-3000:]   # the worker took the device events
