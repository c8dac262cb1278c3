"""Telling a person of a correction staff made to their points or hours from the command
line (`linli admin ledger adjust`): the CLI books the entry and schedules a job due now;
the running bot (or the next console run) tells the person privately, through the outbox
like any message. The job names the entry, so what is said is what was booked."""

from __future__ import annotations

from handlers import timers
from handlers.context import Context
from handlers.points.earning import amount_text
from storage.ledger import POOL, Ledger, account

TIMER = "adjusted"


async def schedule_notice(ctx: Context, person: str, seq: int) -> None:
    """In line with the person's other corrections, so they are told in the order made."""
    await timers.schedule(ctx, TIMER, str(seq), ctx.now, f"adjusted:{person}", entry=seq)


async def on_timer(ctx: Context) -> None:
    books = Ledger(ctx.services.store)
    entry = await books.entry(int(ctx.event.data["entry"]))
    if entry is None or entry.kind != "adjusted":
        return
    gave = entry.source == POOL
    person = (entry.target if gave else entry.source).removeprefix("person:")
    if person not in ctx.community.people:
        return
    balance = await books.balance(account(person), entry.unit)
    ctx.tell(person, ctx.t("points.adjusted.gave" if gave else "points.adjusted.took",
                           amount=amount_text(ctx, entry.unit, entry.amount), reason=entry.note,
                           balance=amount_text(ctx, entry.unit, balance)))
