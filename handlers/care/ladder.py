"""Signs of life and the alarm ladder.

A sign of life (the elder's message or 平安, a guardian's visit, a staff record, a
water-meter reading showing use, a door event) is stored as the person's last one and
answers an open "quiet" alarm. The ladder is one job per person (`care:PERSON`), moved from
step to step, so exactly one step is ever pending and each fires once, restarts or not:

  check (daily, at the check time): nothing since the last check → a gentle reminder
  guardians i (remind_hours later): guardian i is asked, one at a time, each with
      guardian_minutes to claim (我去看看: the first claim wins, 首接负责)
  staff 0 (after the last guardian, or visit_hours after a claim nobody reported on, or at
      once when a guardian reports trouble): the building's grid worker
  staff 1 (escalate_hours later): the secretary

The water-meter rule is its own job (`care_water:PERSON`), moved at every use: no use for
water_hours → guardians are asked at once. A button press tells the grid worker, the
secretary and the guardians at once, with the emergency numbers. A declared absence
(外出 7天) keeps the checks and the water rule quiet. `平安 @王奶奶 已上门，没事` (a guardian or
staff) resolves any alarm and tells everyone who was asked.

Nothing lost, nothing doubled: every change of the alarm (opening it, each step, a claim,
resolving it) goes through Care.step (storage/lua/care_step.lua), applied only if the
alarm is still the one the step belongs to and unchanged since it was read, once per event
and step. A redelivered event (a crash before its commit) gets the alarm back as it found
it and says the same messages again ("replay"); a step whose alarm was resolved or replaced
meanwhile (a 平安 handled on another shard: a chat's messages and the person's timer jobs
are ordered by different keys) says nothing ("stale")."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any, Callable

from handlers import points, timers
from handlers.care.common import (TIMER, WATER, Enrolment, enrolment_of, log, names, place, repo,
                                  schedule_check, schedule_week)
from handlers.context import Context
from storage.care import Step

DAY = 86400.0
SELF_RESOLVES = ("quiet", "water", "button")   # alarms the elder's own message answers


# -- signs of life ----------------------------------------------------------------------

async def sign_of_life(ctx: Context, enrolment: Enrolment, what: str, note: str = "",
                       resolves: tuple[str, ...] = ("quiet", "water")) -> dict[str, Any] | None:
    """Record a sign of life; resolve an open alarm of one of the `resolves` reasons.
    Returns the alarm it resolved, if any."""
    care = repo(ctx)
    await care.set(enrolment.person, last_sign=ctx.now, last_sign_what=what)
    await log(ctx, enrolment.person, what, note)
    alarm = await resolvable(ctx, enrolment.person)
    if alarm and alarm["reason"] in resolves and await resolve(ctx, enrolment, alarm, note):
        return alarm
    return None


async def resolvable(ctx: Context, person_id: str) -> dict[str, Any] | None:
    """The alarm this event resolved before (a redelivery: it is resolved again, saying the
    same), else the open alarm."""
    done = await repo(ctx).applied(person_id, _op(ctx, "resolve"))
    if done is not None:
        return done["before"]
    return (await repo(ctx).state(person_id))["alarm"]


async def resolve(ctx: Context, enrolment: Enrolment, alarm: dict[str, Any], note: str = "") -> bool:
    """The alarm is over: everyone who was asked hears it, the daily check comes back.
    False (and nothing said) when the alarm was resolved or replaced meanwhile."""
    step = await apply(ctx, enrolment.person, "resolve", alarm["id"], lambda before: None)
    if step.result not in ("ok", "replay"):
        return False
    alarm = step.before or alarm
    me = ctx.person.id if ctx.person and ctx.event.kind == "message" else None
    elder = ctx.name_of(enrolment.person)
    if me and me != enrolment.person:
        text = ctx.t("care.resolved", name=elder, by=ctx.name_of(me), note=note or ctx.t("care.fine"))
    else:
        text = ctx.t("care.resolved_self", name=elder)
    for person in dict.fromkeys(alarm.get("asked", [])):
        if person != me:
            ctx.tell(person, text)
    await log(ctx, enrolment.person, "resolved", note)
    if step.current:
        await schedule_check(ctx, enrolment)
    return True


async def on_message(ctx: Context) -> None:
    """The router calls this for every message from a known person: from someone in care,
    any message (平安, a menu click, a question) is a sign of life."""
    if ctx.person is None or not await repo(ctx).is_enrolled(ctx.person.id):
        return
    enrolment = await enrolment_of(ctx, ctx.person.id)
    if enrolment is not None:
        what = "self" if (ctx.event.text or "").strip().startswith("平安") else "message"
        await sign_of_life(ctx, enrolment, what, resolves=SELF_RESOLVES)


async def on_device(ctx: Context) -> None:
    """A device event (kind "device", bot/iot.py): data {device, person, type, use, at}."""
    data = ctx.event.data
    enrolment = await enrolment_of(ctx, str(data.get("person") or ""))
    if enrolment is None:
        return
    kind, device = data.get("type"), str(data.get("device") or "")
    at = min(float(data.get("at") or ctx.now), ctx.now)
    if kind == "button":
        await button(ctx, enrolment, device)
    elif kind == "door":
        await sign_of_life(ctx, enrolment, "door", device)
    elif kind == "water_meter":
        state = await repo(ctx).state(enrolment.person)
        if data.get("use") or "last_water" not in state:   # the first reading starts the clock
            await repo(ctx).set(enrolment.person, last_water=at)
            await timers.schedule(ctx, WATER, enrolment.person, at + ctx.community.care.water_hours * 3600,
                                  f"care:{enrolment.person}", step="water")
        if data.get("use"):
            await sign_of_life(ctx, enrolment, "water", device)


# -- the alarm and its ladder -----------------------------------------------------------

def _op(ctx: Context, step: str) -> str:
    return f"{ctx.event.id}|{step}"


async def apply(ctx: Context, person_id: str, op: str, alarm_id: str | None,
                change: Callable[[dict[str, Any] | None], dict[str, Any] | None], **options: Any) -> Step:
    """Apply `change` (the alarm read -> the alarm after) to the alarm `alarm_id` ("": none
    may be open; None: whichever is open, or none), once for this event and `op`; read
    again while another step changes the same alarm under it."""
    care = repo(ctx)
    for _ in range(20):
        read = await care.alarm_raw(person_id)
        before = json.loads(read) if read else None
        expected = alarm_id if alarm_id is not None else (str(before["id"]) if before else "")
        step = await care.step(person_id, _op(ctx, op), expected, read, change(copy.deepcopy(before)), **options)
        if step.result != "retry":
            return step
    raise RuntimeError(f"care: the alarm of {person_id} kept changing under {op}")   # the event is retried


async def open_alarm(ctx: Context, enrolment: Enrolment, reason: str, note: str = "",
                     urgent: bool = False) -> dict[str, Any] | None:
    """Open an alarm, if none is open (None otherwise); a redelivered event gets the one it opened."""
    alarm = {"id": ctx.event.id, "reason": reason, "opened": ctx.now, "asked": [], "note": note, "urgent": urgent}
    step = await apply(ctx, enrolment.person, "open", "", lambda before: alarm)
    return step.after if step.result in ("ok", "replay") else None


async def current(ctx: Context, person_id: str, alarm_id: str | None = None) -> dict[str, Any] | None:
    """The person's open alarm (only if it is `alarm_id`, when given: a step of an alarm
    already resolved does nothing)."""
    alarm = (await repo(ctx).state(person_id))["alarm"]
    if alarm is None or (alarm_id is not None and alarm["id"] != alarm_id):
        return None
    return alarm


async def _next(ctx: Context, enrolment: Enrolment, alarm: dict[str, Any], after_hours: float, step: str,
                **data: Any) -> None:
    await timers.schedule(ctx, TIMER, enrolment.person, ctx.now + after_hours * 3600, f"care:{enrolment.person}",
                          step=step, alarm=alarm["id"], **data)
    # The person has one job. A 平安 handled at the same time on another worker may have
    # resolved the alarm and put the daily check back just before this step replaced it:
    # looked at again after scheduling, a resolved alarm gets its daily check back now, not
    # when this leftover step fires.
    if await current(ctx, enrolment.person, alarm["id"]) is None:
        await _heal(ctx, enrolment)


async def on_timer(ctx: Context) -> None:
    data = ctx.event.data
    enrolment = await enrolment_of(ctx, data["key"])
    if enrolment is None:
        return
    step = data["step"]
    if step == "check":
        await _check(ctx, enrolment)
        return
    alarm = await current(ctx, enrolment.person, data.get("alarm"))
    if alarm is None:
        done = [await repo(ctx).applied(enrolment.person, _op(ctx, op)) for op in _ops(step, data)]
        alarm = next((d["before"] for d in done if d and d["before"]), None)   # a redelivery
    if alarm is None:
        await _heal(ctx, enrolment)
        return
    if step == "guardians":
        await ask_guardian(ctx, enrolment, alarm, int(data.get("i", 0)))
    elif step == "staff":
        await escalate(ctx, enrolment, alarm, int(data.get("level", 0)))


def _ops(step: str, data: dict[str, Any]) -> list[str]:
    first = [f"ask:{data.get('i', 0)}"] if step == "guardians" else []
    return [*first, "staff:0", "staff:1"]


async def _heal(ctx: Context, enrolment: Enrolment) -> None:
    """A step of an alarm no longer open: if none is, the daily check is the person's job
    (a step that raced the 平安 may have taken its place)."""
    if (await repo(ctx).state(enrolment.person))["alarm"] is None:
        await schedule_check(ctx, enrolment)


async def _check(ctx: Context, enrolment: Enrolment) -> None:
    state = await repo(ctx).state(enrolment.person)
    await schedule_check(ctx, enrolment)          # tomorrow's, unless a step takes its place below
    if state.get("away_until", 0) > ctx.now:
        return
    last = max(state.get("last_sign", 0), enrolment.at)
    if last > ctx.now - DAY:
        return
    alarm = await open_alarm(ctx, enrolment, "quiet")   # an alarm already open: nothing
    if alarm is None:
        return
    ctx.tell(enrolment.person, ctx.t("care.reminder", name=ctx.name_of(enrolment.person)),
             buttons=((("平安", "平安"),),))
    await log(ctx, enrolment.person, "reminded")
    await _next(ctx, enrolment, alarm, ctx.community.care.remind_hours, "guardians", i=0)


async def on_water(ctx: Context) -> None:
    """No water used for water_hours: straight to a guardian's visit."""
    enrolment = await enrolment_of(ctx, ctx.event.data["key"])
    if enrolment is None:
        return
    state = await repo(ctx).state(enrolment.person)
    hours = ctx.community.care.water_hours
    if state.get("last_water", 0) > ctx.now - hours * 3600 + 1 or state.get("away_until", 0) > ctx.now:
        return
    alarm = await open_alarm(ctx, enrolment, "water", ctx.t("care.water_note", hours=f"{hours:g}"))
    if alarm is None:
        return
    await log(ctx, enrolment.person, "water_quiet", alarm["note"])
    await ask_guardian(ctx, enrolment, alarm, 0)


async def ask_guardian(ctx: Context, enrolment: Enrolment, alarm: dict[str, Any], i: int) -> None:
    if i >= len(enrolment.guardians):
        await escalate(ctx, enrolment, alarm, 0)
        return
    guardian, elder = enrolment.guardians[i], ctx.name_of(enrolment.person)
    step = await apply(ctx, enrolment.person, f"ask:{i}", str(alarm["id"]),
                       lambda before: {**before, "asked": [*before.get("asked", []), guardian]},
                       unless_claimed=True)
    if step.result not in ("ok", "replay"):
        return                                    # resolved, replaced or claimed meanwhile
    alarm = step.before
    since = ctx.when(alarm["opened"]) if alarm["reason"] != "water" else alarm["note"]
    ctx.tell(guardian, ctx.t("care.ask_guardian", name=elder, since=since),
             buttons=(((ctx.t("care.claim_button"), f"我去看看 @{elder}"),),))
    await log(ctx, enrolment.person, "asked", ctx.name_of(guardian))
    if step.current:
        await _next(ctx, enrolment, alarm, ctx.community.care.guardian_minutes / 60, "guardians", i=i + 1)


async def escalate(ctx: Context, enrolment: Enrolment, alarm: dict[str, Any], level: int) -> None:
    """Level 0: the building's grid worker; level 1: the secretary."""
    community, person = ctx.community, ctx.community.people.get(enrolment.person)
    building = person.building if person else None
    staff = [p.id for p in (community.grid_workers_for(building) if level == 0 else community.with_role("secretary"))]
    if not staff and level == 0:
        await escalate(ctx, enrolment, alarm, 1)
        return
    step = await apply(ctx, enrolment.person, f"staff:{level}", str(alarm["id"]),
                       lambda before: {**before, "asked": [*before.get("asked", []), *staff]})
    if step.result not in ("ok", "replay"):
        return                                    # resolved or replaced meanwhile: say nothing
    alarm = step.before
    detail = ""
    claimant = await repo(ctx).claimant(enrolment.person, alarm["id"])
    if alarm["reason"] == "trouble":
        detail = ctx.t("care.detail_trouble", by=ctx.name_of(alarm.get("by")), note=alarm["note"]) + "\n"
    elif claimant:
        detail = ctx.t("care.detail_claimed", claimer=ctx.name_of(claimant)) + "\n"
    elif alarm.get("asked"):
        detail = ctx.t("care.detail_asked", names=names(ctx, alarm["asked"])) + "\n"
    if alarm.get("urgent"):
        detail += ctx.t("care.emergency_line", numbers=community.care.emergency) + "\n"
    since = ctx.when(alarm["opened"]) if alarm["reason"] == "quiet" else ctx.when((await repo(ctx).state(
        enrolment.person)).get("last_sign", enrolment.at))
    text = ctx.t("care.alert_staff", name=ctx.name_of(enrolment.person), place=place(ctx, enrolment.person),
                 since=since, detail=detail)
    for someone in staff:
        ctx.tell(someone, text)
    await log(ctx, enrolment.person, "staff" if level == 0 else "secretary", names(ctx, staff))
    if level == 0 and step.current:
        await _next(ctx, enrolment, alarm, community.care.escalate_hours, "staff", level=1)


async def button(ctx: Context, enrolment: Enrolment, device: str) -> None:
    """An emergency button: everyone at once, with the emergency numbers."""
    community, person = ctx.community, ctx.community.people.get(enrolment.person)
    told = [*(p.id for p in community.grid_workers_for(person.building if person else None)),
            *(p.id for p in community.with_role("secretary")), *enrolment.guardians]
    told = list(dict.fromkeys(told))

    def press(before: dict[str, Any] | None) -> dict[str, Any]:
        alarm = before or {"id": ctx.event.id, "reason": "button", "opened": ctx.now, "asked": [], "note": device,
                           "urgent": True}
        return {**alarm, "asked": list(dict.fromkeys([*alarm.get("asked", []), *told])), "urgent": True}

    await apply(ctx, enrolment.person, "button", None, press)   # ok or replay: whichever, everyone is told
    elder = ctx.name_of(enrolment.person)
    text = ctx.t("care.button", name=elder, place=place(ctx, enrolment.person), numbers=community.care.emergency)
    for someone in told:
        ctx.tell(someone, text)
    await log(ctx, enrolment.person, "button", device)


async def trouble(ctx: Context, enrolment: Enrolment, note: str, urgent: bool) -> None:
    """A guardian (or staff) found something wrong: the grid worker now, the secretary next."""
    def report(before: dict[str, Any] | None) -> dict[str, Any]:
        alarm = before or {"id": ctx.event.id, "reason": "trouble", "opened": ctx.now, "asked": [], "note": note,
                           "urgent": urgent}
        return {**alarm, "reason": "trouble", "note": note, "by": ctx.person.id,
                "urgent": bool(alarm.get("urgent") or urgent)}

    step = await apply(ctx, enrolment.person, "trouble", None, report)
    await log(ctx, enrolment.person, "trouble", note)
    await escalate(ctx, enrolment, step.after, 0)


async def earn_visit(ctx: Context, enrolment: Enrolment) -> None:
    """A guardian's visit earns `[points] care_visit` and/or `[care] visit_hours_credit`, once a
    day per person visited, through the ledger."""
    me, rules = ctx.person.id, ctx.community.care
    if me not in enrolment.guardians:
        return
    day = datetime.fromtimestamp(ctx.now, ctx.community.tz).strftime("%Y-%m-%d")
    key, elder = f"care:{enrolment.person}:{day}:{me}", ctx.name_of(enrolment.person)
    if rules.visit_points:
        await points.earn(ctx, me, "care_visit", key, elder)
    if rules.visit_hours_credit:
        await points.credit_hours(ctx, me, round(rules.visit_hours_credit * 100), f"{key}:hours", elder,
                                  kind="care_visit")


# -- the weekly summary and the community file ------------------------------------------

async def on_week(ctx: Context) -> None:
    """To each grid worker: their buildings' people in care, last sign of life, visits this
    week, who is away, open alarms."""
    await schedule_week(ctx)
    care, community = repo(ctx), ctx.community
    lines: dict[str, list[str]] = {}
    for person_id, raw in (await care.enrolled()).items():
        state = await care.state(person_id)
        visits = sum(1 for e in await care.entries(person_id, ctx.now - 7 * DAY) if e["what"] == "visit")
        parts = [ctx.t("care.week_last", when=ctx.when(state["last_sign"])) if "last_sign" in state
                 else ctx.t("care.week_none")]
        if visits:
            parts.append(ctx.t("care.week_visits", count=visits))
        if state.get("away_until", 0) > ctx.now:
            parts.append(ctx.t("care.week_away", until=ctx.when(state["away_until"])))
        if state["alarm"]:
            parts.append(ctx.t("care.week_alarm"))
        person = community.people.get(person_id)
        for worker in community.grid_workers_for(person.building if person else None):
            lines.setdefault(worker.id, []).append(
                ctx.t("care.week_line", name=ctx.name_of(person_id), status="，".join(parts)))
    for worker, found in lines.items():
        ctx.tell(worker, ctx.t("care.week", lines="\n".join(found)))


async def on_sync(ctx: Context) -> None:
    """At start: the community file's [[care.people]] are enrolled (once; the file's
    guardians and check time follow the file), their daily checks and the summary scheduled."""
    care = repo(ctx)
    for entry in ctx.community.care.people:
        enrolment = Enrolment(person=entry.person, guardians=entry.guardians, consent=entry.consent,
                              check_time=entry.check_time, by="file", at=ctx.now, how="file")
        if await care.enrol_once(entry.person, enrolment.record()):
            await log(ctx, entry.person, "enrolled", entry.consent, by="file")
            await schedule_check(ctx, enrolment)
        else:
            old = await enrolment_of(ctx, entry.person)
            if old and old.how == "file" and (old.guardians, old.check_time) != (entry.guardians, entry.check_time):
                await care.enrol(entry.person, {**old.record(), "guardians": list(entry.guardians),
                                                "check_time": entry.check_time})
    if ctx.community.care.people:
        await schedule_week(ctx)
