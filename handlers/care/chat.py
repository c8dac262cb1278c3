"""The care commands as typed in chat: 关爱 (staff: 登记, 记录, 名单; staff and guardians:
查看), 平安, 探访, 我去看看 and 外出."""

from __future__ import annotations

import re

from handlers.care import ladder
from handlers.care.common import (Enrolment, check_time, enrolment_of, load, log, names, place, repo,
                                  schedule_check, schedule_week)
from handlers.care.rules import parse_time
from handlers.context import Context
from handlers.permissions import CARE_WATCHER, ELDER, STAFF, Refusal

_URGENT = ("急", "120", "送医", "摔", "昏", "晕", "叫不醒")
_TROUBLE = ("有情况", "不好", "不对", "没开门", "不开门", "联系不上")
_DAYS = re.compile(r"^(\d{1,3})\s*(?:天|日)?$")
_ENDED = ("结束", "回来了", "回来", "取消")


def _split_ref(args: str) -> tuple[str, str]:
    """'@王奶奶 情况良好' -> ('@王奶奶', '情况良好'); ('', args) when it names nobody."""
    args = args.strip()
    if not args or args[0] not in "@＠":
        return "", args
    ref, _, rest = args.partition(" ")
    return ref, rest.strip()


# -- 关爱 -------------------------------------------------------------------------------

async def care(ctx: Context, args: str) -> None:
    action, _, rest = args.strip().partition(" ")
    rest = rest.strip()
    if action == "登记":
        STAFF.require(ctx, None)
        await enrol(ctx, rest)
    elif action == "记录":
        STAFF.require(ctx, None)
        ref, note = _split_ref(rest)
        if not ref or not note:
            raise Refusal("care.usage.record")
        enrolment = await load(ctx, ref, CARE_WATCHER)
        await ladder.sign_of_life(ctx, enrolment, "record", note, resolves=("quiet", "water", "button", "trouble"))
        ctx.reply(ctx.t("care.recorded", name=ctx.name_of(enrolment.person), note=note))
    elif action == "名单":
        STAFF.require(ctx, None)
        await listing(ctx)
    elif action == "查看":
        ref, _ = _split_ref(rest)
        if not ref:
            raise Refusal("care.usage.care")
        await view(ctx, await load(ctx, ref, CARE_WATCHER))
    else:
        raise Refusal("care.usage.care")


async def enrol(ctx: Context, args: str) -> None:
    """`关爱 登记 @王奶奶 监护 @李阿姨 @王小明 [时间 9:00] 同意 本人当面同意`."""
    head, said, consent = args.partition("同意")
    words = head.replace("＠", "@").split()
    if not words or not words[0].startswith("@") or "监护" not in words:
        raise Refusal("care.usage.care")
    elder = ctx.community.find_person(words[0])
    guardian_refs = [w for w in words[words.index("监护") + 1:] if w.startswith("@")]
    time_at = None
    if "时间" in words and words.index("时间") + 1 < len(words):
        time_at = parse_time(words[words.index("时间") + 1])
        if time_at is None:
            raise Refusal("care.bad_time", time=words[words.index("时间") + 1])
    guardians = [ctx.community.find_person(ref) for ref in guardian_refs]
    unknown = [ref for ref, person in zip([words[0], *guardian_refs], [elder, *guardians]) if person is None]
    if unknown:
        raise Refusal("care.unknown_people", who="、".join(unknown))
    if not guardians:
        raise Refusal("care.usage.care")
    if not said or not consent.strip():
        raise Refusal("care.need_consent")
    if elder.id in {g.id for g in guardians}:
        raise Refusal("care.own_guardian")
    old = await enrolment_of(ctx, elder.id)
    enrolment = Enrolment(person=elder.id, guardians=tuple(dict.fromkeys(g.id for g in guardians)),
                          consent=consent.strip(), check_time=time_at or (old.check_time if old else None),
                          by=ctx.person.id, at=old.at if old else ctx.now, how="chat")
    await repo(ctx).enrol(elder.id, enrolment.record())
    await log(ctx, elder.id, "enrolled", ctx.t("care.consent_note", consent=enrolment.consent,
                                                guardians=names(ctx, enrolment.guardians)))
    if old is None:
        await schedule_check(ctx, enrolment)
    await schedule_week(ctx)
    when = check_time(ctx, enrolment)
    ctx.reply(ctx.t("care.enrolled", name=elder.name, guardians=names(ctx, enrolment.guardians), time=when))
    for guardian in enrolment.guardians:
        if old is None or guardian not in old.guardians:
            ctx.tell(guardian, ctx.t("care.enrolled_guardian", name=elder.name))
    if old is None:
        ctx.tell(elder.id, ctx.t("care.enrolled_elder", name=elder.name))


async def listing(ctx: Context) -> None:
    care = repo(ctx)
    lines = []
    for person_id in await care.enrolled():
        state = await care.state(person_id)
        last = ctx.when(state["last_sign"]) if "last_sign" in state else ctx.t("care.never")
        mark = ctx.t("care.list_alarm") if state["alarm"] else (
            ctx.t("care.list_away") if state.get("away_until", 0) > ctx.now else "")
        lines.append(ctx.t("care.list_line", name=ctx.name_of(person_id), place=place(ctx, person_id), last=last,
                           mark=mark))
    ctx.reply_privately(ctx.t("care.list", count=len(lines), lines="\n".join(lines) or "—"),
                        ctx.t("care.sent_privately"))


async def view(ctx: Context, enrolment: Enrolment) -> None:
    care = repo(ctx)
    state = await care.state(enrolment.person)
    last = ctx.when(state["last_sign"]) if "last_sign" in state else ctx.t("care.never")
    extra = ""
    if state.get("away_until", 0) > ctx.now:
        extra += ctx.t("care.view_away", until=ctx.when(state["away_until"])) + "\n"
    if state["alarm"]:
        extra += ctx.t("care.view_alarm", since=ctx.when(state["alarm"]["opened"])) + "\n"
    entries = (await care.entries(enrolment.person))[-5:]
    lines = [f"{ctx.when(e['at'])} {ctx.t('care.what.' + e['what'])}" + (f"：{e['note']}" if e.get("note") else "")
             for e in entries]
    ctx.reply_privately(ctx.t("care.view", name=ctx.name_of(enrolment.person), place=place(ctx, enrolment.person),
                              guardians=names(ctx, enrolment.guardians), last=last, extra=extra,
                              log="\n".join(lines) or "—"),
                        ctx.t("care.sent_privately"))


# -- 平安, 探访, 我去看看, 外出 --------------------------------------------------------------

async def safe(ctx: Context, args: str) -> None:
    """`平安` (the elder: the router already took it as a sign of life); `平安 @王奶奶 已上门，没事`
    (a guardian or staff): a sign of life that ends any alarm and tells everyone asked."""
    ref, note = _split_ref(args)
    if not ref:
        mine = await enrolment_of(ctx, ctx.person.id)
        if not mine and ctx.in_group and not ctx.event.addressed:
            return           # neighbours wishing each other 平安 in a group
        ctx.reply(ctx.t("care.safe_thanks" if mine else "care.safe_plain"))
        return
    enrolment = await load(ctx, ref, CARE_WATCHER)
    resolved = await ladder.sign_of_life(ctx, enrolment, "safe", note,
                                         resolves=("quiet", "water", "button", "trouble"))
    ctx.reply(ctx.t("care.safe_resolved" if resolved else "care.recorded", name=ctx.name_of(enrolment.person),
                    note=note or ctx.t("care.fine")))


async def visit(ctx: Context, args: str) -> None:
    """`探访 @王奶奶 情况良好` (a sign of life, points for a guardian); `探访 @王奶奶 有情况 …`
    (the grid worker at once; the emergency numbers when it sounds urgent)."""
    ref, note = _split_ref(args)
    if not ref:
        raise Refusal("care.usage.visit")
    enrolment = await load(ctx, ref, CARE_WATCHER)
    elder = ctx.name_of(enrolment.person)
    if any(word in note for word in _TROUBLE):
        urgent = any(word in note for word in _URGENT)
        await ladder.trouble(ctx, enrolment, note, urgent)
        await repo(ctx).set(enrolment.person, last_visit=ctx.now)
        reply = ctx.t("care.trouble_thanks", name=elder)
        if urgent:
            reply += "\n" + ctx.t("care.emergency_line", numbers=ctx.community.care.emergency)
        ctx.reply(reply)
    else:
        await ladder.sign_of_life(ctx, enrolment, "visit", note or ctx.t("care.fine"),
                                  resolves=("quiet", "water", "button"))
        await repo(ctx).set(enrolment.person, last_visit=ctx.now)
        ctx.reply(ctx.t("care.visit_thanks", name=elder))
    await ladder.earn_visit(ctx, enrolment)


async def claim(ctx: Context, args: str) -> None:
    """`我去看看 @王奶奶`: the first to claim goes (首接负责); the others are told."""
    ref, _ = _split_ref(args)
    if ref:
        enrolment = await load(ctx, ref, CARE_WATCHER)
    else:
        care, mine = repo(ctx), []
        for person_id, raw in (await care.enrolled()).items():
            if ctx.person.id in raw.get("guardians", []) and (await care.state(person_id))["alarm"]:
                mine.append(person_id)
        if len(mine) != 1:
            raise Refusal("care.usage.claim")
        enrolment = await enrolment_of(ctx, mine[0])
    elder = ctx.name_of(enrolment.person)
    done = await repo(ctx).applied(enrolment.person, ladder._op(ctx, "claim"))
    alarm = done["before"] if done else await ladder.current(ctx, enrolment.person)   # a redelivery: the same
    me = ctx.person.id
    step = await ladder.apply(ctx, enrolment.person, "claim", str(alarm["id"]) if alarm else "",
                              lambda before: before, claimant=me) if alarm else None
    if step is None or step.result == "stale":
        ctx.reply(ctx.t("care.no_alarm", name=elder))
        return
    if step.result == "taken":
        key = "care.claimed" if step.holder == me else "care.claim_taken"   # said twice: still theirs
        ctx.reply(ctx.t(key, name=elder, claimer=ctx.name_of(step.holder)))
        return
    alarm = step.before
    ctx.reply(ctx.t("care.claimed", name=elder))
    for person in dict.fromkeys(alarm.get("asked", [])):
        if person != me:
            ctx.tell(person, ctx.t("care.claimed_others", name=elder, claimer=ctx.name_of(me)))
    await log(ctx, enrolment.person, "claimed")
    if step.current:
        await ladder._next(ctx, enrolment, alarm, ctx.community.care.visit_hours, "staff", level=0)


async def away(ctx: Context, args: str) -> None:
    """`外出 7天` (the elder), `外出 @王奶奶 7天 住院` (a guardian or staff); `外出 结束`."""
    ref, rest = _split_ref(args)
    if ref:
        enrolment = await load(ctx, ref, CARE_WATCHER | ELDER)
    else:
        enrolment = await enrolment_of(ctx, ctx.person.id)
        if enrolment is None:
            raise Refusal("care.away_not_enrolled")
    first, _, note = rest.partition(" ")
    elder, me = ctx.name_of(enrolment.person), ctx.person.id
    if first in _ENDED:
        await repo(ctx).set(enrolment.person, away_until=None)
        await log(ctx, enrolment.person, "back", note)
        ctx.reply(ctx.t("care.away_ended", name=elder))
        return
    days = _DAYS.match(first)
    if not days or not 0 < int(days.group(1)) <= 90:
        raise Refusal("care.usage.away")
    until = ctx.now + int(days.group(1)) * ladder.DAY
    await repo(ctx).set(enrolment.person, away_until=until)
    await log(ctx, enrolment.person, "away", note, until=until)
    alarm = await ladder.resolvable(ctx, enrolment.person)
    if alarm is not None and not await ladder.resolve(ctx, enrolment, alarm,
                                                      ctx.t("care.away_note", until=ctx.when(until))):
        alarm = None
    ctx.reply(ctx.t("care.away_set", name=elder, until=ctx.when(until)))
    for guardian in enrolment.guardians:
        if guardian != me and not (alarm and guardian in alarm.get("asked", [])):
            ctx.tell(guardian, ctx.t("care.away_told", by=ctx.name_of(me), name=elder, until=ctx.when(until)))
