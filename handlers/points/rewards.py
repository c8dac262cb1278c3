"""The 爱心超市: `爱心超市` lists what is on offer, `兑换 理发券` pays and returns a code,
staff `核销 CODE` when it is handed over, `取消兑换 CODE` (the person or staff, before
then) refunds it and puts it back in stock."""

from __future__ import annotations

from handlers.context import Context
from handlers.permissions import OWNER, STAFF, Refusal
from handlers.points.earning import amount_text, booked_now, by, ledger
from storage.ledger import account
from storage.rewards import Item, Redemption, Rewards

_STATUS = {"issued": "待领取", "fulfilled": "已核销", "cancelled": "已取消"}


async def _catalogue(ctx: Context) -> Rewards:
    rewards = Rewards(ctx.services.store)
    await rewards.sync(ctx.community.ledger.rewards.values())
    return rewards


def _item_line(ctx: Context, item: Item) -> str:
    stock = ctx.t("points.rewards.unlimited") if item.stock is None else ctx.t("points.rewards.left", stock=item.stock)
    return ctx.t("points.rewards.item", name=item.name, price=amount_text(ctx, item.unit, item.price), stock=stock)


async def catalogue(ctx: Context, args: str) -> None:
    """`爱心超市`: what may be redeemed, at what price, how many are left."""
    items = await (await _catalogue(ctx)).items(active_only=True)
    if not items:
        ctx.reply(ctx.t("points.rewards.empty"))
        return
    ctx.reply("\n".join([ctx.t("points.rewards.header")] + [_item_line(ctx, i) for i in items]
                        + [ctx.t("points.rewards.footer")]))


def _private(ctx: Context, text: str) -> None:
    """Codes are like vouchers: they go to the person only."""
    ctx.reply_privately(text, ctx.t("points.sent_private", name=ctx.person.name))


async def redeem(ctx: Context, args: str) -> None:
    """`兑换 理发券`: balance and stock are checked and changed in one step."""
    wanted = args.strip()
    if not wanted:
        ctx.reply(ctx.t("points.usage.redeem"))
        return
    rewards = await _catalogue(ctx)
    found = await rewards.find(wanted)
    if len(found) != 1:
        names = "、".join(i.name for i in (found or await rewards.items(active_only=True)))
        key = "points.rewards.which" if found else "points.rewards.not_found"
        ctx.reply(ctx.t(key, name=wanted, names=names or "—"))
        return
    item = found[0]
    books = ledger(ctx)
    posted, code = await rewards.redeem(books, ctx.person.id, item, ctx.event.id, ctx.now, by(ctx))
    if posted.ok or await booked_now(ctx, posted):
        left = await books.balance(account(ctx.person.id), item.unit)
        _private(ctx, ctx.t("points.rewards.redeemed", name=item.name, price=amount_text(ctx, item.unit, item.price),
                            balance=amount_text(ctx, item.unit, left), code=code))
    elif posted.result == "short":
        ctx.reply(ctx.t("points.rewards.sold_out", name=item.name))
    elif posted.result == "insufficient":
        _private(ctx, ctx.t("points.rewards.too_poor", name=item.name, price=amount_text(ctx, item.unit, item.price),
                            balance=amount_text(ctx, item.unit, int(posted.actual or 0))))
    else:   # withdrawn or repriced between reading the catalogue and paying
        ctx.reply(ctx.t("points.rewards.changed", name=item.name))


async def _redemption(ctx: Context, args: str, usage: str) -> Redemption:
    """The redemption a code names, for its owner or staff; anyone else is told there is
    no such code, as for one that does not exist."""
    code = args.strip().split(" ")[0].upper()
    if not code:
        raise Refusal(usage)
    redemption = await Rewards(ctx.services.store).redemption(code)
    if redemption is None:
        raise Refusal("points.rewards.no_code", code=code)
    (OWNER | STAFF).require(ctx, redemption, "points.rewards.no_code", code=code)
    return redemption


async def fulfil(ctx: Context, args: str) -> None:
    """`核销 CODE` (staff): the item was handed over."""
    redemption = await _redemption(ctx, args, "points.usage.fulfil")
    result, status = await Rewards(ctx.services.store).fulfil(redemption.code, ctx.event.id, ctx.now, by(ctx))
    if result != "ok" and redemption.done_event != ctx.event.id:
        ctx.reply(ctx.t("points.rewards.wrong_state", code=redemption.code, status=_STATUS.get(status, status)))
        return
    ctx.reply(ctx.t("points.rewards.fulfilled_ok", code=redemption.code, name=redemption.name,
                    person=ctx.name_of(redemption.person)))
    ctx.tell(redemption.person, ctx.t("points.rewards.fulfilled_you", code=redemption.code, name=redemption.name))


async def cancel(ctx: Context, args: str) -> None:
    """`取消兑换 CODE` (its owner, or staff), before it is fulfilled: a full refund."""
    redemption = await _redemption(ctx, args, "points.usage.cancel")
    books = ledger(ctx)
    posted = await Rewards(ctx.services.store).cancel(books, redemption, ctx.event.id, ctx.now, by(ctx))
    if not (posted.ok or await booked_now(ctx, posted)):
        status = posted.actual if posted.result == "conflict" else "cancelled"
        ctx.reply(ctx.t("points.rewards.wrong_state", code=redemption.code, status=_STATUS.get(status, status)))
        return
    left = await books.balance(account(redemption.person), redemption.unit)
    text = ctx.t("points.rewards.cancelled", code=redemption.code, name=redemption.name,
                 price=amount_text(ctx, redemption.unit, redemption.price, signed=True),
                 balance=amount_text(ctx, redemption.unit, left))
    if ctx.person.id == redemption.person:
        _private(ctx, text)
    else:
        ctx.reply(ctx.t("points.rewards.cancelled_staff", code=redemption.code, name=ctx.name_of(redemption.person)))
        ctx.tell(redemption.person, text)
