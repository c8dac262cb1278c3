"""Who is who on a new platform: a resident redeems a one-time code from staff
(`绑定 123456`, `/link 123456`) to be themselves on Telegram or WeChat; staff bind a group
chat to one of the community's chats from inside it (`绑定群 b3`, `/bind b3`).

Bindings live in Redis (storage/identities.py) next to the community file's identities,
so they take effect at once in every worker. Each one is written to the audit log.
"""

from __future__ import annotations

import re

from handlers.context import Context
from storage.identities import Identities, LinkCodes

CODE_TTL = 24 * 3600
MAX_FAILURES, FAILURE_WINDOW = 5, 3600
_CODE = re.compile(r"^\d{6}$")


def _platform(identity: str | None) -> bool:
    return bool(identity) and not identity.startswith("console:")


async def issue_code(ctx: Context, args: str) -> None:
    """`绑定码 张阿姨` (staff): a code for that person, sent to the staff member privately."""
    key = args.strip().lstrip("@＠")
    person = ctx.community.find_person(key)
    if person is None:
        ctx.reply(ctx.t("linking.unknown_person", who=key or "？") + "\n" + ctx.t("linking.usage.code"))
        return
    code = await LinkCodes(ctx.services.store).issue(person.id, CODE_TTL)
    await ctx.services.audit.record(ctx.now, ctx.person.id, "link_code", f"person:{person.id}", ctx.event.channel)
    ctx.reply_privately(ctx.t("linking.code", name=person.name, code=code, hours=CODE_TTL // 3600),
                        ctx.t("linking.code_sent", name=ctx.person.name))


async def link(ctx: Context, args: str) -> None:
    """`绑定 123456`: anyone, known or not, in a 1:1 chat."""
    sender = ctx.event.sender
    if ctx.in_group:
        ctx.reply(ctx.t("linking.private_only"))
        return
    if ctx.person is not None and not await Identities(ctx.services.store).owner(sender):
        ctx.reply(ctx.t("linking.already_known", name=ctx.person.name))
        return
    code = args.strip()
    codes = LinkCodes(ctx.services.store)
    if await codes.failures(sender) >= MAX_FAILURES:
        ctx.reply(ctx.t("linking.too_many"))
        return
    person_id = await codes.redeem(code) if _CODE.match(code) else None
    person = ctx.community.people.get(person_id or "")
    if person is None:
        await codes.failed(sender, FAILURE_WINDOW)
        ctx.reply(ctx.t("linking.bad_code") if code else ctx.t("linking.usage.link"))
        return
    await Identities(ctx.services.store).bind(sender, f"@{person.id}")
    await ctx.services.audit.record(ctx.now, person.id, "link", sender, ctx.event.channel)
    ctx.reply(ctx.t("linking.linked", name=person.name, bot=ctx.community.bot_name))


async def unlink(ctx: Context, args: str) -> None:
    """`解绑`: this platform account is no longer me (the file's identities stay)."""
    previous = await Identities(ctx.services.store).unbind(ctx.event.sender) if not ctx.in_group else None
    if previous is None:
        ctx.reply(ctx.t("linking.not_linked"))
        return
    await ctx.services.audit.record(ctx.now, ctx.person.id, "unlink", ctx.event.sender, ctx.event.channel)
    ctx.reply(ctx.t("linking.unlinked"))


async def bind_chat(ctx: Context, args: str) -> None:
    """`绑定群 b3` (staff), sent in the group to bind."""
    if not ctx.in_group or not _platform(ctx.event.chat):
        ctx.reply(ctx.t("linking.group_only"))
        return
    chat = ctx.community.chats.get(args.strip())
    if chat is None:
        known = "、".join(f"{c.id}（{c.name}）" for c in ctx.community.chats.values())
        ctx.reply(ctx.t("linking.unknown_chat", chat=args.strip() or "？", known=known))
        return
    await Identities(ctx.services.store).bind(ctx.event.chat, chat.id)
    await ctx.services.audit.record(ctx.now, ctx.person.id, "bind_chat", f"{ctx.event.chat}->{chat.id}",
                                    ctx.event.channel)
    ctx.reply(ctx.t("linking.chat_bound", name=chat.name, mode=ctx.t(f"linking.mode.{chat.mode}")))


async def unbind_chat(ctx: Context, args: str) -> None:
    if not ctx.in_group or not _platform(ctx.event.chat):
        ctx.reply(ctx.t("linking.group_only"))
        return
    previous = await Identities(ctx.services.store).unbind(ctx.event.chat)
    if previous is None:
        ctx.reply(ctx.t("linking.chat_not_bound"))
        return
    await ctx.services.audit.record(ctx.now, ctx.person.id, "unbind_chat", ctx.event.chat, ctx.event.channel)
    ctx.reply(ctx.t("linking.chat_unbound"))
