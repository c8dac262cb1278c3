"""Benchmark: what a new report and `待办` cost with many tickets already stored, and what a
ticket costs in Redis memory.

    .venv/bin/python bench/tickets_scale.py [--sizes 0,10000,50000] [--reports 260] [--quick]

1. For each size, tickets are stored first (spread over the demo's six buildings and two
   years, most closed, a few hundred open: the shape a community reaches), then the same
   stream of new reports (130 labelled pairs' texts, about half repeating an open
   problem) goes through the real handler path (router → classify → duplicate check →
   create, deadlines scheduled), and `待办` is asked for by a staff member (all open
   tickets) and by a department contact (their department and routed categories).
   Figures are medians (of one report, of one 待办); the machine's load is printed beside.
   Side by side, on identical data: the open-ticket indexes (this version) and the scan
   they replaced (kept here only: every ticket of the last 7 days loaded per report,
   every ticket ever loaded per 待办).
2. Memory per closed ticket in the stored data (MEMORY USAGE of its keys, and the
   all-ticket and reporter indexes shared out), and INFO used_memory per stored ticket.
3. The life of 40 tickets through a console session (report → 派单 → 处理 → 办结 → 评价):
   bytes per ticket by kind of key while open, once closed, and once the keys that expire
   (event and operation guards, the pipeline's done/seen marks) are gone.

Runs on the embedded Valkey in a temporary directory. Prints figures; asserts nothing.
About two minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import open_runtime  # noqa: E402
from bot.channels.console import message_event  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers.tickets import reports, views as ticket_views  # noqa: E402
from handlers.clock import FakeClock  # noqa: E402
from handlers.context import Context  # noqa: E402
from handlers.tickets.duplicates import THRESHOLD, WINDOW_DAYS, same_problem, similarity  # noqa: E402
from handlers.events import Event  # noqa: E402
from handlers.router import route  # noqa: E402
from handlers.tickets.common import OPEN_STATES, entry, may_handle, status_label, summary  # noqa: E402

DEMO = ROOT / "examples" / "demo.toml"
PAIRS = ROOT / "tests" / "data" / "duplicate_pairs.tsv"
DAY = 86400.0
T0 = 1_750_000_000.0       # "now" of every run (a fake clock: runs are identical)
TAIL = "，已经好几天了，老人上下楼很不方便，晚上更危险，麻烦物业尽快派人来看看"
NOTES = {"assigned": "王师傅", "started": "下午去看", "resolved": "已处理完毕", "rated": "5分 很及时",
         "rejected": "属于业主自家管道，请联系维修", "merged": "#1"}


# -- the scan the indexes replaced (the previous version's code, kept for comparison) --------

async def scan_joined_existing(ctx, text, category, building, location) -> bool:
    tickets = ctx.services.tickets
    unit = (location or {}).get("unit")
    recent = await tickets.many(list(reversed(await tickets.since(ctx.now - WINDOW_DAYS * 86400))))
    ticket = next((t for t in recent if same_problem(text, category, building, unit, ctx.now, t)), None)
    if ticket is None:
        return False
    person = ctx.person
    status = status_label(ctx, ticket.status)
    if person.id == ticket.reporter or person.id in ticket.co_reporters:
        ctx.reply(ctx.t("report.already_yours", id=ticket.id, status=status))
        return True
    await tickets.join(ticket.id, person.id, {"text": text, "at": ctx.now, "event": ctx.event.id,
                                              "chat": ctx.chat.id if ctx.chat else None})
    await tickets.transition(ticket.id, ctx.event.id, None, {}, entry(ctx, "co_reported", ticket.status))
    key = "report.joined_group" if ctx.in_group else "report.joined"
    ctx.reply(ctx.t(key, name=person.name, id=ticket.id, status=status, category=ticket.category))
    return True


async def scan_todo(ctx, args: str) -> None:
    tickets = await ctx.services.tickets.many(await ctx.services.tickets.ids())
    person = ctx.person
    mine = [t for t in tickets if t.status in OPEN_STATES
            and (person.has("staff", "secretary") or may_handle(person, ctx, t)
                 or (person.has("grid_worker") and (not person.buildings or t.building in person.buildings)))]
    if not mine:
        ctx.reply(ctx.t("ticket.todo_empty"))
        return
    mine.sort(key=lambda t: (not t.urgent, t.resolve_due or 0))
    lines = [ctx.t("ticket.todo_header", count=len(mine))]
    for ticket in mine[:20]:
        overdue = ctx.t("ticket.overdue_mark") if (ticket.resolve_due or 0) < ctx.now else ""
        lines.append(f"{summary(ctx, ticket)}{overdue}")
    ctx.reply("\n".join(lines))


# -- data --------------------------------------------------------------------------------

def pair_texts() -> list[tuple[str, str, str, str]]:
    rows = []
    for line in PAIRS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            _, _, building_a, building_b, text_a, text_b = line.split("\t")
            rows.append((building_a, building_b, text_a, text_b))
    return rows


def in_building(text: str, building: str) -> str:
    return re.sub(r"\d+号楼", f"{building}号楼", text, count=1)


def residents_by_building(community) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for person in community.people.values():
        if person.roles == {"resident"} and person.building:
            found[person.building].append(person.id)
    return found


def report_stream(community, count: int) -> list[tuple[str, str, str]]:
    """(sender, chat, text): each pair's first text, then (a few reports later) its second,
    by another resident; rounds after the first move every pair one building on."""
    people = residents_by_building(community)
    rows, stream = pair_texts(), []
    rounds = 0
    while len(stream) < count:
        for n, (building_a, building_b, text_a, text_b) in enumerate(rows):
            shift = lambda b: str((int(b) - 1 + rounds) % 6 + 1)  # noqa: E731
            a, b = shift(building_a), shift(building_b)
            stream.append((people[a][n % len(people[a])], f"b{a}", in_building(text_a, a)))
            stream.append((people[b][(n + 1) % len(people[b])], f"b{b}", in_building(text_b, b)))
        rounds += 1
    return stream[:count]


async def seed(runtime, count: int, rng: random.Random) -> float:
    """Store `count` tickets as the handlers would have left them; returns seconds taken
    (reindex included: it is also how a database from before the indexes gets them)."""
    from storage.tickets import history_json, in_pieces, to_hash   # this version's storage format

    community = runtime.settings.community
    classifier = runtime.services.classifier
    keys = runtime.store.keys
    people = residents_by_building(community)
    templates = sorted({t for row in pair_texts() for t in row[2:]})
    classified: dict[str, tuple] = {}
    started = time.perf_counter()
    times = sorted(T0 - rng.random() * 730 * DAY for _ in range(count))
    pipe = runtime.redis.pipeline(transaction=False)
    for ticket_id, created in enumerate(times, 1):
        building = str(rng.randint(1, 6))
        text = in_building(rng.choice(templates), building) + (TAIL if rng.random() < 0.25 else "")
        if text not in classified:
            result = classifier.classify(text)
            classified[text] = (result.category or "其他", result.urgent,
                                result.location.to_dict() if result.location else None)
        category, urgent, location = classified[text]
        age = T0 - created
        reporter = rng.choice(people[building])
        fields = {"id": ticket_id, "ev": f"{ticket_id:012x}", "status": "open", "reporter": reporter, "text": text, "created_at": created,
                  "category": category, "urgent": urgent or None, "chat": f"b{building}", "building": building,
                  "location": location, "respond_due": created + DAY, "resolve_due": created + 3 * DAY}
        history = [("opened", "open", reporter, category)]
        p_open = 0.7 if age < 3 * DAY else 0.1 if age < 30 * DAY else 0.005
        if rng.random() < p_open:
            status = rng.choice(["open", "open", "assigned", "in_progress", "escalated"])
        elif age < 3 * DAY and rng.random() < 0.5:
            status = "resolved"
        else:
            status = rng.choices(["closed", "rejected", "duplicate"], [88, 6, 6])[0]
        done = created + rng.uniform(0.1, 2.5) * DAY
        if status in ("assigned", "in_progress", "resolved", "closed"):
            fields.update(assignee="vol_wang", responded_at=created + 3600)
            history.append(("assigned", "assigned", "grid", NOTES["assigned"]))
        if status in ("in_progress", "resolved", "closed"):
            history.append(("started", "in_progress", "vol_wang", NOTES["started"]))
        if status in ("resolved", "closed"):
            fields["resolved_at"] = done
            history.append(("resolved", "resolved", "vol_wang", NOTES["resolved"]))
        if status == "closed":
            fields.update(closed_at=done + 3600, rating=5, comment="很及时")
            history.append(("rated", "closed", reporter, NOTES["rated"]))
        if status == "escalated":
            fields.update(department="chengguan", responded_at=created + 3600)
            history.append(("escalated", "escalated", "grid", "城管执法"))
        if status == "rejected":
            fields.update(reason=NOTES["rejected"], closed_at=done, responded_at=done)
            history.append(("rejected", "rejected", "grid", NOTES["rejected"]))
        if status == "duplicate":
            fields.update(duplicate_of=max(1, ticket_id - 1), closed_at=done)
            history.append(("merged", "duplicate", "grid", f"#{max(1, ticket_id - 1)}"))
        fields["status"] = status
        values = {k: v for k, v in to_hash({k: (round(v, 3) if isinstance(v, float) else v)
                                            for k, v in fields.items()}).items() if v != ""}
        pipe.hset(keys.ticket(ticket_id), mapping=in_pieces(values))
        pipe.rpush(keys.ticket_history(ticket_id),
                   *(history_json({"at": created + n * 3600.0, "by": by, "action": action, "status": st,
                                   "note": note}) for n, (action, st, by, note) in enumerate(history)))
        pipe.zadd(keys.tickets(), {ticket_id: round(created, 3)})
        pipe.zadd(keys.tickets_of(reporter), {ticket_id: round(created, 3)})
        if ticket_id % 1000 == 0:
            await pipe.execute()
    pipe.set(keys.ticket_seq(), count)
    await pipe.execute()
    await runtime.services.tickets.reindex()
    return time.perf_counter() - started


# -- runs --------------------------------------------------------------------------------

def turn(runtime, sender: str, chat: str | None, text: str, now: float) -> Context:
    runtime.services.clock.set(now)
    return Context(runtime.services, message_event(runtime.settings.community, sender, chat, text, now))


async def run_reports(runtime, stream) -> tuple[float, int, int]:
    """Reports/s through the router, from the median time of one report (other processes
    on the machine disturb a mean); (rate, tickets opened, reports that joined one)."""
    before = int(await runtime.redis.get(runtime.store.keys.ticket_seq()) or 0)
    joined, samples = 0, []
    for n, (sender, chat, text) in enumerate(stream):
        ctx = turn(runtime, sender, chat, text, T0 + 30.0 * n)
        started = time.perf_counter()
        await route(ctx)
        samples.append(time.perf_counter() - started)
        joined += any("反映" in m.text and "#" in m.text and "登记" not in m.text for m in ctx.outgoing)
    opened = int(await runtime.redis.get(runtime.store.keys.ticket_seq()) or 0) - before
    return 1 / statistics.median(samples), opened, joined


async def run_todo(runtime, handler, person_id: str, rounds: int) -> tuple[float, str]:
    """Median milliseconds of one 待办, and its answer."""
    community = runtime.settings.community
    samples, answer = [], ""
    for n in range(rounds):
        now = runtime.services.clock.now() + 1
        ctx = Context(runtime.services, Event(id=f"todo-{n}", channel="console", sender=f"console:{person_id}",
                                              received_at=now), person=community.people[person_id])
        runtime.services.clock.set(now)
        started = time.perf_counter()
        await handler(ctx, "")
        samples.append(time.perf_counter() - started)
        answer = ctx.outgoing[0].text
    return statistics.median(samples) * 1e3, answer


async def scale(runtime, sizes: list[int], reports_count: int, todo_rounds: int) -> list[dict]:
    stream = report_stream(runtime.settings.community, reports_count)
    rows = []
    for size in sizes:
        row: dict = {"size": size}
        for method in ("scan", "index"):
            await runtime.redis.execute_command("FLUSHDB", "SYNC")
            runtime.services.clock = FakeClock(T0 - 1)
            runtime.services.tickets._indexed = False
            empty = int((await runtime.redis.info("memory"))["used_memory"])
            seeded = await seed(runtime, size, random.Random(size))
            open_now = len(await runtime.services.tickets.open_ids())
            if method == "index":
                row.update(seeded=seeded, open=open_now, **await memory_of_stored(runtime, size, empty))
                todo, joined_existing = ticket_views.todo, reports._joined_existing
            else:
                todo, joined_existing = scan_todo, scan_joined_existing
            original = reports._joined_existing
            reports._joined_existing = joined_existing
            try:
                rate, opened, joined = await run_reports(runtime, stream)
            finally:
                reports._joined_existing = original
            rounds = 2 if method == "scan" and size >= 10_000 else todo_rounds
            staff_ms, staff_answer = await run_todo(runtime, todo, "secretary", rounds)
            dept_ms, dept_answer = await run_todo(runtime, todo, "wuye_li", rounds)
            row[method] = {"rate": rate, "opened": opened, "joined": joined, "staff_ms": staff_ms,
                           "dept_ms": dept_ms, "staff_answer": staff_answer, "dept_answer": dept_answer}
        rows.append(row)
        same = (row["scan"]["opened"], row["scan"]["joined"], row["scan"]["staff_answer"]) == \
               (row["index"]["opened"], row["index"]["joined"], row["index"]["staff_answer"])
        print(f"{size:>7,} stored ({row['open']} open; stored and indexed in {row['seeded']:.1f} s): "
              f"reports/s scan {row['scan']['rate']:6.1f} → index {row['index']['rate']:6.1f}; "
              f"待办 staff {row['scan']['staff_ms']:8.1f} → {row['index']['staff_ms']:6.1f} ms, "
              f"department {row['scan']['dept_ms']:8.1f} → {row['index']['dept_ms']:6.1f} ms; "
              f"{row['index']['opened']} opened, {row['index']['joined']} joined "
              f"({'same outcome both ways' if same else 'OUTCOMES DIFFER'}; load {os.getloadavg()[0]:.1f})",
              flush=True)
    return rows


async def memory_of_stored(runtime, size: int, empty: int) -> dict:
    """Bytes per closed ticket: a sample's hash and history, plus the all-ticket and
    reporter indexes shared out over every ticket; and used_memory grown per ticket."""
    if not size:
        return {"closed_bytes": 0.0, "used_per_ticket": 0.0, "parts": {}}
    redis, keys = runtime.redis, runtime.store.keys
    used = int((await redis.info("memory"))["used_memory"]) - empty
    closed = [int(i) for i in await redis.zrange(keys.tickets(), 0, -1)]
    rng = random.Random(1)
    sample = rng.sample(closed, min(500, len(closed)))
    parts: dict[str, list[int]] = defaultdict(list)
    for ticket_id in sample:
        if await redis.hget(keys.ticket(ticket_id), "status") != "closed":
            continue
        parts["hash"].append(await redis.memory_usage(keys.ticket(ticket_id), samples=0))
        parts["history"].append(await redis.memory_usage(keys.ticket_history(ticket_id), samples=0))
    shared = await redis.memory_usage(keys.tickets(), samples=0)
    async for key in redis.scan_iter(match=keys.tickets_of("*"), count=1000):
        shared += await redis.memory_usage(key, samples=0)
    means = {name: statistics.mean(values) for name, values in parts.items()}
    means["all-ticket and reporter indexes"] = shared / size
    return {"closed_bytes": sum(means.values()), "parts": means, "used_per_ticket": used / size}


# -- the life of a ticket, by kind of key ----------------------------------------------------

KINDS = [
    (r"ticket:\d+$", "ticket hash"),
    (r"ticket:\d+:history$", "history"),
    (r"ticket:\d+:co$", "co-reporters"),
    (r"ticket:\d+:ops$", "applied operations"),
    (r"ticket:(by-)?event", "event → ticket"),
    (r"tickets:open", "open-ticket indexes"),
    (r"tickets(:reporter:.*)?$", "all-ticket and reporter indexes"),
    (r"jobs", "scheduled jobs"),
    (r"(done|seen):", "done/seen marks (pipeline)"),
    (r"ledger:", "points ledger (not counted)"),
]


def kind_of(key: str) -> str | None:
    if "}:" not in key:
        return None
    rest = key.split("}:", 1)[1]
    return next((name for pattern, name in KINDS if re.match(pattern, rest)), None)


async def key_sizes(redis) -> dict[str, tuple[int, int]]:
    sizes = {}
    async for key in redis.scan_iter(count=1000):
        if await redis.type(key) != "stream":
            sizes[key] = (await redis.memory_usage(key, samples=0) or 0, await redis.ttl(key))
    return sizes


def per_kind(before: dict, after: dict, count: int, lasting_only: bool = False) -> dict[str, float]:
    found: dict[str, float] = defaultdict(float)
    for key, (size, ttl) in after.items():
        kind = kind_of(key)
        if kind is None or (lasting_only and ttl > 0):
            continue
        found[kind] += (size - before.get(key, (0, 0))[0]) / count
    return found


async def life(count: int = 40) -> None:
    from bot.console import ConsoleSession

    people = None
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.load(DEMO, data_dir=data_dir, env={})
        async with open_runtime(settings, fake_clock=True) as runtime:
            async with ConsoleSession(runtime, out=io.StringIO()) as console:
                people = residents_by_building(settings.community)
                texts = sorted({t for row in pair_texts() for t in row[2:]})
                before = await key_sizes(runtime.redis)
                opened: list[tuple[int, str]] = []
                said: dict[str, list[str]] = defaultdict(list)
                for n, template in enumerate(texts * 6):
                    building = str(n % 6 + 1)
                    if len(opened) == count:
                        break
                    if any(similarity(template, other) >= THRESHOLD for other in said[building]):
                        continue                # a problem of its own: nothing joins another ticket
                    said[building].append(template)
                    reporter = people[building][n % len(people[building])]
                    text = in_building(template, building) + (TAIL if len(opened) % 4 == 3 else "")
                    await console.say(reporter, None, text)
                    newest = max(await runtime.services.tickets.ids(), default=0)
                    if newest > (opened[-1][0] if opened else 0):
                        opened.append((newest, reporter))
                    await console.advance(60)
                when_open = await key_sizes(runtime.redis)
                for ticket_id, reporter in opened:
                    await console.say("grid", None, f"派单 #{ticket_id} @vol_wang")
                    await console.say("vol_wang", None, f"处理 #{ticket_id} 马上到")
                    await console.say("vol_wang", None, f"办结 #{ticket_id} 已更换")
                    await console.say(reporter, None, f"评价 #{ticket_id} 5 很及时")
                when_closed = await key_sizes(runtime.redis)
                statuses = {t.status for t in await runtime.services.tickets.many([i for i, _ in opened])}
                hashes: dict[bool, list[tuple[int, str]]] = defaultdict(list)
                for n, (ticket_id, _) in enumerate(opened):
                    key = runtime.store.keys.ticket(ticket_id)
                    hashes[n % 4 == 3].append((await runtime.redis.memory_usage(key, samples=0),
                                               await runtime.redis.object("encoding", key)))
    columns = [("open", per_kind(before, when_open, count)), ("closed", per_kind(before, when_closed, count)),
               ("closed, 8 days on", per_kind(before, when_closed, count, lasting_only=True))]
    print(f"\nthe life of {count} tickets through the console (statuses now: {', '.join(sorted(statuses))}); "
          f"bytes per ticket (MEMORY USAGE):")
    print(f"{'':34}" + "".join(f"{title:>19}" for title, _ in columns))
    for _, name in KINDS:
        print(f"{name:34}" + "".join(f"{values.get(name, 0):19.0f}" for _, values in columns))
    own = [name for _, name in KINDS if not name.startswith(("done", "points"))]
    print(f"{'the ticket’s own keys':34}" + "".join(f"{sum(v.get(n, 0) for n in own):19.0f}" for _, v in columns))
    print(f"{'… with the done/seen marks':34}"
          + "".join(f"{sum(v.get(n, 0) for n in own) + v.get('done/seen marks (pipeline)', 0):19.0f}"
                    for _, v in columns))
    for long, name in ((False, "a short report (8–20 characters)"), (True, f"a long one (+{len(TAIL)} characters)")):
        sizes = hashes[long]
        print(f"closed ticket hash, {name}: {statistics.mean(size for size, _ in sizes):.0f} B "
              f"({', '.join(sorted({encoding for _, encoding in sizes}))})")


# -- main ----------------------------------------------------------------------------------

async def main(sizes: list[int], reports_count: int, todo_rounds: int, only: str | None) -> None:
    if only != "life":
        with tempfile.TemporaryDirectory() as data_dir:
            settings = Settings.load(DEMO, data_dir=data_dir, env={})
            async with open_runtime(settings, fake_clock=True) as runtime:
                runtime.services.clock = FakeClock(T0 - 1)
                await run_reports(runtime, report_stream(runtime.settings.community, 40))   # warm-up
                print(f"{reports_count} new reports through the router, then 待办 (median of up to {todo_rounds}); "
                      f"scan = the previous version's lookups, index = this version's; same data both ways")
                rows = await scale(runtime, sizes, reports_count, todo_rounds)
        print("\nRedis memory of the stored tickets:")
        for row in rows:
            if row["size"]:
                parts = ", ".join(f"{name} {value:.0f}" for name, value in row["parts"].items())
                print(f"{row['size']:>7,} stored: {row['closed_bytes']:.0f} B per closed ticket ({parts}); "
                      f"used_memory grown per stored ticket (open ones and their indexes included): "
                      f"{row['used_per_ticket']:.0f} B")
    if only != "scale":
        await life()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0,10000,50000", help="tickets stored first, comma-separated")
    parser.add_argument("--reports", type=int, default=260, help="new reports per run")
    parser.add_argument("--todo", type=int, default=20, help="待办 asked this many times per run (the scan fewer)")
    parser.add_argument("--quick", action="store_true", help="0 and 2,000 tickets, 60 reports")
    parser.add_argument("--only", choices=("scale", "life"), help="one part only (life also runs on older versions)")
    args = parser.parse_args()
    sizes = [0, 2000] if args.quick else [int(s) for s in args.sizes.split(",")]
    asyncio.run(main(sizes, 60 if args.quick else args.reports, 5 if args.quick else args.todo, args.only))
