"""Scheduled jobs live in Redis and fire exactly once however many schedulers run."""

import asyncio

from handlers.events import Event


def timer(n):
    return Event(id=f"timer:{n}", channel="timer", kind="timer", data={"order": "t"}).to_json()


async def test_concurrent_schedulers_fire_each_job_once(runtime):
    jobs = runtime.services.jobs
    for n in range(50):
        await jobs.schedule(f"job{n}", 100.0 + n, timer(n), "t")
    fired = await asyncio.gather(*(jobs.fire_due(1000.0, limit=7) for _ in range(20)))
    assert sum(fired) == 50
    assert await runtime.inbound.backlog() == 50
    assert await jobs.fire_due(1000.0) == 0


async def test_rescheduling_moves_a_job_and_cancel_removes_it(runtime):
    jobs = runtime.services.jobs
    await jobs.schedule("a", 100.0, timer(1), "t")
    await jobs.schedule("a", 500.0, timer(1), "t")
    await jobs.schedule("b", 200.0, timer(2), "t")
    assert await jobs.fire_due(300.0) == 1          # only b; a moved to 500
    await jobs.cancel("a")
    assert await jobs.next_due() is None
