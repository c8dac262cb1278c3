"""What the care package keeps about a person (我的数据: their enrolment, guardians,
daily check, how many care log entries; whom they are a guardian of) and forgets (注销):
their enrolment, state, alarm steps, care log and their devices' readings are deleted,
their jobs cancelled, and they are taken off other elders' guardian lists. An entry in
the community file's [[care.people]] is staff's to remove (the file is read at start)."""

from __future__ import annotations

from handlers import timers
from handlers.care.common import TIMER, WATER, Enrolment, check_time, enrolment_of, names, repo
from handlers.context import Context
from storage.privacy import Privacy


async def kept_about(ctx: Context, person_id: str) -> list[str]:
    lines = []
    enrolment = await enrolment_of(ctx, person_id)
    if enrolment is not None:
        entries = int(await ctx.services.store.redis.zcard(ctx.services.store.keys.care_log(person_id)))
        lines.append(ctx.t("privacy.kept.care", guardians=names(ctx, enrolment.guardians),
                           time=check_time(ctx, enrolment), entries=entries))
    guarded = [p for p, raw in (await repo(ctx).enrolled()).items() if person_id in (raw.get("guardians") or ())]
    if guarded:
        lines.append(ctx.t("privacy.kept.care_guardian", count=len(guarded)))
    return lines


async def forget(ctx: Context, person_id: str) -> int:
    care, keys = repo(ctx), ctx.services.store.keys
    changed = 0
    await timers.cancel(ctx, TIMER, person_id)
    await timers.cancel(ctx, WATER, person_id)
    if await ctx.services.store.redis.hdel(keys.care_people(), person_id):
        changed += 1
    devices = [d.id for d in ctx.community.devices.values() if d.person == person_id]
    changed += await Privacy(ctx.services.store).drop(
        keys.care_state(person_id), keys.care_steps(person_id), keys.care_log(person_id),
        keys.care_log_entries(person_id), *(keys.device_readings(d) for d in devices),
        *(keys.device_last(d) for d in devices))
    for elder, raw in (await care.enrolled()).items():
        guardians = tuple(raw.get("guardians") or ())
        if person_id in guardians:
            enrolment = Enrolment.of(raw)
            await care.enrol(elder, Enrolment(**{**enrolment.__dict__, "guardians": tuple(
                g for g in guardians if g != person_id)}).record())
            changed += 1
    return changed
