"""The route table: which handler an event reaches. A new feature adds one line here."""

from __future__ import annotations

import re

from handlers import deadlines, reports, ticket_actions, ticket_views, triage
from handlers import points, points_view, rewards, timebank
from handlers import households, polls_close, polls_create, polls_vote
from handlers import linking, media, task_claim, task_create, task_push, volunteers
from handlers.commands import Command, is_slash, parse, ticket_ref
from handlers.community import Chat, Person
from handlers.context import Context
from handlers.help import help_text
from handlers.permissions import (ANYONE, COUNCIL_CHAIR, STAFF, STAFF_ONLY, TICKET_HANDLER, VOLUNTEER, Refusal,
                                  role)
from storage.identities import Identities


async def _help(ctx: Context, args: str) -> None:
    ctx.reply(help_text(ctx, COMMANDS))


def _tasks_first(task_handler, other):
    """评价 serves tasks ("T3") as well as tickets."""
    async def handler(ctx: Context, args: str) -> None:
        await (task_handler if task_claim.is_task_ref(args) else other)(ctx, args)
    return handler


async def _confirm(ctx: Context, args: str) -> None:
    """确认 T3 confirms a task; 确认 #12 from staff a message waiting in the triage queue (and
    确认 12, when #12 is waiting); anything else (确认 E3) a time-bank exchange."""
    if task_claim.is_task_ref(args):
        await task_claim.confirm(ctx, args)
    elif STAFF.allows(ctx) and (ref := ticket_ref(args)) and (
            args.lstrip()[:1] in ("#", "＃") or await triage.is_waiting(ctx, ref[0])):
        await triage.confirm(ctx, args)
    else:
        await timebank.confirm(ctx, args)


COMMANDS: list[Command] = [
    Command("report", ("报修", "反映", "投诉"), "report", reports.report, "usage.report", glued=True, menu="报修：描述问题"),
    Command("status", ("查询", "我的工单"), "status", ticket_views.status, "usage.status", menu="查询我的工单"),
    Command("rate", ("评价",), "rate", _tasks_first(task_claim.rate, ticket_actions.rate), "usage.rate", menu="评价工单 1-5 分"),
    Command("reopen", ("重开",), "reopen", ticket_actions.reopen, "usage.reopen"),
    Command("help", ("帮助", "菜单"), "help", _help, "usage.help", menu="帮助"),
    Command("todo", ("待办",), "todo", ticket_views.todo, "usage.todo", allowed=STAFF),
    Command("assign", ("派单",), "assign", ticket_actions.assign, "usage.assign", allowed=TICKET_HANDLER),
    Command("start", ("处理", "受理"), "start", ticket_actions.start, "usage.start", allowed=TICKET_HANDLER),
    Command("resolve", ("办结",), "resolve", ticket_actions.resolve, "usage.resolve", allowed=TICKET_HANDLER),
    Command("reject", ("驳回",), "reject", ticket_actions.reject, "usage.reject", allowed=TICKET_HANDLER),
    Command("escalate", ("吹哨", "转派"), "escalate", ticket_actions.escalate, "usage.escalate", allowed=TICKET_HANDLER),
    Command("merge", ("合并",), "merge", ticket_actions.merge, "usage.merge", allowed=TICKET_HANDLER),
    Command("split", ("拆分",), "split", ticket_actions.split, "usage.split", allowed=TICKET_HANDLER),
    Command("triage", ("待确认",), "triage", triage.queue, "usage.triage", allowed=STAFF),
    Command("dismiss", ("忽略",), "dismiss", triage.dismiss, "usage.dismiss", allowed=STAFF),
    Command("newpoll", ("发起投票",), "newpoll", polls_create.create_command, "polls.usage.create",
            allowed=COUNCIL_CHAIR | role("secretary", "staff"), refusal="polls.create.not_allowed"),
    Command("vote", ("投票",), "vote", polls_vote.vote, "polls.usage.vote", menu="投票"),
    Command("proxyvote", ("代投",), "proxyvote", polls_vote.proxy_vote, "polls.usage.proxy", allowed=STAFF),
    Command("register", ("登记",), "register", households.register, "households.usage.register"),
    Command("verify", ("核实",), "verify", households.verify, "households.usage.verify", allowed=STAFF),
    Command("points", ("积分", "我的积分"), "points", points_view.balance, "points.usage.balance", menu="我的积分和时间银行"),
    Command("rank", ("排行", "积分排行"), "rank", points_view.rank, "points.usage.rank"),
    Command("timebank", ("时间银行",), "timebank", timebank.give, "points.usage.give"),
    Command("confirm", ("确认",), "confirm", _confirm, "points.usage.confirm"),
    Command("dispute", ("异议",), "dispute", timebank.dispute, "points.usage.dispute"),
    Command("convert", ("换积分",), "convert", timebank.convert, "points.usage.convert"),
    Command("rewards", ("爱心超市", "兑换列表"), "rewards", rewards.catalogue, "points.usage.catalogue"),
    Command("redeem", ("兑换",), "redeem", rewards.redeem, "points.usage.redeem"),
    Command("unredeem", ("取消兑换",), "unredeem", rewards.cancel, "points.usage.cancel"),
    Command("checkin", ("签到",), "checkin", points.attend, "points.usage.attend", allowed=STAFF),
    Command("fulfil", ("核销",), "fulfil", rewards.fulfil, "points.usage.fulfil", allowed=STAFF),
    Command("volunteer", ("志愿者",), "volunteer", volunteers.command, "tasks.usage.volunteer", allowed=VOLUNTEER,
            refusal="volunteers.not_volunteer"),
    Command("claim", ("接单",), "claim", task_claim.claim, "tasks.usage.claim", allowed=VOLUNTEER | STAFF,
            refusal="tasks.not_volunteer", menu="接单：认领志愿任务"),
    Command("withdraw", ("退单",), "withdraw", task_claim.withdraw, "tasks.usage.withdraw", allowed=VOLUNTEER | STAFF,
            refusal="tasks.not_volunteer"),
    Command("done", ("完成",), "done", task_claim.complete, "tasks.usage.complete", allowed=VOLUNTEER | STAFF,
            refusal="tasks.not_volunteer"),
    Command("mytasks", ("我的任务",), "mytasks", task_claim.mine, "tasks.usage.mine", allowed=VOLUNTEER | STAFF,
            refusal="tasks.not_volunteer", menu="我的志愿任务"),
    Command("newtask", ("发布任务",), "newtask", task_create.create_command, "tasks.usage.create", allowed=STAFF),
    Command("canceltask", ("取消任务",), "canceltask", task_claim.cancel, "tasks.usage.cancel", allowed=STAFF),
    Command("link", ("绑定",), "link", linking.link, "linking.usage.link", allowed=ANYONE, menu="绑定账号：/link 绑定码"),
    Command("unlink", ("解绑",), "unlink", linking.unlink, "linking.usage.unlink"),
    Command("linkcode", ("绑定码",), "linkcode", linking.issue_code, "linking.usage.code", allowed=STAFF),
    Command("bind", ("绑定群",), "bind", linking.bind_chat, "linking.usage.bind", allowed=STAFF),
    Command("unbind", ("解绑群",), "unbind", linking.unbind_chat, "linking.usage.unbind", allowed=STAFF),
]

# What a scheduled job of each kind runs when it falls due (see handlers/timers.py).
TIMERS = {
    "ticket": deadlines.on_timer,
    "poll": polls_close.on_timer,
    "task": task_push.on_timer,
    "exchange": timebank.on_timer,
    "triage": triage.on_timer,
}


async def route(ctx: Context) -> None:
    event = ctx.event
    if event.kind == "timer":
        await TIMERS[event.data["job"]](ctx)
        return
    community = ctx.community
    ctx.person, ctx.chat = await _who_and_where(ctx)
    if event.attachments or event.data.get("wechat"):
        await media.handle(ctx)
        return
    text, mentioned = _strip_mention(event.text, community.bot_name)
    addressed = event.addressed or mentioned or not ctx.in_group
    if not text:
        if addressed and ctx.in_group and ctx.person:
            ctx.reply(help_text(ctx, COMMANDS))
        return
    parsed = parse(text, COMMANDS)
    if ctx.person is None:
        if parsed and parsed[0].allowed.admits(ctx):    # 绑定: how a new account becomes someone
            await _run(ctx, *parsed, addressed)
        elif addressed or parsed:
            ctx.reply(ctx.t("person.unknown", bot=community.bot_name))
        return
    if parsed is None:
        if is_slash(text):
            ctx.reply(ctx.t("command.unknown", text=text.split()[0]) + "\n" + help_text(ctx, COMMANDS))
        else:
            await reports.on_text(ctx, text, addressed)
        return
    await _run(ctx, *parsed, addressed)


async def _run(ctx: Context, command: Command, args: str, addressed: bool) -> None:
    """The command, if its permission lets the sender in; a refusal from the door or from
    the handler is answered here, once."""
    try:
        if not command.allowed.admits(ctx):
            raise Refusal(command.refusal) if command.refusal else Refusal(STAFF_ONLY, quiet=True)
        await command.handler(ctx, args)
    except Refusal as refusal:
        if addressed or not refusal.quiet:
            ctx.reply(ctx.t(refusal.key, **refusal.values))


async def _who_and_where(ctx: Context) -> tuple[Person | None, Chat | None]:
    """The community file first, then identities bound in chat (storage/identities.py)."""
    community, event = ctx.community, ctx.event
    person = community.person_by_identity(event.sender)
    chat = community.chat_by_identity(event.chat) if event.chat else None
    bound = Identities(ctx.services.store)
    if person is None and event.sender and not event.sender.startswith("console:"):
        person = community.people.get((await bound.owner(event.sender) or "").removeprefix("@"))
    if chat is None and event.chat and ctx.in_group and not event.chat.startswith("console:"):
        chat = community.chats.get(await bound.owner(event.chat) or "")
    return person, chat


def _strip_mention(text: str, bot_name: str) -> tuple[str, bool]:
    pattern = re.compile(rf"[@＠]{re.escape(bot_name)}\s*")
    stripped, count = pattern.subn("", text)
    return stripped.strip(), count > 0
