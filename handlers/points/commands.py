"""The points package's commands and timers; the router joins every package's."""

from __future__ import annotations

from handlers import tasks, tickets
from handlers.commands import Command, ticket_ref
from handlers.context import Context
from handlers.permissions import STAFF
from handlers.points import adjusted, earning, rewards, timebank, view


async def _confirm(ctx: Context, args: str) -> None:
    """确认 E3 confirms a time-bank exchange; 确认 T3 a volunteer task (the tasks package's);
    确认 #12 from staff a message waiting in the triage queue (and 确认 12 when #12 waits;
    the tickets package's)."""
    if tasks.is_task_ref(args):
        await tasks.confirm(ctx, args)
    elif STAFF.allows(ctx) and (ref := ticket_ref(args)) and (
            args.lstrip()[:1] in ("#", "＃") or await tickets.is_waiting(ctx, ref[0])):
        await tickets.confirm(ctx, args)
    else:
        await timebank.confirm(ctx, args)


COMMANDS = [
    Command("points", ("积分", "我的积分"), "points", view.balance, "points.usage.balance", menu="我的积分和时间银行"),
    Command("rank", ("排行", "积分排行"), "rank", view.rank, "points.usage.rank"),
    Command("timebank", ("时间银行",), "timebank", timebank.give, "points.usage.give"),
    Command("confirm", ("确认",), "confirm", _confirm, "points.usage.confirm"),
    Command("dispute", ("异议",), "dispute", timebank.dispute, "points.usage.dispute"),
    Command("convert", ("换积分",), "convert", timebank.convert, "points.usage.convert"),
    Command("rewards", ("爱心超市", "兑换列表"), "rewards", rewards.catalogue, "points.usage.catalogue"),
    Command("redeem", ("兑换",), "redeem", rewards.redeem, "points.usage.redeem"),
    Command("unredeem", ("取消兑换",), "unredeem", rewards.cancel, "points.usage.cancel"),
    Command("checkin", ("签到",), "checkin", earning.attend, "points.usage.attend", allowed=STAFF),
    Command("fulfil", ("核销",), "fulfil", rewards.fulfil, "points.usage.fulfil", allowed=STAFF),
]

TIMERS = {"exchange": timebank.on_timer, adjusted.TIMER: adjusted.on_timer}
