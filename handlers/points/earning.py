"""Earning points (积分) and time-bank hours, and what every feature needs to book them.

Other features call `earn` (points for a kind of participation the community file
rewards) and `credit_hours` (hours for a confirmed volunteer task). Each booking is keyed
by what happened, not by the message that reported it ("ticket:12:accepted"), so an event
delivered three times, or two staff accepting the same ticket, books once. The person is
told privately what it was for and the new balance.
"""

from __future__ import annotations

import re
from datetime import datetime

from handlers.context import Context
from storage.ledger import POOL, Ledger, Posted, Transfer, Txn, account

_HOURS = re.compile(r"^(\d{1,4}(?:\.\d{1,2})?)\s*(?:个?小时|h)?$", re.I)


def ledger(ctx: Context) -> Ledger:
    return Ledger(ctx.services.store)


def day(ctx: Context) -> str:
    return datetime.fromtimestamp(ctx.now, ctx.community.tz).strftime("%Y-%m-%d")


def month(ctx: Context) -> str:
    return datetime.fromtimestamp(ctx.now, ctx.community.tz).strftime("%Y-%m")


def by(ctx: Context) -> str:
    return ctx.person.id if ctx.person and ctx.event.kind == "message" else "system"


def hours_text(hundredths: int) -> str:
    """150 -> '1.5', -1000 -> '-10', 125 -> '1.25' (no float ever touches an amount)."""
    whole, part = divmod(abs(hundredths), 100)
    text = f"{whole}.{part:02d}".rstrip("0").rstrip(".")
    return f"-{text}" if hundredths < 0 else text


def parse_hours(text: str) -> int | None:
    """'1.5', '1.5小时', '2h', '半小时' -> hundredths; None when it is not a number of hours."""
    text = text.strip()
    if text in ("半小时", "半个小时"):
        return 50
    match = _HOURS.match(text)
    if not match:
        return None
    whole, _, part = match.group(1).partition(".")
    return int(whole) * 100 + int((part + "00")[:2])


def amount_text(ctx: Context, unit: str, amount: int, signed: bool = False) -> str:
    number = hours_text(amount) if unit == "hours" else str(amount)
    if signed and amount > 0:
        number = "+" + number
    return ctx.t(f"points.unit.{unit}", amount=number)


def kind_label(ctx: Context, kind: str) -> str:
    rule = ctx.community.ledger.earn.get(kind)
    if rule and rule.label:
        return rule.label
    key = f"points.kind.{kind}"
    return ctx.t(key) if key in ctx.services.texts.templates else kind


async def booked_now(ctx: Context, posted: Posted) -> bool:
    """Booked by the event being handled: just now, or by an earlier delivery of it that
    was cut short (so its replies still have to be sent)."""
    if posted.result == "replay" and posted.seq:
        entry = await ledger(ctx).entry(posted.seq)
        return entry is not None and entry.event == ctx.event.id
    return posted.ok


async def earn(ctx: Context, person_id: str, kind: str, key: str, note: str = "") -> Posted | None:
    """Credit the points the community file gives for `kind`, once per `key`, within the
    kind's daily cap. None when this community does not reward `kind` (or knows no such person)."""
    rule = ctx.community.ledger.earn.get(kind)
    person = ctx.community.people.get(person_id)
    if rule is None or person is None:
        return None
    books = ledger(ctx)
    txn = Txn(key=key, event=ctx.event.id, at=ctx.now, transfers=[
        Transfer("points", POOL, account(person_id), rule.amount, kind, note, by(ctx), key)])
    if rule.daily_cap:
        txn.cap(books.cap_key(person_id, day(ctx)), f"points:{kind}", rule.amount, rule.daily_cap)
    if person.building:
        txn.rank(books.rank_key(month(ctx), person.building), person_id, rule.amount)
    posted = await books.post(txn)
    await _announce(ctx, books, posted, person_id, "points", rule.amount, kind, note, rule.daily_cap)
    return posted


async def credit_hours(ctx: Context, person_id: str, hours: int, key: str, note: str = "",
                       kind: str = "volunteer_task") -> Posted | None:
    """Credit `hours` (hundredths of an hour) from the community to a volunteer, once per
    `key`, within `[timebank] task_daily_cap`. For the volunteer-task feature: call it once
    the beneficiary or staff confirmed the task."""
    if person_id not in ctx.community.people or hours <= 0:
        return None
    books = ledger(ctx)
    txn = Txn(key=key, event=ctx.event.id, at=ctx.now, transfers=[
        Transfer("hours", POOL, account(person_id), hours, kind, note, by(ctx), key)])
    cap = ctx.community.ledger.timebank.task_daily_cap
    if cap:
        txn.cap(books.cap_key(person_id, day(ctx)), f"hours:{kind}", hours, cap)
    posted = await books.post(txn)
    await _announce(ctx, books, posted, person_id, "hours", hours, kind, note, cap)
    return posted


async def _announce(ctx: Context, books: Ledger, posted: Posted, person_id: str, unit: str, amount: int,
                    kind: str, note: str, cap: int | None) -> None:
    what = kind_label(ctx, kind) + (f"（{note}）" if note else "")
    if posted.result == "replay":
        # Told already, unless this very event was cut short before its messages were stored.
        if not await booked_now(ctx, posted):
            return
        balance = await books.balance(account(person_id), unit)
    elif posted.ok:
        balance = posted.balances[1]
    else:
        if posted.result == "capped":
            ctx.tell(person_id, ctx.t("points.capped", what=what, cap=amount_text(ctx, unit, cap or 0)))
        return
    ctx.tell(person_id, ctx.t("points.credited", amount=amount_text(ctx, unit, amount, signed=True), what=what,
                              balance=amount_text(ctx, unit, balance)))


async def attend(ctx: Context, args: str) -> None:
    """`签到 活动名 @a @b …` (staff): everyone checked in earns event_attendance once a day."""
    words = args.split()
    refs = [w for w in words if w[0] in "@＠"]
    activity = " ".join(w for w in words if w[0] not in "@＠")
    if not activity or not refs:
        ctx.reply(ctx.t("points.usage.attend"))
        return
    people = [(ref, ctx.community.find_person(ref)) for ref in refs]
    unknown = [ref for ref, person in people if person is None]
    if unknown:
        ctx.reply(ctx.t("points.unknown_people", who="、".join(unknown)) + "\n" + ctx.t("points.usage.attend"))
        return
    if "event_attendance" not in ctx.community.ledger.earn:
        ctx.reply(ctx.t("points.not_rewarded", what=kind_label(ctx, "event_attendance")))
        return
    credited, again, capped = [], [], []
    for person in {p.id: p for _, p in people}.values():
        posted = await earn(ctx, person.id, "event_attendance", f"attend:{day(ctx)}:{activity}:{person.id}", activity)
        if posted is not None and await booked_now(ctx, posted):
            credited.append(person.name)
        elif posted is not None:
            (capped if posted.result == "capped" else again).append(person.name)
    lines = [ctx.t("points.attended", activity=activity, count=len(credited), names="、".join(credited) or "—")]
    if again:
        lines.append(ctx.t("points.attended_again", names="、".join(again)))
    if capped:
        lines.append(ctx.t("points.attended_capped", names="、".join(capped)))
    ctx.reply("\n".join(lines))


# The hooks the ticket handlers call (one line each in handlers/tickets/actions.py).
async def report_accepted(ctx: Context, ticket_id: int, reporter: str) -> None:
    """派单 or 处理: the report was accepted (rejected and duplicate reports never get here);
    keyed by the ticket, so it counts once however often the ticket is taken up."""
    await earn(ctx, reporter, "report_accepted", f"ticket:{ticket_id}:accepted", ctx.t("points.ticket", id=ticket_id))


async def rating_given(ctx: Context, ticket_id: int, person_id: str) -> None:
    """评价: once per ticket, even when it is reopened and rated again."""
    await earn(ctx, person_id, "rating_given", f"ticket:{ticket_id}:rated", ctx.t("points.ticket", id=ticket_id))
