"""Reading tickets: a resident sees their own; staff see any, and that access is audited."""

from __future__ import annotations

from handlers.commands import ticket_ref
from handlers.context import Context
from handlers.tickets_common import OPEN_STATES, details, may_handle, summary

LIST_LIMIT = 10


async def status(ctx: Context, args: str) -> None:
    """`查询` lists my tickets; `查询 #N` shows one. Details never go to a group."""
    if not args:
        await _mine(ctx)
        return
    ref = ticket_ref(args)
    if ref is None:
        ctx.reply(ctx.t("usage.status"))
        return
    ticket = await ctx.services.tickets.get(ref[0])
    if ticket is None:
        ctx.reply(ctx.t("ticket.not_found", id=ref[0]))
        return
    mine = ticket.reporter == ctx.person.id
    if ctx.person.id in ticket.co_reporters and not may_handle(ctx.person, ctx, ticket):
        ctx.reply(summary(ctx, ticket))   # where it stands; the first reporter's words stay theirs
        return
    if not mine and not may_handle(ctx.person, ctx, ticket):
        ctx.reply(ctx.t("ticket.not_yours", id=ticket.id))
        return
    if not mine:
        await ctx.services.audit.record(ctx.now, ctx.person.id, "view", f"ticket:{ticket.id}",
                                        f"chat:{ctx.event.channel}")
    ctx.reply_privately(details(ctx, ticket), summary(ctx, ticket) + "\n" + ctx.t("ticket.details_private"))


async def _mine(ctx: Context) -> None:
    tickets = ctx.services.tickets
    mine = await tickets.many(list(reversed(await tickets.ids(reporter=ctx.person.id)))[:LIST_LIMIT])
    if not mine:
        ctx.reply(ctx.t("ticket.none_yet"))
        return
    lines = [ctx.t("ticket.mine_header", count=len(mine))] + [summary(ctx, t) for t in mine]
    ctx.reply("\n".join(lines) + "\n" + ctx.t("ticket.mine_footer"))


async def todo(ctx: Context, args: str) -> None:
    """`待办`: the open tickets a staff member answers for (all open ones for staff)."""
    tickets = await ctx.services.tickets.many(await ctx.services.tickets.ids())
    person = ctx.person
    mine = [t for t in tickets if t.status in OPEN_STATES
            and (person.has("staff", "secretary") or may_handle(person, ctx, t)
                 or (person.has("grid_worker") and (not person.buildings or t.building in person.buildings)))]
    if not mine:
        ctx.reply(ctx.t("ticket.todo_empty"))
        return
    mine.sort(key=lambda t: (not t.urgent, t.resolve_due or 0))
    lines = [ctx.t("ticket.todo_header", count=len(mine))]
    for ticket in mine[:20]:
        overdue = ctx.t("ticket.overdue_mark") if (ticket.resolve_due or 0) < ctx.now else ""
        lines.append(f"{summary(ctx, ticket)}{overdue}")
    ctx.reply("\n".join(lines))
