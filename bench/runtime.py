"""Benchmark: the running system, each figure beside a baseline measured in the same run.

    .venv/bin/python bench/runtime.py [--quick] [--only webhook,workers,latency]

1. Webhook: a bare aiohttp hello-world and the real `linli run` (Telegram webhook mode,
   a fake Bot API on 127.0.0.1), driven by the same aiohttp client at the same
   concurrency with the same realistic update JSON, in alternating rounds.
   Target: linli answers at >= 0.8x the hello-world's requests/s, no non-200 answer.
2. Workers: 10,000 tickets stored first (the public repository API), then a backlog of
   events (30% new reports) in the inbound stream, handled by one `linli worker`
   process, then (a fresh backlog) by two. Target: >= 300 events/s per process, two
   >= 1.7x one. Also: Redis commands per event (INFO commandstats), CPU per process, a
   cProfile of an in-process worker with client round trips counted, and a py-spy
   profile of a worker process when py-spy is on PATH (or --py-spy PATH).
3. Reply latency: webhook updates at a steady rate, time from the POST to the fake Bot
   API receiving the sendMessage for that chat. Target: p99 < 1 s at 50 messages/s;
   also with the Bot API taking 0.3 s per call, and at a rate under Telegram's pace.
4. Redis memory (INFO memory used_memory) and DBSIZE before and after.

Everything runs on 127.0.0.1 with a Valkey this script starts (the server the embedded
default uses, same AOF settings) in a temporary directory; every process it starts is
stopped at the end, also on error. Prints figures; asserts nothing. About 3.5 minutes on
2 cores; the machine's load from other processes is printed beside each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import io
import json
import logging
import os
import pstats
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import redis  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402
import redis.asyncio.connection as redis_connection  # noqa: E402

from bench.fake_platform import FakeBotApi  # noqa: E402
from bot.app import open_runtime  # noqa: E402
from bot.channels.console import message_event  # noqa: E402
from bot.channels.telegram import OVERALL, PER_CHAT  # noqa: E402
from bot.channels.telegram_updates import SECRET_HEADER  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.worker import Worker  # noqa: E402
from nlp import Classifier  # noqa: E402
from storage.embedded import server_binary  # noqa: E402
from storage.identities import Identities  # noqa: E402
from storage.inbound import SHARDS  # noqa: E402
from storage.leases import Leases  # noqa: E402
from storage.store import Store  # noqa: E402

COMMUNITY = ROOT / "examples" / "demo.toml"
LINLI = Path(sys.executable).parent / "linli"
TOKEN, SECRET = "123:abc", "s3cret"
START_TIMEOUT = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# -- what people write -----------------------------------------------------------------

OBJECTS = ["电梯", "楼道灯", "路灯", "水管", "门禁", "垃圾桶", "井盖", "健身器材", "充电桩", "道闸", "快递柜",
           "消防栓", "监控摄像头", "楼梯扶手", "信报箱", "自行车棚", "外墙瓷砖", "屋顶", "下水道", "化粪池", "花坛护栏",
           "长椅", "宣传栏", "楼道窗户", "防盗门", "地砖", "台阶", "排水沟", "儿童滑梯", "停车场路面", "暖气片", "水表",
           "电表箱", "晾衣架", "门铃", "对讲机", "水箱", "雨棚", "车库卷帘门", "垃圾房", "绿化喷头", "篮球架", "岗亭",
           "围墙", "窨井", "单元门锁", "阳台排水管", "消防门"]
FAULTS = ["坏了", "坏了好几天了", "松动了", "生锈了", "漏水了", "不亮了", "堵了", "裂开了", "歪了", "用不了了",
          "一直在响", "关不上", "打不开", "掉了一块", "没人修"]
PLACES = ["", "", "门口的", "东侧的", "北边的", "一楼的", "楼顶的", "地下室的", "后面的"]
OPENINGS = ["", "你好，", "麻烦问一下，", "物业你好，", "又来反映了，", "请帮忙看看，"]
CLOSINGS = ["", "，麻烦尽快处理", "，谢谢", "，什么时候能修好？", "，都好几天了", "！"]
CHITCHAT = ["大家早上好", "今天天气真不错", "哈哈哈笑死我了", "谢谢物业把路灯修好了", "收到",
            "晚上一起去跳广场舞吗", "孩子考上大学了，高兴", "有人知道菜市场几点关门吗", "好的好的",
            "周末有空一起喝茶", "👍", "新年快乐", "今天的菜好便宜", "明天降温，大家多穿点",
            "我家猫找到了，谢谢大家", "下午社区有义诊，大家可以去看看", "晚安", "这个视频太有意思了"]
COMMANDS = ["查询", "帮助", "积分", "/status", "/help", "我的工单"]
CATEGORIES = ["设施维修", "环境卫生", "噪音扰民", "停车交通", "物业服务", "安全隐患", "邻里纠纷", "其他"]


def report_text(rng: random.Random, building: str, classifier=None) -> str:
    """A resident's report: 48 things x 15 faults x places and units, so that reports of
    one building join an open ticket (duplicates) only now and then. With a classifier:
    one it reads as a report when addressed (about 9 in 10 are)."""
    while True:
        where = rng.choice([f"{building}号楼", f"{building}栋", f"{building}号楼{rng.randint(1, 4)}单元", ""])
        text = (f"{rng.choice(OPENINGS)}{where}{rng.choice(PLACES)}{rng.choice(OBJECTS)}{rng.choice(FAULTS)}"
                f"{rng.choice(CLOSINGS)}")
        if classifier is None or classifier.classify(text, addressed=True).actionable:
            return text


# -- processes and machine -------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


class Meter:
    """CPU used over an interval: by each of our processes, and by everything else."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {"bench": os.getpid(), **pids}
        self.start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.machine = machine_busy()
        self.wall = time.perf_counter()

    def stop(self) -> dict[str, float]:
        """Per process: share of one core (1.0 = a full core); 'others': the rest of the
        machine's busy time; 'idle': cores left idle."""
        wall = self.elapsed = time.perf_counter() - self.wall
        out = {name: (cpu_seconds(pid) - self.start[name]) / wall for name, pid in self.pids.items()}
        busy, total = machine_busy()
        cores = (total - self.machine[1]) / wall
        machine = (busy - self.machine[0]) / wall
        out["others"] = max(0.0, machine - sum(out.values()))
        out["idle"] = max(0.0, cores - machine)
        return out


def cpu_line(shares: dict[str, float]) -> str:
    return "CPU (cores): " + ", ".join(f"{name} {value:.2f}" for name, value in shares.items())


def machine_state() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


class Processes:
    """Every process we start; all stopped at the end (SIGTERM, then SIGKILL)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")
        try:
            process = subprocess.Popen(args, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        self.running.append((name, process))
        return process

    def log(self, name: str) -> str:
        try:
            return (self.folder / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, process: subprocess.Popen, timeout: float = 15.0) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                process.wait(5)
        self.running = [(n, p) for n, p in self.running if p is not process]

    def stop_all(self) -> None:
        for _, process in reversed(list(self.running)):
            self.stop(process)


class Valkey:
    """A Valkey of our own (the embedded default's binary and AOF settings), on a Unix socket."""

    def __init__(self, procs: Processes, folder: Path, name: str) -> None:
        self.procs, self.folder, self.name = procs, folder, name
        folder.mkdir(parents=True, exist_ok=True)
        self.socket = folder / "v.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> "Valkey":
        self.process = self.procs.start(self.name, [
            str(server_binary()), "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
            "--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "everysec",
            "--appenddirname", "appendonly", "--save", "", "--daemonize", "no"])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with redis.Redis(unix_socket_path=str(self.socket), socket_timeout=2) as client:
                    if client.ping():
                        return self
            except (redis.ConnectionError, OSError):
                time.sleep(0.05)
        raise RuntimeError(f"Valkey did not start; see {self.procs.folder / (self.name + '.log')}")

    def stop(self) -> None:
        if self.process is not None:
            self.procs.stop(self.process)
            self.process = None


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "WECHAT_", "WECOM_", "LINLI_", "REDIS_URL"))}
    env.update(extra)
    return env


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def memory(client: aioredis.Redis) -> tuple[int, int, int]:
    """used_memory, used_memory_dataset (without the server's own overhead), DBSIZE."""
    info = await client.info("memory")
    return int(info["used_memory"]), int(info["used_memory_dataset"]), int(await client.dbsize())


async def commandstats(client: aioredis.Redis) -> dict[str, int]:
    info = await client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in info.items()}


def log_problems(text: str) -> str:
    lines = text.splitlines()
    errors = sum(1 for line in lines if " ERROR " in line or " CRITICAL " in line)
    tracebacks = text.count("Traceback (most recent call last)")
    unreachable = sum(1 for line in lines if "kept as undeliverable" in line and " WARNING " in line)
    return f"log: {len(lines)} lines, {errors} ERROR, {tracebacks} tracebacks, {unreachable} 'kept as undeliverable'"


# -- Telegram side: identities, updates ------------------------------------------------

@dataclass
class TgSender:
    user_id: int
    person: str
    first_name: str
    building: str


@dataclass
class TgWorld:
    senders: list[TgSender]
    groups: dict[str, int]          # building -> Telegram group id
    staff: dict[str, int] = field(default_factory=dict)


async def bind_identities(url: str, community) -> TgWorld:
    """Give the demo community Telegram accounts the way chat binding does (storage/
    identities.py): each resident two accounts (~100 senders), each staff member and
    contact one (pushes reach them), each of the community's chats a supergroup."""
    client = aioredis.from_url(url, decode_responses=True)
    try:
        bound = Identities(Store.open(client, community.id))
        senders, staff = [], {}
        for n, person in enumerate(community.people.values()):
            if person.handles_tickets or person.has("department"):
                staff[person.id] = 200_000 + n
                await bound.bind(f"tg:{200_000 + n}", f"@{person.id}")
                continue
            for account in (200_000 + n, 300_000 + n):
                await bound.bind(f"tg:{account}", f"@{person.id}")
                senders.append(TgSender(account, person.id, person.name[:2], person.building or "1"))
        groups = {}
        for n, chat in enumerate(community.chats.values()):   # the staff chat hears of every new ticket
            group_id = -1_001_000_000_000 - n
            await bound.bind(f"tg:{group_id}", chat.id)
            if chat.kind == "building" and chat.building:
                groups[chat.building] = group_id
        return TgWorld(senders, groups, staff)
    finally:
        await client.aclose()


class HoldShards:
    """Hold every inbound shard's lease (storage/leases.py) as a worker would, so the
    worker of a `linli run` started afterwards finds none free and stays idle: its
    webhook then answers without a worker sharing its event loop."""

    def __init__(self, url: str, community_id: str) -> None:
        self.client = aioredis.from_url(url, decode_responses=True)
        self.leases = Leases(Store.open(self.client, community_id))
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> "HoldShards":
        for shard in range(SHARDS):
            if not await self.leases.acquire(f"in:{shard}", "bench-hold", 10_000):
                raise RuntimeError(f"inbound shard {shard} is held already")
        self.task = asyncio.create_task(self._renew())
        return self

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(2)
            for shard in range(SHARDS):
                await self.leases.renew(f"in:{shard}", "bench-hold", 10_000)

    async def __aexit__(self, *exc) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        for shard in range(SHARDS):
            await self.leases.release(f"in:{shard}", "bench-hold")
        await self.client.aclose()


class UpdateIds:
    def __init__(self) -> None:
        self.next = 1_000

    def __call__(self) -> int:
        self.next += 1
        return self.next


def tg_update(update_id: int, sender: TgSender, text: str, group_id: int | None = None) -> dict:
    user = {"id": sender.user_id, "is_bot": False, "first_name": sender.first_name, "language_code": "zh-hans"}
    if group_id is None:
        chat = {"id": sender.user_id, "first_name": sender.first_name, "type": "private"}
    else:
        chat = {"id": group_id, "title": "居民群", "type": "supergroup"}
    message = {"message_id": update_id, "from": user, "chat": chat, "date": int(time.time()), "text": text}
    if text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    return {"update_id": update_id, "message": message}


def mixed_updates(world: TgWorld, count: int, ids: UpdateIds, rng: random.Random,
                  edited: bool = False) -> list[bytes]:
    """Half private, half in building groups; 30% reports, 20% commands, 50% chit-chat.
    `edited`: as edited messages, which the webhook answers without storing anything."""
    bodies = []
    for _ in range(count):
        sender = rng.choice(world.senders)
        kind = rng.random()
        text = (report_text(rng, sender.building) if kind < 0.3 else rng.choice(COMMANDS) if kind < 0.5
                else rng.choice(CHITCHAT))
        group = world.groups.get(sender.building) if rng.random() < 0.5 and not text.startswith("/") else None
        update = tg_update(ids(), sender, text, group)
        if edited:
            update["edited_message"] = update.pop("message")
        bodies.append(json.dumps(update, ensure_ascii=False).encode())
    return bodies


async def start_linli_run(procs: Processes, name: str, folder: Path, url: str, api_base: str,
                          port: int, **extra_env: str) -> subprocess.Popen:
    env = clean_env(REDIS_URL=url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET,
                    TELEGRAM_MODE="webhook", TELEGRAM_API_BASE=api_base, **extra_env)
    process = procs.start(name, [str(LINLI), "run", "--community", str(COMMUNITY), "--data-dir", str(folder),
                                 "--port", str(port)], env)
    deadline = time.monotonic() + START_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"linli run exited ({process.returncode}):\n{procs.log(name)[-3000:]}")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with session.get(f"http://127.0.0.1:{port}/healthz",
                                       timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    if answer.status == 200:
                        return process
            await asyncio.sleep(0.2)
    raise RuntimeError(f"linli run did not answer /healthz within {START_TIMEOUT:.0f} s:\n{procs.log(name)[-3000:]}")


# -- 1. webhook ------------------------------------------------------------------------

@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    bad: collections.Counter = field(default_factory=collections.Counter)
    elapsed: float = 0.0
    cpu: list[dict[str, float]] = field(default_factory=list)
    cpu_seconds: collections.Counter = field(default_factory=collections.Counter)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


async def drive(session: aiohttp.ClientSession, url: str, bodies: list[bytes], concurrency: int,
                load: Load, pids: dict[str, int]) -> None:
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    queue = iter(bodies)

    async def client() -> None:
        for body in queue:
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as answer:
                    await answer.read()
                    status = answer.status
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                status = type(exc).__name__
            load.latencies.append(time.perf_counter() - started)
            if status != 200:
                load.bad[status] += 1

    meter = Meter(pids)
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    load.elapsed += time.perf_counter() - started
    shares = meter.stop()
    load.cpu.append(shares)
    for name, share in shares.items():
        load.cpu_seconds[name] += share * meter.elapsed


async def bench_webhook(args, root: Path, procs: Processes, results: dict) -> None:
    print(f"\n== 1. Webhook answers: bare aiohttp vs `linli run` ({args.requests} requests each, "
          f"{args.concurrency} in flight, {args.rounds} alternating rounds) ==")
    print(f"machine: {machine_state()}")
    folder = root / "webhook"
    valkey = Valkey(procs, folder / "valkey", "webhook-valkey").start()
    held_valkey = Valkey(procs, folder / "held-valkey", "webhook-held-valkey").start()
    api = FakeBotApi()
    await api.start()
    hold = None
    pyspy = None if args.no_profile else args.py_spy or shutil.which("py-spy")
    try:
        community = Settings.load(COMMUNITY, data_dir=folder, env={}).community
        world = await bind_identities(valkey.url, community)
        await bind_identities(held_valkey.url, community)
        hold = await HoldShards(held_valkey.url, community.id).__aenter__()
        hello_port, linli_port, held_port = free_port(), free_port(), free_port()
        hello = procs.start("hello", [sys.executable, str(ROOT / "bench" / "fake_platform.py"), "hello",
                                      "--port", str(hello_port)], clean_env())
        linli = await start_linli_run(procs, "webhook-linli", folder, valkey.url, api.base, linli_port)
        held = await start_linli_run(procs, "webhook-held", folder / "held", held_valkey.url, api.base, held_port)
        rng, ids = random.Random(1), UpdateIds()
        targets = {"hello": (f"http://127.0.0.1:{hello_port}/telegram", hello.pid, valkey),
                   "linli": (f"http://127.0.0.1:{linli_port}/telegram", linli.pid, valkey),
                   "no-work": (f"http://127.0.0.1:{held_port}/telegram", held.pid, held_valkey),
                   "edited": (f"http://127.0.0.1:{linli_port}/telegram", linli.pid, valkey)}
        loads = {name: Load() for name in targets}
        connector = aiohttp.TCPConnector(limit=args.concurrency * 2, limit_per_host=args.concurrency)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
            for name, (url, pid, _) in targets.items():   # warm up: connections, jieba, scripts
                await drive(session, url, mixed_updates(world, 200, ids, rng, name == "edited"), args.concurrency,
                            Load(), {})
            per_round = max(1, args.requests // args.rounds)
            for _ in range(args.rounds):
                for name, (url, pid, redis_server) in targets.items():
                    bodies = mixed_updates(world, per_round, ids, rng, name == "edited")
                    pids = {"server": pid, "valkey": redis_server.process.pid}
                    await drive(session, url, bodies, args.concurrency, loads[name], pids)
            if pyspy:   # after the measured rounds: where the webhook's time goes
                raw = str(folder / "webhook-pyspy.txt")
                spy = await spy_start(pyspy, held.pid, raw)
                await drive(session, targets["no-work"][0], mixed_updates(world, per_round, ids, rng),
                            args.concurrency, Load(), {})
                spy_stop(spy)
        used, _, keys = await _memory_of(valkey.url)
        print(f"{'server':<8} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'non-200':>8} "
              f"{'CPU ms/req':>10}  CPU in cores (mean of rounds)")
        for name, load in loads.items():
            cpu = {k: statistics.mean(c[k] for c in load.cpu) for k in load.cpu[0]}
            print(f"{name:<8} {len(load.latencies):>8} {load.rate:>8.0f} {percentile(load.latencies, .5) * 1e3:>8.1f} "
                  f"{percentile(load.latencies, .99) * 1e3:>8.1f} {max(load.latencies) * 1e3:>8.1f} "
                  f"{sum(load.bad.values()):>8} {load.cpu_seconds['server'] / len(load.latencies) * 1e3:>10.3f}  "
                  f"{', '.join(f'{k} {v:.2f}' for k, v in cpu.items())}")
            if load.bad:
                print(f"  {name} non-200: {dict(load.bad)}")
        ratio = loads["linli"].rate / loads["hello"].rate
        per_request = {name: load.cpu_seconds["server"] / len(load.latencies) for name, load in loads.items()}
        print(f"linli / hello-world: {ratio:.2f}x requests/s (target >= 0.8x); "
              f"non-200 from linli: {sum(loads['linli'].bad.values())} (target 0)")
        print(f"diagnostics: `linli run` whose worker has no shard (stores, handles nothing): "
              f"{loads['no-work'].rate / loads['hello'].rate:.2f}x; edited messages (answered, nothing stored): "
              f"{loads['edited'].rate / loads['hello'].rate:.2f}x")
        print(f"server CPU per request, hello-world / linli: {per_request['hello'] / per_request['linli']:.2f}x "
              f"(what the ratio of requests/s would be with a free core for each server; 'others' use the "
              f"machine meanwhile)")
        print("('linli': `linli run` as it is, its worker handling the stored events in the same process, sharing "
              "the event loop and the 2 cores; 'no-work': another `linli run` whose worker finds every inbound "
              "shard's lease held by this script; 'edited': the same updates as edited messages, which linli "
              "answers 200 without storing: HTTP, secret check, JSON, metrics; 'bench' is the client)")
        print(f"fake Bot API calls meanwhile: {dict(api.calls)}; Redis used_memory {used / 1e6:.1f} MB, DBSIZE {keys}")
        print(log_problems(procs.log("webhook-linli")))
        if pyspy:
            show_pyspy(raw, "`linli run` answering webhooks, its worker idle ('no-work')", "linli-webhook-pyspy.txt")
        results["webhook"] = (ratio, sum(loads["linli"].bad.values()), loads)
    finally:
        if hold is not None:
            hold.task.cancel()
            with contextlib.suppress(BaseException):
                await hold.task
            await hold.client.aclose()
        procs.stop_all()
        await api.close()


async def _memory_of(url: str) -> tuple[int, int, int]:
    client = aioredis.from_url(url, decode_responses=True)
    try:
        return await memory(client)
    finally:
        await client.aclose()


# -- 2. workers ------------------------------------------------------------------------

def ticket_fields(rng: random.Random, residents, now: float, open_share: float) -> tuple[dict, dict]:
    person = rng.choice(residents)
    building = person.building or str(rng.randint(1, 6))
    recent = rng.random() < open_share
    created = now - (rng.uniform(0, 10) if recent else rng.uniform(10, 730)) * 86400
    status = rng.choice(["open", "open", "assigned", "in_progress", "escalated"]) if recent else \
        rng.choice(["closed"] * 8 + ["rejected", "duplicate"])
    fields = {"status": status, "reporter": person.id, "text": report_text(rng, building), "created_at": created,
              "category": rng.choice(CATEGORIES), "urgent": rng.random() < 0.02,
              "chat": f"b{building}" if rng.random() < 0.3 else None, "building": building,
              "location": {"building": building}, "respond_due": created + 86400, "resolve_due": created + 3 * 86400}
    if status == "closed":
        fields.update(responded_at=created + 3600, resolved_at=created + 86400, closed_at=created + 2 * 86400,
                      rating=rng.randint(3, 5), assignee="grid")
    elif status == "assigned":
        fields["assignee"] = "grid"
    elif status == "escalated":
        fields["department"] = rng.choice(["chengguan", "wuye", "shizheng"])
    entry = {"at": created, "by": person.id, "action": "opened", "status": "open", "note": "已登记"}
    return fields, entry


async def seed_tickets(runtime, count: int, open_share: float = 0.03) -> float:
    """`count` tickets through the repository (Tickets.open), 3% open in the last 10 days."""
    community = runtime.settings.community
    residents = [p for p in community.people.values() if not (p.handles_tickets or p.has("department"))]
    rng, now = random.Random(7), time.time()
    tickets = runtime.services.tickets
    started = time.perf_counter()
    for start in range(0, count, 250):
        batch = [ticket_fields(rng, residents, now, open_share) for _ in range(start, min(count, start + 250))]
        await asyncio.gather(*(tickets.open(f"seed:{start + n}", f, e) for n, (f, e) in enumerate(batch)))
    return time.perf_counter() - started


def console_events(community, count: int, tag: str, rng: random.Random, classifier) -> tuple[list, int]:
    """30% reports (7 in 10 in a 1:1 chat, the rest in the building's group), 25% commands
    (1:1), 35% chit-chat in groups, 10% chit-chat 1:1. Returns (events, reports)."""
    residents = [p for p in community.people.values() if not (p.handles_tickets or p.has("department"))]
    events, reports, now = [], 0, time.time()
    for n in range(count):
        person = rng.choice(residents)
        building = person.building or "1"
        group = f"b{building}" if f"b{building}" in community.chats else "b1"
        kind = rng.random()
        if kind < 0.30:
            reports += 1
            text, chat = report_text(rng, building, classifier), (None if rng.random() < 0.7 else group)
        elif kind < 0.55:
            text, chat = rng.choice(COMMANDS), None
        else:
            text, chat = rng.choice(CHITCHAT), (group if kind < 0.90 else None)
        events.append(message_event(community, person.id, chat, text, now, message_id=f"{tag}-{n}"))
    return events, reports


async def enqueue(runtime, events: list) -> float:
    started = time.perf_counter()
    for start in range(0, len(events), 200):
        await asyncio.gather(*(runtime.accept(e) for e in events[start:start + 200]))
    return time.perf_counter() - started


async def lease_holders(runtime) -> list[str | None]:
    """Who holds each inbound shard."""
    keys = [runtime.store.keys.lease(f"in:{s}") for s in range(runtime.inbound.shards)]
    return await runtime.redis.mget(keys)


async def close_since(runtime, known: set[int]) -> int:
    """Close the tickets a run opened (through the repository), so every run starts with
    the same open tickets: a report looks for its duplicate among them."""
    tickets, now = runtime.services.tickets, time.time()
    fresh = [i for i in await tickets.ids() if i not in known]
    entry = {"at": now, "by": "system", "action": "closed", "status": "closed", "note": "bench reset"}
    for start in range(0, len(fresh), 200):
        await asyncio.gather(*(tickets.transition(i, f"bench-close:{i}", None, {"status": "closed", "closed_at": now},
                                                  entry) for i in fresh[start:start + 200]))
    return len(fresh)


@dataclass
class WorkerRun:
    processes: int
    events: int
    reports: int
    enqueue_s: float
    handle_s: float
    opened: int
    commands: dict[str, int]
    cpu: dict[str, float]
    shards: list[int]
    split: list[int]      # events per process, by the shards each held

    @property
    def rate(self) -> float:
        return self.events / self.handle_s


async def run_workers(runtime, procs: Processes, valkey: Valkey, folder: Path, count: int, n: int,
                      tag: str, timeout: float, pyspy: str | None = None) -> tuple[WorkerRun, str | None]:
    """Start `n` `linli worker` processes, wait until they share the shards, enqueue
    `count` events and time until the backlog is 0."""
    env = clean_env(REDIS_URL=valkey.url)
    workers = [procs.start(f"{tag}-worker{i}", [str(LINLI), "worker", "--community", str(COMMUNITY),
                                                "--data-dir", str(folder)], env) for i in range(n)]
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        holders = collections.Counter(await lease_holders(runtime))
        if len(holders) == n and None not in holders and max(holders.values()) - min(holders.values()) <= 1:
            break
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise RuntimeError(f"workers did not take the shards ({dict(holders)}):\n"
                               + procs.log(f"{tag}-worker0")[-3000:])
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)
    spy = raw = None
    if pyspy:
        raw = str(folder / f"{tag}-pyspy.txt")
        spy = await spy_start(pyspy, workers[0].pid, raw)
    community = runtime.settings.community
    events, reports = console_events(community, count, tag, random.Random(tag), runtime.services.classifier)
    shards = [0] * runtime.inbound.shards
    for event in events:
        shards[runtime.inbound.shard_of(event.ordering_key)] += 1
    held = await lease_holders(runtime)
    split = [sum(c for c, h in zip(shards, held) if h == name) for name in sorted(set(held), key=str)]
    tickets_before = set(await runtime.services.tickets.ids())
    stats_before = await commandstats(runtime.redis)
    meter = Meter({**{f"worker{i}": w.pid for i, w in enumerate(workers)}, "valkey": valkey.process.pid})
    started = time.perf_counter()
    enqueue_s = await enqueue(runtime, events)
    polls = 0
    while await runtime.inbound.backlog():
        polls += 1
        if time.perf_counter() - started > timeout:
            print(f"  !! backlog not empty after {timeout:.0f} s: {await runtime.inbound.backlog()} left")
            break
        await asyncio.sleep(0.05)
    handle_s = time.perf_counter() - started
    cpu = meter.stop()
    stats_after = await commandstats(runtime.redis)
    if spy is not None:
        spy_stop(spy)
    opened = await close_since(runtime, tickets_before)
    commands = {name: stats_after.get(name, 0) - stats_before.get(name, 0) for name in stats_after}
    # ours, not the workers': the enqueue script (EVALSHA + SET + XADD per event), the
    # backlog polls (8 XLEN each, +1 for the last), the ticket count and commandstats
    for name, ours in (("evalsha", count), ("set", count), ("xadd", count), ("xlen", 8 * (polls + 1)),
                       ("info", 1)):
        commands[name] = commands.get(name, 0) - ours
    for w in workers:
        procs.stop(w)
    return WorkerRun(n, count, reports, enqueue_s, handle_s, opened, commands, cpu, shards, split), raw


async def spy_start(pyspy: str, pid: int, raw: str) -> subprocess.Popen:
    """py-spy sampling `pid` (CPU time only, collapsed stacks) until spy_stop."""
    spy = subprocess.Popen([pyspy, "record", "--pid", str(pid), "--rate", "200", "--nonblocking", "--format", "raw",
                            "--output", raw], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    await asyncio.sleep(1.0)
    return spy


def spy_stop(spy: subprocess.Popen) -> None:
    spy.send_signal(signal.SIGINT)   # py-spy writes its file on Ctrl-C
    try:
        spy.wait(30)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait(5)


def show_pyspy(raw: str, label: str, keep_as: str) -> None:
    if not Path(raw).exists():
        print("  py-spy wrote nothing (it needs ptrace permission)")
        return
    summarise_pyspy(raw, label)
    kept = Path(tempfile.gettempdir()) / keep_as
    shutil.copy(raw, kept)
    print(f"   (collapsed stacks kept in {kept}; flamegraph.pl or speedscope draw them)")


def print_commands(run: WorkerRun, top: int = 14) -> None:
    total = sum(v for v in run.commands.values() if v > 0)
    shown = sorted(((v, k) for k, v in run.commands.items() if v > 0), reverse=True)[:top]
    print(f"  Redis commands per event (server side, INFO commandstats; commands run inside Lua scripts "
          f"count too): {total / run.events:.1f}")
    print("   " + ", ".join(f"{k} {v / run.events:.2f}" for v, k in shown))


class RoundTrips:
    """Counts, in this process, every command redis-py packs and every write to a socket
    (one per command, one per pipeline): client round trips."""

    def __init__(self, scripts: dict[str, str]) -> None:
        self.scripts = scripts   # sha -> name
        self.commands: collections.Counter = collections.Counter()
        self.trips = 0
        self._saved = None

    def __enter__(self) -> "RoundTrips":
        cls = redis_connection.AbstractConnection
        self._saved = (cls.pack_command, cls.send_packed_command)
        pack, send = self._saved
        counter = self

        def pack_command(conn, *args):
            name = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
            name = name.upper()
            if name == "EVALSHA" and len(args) > 1:
                name = f"EVALSHA {counter.scripts.get(str(args[1]), args[1])}"
            counter.commands[name] += 1
            return pack(conn, *args)

        async def send_packed_command(conn, command, check_health=True):
            counter.trips += 1
            return await send(conn, command, check_health)

        cls.pack_command, cls.send_packed_command = pack_command, send_packed_command
        return self

    def __exit__(self, *exc) -> None:
        cls = redis_connection.AbstractConnection
        cls.pack_command, cls.send_packed_command = self._saved


async def profile_in_process(runtime, count: int) -> None:
    """cProfile of an in-process Worker handling `count` events on the seeded data, with
    client round trips counted."""
    await asyncio.to_thread(runtime.services.classifier.warm_up)   # as `linli worker` does at start
    events, _ = console_events(runtime.settings.community, count, "profile", random.Random(99),
                               runtime.services.classifier)
    await enqueue(runtime, events)
    scripts = {script.sha: name for name, script in runtime.store.scripts._scripts.items()}   # noqa: SLF001
    worker = Worker(runtime, name="bench-profile", channels=())
    profiler = cProfile.Profile()
    steps = 0
    with RoundTrips(scripts) as trips:
        started = time.perf_counter()
        profiler.enable()
        while await runtime.inbound.backlog():
            await worker.step(block_ms=None)
            steps += 1
        profiler.disable()
        elapsed = time.perf_counter() - started
    await worker.leave()
    trips.commands["XLEN"] -= 8 * (steps + 1)   # our backlog polls, one pipeline each
    round_trips = trips.trips - (steps + 1)
    print(f"\n  in-process Worker under cProfile: {count} events in {elapsed:.1f} s "
          f"({count / elapsed:.0f} events/s with the profiler on)")
    print(f"  client round trips per event: {round_trips / count:.1f} "
          f"(a pipeline or script is one); commands sent per event: {sum(trips.commands.values()) / count:.1f}")
    top = trips.commands.most_common(16)
    print("   " + ", ".join(f"{k} {v / count:.2f}" for k, v in top if v > 0))
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    print("  hot spots, own time (tottime) per event:")
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:15]
    total = sum(v[2] for v in stats.stats.values())
    for (path, line, func), (cc, nc, tt, ct, _) in rows:
        print(f"   {tt / count * 1e3:7.3f} ms {tt / total:5.1%}  {func} ({_short(path)}:{line}) calls/event {nc / count:.1f}")
    print("  cumulative time per event (linli code and redis-py; wall time of coroutines, waits included):")
    shown = 0
    for (path, line, func), (cc, nc, tt, ct, _) in sorted(stats.stats.items(), key=lambda i: -i[1][3]):
        if func in WANTED and any(part in path for part in ("/bot/", "/handlers/", "/nlp/", "/storage/", "redis/")):
            print(f"   {ct / count * 1e3:7.3f} ms  {func} ({_short(path)}:{line})")
            shown += 1
            if shown >= 16:
                break


WANTED = {"step", "handle", "route", "on_text", "classify", "open_ticket", "_joined_existing", "_create", "_commit",
          "status", "_mine", "_help", "balance", "notify_handlers", "schedule_sla", "many", "open", "get",
          "execute", "execute_command", "commit", "ack", "is_done", "_who_and_where", "refresh_rules"}


def _short(path: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def summarise_pyspy(raw: str, label: str, top: int = 14) -> None:
    """py-spy's collapsed stacks: own time by function, and by area (deepest frame's file)."""
    own: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    areas: collections.Counter = collections.Counter()
    total = 0
    for line in Path(raw).read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [f.rsplit(":", 1)[0] + ")" if f.endswith(")") and ":" in f else f for f in stack.split(";")]
        own[frames[-1]] += samples
        for frame in set(frames):
            if any(part in frame for part in ("bot/", "handlers/", "nlp/", "storage/")) \
                    and not frame.startswith(("main (bot/cli.py", "supervise (")):
                inclusive[frame] += samples
        areas[_area(frames[-1])] += samples
    if not total:
        print("  py-spy recorded no samples")
        return
    print(f"  py-spy of {label} ({total} samples, CPU time only; 200 a second):")
    print("   by area (own time): " + ", ".join(f"{k} {v / total:.0%}" for k, v in areas.most_common()))
    print("   own time by function:")
    for frame, samples in own.most_common(top):
        print(f"    {samples / total:5.1%}  {_short(frame)}")
    print("   inclusive time, linli code:")
    for frame, samples in inclusive.most_common(top):
        print(f"    {samples / total:5.1%}  {_short(frame)}")


def _area(frame: str) -> str:
    """Where a frame's file belongs (py-spy names files relative to their sys.path entry)."""
    path = frame.rpartition("(")[2]
    rules = [("redis/", "redis-py"), ("hiredis", "redis-py"), ("aiohttp/", "aiohttp"), ("multidict", "aiohttp"),
             ("yarl", "aiohttp"), ("prometheus_client", "metrics"), ("bot/metrics", "metrics"),
             ("asyncio/", "asyncio loop"),
             ("selectors", "asyncio loop"), ("socket", "asyncio loop"), ("jieba", "classifier"),
             ("nlp/", "classifier"), ("ahocorasick", "classifier"), ("rapidfuzz", "classifier"),
             ("zhconv", "classifier"), ("json/", "json"), ("logging/", "logging"), ("logsafe", "logging"),
             ("handlers/", "linli handlers"), ("storage/", "linli storage"), ("bot/", "linli bot"),
             ("dataclasses", "dataclasses"), ("re/", "regex"), ("traceback", "traceback")]
    for needle, name in rules:
        if needle in path:
            return name
    return "other"


async def bench_workers(args, root: Path, procs: Processes, results: dict) -> None:
    print(f"\n== 2. Events handled per `linli worker` process ({args.tickets:,} tickets stored, "
          f"{args.events:,} events a run, 30% reports) ==")
    print(f"machine: {machine_state()}")
    folder = root / "workers"
    valkey = Valkey(procs, folder / "valkey", "workers-valkey").start()
    pyspy = args.py_spy or shutil.which("py-spy")
    try:
        settings = Settings.load(COMMUNITY, data_dir=folder, env={"REDIS_URL": valkey.url})
        async with open_runtime(settings) as runtime:
            before = await memory(runtime.redis)
            seeded = await seed_tickets(runtime, args.tickets)
            after_seed = await memory(runtime.redis)
            print(f"seeded {args.tickets:,} tickets through Tickets.open in {seeded:.1f} s "
                  f"({args.tickets / seeded:,.0f}/s); open ones: {len(await runtime.services.tickets.open_ids())}")
            await asyncio.to_thread(runtime.services.classifier.warm_up)   # to write the reports
            runs: dict[int, list[WorkerRun]] = {1: [], 2: []}
            for round_ in range(args.worker_rounds):   # alternating, so other load hits both alike
                for n in (1, 2):
                    run, _ = await run_workers(runtime, procs, valkey, folder, args.events, n, f"r{round_}p{n}",
                                               timeout=args.worker_timeout)
                    runs[n].append(run)
                    print(f"\n {n} process{'es' if n > 1 else ''} (round {round_ + 1}): {run.events} events in "
                          f"{run.handle_s:.1f} s = {run.rate:.0f} events/s ({run.rate / n:.0f} per process); "
                          f"enqueue took {run.enqueue_s:.2f} s of it; {run.reports} reports -> {run.opened} new "
                          f"tickets (the rest joined an open ticket)")
                    print(f"  events per shard: {run.shards}; per process by the shards it held: {run.split}"
                          + (f" (the shard split alone caps two processes at "
                             f"{run.events / max(run.split):.2f}x)" if n > 1 else ""))
                    print(f"  {cpu_line(run.cpu)}")
                    print_commands(run)
                    cpu_worker = sum(v for k, v in run.cpu.items() if k.startswith("worker")) * run.handle_s
                    cpu_valkey = run.cpu["valkey"] * run.handle_s
                    print(f"  CPU per event: workers {cpu_worker / run.events * 1e3:.2f} ms, "
                          f"Valkey {cpu_valkey / run.events * 1e3:.2f} ms")
            one = statistics.mean(r.rate for r in runs[1])
            two = statistics.mean(r.rate for r in runs[2])
            print(f"\n events/s, one process: {one:.0f} (rounds: {', '.join(f'{r.rate:.0f}' for r in runs[1])}; "
                  f"target >= 300); two: {two:.0f} ({', '.join(f'{r.rate:.0f}' for r in runs[2])}) "
                  f"= {two / one:.2f}x one (target >= 1.7x)")
            print(f" {log_problems(procs.log('r0p1-worker0'))} (first one-process run)")
            results["workers"] = (one, two / one)
            if not args.no_profile:
                await profile_in_process(runtime, args.profile_events)
                if pyspy:
                    _, raw = await run_workers(runtime, procs, valkey, folder, args.profile_events, 1, "pyspy",
                                               timeout=args.worker_timeout, pyspy=pyspy)
                    show_pyspy(raw, "one `linli worker` process", "linli-worker-pyspy.txt")
                else:
                    print("  (py-spy not found: `pip install py-spy` and pass --py-spy PATH for a worker-process profile)")
            end = await memory(runtime.redis)
        print("\n== 4. Redis memory (this Valkey) ==")
        print(f" {'':<34} {'used_memory':>12} {'dataset':>12} {'DBSIZE':>8}")
        for label, (used, dataset, keys) in (("empty, before seeding", before),
                                             (f"after {args.tickets:,} tickets", after_seed),
                                             ("after every run above", end)):
            print(f" {label:<34} {used / 1e6:>9.1f} MB {dataset / 1e6:>9.1f} MB {keys:>8,}")
        per_ticket = (after_seed[1] - before[1]) / args.tickets
        print(f" per seeded ticket: {per_ticket:,.0f} bytes of dataset, "
              f"{(after_seed[2] - before[2]) / args.tickets:.1f} keys")
        results["memory"] = (before, after_seed, end)
    finally:
        procs.stop_all()


# -- 3. reply latency ------------------------------------------------------------------

@dataclass
class Sent:
    chat: int
    at: float
    replies: int    # expected sendMessage calls to this chat


async def steady(session: aiohttp.ClientSession, url: str, world: TgWorld, classifier, rate: float,
                 seconds: float, ids: UpdateIds, rng: random.Random) -> tuple[list[Sent], list[float], int]:
    """Post private messages at `rate`/s: senders in turn (each writes every ~2 s at 50/s,
    so Telegram's 1-per-second-per-chat pace never holds a reply back), 40% reports, 30%
    commands, 30% chit-chat (no reply)."""
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    sent: list[Sent] = []
    answers: list[float] = []
    bad = 0
    tasks = []

    async def post(body: bytes) -> None:
        nonlocal bad
        started = time.monotonic()
        try:
            async with session.post(url, data=body, headers=headers) as answer:
                await answer.read()
                bad += answer.status != 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            bad += 1
        answers.append(time.monotonic() - started)

    total = int(rate * seconds)
    order = list(world.senders)
    rng.shuffle(order)
    start = time.monotonic() + 0.2
    for n in range(total):
        sender = order[n % len(order)]
        kind = rng.random()
        while True:
            text = (report_text(rng, sender.building) if kind < 0.4 else rng.choice(COMMANDS) if kind < 0.7
                    else rng.choice(CHITCHAT))
            result = classifier.classify(text, addressed=True)
            if not result.life_risk:   # those get a second reply (the emergency numbers)
                break
        replies = 1 if 0.4 <= kind < 0.7 or result.actionable else 0   # a command always answers
        body = json.dumps(tg_update(ids(), sender, text), ensure_ascii=False).encode()
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.append(Sent(sender.user_id, time.monotonic(), replies))
        tasks.append(asyncio.create_task(post(body)))
    await asyncio.gather(*tasks)
    return sent, answers, bad


async def bench_latency(args, root: Path, procs: Processes, results: dict) -> None:
    print("\n== 3. Reply latency: webhook POST -> sendMessage at the fake Bot API (`linli run`, 1:1 chats) ==")
    print(f"machine: {machine_state()}; Telegram pacing: {args.telegram_rate or OVERALL[0]} messages "
          f"per {OVERALL[1]:g} s overall (TELEGRAM_MAX_PER_SECOND), {PER_CHAT[0]} per {PER_CHAT[1]:g} s per chat")
    folder = root / "latency"
    valkey = Valkey(procs, folder / "valkey", "latency-valkey").start()
    api = FakeBotApi()
    await api.start()
    try:
        settings = Settings.load(COMMUNITY, data_dir=folder, env={})
        community = settings.community
        world = await bind_identities(valkey.url, community)
        classifier = Classifier.from_file()
        classifier.add_words(community.dictionary)
        port = free_port()
        pace = {"TELEGRAM_MAX_PER_SECOND": str(args.telegram_rate)} if args.telegram_rate else {}
        linli = await start_linli_run(procs, "latency-linli", folder, valkey.url, api.base, port, **pace)
        url = f"http://127.0.0.1:{port}/telegram"
        senders = {s.user_id for s in world.senders}
        ids, rng = UpdateIds(), random.Random(3)
        print(f"{'rate/s':>6} {'s':>3} {'API delay':>9} {'sent':>5} {'replies':>7} {'/s':>4} {'p50 s':>6} {'p95 s':>6} "
              f"{'p99 s':>6} {'max s':>6} {'missing':>7} {'first 5s p50':>12} {'last 5s p50':>11} "
              f"{'sendMessage/s':>13} {'POST p99 ms':>11}  CPU (cores)")
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for rate, seconds, delay in args.latency_runs:
                api.delay = delay
                mark = len(api.sent)
                meter = Meter({"linli": linli.pid, "valkey": valkey.process.pid})
                sent, answers, bad = await steady(session, url, world, classifier, rate, seconds, ids, rng)
                cpu = meter.stop()
                expected = collections.Counter()
                for s in sent:
                    expected[s.chat] += s.replies
                deadline = time.monotonic() + args.drain
                while time.monotonic() < deadline:
                    got = collections.Counter(chat for _, chat, _ in api.sent[mark:] if chat in senders)
                    if all(got[c] >= n for c, n in expected.items()):
                        break
                    await asyncio.sleep(0.2)
                arrivals: dict[int, list[float]] = collections.defaultdict(list)
                for at, chat, _ in api.sent[mark:]:
                    if chat in senders:
                        arrivals[chat].append(at)
                latencies, missing, extra, timed = [], 0, 0, []
                for chat in expected:
                    times = iter(arrivals.get(chat, []))
                    for s in (s for s in sent if s.chat == chat):
                        for _ in range(s.replies):
                            at = next(times, None)
                            if at is None:
                                missing += 1
                            else:
                                latencies.append(at - s.at)
                                timed.append((s.at, at - s.at))
                    extra += sum(1 for _ in times)
                first = [lat for at, lat in timed if at - sent[0].at < 5]
                last = [lat for at, lat in timed if sent[-1].at - at < 5]
                window = [at for at, chat, _ in api.sent[mark:] if sent[0].at <= at <= sent[-1].at + 1]
                out_rate = len(window) / (sent[-1].at - sent[0].at + 1)
                print(f"{rate:>6g} {seconds:>3g} {delay:>8.1f}s {len(sent):>5} {len(latencies):>7} "
                      f"{sum(expected.values()) / seconds:>4.0f} "
                      f"{percentile(latencies, .5):>6.2f} {percentile(latencies, .95):>6.2f} "
                      f"{percentile(latencies, .99):>6.2f} {max(latencies, default=float('nan')):>6.2f} "
                      f"{missing:>7} {statistics.median(first) if first else float('nan'):>12.2f} "
                      f"{statistics.median(last) if last else float('nan'):>11.2f} {out_rate:>13.1f} "
                      f"{percentile(answers, .99) * 1e3:>11.1f}  "
                      + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
                if bad or extra:
                    print(f"   non-200 webhook answers: {bad}; replies not matched to a message: {extra}")
                results.setdefault("latency", []).append((rate, delay, percentile(latencies, .99), missing))
        used, _, keys = await _memory_of(valkey.url)
        print(f"(replies: 1:1 replies timed, /s: replies the messages called for per second; missing: no reply "
              f"within {args.drain:g} s after the last POST; sendMessage/s: everything the Bot API received while "
              f"posting, pushes to staff included; Redis used_memory {used / 1e6:.1f} MB, DBSIZE {keys})")
        print(log_problems(procs.log("latency-linli")))
    finally:
        procs.stop_all()
        await api.close()


# -- main ------------------------------------------------------------------------------

def summary(results: dict) -> None:
    print("\n== Summary (target: measured) ==")
    if "webhook" in results:
        ratio, bad, _ = results["webhook"]
        print(f" webhook req/s >= 0.8x bare aiohttp: {ratio:.2f}x {'met' if ratio >= 0.8 else 'NOT met'}; "
              f"non-200 = 0: {bad} {'met' if bad == 0 else 'NOT met'}")
    if "workers" in results:
        one, ratio = results["workers"]
        print(f" >= 300 events/s per process: {one:.0f} {'met' if one >= 300 else 'NOT met'}; "
              f"two processes >= 1.7x: {ratio:.2f}x {'met' if ratio >= 1.7 else 'NOT met'}")
    for rate, delay, p99, missing in results.get("latency", []):
        print(f" reply p99 < 1 s at {rate:g}/s (Bot API delay {delay:g} s): {p99:.2f} s"
              f"{f' + {missing} missing' if missing else ''} {'met' if p99 < 1 and not missing else 'NOT met'}")


def parse_runs(text: str) -> list[tuple[float, float, float]]:
    runs = []
    for part in text.split(","):
        rate, seconds, delay = (float(x) for x in part.split(":"))
        runs.append((rate, seconds, delay))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="webhook,workers,latency", help="which parts, comma-separated")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not figures")
    parser.add_argument("--requests", type=int, default=3000, help="webhook requests per server")
    parser.add_argument("--rounds", type=int, default=3, help="alternating webhook rounds")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=2000, help="events per worker run")
    parser.add_argument("--worker-rounds", type=int, default=2, help="rounds of (one process, two processes)")
    parser.add_argument("--worker-timeout", type=float, default=90.0)
    parser.add_argument("--profile-events", type=int, default=600)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--py-spy", metavar="PATH", help="py-spy binary (default: py-spy on PATH)")
    parser.add_argument("--latency-runs", type=parse_runs, default=parse_runs("50:30:0,50:20:0.3,30:15:0,15:15:0"),
                        metavar="RATE:SECONDS:DELAY,...", help="steady runs: messages/s, seconds, Bot API delay")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for late replies")
    parser.add_argument("--telegram-rate", type=int, default=0, metavar="N",
                        help="TELEGRAM_MAX_PER_SECOND for the latency runs (default: linli's own, 30)")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds, args.tickets, args.events, args.worker_rounds = 600, 2, 1000, 300, 1
        args.profile_events, args.latency_runs, args.drain = 200, parse_runs("50:5:0,50:5:0.3"), 10.0
    parts = set(args.only.split(","))
    results: dict = {}
    started = time.perf_counter()
    print(f"bench/runtime.py on {machine_state()}; Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="linli-rt-") as tmp:
        root = Path(tmp)
        # the in-process worker's log lines (a reply nobody can deliver is a WARNING each)
        # go to a file, as a `linli worker` process's do
        logging.basicConfig(level=logging.INFO, filename=root / "bench.log",
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        procs = Processes(root)
        try:
            if "webhook" in parts:
                asyncio.run(bench_webhook(args, root, procs, results))
            if "workers" in parts:
                asyncio.run(bench_workers(args, root, procs, results))
            if "latency" in parts:
                asyncio.run(bench_latency(args, root, procs, results))
        finally:
            procs.stop_all()
    summary(results)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
