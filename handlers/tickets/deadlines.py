"""Deadlines: remind before them, escalate after them, close what nobody rated.

Jobs are keyed by ticket and step, so scheduling again (a redelivered event, a reopened
ticket) moves a job rather than adding one, and a moved job cannot fire at its old time.
Each timer checks the ticket when it fires, so a job whose reason has gone does nothing.
"""

from __future__ import annotations

from handlers import timers
from handlers.context import Context
from handlers.tickets.common import OPEN_STATES, entry, handlers_of
from storage.tickets import Ticket

HOUR = 3600.0
SLA_STEPS = ("respond_remind", "respond_overdue", "respond_secretary",
             "resolve_remind", "resolve_overdue", "resolve_secretary")


async def schedule(ctx: Context, ticket_id: int, step: str, due: float) -> None:
    await timers.schedule(ctx, "ticket", f"{ticket_id}:{step}", due, f"ticket:{ticket_id}",
                          ticket=ticket_id, step=step)


async def schedule_sla(ctx: Context, ticket: Ticket) -> None:
    await cancel_sla(ctx, ticket.id)
    if ticket.status == "open" and ticket.respond_due:
        await schedule(ctx, ticket.id, "respond_remind", remind_at(ctx, ticket.respond_due))
        await schedule(ctx, ticket.id, "respond_overdue", ticket.respond_due)
    if ticket.resolve_due:
        await schedule(ctx, ticket.id, "resolve_remind", remind_at(ctx, ticket.resolve_due))
        await schedule(ctx, ticket.id, "resolve_overdue", ticket.resolve_due)


def remind_at(ctx: Context, due: float) -> float:
    """`remind_before_hours` before a deadline, but not in the first half of the time it
    gives: an urgent ticket's 1 h deadline is reminded of after 30 minutes, not at once."""
    before = ctx.community.sla.remind_before_hours * HOUR
    return max(ctx.now, due - before, ctx.now + (due - ctx.now) / 2)


async def cancel_sla(ctx: Context, ticket_id: int, steps: tuple[str, ...] = SLA_STEPS) -> None:
    await timers.cancel(ctx, "ticket", *(f"{ticket_id}:{s}" for s in steps))


async def schedule_autoclose(ctx: Context, ticket_id: int) -> None:
    await schedule(ctx, ticket_id, "autoclose", ctx.now + ctx.community.sla.rate_close_days * 24 * HOUR)


async def on_timer(ctx: Context) -> None:
    data = ctx.event.data
    ticket = await ctx.services.tickets.get(int(data["ticket"]))
    if ticket is None:
        return
    step = data["step"]
    if step == "autoclose":
        await _autoclose(ctx, ticket)
        return
    phase, _, stage = step.partition("_")
    waiting = ticket.status == "open" if phase == "respond" else ticket.status in OPEN_STATES
    due = ticket.respond_due if phase == "respond" else ticket.resolve_due
    if not waiting or due is None:
        return
    what = ctx.t(f"deadline.{phase}")
    urgent = ctx.t("deadline.urgent_prefix") if ticket.urgent else ""
    if stage == "remind":   # whoever answers for it, and the building's grid worker, who hears if it is missed
        grid = [p.id for p in ctx.community.grid_workers_for(ticket.building)]
        for person_id in dict.fromkeys([*handlers_of(ctx, ticket), *grid]):
            ctx.tell(person_id, urgent + ctx.t("deadline.remind", id=ticket.id, what=what, at=ctx.when(due),
                                               category=ticket.category))
        return
    if stage == "overdue":
        targets = [p.id for p in ctx.community.grid_workers_for(ticket.building)]
        # the secretary hears when it is still unmet this much later (an urgent ticket's own deadline again)
        sla = ctx.community.sla
        action = "overdue"
        later = ctx.now + (sla.respond_within(True) if ticket.urgent else sla.escalate_after_hours) * HOUR
        await schedule(ctx, ticket.id, f"{phase}_secretary", later)
    else:
        targets = [p.id for p in ctx.community.with_role("secretary")]
        action = "overdue_secretary"
    await ctx.services.tickets.transition(ticket.id, ctx.event.id, action, {},
                                          entry(ctx, action, ticket.status, what))
    for person_id in targets:
        ctx.tell(person_id, urgent + ctx.t(f"deadline.{action}", id=ticket.id, what=what, at=ctx.when(due),
                                           category=ticket.category, handler=_names(ctx, handlers_of(ctx, ticket))))


async def _autoclose(ctx: Context, ticket: Ticket) -> None:
    if ticket.status != "resolved":
        return
    done = await ctx.services.tickets.transition(
        ticket.id, ctx.event.id, "autoclosed", {"status": "closed", "closed_at": ctx.now},
        entry(ctx, "autoclosed", "closed", ctx.t("history.autoclosed")))
    if done.applied:
        ctx.tell(ticket.reporter, ctx.t("deadline.autoclosed", id=ticket.id))


def _names(ctx: Context, person_ids: list[str]) -> str:
    return "、".join(ctx.name_of(p) for p in person_ids) or ctx.t("ticket.nobody")
