"""What is not plain text: a photo or a location (attached to the sender's open ticket),
a voice message WeChat could not transcribe, a new follower of the Official Account."""

from __future__ import annotations

from handlers.context import Context
from handlers.tickets.common import OPEN_STATES, entry
from storage.tickets import Ticket


async def on_media(ctx: Context) -> None:
    event = ctx.event
    kind = event.data.get("wechat")
    if kind == "subscribe":
        ctx.reply(ctx.t("media.welcome_back", name=ctx.person.name, bot=ctx.community.bot_name) if ctx.person
                  else ctx.t("media.welcome", bot=ctx.community.bot_name, community=ctx.community.name))
        return
    if ctx.person is None:
        ctx.reply(ctx.t("person.unknown", bot=ctx.community.bot_name))
        return
    attachment = event.attachments[0] if event.attachments else None
    if kind == "voice" or (attachment or {}).get("type") == "voice":    # (Telegram's: not transcribed)
        ctx.reply(ctx.t("media.voice_unclear"))
        return
    if attachment is None or attachment.get("type") not in ("image", "location"):
        ctx.reply(ctx.t("media.unsupported"))
        return
    ticket = await _latest_open(ctx)
    if ticket is None:
        ctx.reply(ctx.t(f"media.{attachment['type']}_no_ticket"))
        return
    if attachment["type"] == "image":
        fields, note = {}, attachment.get("url") or attachment.get("media_id") or ""
    else:
        place = {k: attachment.get(k) for k in ("lat", "lng", "label") if attachment.get(k)}
        fields, note = {"location": {**(ticket.location or {}), **place}}, place.get("label", "")
    action = "attached" if attachment["type"] == "image" else "located"
    await ctx.services.tickets.transition(ticket.id, ctx.event.id, action, fields,
                                          entry(ctx, action, ticket.status, note))
    ctx.reply(ctx.t(f"media.{attachment['type']}_attached", id=ticket.id))


async def _latest_open(ctx: Context) -> Ticket | None:
    tickets = ctx.services.tickets
    for ticket_id in reversed(await tickets.ids(reporter=ctx.person.id)):
        ticket = await tickets.get(ticket_id)
        if ticket and ticket.status in OPEN_STATES:
            return ticket
    return None
