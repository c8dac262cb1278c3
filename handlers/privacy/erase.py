"""注销: a resident erases themselves, after 确认注销 within ten minutes (anything else they
say 1:1 in between cancels it); staff do the same on a written request with `linli admin
privacy erase` (bot/admin/privacy.py). Both run `erase_person`: every package in
packages.py forgets the person, a tombstone makes the id nobody, and the audit log
records who, when, on what request and which kinds of data were removed (never the data)."""

from __future__ import annotations

import logging

from handlers.commands import Command
from handlers.context import Context
from handlers.permissions import Refusal
from handlers.privacy.packages import PACKAGES
from handlers.privacy.tombstones import PENDING_UNTIL, file_person
from storage.identities import Identities
from storage.privacy import PENDING_SECONDS, Privacy

log = logging.getLogger(__name__)
CONFIRM_WORD = "确认注销"


async def erase(ctx: Context, args: str) -> None:
    """`注销`: say what will happen, and wait for 确认注销."""
    if ctx.in_group:
        raise Refusal("privacy.private_only", quiet=True)
    await Privacy(ctx.services.store).ask(ctx.person.id, ctx.now)
    ctx.reply(ctx.t("privacy.erase.explain", minutes=PENDING_SECONDS // 60, word=CONFIRM_WORD))


async def confirm(ctx: Context, args: str) -> None:
    """`确认注销`: erase the sender, if their 注销 is waiting."""
    if ctx.in_group:
        raise Refusal("privacy.private_only", quiet=True)
    person = ctx.person
    claimed = await Privacy(ctx.services.store).claim(person.id, ctx.event.id, ctx.now)
    if claimed is None:
        ctx.reply(ctx.t("privacy.erase.nothing_waiting"))
        return
    if claimed == "late":
        ctx.reply(ctx.t("privacy.erase.too_late", minutes=PENDING_SECONDS // 60))
        return
    await erase_person(ctx, person.id, by=person.id, request=f"chat:{ctx.event.id}", via="chat")
    # The person's accounts are unbound now: the answer goes to the account that asked.
    ctx.person = None
    ctx.reply(ctx.t("privacy.erase.done"))


async def interrupts(ctx: Context, command: Command | None) -> bool:
    """A 1:1 message while a 注销 waits: anything but 确认注销 (or 注销 again) cancels it,
    and only says so. True when the message was such a cancellation."""
    if ctx.in_group or ctx.person is None or (command and command.name in ("erase", "confirmerase")):
        return False
    if ctx.__dict__.get(PENDING_UNTIL, float("inf")) < ctx.now:    # nobody's 注销 can still wait
        return False
    repo = Privacy(ctx.services.store)
    raw = await repo.pending(ctx.person.id)
    if raw is None or not raw.startswith("asked:"):
        return False
    await repo.cancel(ctx.person.id)
    ctx.reply(ctx.t("privacy.erase.cancelled"))
    return True


async def erase_person(ctx: Context, person_id: str, by: str, request: str, via: str) -> dict[str, int]:
    """Every package forgets the person (each idempotent), then the tombstone and the audit
    record. Returns how many things each package changed."""
    repo = Privacy(ctx.services.store)
    person = file_person(ctx, person_id)
    bound = await Identities(ctx.services.store).of(f"@{person_id}")
    addresses = frozenset({f"@{person_id}", f"console:{person_id}", *bound,
                           *(person.identities if person else ())})
    changed = {"messages": await repo.purge_dead_letters(addresses)}
    for package in PACKAGES:
        changed[package.__name__.rsplit(".", 1)[-1]] = await package.forget(ctx, person_id)
    await repo.mark_erased(person_id, {"at": round(ctx.now, 3), "by": by, "request": request, "via": via})
    await repo.cancel(person_id)
    kinds = ",".join(f"{name}={n}" for name, n in changed.items() if n)
    await ctx.services.audit.record(ctx.now, by, "privacy_erase", f"person:{person_id} request:{request} "
                                    f"removed:{kinds or 'none'}", via)
    log.info("privacy: a person was erased (%s; %s)", via, kinds or "nothing stored")
    return changed
