"""我的数据: what linli keeps about the sender, sent 1:1 (in a group: 请私聊我, and only
to someone who addressed the bot). Each package in packages.py says its part."""

from __future__ import annotations

from handlers.context import Context
from handlers.permissions import Refusal
from handlers.privacy.packages import PACKAGES


async def kept_about_all(ctx: Context, person_id: str) -> list[str]:
    lines: list[str] = []
    for package in PACKAGES:
        lines += await package.kept_about(ctx, person_id)
    return lines


async def mydata(ctx: Context, args: str) -> None:
    if ctx.in_group:
        raise Refusal("privacy.private_only", quiet=True)
    person = ctx.person
    rules = ctx.community.retention
    lines = [ctx.t("privacy.mydata.header", name=person.name, id=person.id),
             *await kept_about_all(ctx, person.id),
             ctx.t("privacy.mydata.footer", months=f"{rules.ticket_text_months:g}", days=f"{rules.message_days:g}",
                   years=f"{rules.audit_years:g}")]
    await ctx.services.audit.record(ctx.now, person.id, "privacy_view", f"person:{person.id}", "chat")
    ctx.reply("\n".join(lines), cut_note=ctx.t("privacy.mydata.cut"))
