"""Durable before acknowledged: the inbound stream, workers, redelivery, the outbox."""

import asyncio

import pytest

import bot.worker
from bot.addressing import decode
from bot.channels.console import message_event
from bot.delivery import Delivery
from bot.worker import MAX_ATTEMPTS, Worker


async def enqueue(runtime, sender, text, chat=None, message_id=None):
    event = message_event(runtime.settings.community, sender, chat, text, runtime.clock.now(), message_id)
    await runtime.accept(event)
    return event


async def drain(worker, times=5):
    total = 0
    for _ in range(times):
        total += await worker.step(block_ms=None)
    return total


async def queued(runtime, channel="console"):
    stream = runtime.store.keys.outbox(channel)
    return [decode(fields["msg"])[1] for _, fields in await runtime.redis.xrange(stream)]


async def test_event_is_stored_before_any_worker_runs_and_acked_after(runtime):
    await enqueue(runtime, "zhang", "报修 3号楼楼道灯坏了")
    assert await runtime.inbound.backlog() == 1
    assert await drain(Worker(runtime)) == 1
    assert await runtime.inbound.backlog() == 0
    assert await runtime.services.tickets.ids() == [1]
    assert any("工单 #1" in m.text for m in await queued(runtime))


async def test_entries_of_a_dead_worker_are_taken_over(runtime, redis):
    await enqueue(runtime, "zhang", "报修 3号楼楼道灯坏了")
    dead = Worker(runtime, name="dead")
    await dead._balance()
    taken = await runtime.inbound.read_new("dead", sorted(dead.held), count=10, block_ms=None)
    assert len(taken) == 1          # delivered to "dead", which never acknowledges it
    for key in await redis.keys("*lease*"):
        await redis.delete(key)     # its leases run out
    await redis.delete(runtime.store.keys.workers())
    assert await drain(Worker(runtime, name="alive")) == 1
    assert await runtime.services.tickets.ids() == [1]
    assert await runtime.inbound.backlog() == 0


async def test_redelivery_after_a_crash_mid_handler_opens_one_ticket_and_one_reply(runtime, monkeypatch):
    await enqueue(runtime, "zhang", "报修 3号楼楼道灯坏了")
    real_commit = Worker._commit
    calls = {"n": 0}

    async def crash_once(self, ctx):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker died after the ticket was stored")
        await real_commit(self, ctx)

    monkeypatch.setattr(Worker, "_commit", crash_once)
    monkeypatch.setattr(bot.worker, "RETRY_BACKOFF", 0)
    worker = Worker(runtime)
    with pytest.raises(RuntimeError):
        await worker.step()
    await drain(worker)
    assert await runtime.services.tickets.ids() == [1]
    replies = [m for m in await queued(runtime) if m.to == "@zhang"]
    assert len(replies) == 1


async def test_a_failing_event_is_retried_then_set_aside_and_the_sender_told(runtime, monkeypatch, redis):
    async def broken(ctx):
        ctx.person = ctx.community.people["zhang"]
        raise ValueError("boom")

    monkeypatch.setattr(bot.worker, "route", broken)
    monkeypatch.setattr(bot.worker, "RETRY_BACKOFF", 0)
    await enqueue(runtime, "zhang", "你好")
    worker = Worker(runtime)
    await drain(worker, times=MAX_ATTEMPTS + 2)
    assert await runtime.inbound.backlog() == 0
    dead = await redis.xrange(runtime.store.keys.dead_letters())
    assert len(dead) == 1 and "boom" in dead[0][1]["error"]
    assert [m.text for m in await queued(runtime)] == [runtime.services.texts("error.internal")]


@pytest.mark.parametrize("text, kept", [
    ("投票 3 2", "投票 （内容不保留）"),              # a ballot (the poll may be secret): the word only
    ("/vote 3 2", "投票 （内容不保留）"),
    ("代投 3 @zhang 1", "代投 （内容不保留）"),
    ("3号楼路灯坏了", "3号楼路灯坏了"),               # anything else is kept whole for staff
])
async def test_a_set_aside_ballot_keeps_neither_its_choice_nor_an_error_quoting_it(runtime, monkeypatch, redis,
                                                                                    text, kept):
    import json

    async def broken(ctx):
        raise ValueError(f"cannot count 「{ctx.event.text}」")

    monkeypatch.setattr(bot.worker, "route", broken)
    monkeypatch.setattr(bot.worker, "RETRY_BACKOFF", 0)
    await enqueue(runtime, "zhang", text)
    await drain(Worker(runtime), times=MAX_ATTEMPTS + 2)
    [(_, dead)] = await redis.xrange(runtime.store.keys.dead_letters())
    assert json.loads(dead["event"])["text"] == kept
    assert (text in dead["error"]) is (text == kept)


async def test_one_chat_is_handled_in_order_by_many_workers(runtime):
    for i in range(30):   # thirty buildings: thirty problems, none a duplicate of another
        await enqueue(runtime, "zhang", f"报修 {i + 1}号楼楼道灯坏了")
    workers = [Worker(runtime, name=f"w{i}") for i in range(3)]
    for _ in range(50):  # workers come and go from the shard as they rebalance
        await asyncio.gather(*(drain(w, times=1) for w in workers))
        if not await runtime.inbound.backlog():
            break
    tickets = await runtime.services.tickets.many(await runtime.services.tickets.ids())
    assert [t.text for t in sorted(tickets, key=lambda t: t.id)] == [f"{i + 1}号楼楼道灯坏了" for i in range(30)]


async def test_workers_share_the_shards(runtime):
    workers = [Worker(runtime, name=f"w{i}") for i in range(2)]
    for _ in range(3):
        for w in workers:
            await w._balance()
    assert set().union(*(w.held for w in workers)) == set(range(runtime.inbound.shards))
    assert not workers[0].held & workers[1].held
    assert all(w.held for w in workers)


class FlakyChannel:
    name = "console"

    def __init__(self, failures):
        self.failures = failures
        self.sent = []

    async def send(self, identity, message):
        from bot.channels.base import DeliveryError
        if self.failures:
            self.failures -= 1
            raise DeliveryError("platform said 502", retry_after=0)
        self.sent.append(message.text)


async def test_delivery_retries_in_order_and_loses_nothing(runtime):
    for text in ("报修 楼道灯坏了", "报修 电梯坏了"):
        await enqueue(runtime, "zhang", text)
    await drain(Worker(runtime))
    channel = FlakyChannel(failures=2)
    delivery = Delivery(runtime, channel)
    await delivery.start()
    for _ in range(10):
        await delivery.step()
    opened = [t for t in channel.sent if t.startswith("已为您登记工单")]
    assert [t.split("（")[0] for t in opened] == ["已为您登记工单 #1", "已为您登记工单 #2"]
    assert await delivery.queue.backlog() == 0
