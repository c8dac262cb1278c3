"""The tickets package's commands and timers, in the order 帮助 and the platforms' menus
list them; the router joins every package's (handlers/router.py)."""

from __future__ import annotations

from handlers import tasks
from handlers.commands import Command
from handlers.context import Context
from handlers.permissions import CONTACT, STAFF, TICKET_HANDLER
from handlers.tickets import actions, deadlines, reports, triage, views


async def _rate(ctx: Context, args: str) -> None:
    """评价 #12 rates a ticket; 评价 T3 a volunteer task (the tasks package's)."""
    await (tasks.rate if tasks.is_task_ref(args) else actions.rate)(ctx, args)


COMMANDS = [
    Command("report", ("报修", "反映", "投诉"), "report", reports.report, "usage.report", glued=True, menu="报修：描述问题"),
    Command("status", ("查询", "我的工单"), "status", views.status, "usage.status", menu="查询我的工单"),
    Command("rate", ("评价",), "rate", _rate, "usage.rate", menu="评价工单 1-5 分"),
    Command("reopen", ("重开",), "reopen", actions.reopen, "usage.reopen"),
    Command("todo", ("待办",), "todo", views.todo, "usage.todo", allowed=STAFF | CONTACT),
    Command("assign", ("派单",), "assign", actions.assign, "usage.assign", allowed=TICKET_HANDLER),
    Command("start", ("处理", "受理"), "start", actions.start, "usage.start", allowed=TICKET_HANDLER),
    Command("resolve", ("办结",), "resolve", actions.resolve, "usage.resolve", allowed=TICKET_HANDLER),
    Command("reject", ("驳回",), "reject", actions.reject, "usage.reject", allowed=TICKET_HANDLER),
    Command("escalate", ("吹哨", "转派"), "escalate", actions.escalate, "usage.escalate", allowed=TICKET_HANDLER),
    Command("merge", ("合并",), "merge", actions.merge, "usage.merge", allowed=TICKET_HANDLER),
    Command("split", ("拆分",), "split", actions.split, "usage.split", allowed=TICKET_HANDLER),
    Command("triage", ("待确认",), "triage", triage.queue, "usage.triage", allowed=STAFF),
    Command("dismiss", ("忽略",), "dismiss", triage.dismiss, "usage.dismiss", allowed=STAFF),
]

# What a scheduled job of each kind runs when it falls due (handlers/timers.py).
TIMERS = {
    "ticket": deadlines.on_timer,
    "triage": triage.on_timer,
}
