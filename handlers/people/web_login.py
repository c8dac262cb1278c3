"""`登录`: a one-time link to the web workbench (bot/web/), sent 1:1 to the staff member,
grid worker, secretary or department contact who asked. The platform already proved who
they are, so there is no password: the link works once, within LINK_SECONDS.

WORKBENCH is who may sign in at all (the web checks it again on every page); what each of
them sees there is the tickets' own permission (TICKET_HANDLER).
"""

from __future__ import annotations

from handlers.community import Person
from handlers.context import Context, Services
from handlers.events import Event
from handlers.permissions import CONTACT, STAFF
from storage.web import LINK_SECONDS, WebLogins

# Staff, grid workers and the secretary (STAFF); departments' contacts and the people
# [routing] names (CONTACT). Residents and volunteers: no.
WORKBENCH = STAFF | CONTACT
LOGIN_PATH = "/web/login/"


def context_of(services: Services, person: Person | None, channel: str = "web") -> Context:
    """A turn for reading on `person`'s behalf outside a chat (the workbench, the CLI), so
    the permissions of handlers/permissions.py decide as they do in chat."""
    sender = f"{channel}:{person.id}" if person else None
    return Context(services, Event(id=f"{channel}:read", channel=channel, sender=sender,
                                   received_at=services.clock.now()), person=person)


def may_sign_in(services: Services, person: Person | None) -> bool:
    return person is not None and WORKBENCH.allows(context_of(services, person))


async def login_link(services: Services, person_id: str) -> str:
    """A fresh one-time sign-in URL for `person_id` (services.web_url must be set)."""
    token = await WebLogins(services.store).issue(person_id, LINK_SECONDS)
    return f"{services.web_url}{LOGIN_PATH}{token}"


async def login(ctx: Context, args: str) -> None:
    """`登录` (1:1 only: a link in a group could be used by anyone who saw it)."""
    if ctx.in_group:
        ctx.reply(ctx.t("web.private_only"))
        return
    if not ctx.services.web_url:
        ctx.reply(ctx.t("web.not_served"))
        return
    url = await login_link(ctx.services, ctx.person.id)
    await ctx.services.audit.record(ctx.now, ctx.person.id, "web_link", f"person:{ctx.person.id}",
                                    f"chat:{ctx.event.channel}")
    ctx.reply(ctx.t("web.link", url=url, minutes=LINK_SECONDS // 60))
