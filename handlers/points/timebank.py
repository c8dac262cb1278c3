"""The time bank (时间银行): help given between neighbours, in hours.

`时间银行 @王奶奶 1.5 买菜` records help given; nothing moves until the receiver (or staff,
for neighbours without a phone) confirms it (`确认 E3`), when the hours go from the
receiver to the giver in one ledger transaction. The receiver may go below zero, down to
`[timebank] min_balance`; an exchange can be disputed (`异议 E3 原因`) and lapses when not
confirmed within `confirm_days`. `换积分 2` turns hours into points, only where the
community file sets `points_per_hour`.
"""

from __future__ import annotations

import re

from handlers import timers
from handlers.context import Context
from handlers.permissions import RECEIVER, STAFF, Refusal
from handlers.points.earning import amount_text, booked_now, by, hours_text, ledger, parse_hours
from handlers.points.view import balance
from storage.ledger import POOL, Exchange, Exchanges, Transfer, Txn, account

DAY = 86400.0
_REF = re.compile(r"^[EeＥｅ#＃]?(\d+)\s*(.*)$", re.S)
_STATUS = {"pending": "待确认", "confirmed": "已确认", "disputed": "有异议", "lapsed": "已失效"}


def _hours(ctx: Context, hundredths: int) -> str:
    return amount_text(ctx, "hours", hundredths)


async def give(ctx: Context, args: str) -> None:
    """`时间银行 @王奶奶 1.5 买菜`; without arguments, my time bank."""
    if not args:
        await balance(ctx, "")
        return
    parts = args.split(None, 2)
    receiver = ctx.community.find_person(parts[0])
    hours = parse_hours(parts[1]) if len(parts) > 1 else None
    note = parts[2].strip() if len(parts) > 2 else ""
    if receiver is None or not hours or not note:
        problem = ctx.t("points.unknown_people", who=parts[0]) + "\n" if receiver is None else ""
        ctx.reply(problem + ctx.t("points.usage.give"))
        return
    await record(ctx, receiver, hours, note)


async def record(ctx: Context, receiver, hours: int, note: str) -> int | None:
    """The sender helped `receiver` for `hours` (hundredths): the exchange recorded once per
    event, the receiver asked to confirm; its id, or None when refused (the sender is told).
    Also how other packages record help (sharing: 帮完 M3 1.5)."""
    rules = ctx.community.ledger.timebank
    if receiver.id == ctx.person.id:
        ctx.reply(ctx.t("points.timebank.not_yourself"))
        return None
    if hours > rules.max_exchange:
        ctx.reply(ctx.t("points.timebank.too_many", most=_hours(ctx, rules.max_exchange)))
        return None
    exchange_id, _ = await Exchanges(ctx.services.store).open(ctx.event.id, ctx.person.id, receiver.id, hours,
                                                              note, ctx.now)
    await timers.schedule(ctx, "exchange", str(exchange_id), ctx.now + rules.confirm_days * DAY,
                          f"exchange:{exchange_id}", exchange=exchange_id)
    days = f"{rules.confirm_days:g}"
    ctx.reply(ctx.t("points.timebank.recorded", id=exchange_id, name=receiver.name, note=note,
                    hours=_hours(ctx, hours), days=days))
    ctx.tell(receiver.id, ctx.t("points.timebank.please_confirm", id=exchange_id, name=ctx.person.name, note=note,
                                hours=_hours(ctx, hours), days=days))
    return exchange_id


async def _exchange(ctx: Context, args: str, usage: str) -> tuple[Exchange, str] | None:
    match = _REF.match(args.strip())
    if not match:
        if not ctx.in_group:   # in a group "确认 收到" is not meant for us
            ctx.reply(ctx.t(usage))
        return None
    exchange = await Exchanges(ctx.services.store).get(int(match.group(1)))
    if exchange is None:
        raise Refusal("points.timebank.not_found", id=match.group(1))
    (RECEIVER | STAFF).require(ctx, exchange, "points.timebank.not_yours", id=exchange.id)
    return exchange, match.group(2).strip()


async def _still_pending(ctx: Context, exchange: Exchange) -> bool:
    if exchange.status == "pending" and ctx.now > exchange.created_at + ctx.community.ledger.timebank.confirm_days * DAY:
        result, _ = await Exchanges(ctx.services.store).change(exchange.id, "pending", status="lapsed")
        if result == "ok":
            ctx.tell(exchange.giver, ctx.t("points.timebank.lapsed_giver", id=exchange.id,
                                           name=ctx.name_of(exchange.receiver)))
        ctx.reply(ctx.t("points.timebank.lapsed", id=exchange.id))
        return False
    if exchange.status != "pending":
        ctx.reply(ctx.t("points.timebank.already", id=exchange.id, status=_STATUS.get(exchange.status, exchange.status)))
        return False
    return True


async def on_timer(ctx: Context) -> None:
    """The confirmation period ended: an exchange still pending lapses and both are told."""
    exchange = await Exchanges(ctx.services.store).get(int(ctx.event.data["exchange"]))
    if exchange is None or exchange.status != "pending":
        return
    result, _ = await Exchanges(ctx.services.store).change(exchange.id, "pending", status="lapsed")
    if result == "ok" or await _lapsed_by(ctx, exchange.id):
        ctx.tell(exchange.giver, ctx.t("points.timebank.lapsed_giver", id=exchange.id,
                                       name=ctx.name_of(exchange.receiver)))
        ctx.tell(exchange.receiver, ctx.t("points.timebank.lapsed", id=exchange.id))


async def _lapsed_by(ctx: Context, exchange_id: int) -> bool:
    fresh = await Exchanges(ctx.services.store).get(exchange_id)
    return fresh is not None and fresh.status == "lapsed"


async def confirm(ctx: Context, args: str) -> None:
    """`确认 E3`: the receiver (or staff) confirms; the hours move."""
    found = await _exchange(ctx, args, "points.usage.confirm")
    if found is None:
        return
    exchange = found[0]
    books = ledger(ctx)
    # A confirmed one goes on to the ledger too: a redelivered 确认 whose replies were lost
    # finds its own booking there and says it again; anyone else hears "已确认".
    if exchange.status != "confirmed" and not await _still_pending(ctx, exchange):
        return
    posted = await books.post(_settle(ctx, exchange))
    if posted.result == "insufficient":
        ctx.reply(ctx.t("points.timebank.below_limit", id=exchange.id, hours=_hours(ctx, exchange.hours),
                        balance=_hours(ctx, int(posted.actual or 0)),
                        limit=_hours(ctx, ctx.community.ledger.timebank.min_balance)))
        return
    if not await booked_now(ctx, posted):
        fresh = await Exchanges(ctx.services.store).get(exchange.id)
        ctx.reply(ctx.t("points.timebank.already", id=exchange.id, status=_STATUS.get(fresh.status, fresh.status)))
        return
    giver_balance = await books.balance(account(exchange.giver), "hours")
    receiver_balance = await books.balance(account(exchange.receiver), "hours")
    what = ctx.t("points.kind.exchange") + f"（{exchange.note}，{ctx.name_of(exchange.receiver)}）"
    ctx.tell(exchange.giver, ctx.t("points.credited", amount=amount_text(ctx, "hours", exchange.hours, signed=True),
                                   what=what, balance=_hours(ctx, giver_balance)))
    text = ctx.t("points.timebank.confirmed", id=exchange.id, hours=_hours(ctx, exchange.hours),
                 name=ctx.name_of(exchange.giver), balance=_hours(ctx, receiver_balance))
    ctx.reply(text)
    if ctx.person.id != exchange.receiver:
        ctx.tell(exchange.receiver, text)


def _settle(ctx: Context, exchange: Exchange) -> Txn:
    store = Exchanges(ctx.services.store)
    txn = Txn(key=f"exchange:{exchange.id}", event=ctx.event.id, at=ctx.now, transfers=[
        Transfer("hours", account(exchange.receiver), account(exchange.giver), exchange.hours, "exchange",
                 exchange.note, by(ctx), f"E{exchange.id}", floor=ctx.community.ledger.timebank.min_balance)])
    txn.guard(store.key(exchange.id), "status", "pending")
    txn.write(store.key(exchange.id), status="confirmed", settled_at=f"{ctx.now:.3f}", settled_by=by(ctx))
    return txn


async def dispute(ctx: Context, args: str) -> None:
    """`异议 E3 原因`: nothing moves; the giver is told why."""
    found = await _exchange(ctx, args, "points.usage.dispute")
    if found is None:
        return
    exchange, reason = found
    if not reason:
        ctx.reply(ctx.t("points.usage.dispute"))
        return
    if exchange.status == "disputed" and exchange.reason == reason:
        result = "ok"   # the same dispute delivered again: say it again
    elif not await _still_pending(ctx, exchange):
        return
    else:
        result, status = await Exchanges(ctx.services.store).change(
            exchange.id, "pending", status="disputed", reason=reason, settled_at=f"{ctx.now:.3f}", settled_by=by(ctx))
        if result != "ok":
            ctx.reply(ctx.t("points.timebank.already", id=exchange.id, status=_STATUS.get(status, status)))
            return
    ctx.reply(ctx.t("points.timebank.disputed", id=exchange.id))
    ctx.tell(exchange.giver, ctx.t("points.timebank.disputed_giver", id=exchange.id, note=exchange.note,
                                   name=ctx.name_of(exchange.receiver), reason=reason))


async def convert(ctx: Context, args: str) -> None:
    """`换积分 2`: two of my hours become points at the community's rate."""
    rate = ctx.community.ledger.timebank.points_per_hour
    if not rate:
        ctx.reply(ctx.t("points.timebank.no_conversion"))
        return
    hours = parse_hours(args)
    if not hours or hours * rate % 100:
        ctx.reply(ctx.t("points.usage.convert") + "\n" + ctx.t("points.timebank.convert_rule", rate=rate))
        return
    points = hours * rate // 100
    me = account(ctx.person.id)
    note = f"{hours_text(hours)}小时→{points}积分"
    txn = Txn(key=f"convert:{ctx.event.id}", event=ctx.event.id, at=ctx.now, transfers=[
        Transfer("hours", me, POOL, hours, "converted", note, by(ctx), floor=0),
        Transfer("points", POOL, me, points, "converted", note, by(ctx))])
    books = ledger(ctx)
    posted = await books.post(txn)
    if posted.result == "insufficient":
        ctx.reply(ctx.t("points.timebank.not_enough_hours", balance=_hours(ctx, int(posted.actual or 0))))
        return
    balances = await books.balances_of(me)
    ctx.reply(ctx.t("points.timebank.converted", hours=_hours(ctx, hours), points=amount_text(ctx, "points", points),
                    hours_left=_hours(ctx, balances["hours"]), balance=amount_text(ctx, "points", balances["points"])))
