"""One create-once script (storage/create_once.py) makes tickets, polls, time-bank
exchanges and volunteer tasks: a record per event however often the event comes, and
nothing half made whatever step a crash interrupts. Every key name is spelled in
storage/keys.py; a ticket's allowed transitions are one table."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest
from redis.asyncio.client import Pipeline

from storage.keys import Keys
from storage.ledger import Exchanges
from storage.polls import Poll, Polls
from storage.store import Store
from storage.tasks import Tasks
from storage.tickets import STATUSES, TRANSITIONS, Tickets

ROOT = Path(__file__).resolve().parents[1]


def ticket_of(store, event):
    fields = {"status": "open", "reporter": "zhang", "text": "楼道灯坏了", "created_at": 1000.0, "building": "3",
              "category": "设施维修"}
    return Tickets(store).open(event, fields, {"at": 1000.0, "by": "zhang", "action": "opened", "status": "open",
                                               "note": ""})


def poll_of(store, event):
    poll = Poll(id=0, question="装不装电梯", options=["装", "不装"], electorate={"kind": "people"}, unit="person",
                rule={"kind": "plurality"}, eligible=2, deadline=90_000.0, created_at=1000.0, created_by="grid")
    return Polls(store).create(event, poll, {"r1": "r1", "r2": "r2"})


def exchange_of(store, event):
    return Exchanges(store).open(event, "li", "wang", 150, "陪同就医", 1000.0)


def task_of(store, event):
    return Tasks(store).create(event, {"title": "送菜", "places": 1, "created_at": 1000.0, "created_by": "grid",
                                       "ticket": 7}, {"at": 1000.0, "by": "grid", "action": "task_created"})


async def ticket_ok(store, record_id):
    ticket = await Tickets(store).get(record_id)
    return bool(ticket and ticket.history and record_id in await Tickets(store).ids(reporter="zhang")
                and record_id in await Tickets(store).open_ids())


async def poll_ok(store, record_id):
    polls = Polls(store)
    return bool(await polls.get(record_id) and await polls.voters(record_id) and record_id in await polls.open_ids())


async def exchange_ok(store, record_id):
    exchanges = Exchanges(store)
    return bool(await exchanges.get(record_id) and [e.id for e in await exchanges.of("li")].count(record_id) == 1)


async def task_ok(store, record_id):
    tasks = Tasks(store)
    task = await tasks.get(record_id)
    return bool(task and task.history and record_id in await tasks.of_ticket(7))


async def ticket_count(store):
    return len(await Tickets(store).ids())


async def poll_count(store):
    return len(await Polls(store).ids())


async def exchange_count(store):
    return len(await Exchanges(store).of("wang", count=1000))


async def task_count(store):
    return len(await Tasks(store).ids())


KINDS = {
    "ticket": (ticket_of, ticket_ok, ticket_count, Keys.ticket_by_event, Keys.ticket_seq),
    "poll": (poll_of, poll_ok, poll_count, Keys.poll_by_event, Keys.poll_seq),
    "exchange": (exchange_of, exchange_ok, exchange_count, Keys.exchange_by_event, Keys.exchange_seq),
    "task": (task_of, task_ok, task_count, Keys.task_by_event, Keys.task_seq),
}


class Crash(Exception):
    """The process died here: this command never reached Redis."""


def crash_after(patch: pytest.MonkeyPatch, redis, commands: int) -> None:
    """Let `commands` round trips (commands or pipelines) through, then crash."""
    left = [commands]
    command, execute = redis.execute_command, Pipeline.execute

    def spend(what):
        if left[0] <= 0:
            raise Crash(what)
        left[0] -= 1

    async def one(*args, **kwargs):
        spend(args[0])
        return await command(*args, **kwargs)

    async def pipeline(self, *args, **kwargs):
        spend("pipeline")
        return await execute(self, *args, **kwargs)

    patch.setattr(redis, "execute_command", one)
    patch.setattr(Pipeline, "execute", pipeline)


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_a_crash_at_any_step_never_leaves_an_event_pointing_at_a_missing_record(redis, kind):
    make, whole, count, by_event, _ = KINDS[kind]
    store = Store.open(redis, "demo")
    for commands in range(6):
        event = f"console:crash-{commands}"
        with pytest.MonkeyPatch.context() as patch:
            crash_after(patch, redis, commands)
            try:
                await make(store, event)
            except Crash:
                pass
        # Whatever the crash interrupted: an event that names a record names a whole one...
        noted = await redis.hget(by_event(store.keys), event)
        assert noted is None or await whole(store, int(noted)), (commands, noted)
        # ...and the event delivered again makes (or finds) exactly one.
        again = await make(store, event)
        assert await whole(store, again.id), (commands, again)
        assert await make(store, event) == (again.id, False)
        assert await count(store) == commands + 1


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_twenty_deliveries_of_one_event_at_once_make_one_record_and_draw_one_id(redis, kind):
    make, whole, count, _, seq = KINDS[kind]
    store = Store.open(redis, "demo")
    results = await asyncio.gather(*(make(store, "console:e1") for _ in range(20)))
    assert sorted(r.created for r in results) == [False] * 19 + [True]
    assert {r.id for r in results} == {1}
    assert await whole(store, 1) and await count(store) == 1
    assert await redis.get(seq(store.keys)) == "1"          # a replay draws no id (no gaps)
    assert (await make(store, "console:e2")).id == 2


def test_the_key_names_stay_what_the_data_already_uses():
    k = Keys("demo")
    assert [k.ticket(5), k.ticket_co(5), k.tickets_open_by("b", "3"), k.tickets_open_buildings(),
            k.task_offer(2, "e1"), k.tasks_of_ticket(7), k.tasks_open_of("li"), k.poll_voters(1),
            k.exchange(3), k.exchanges_of("li"), k.ledger_cap("2024-05-01", "li"), k.reward_items_from_file(),
            k.household_registered(), k.identities_of("@li"), k.tg_button("x"), k.wx_reply_sent("e1")] == [
        "linli:{demo}:ticket:5", "linli:{demo}:ticket:5:co", "linli:{demo}:tickets:open:b:3",
        "linli:{demo}:tickets:open:buildings", "linli:{demo}:task:2:offer:e1", "linli:{demo}:tasks:of-ticket:7",
        "linli:{demo}:tasks:open:li", "linli:{demo}:poll:1:voters", "linli:{demo}:timebank:3",
        "linli:{demo}:timebank:of:li", "linli:{demo}:ledger:cap:2024-05-01:li", "linli:{demo}:reward:from-file",
        "linli:{demo}:household:registered", "linli:{demo}:identity:of:@li", "linli:{demo}:tg:button:x",
        "linli:{demo}:wx:reply:e1:sent"]


def spelled_keys(path: Path) -> list[str]:
    """Key names made from parts outside storage/keys.py: `….keys("part", …)`,
    `self.k("part", …)`, or a "linli:…" string."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("keys", "k")
                and node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("linli:{"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_key_name_is_spelled_in_storage_keys():
    files = [f for layer in ("storage", "handlers", "bot") for f in sorted((ROOT / layer).rglob("*.py"))
             if f != ROOT / "storage" / "keys.py"]
    assert [where for f in files for where in spelled_keys(f)] == []


def test_each_ticket_action_names_the_states_it_applies_to():
    for action, states in TRANSITIONS.items():
        assert states is None or (states and set(states) <= set(STATUSES)), action


async def test_an_action_not_in_the_table_is_refused_before_anything_is_written(runtime):
    tickets = runtime.services.tickets
    with pytest.raises(ValueError, match="unknown ticket action"):
        await tickets.transition(1, "console:x", "teleported", {"status": "closed"}, {})
