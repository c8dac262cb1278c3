"""`帮助`: what the asker may do, with examples. Read from each command's permission, so
it lists exactly what the router would let this person use (handlers/permissions.py)."""

from __future__ import annotations

from handlers.context import Context


def help_text(ctx: Context, commands: list) -> str:
    shown = [c for c in commands if c.allowed.allows(ctx)]
    lines = [ctx.t("help.header", bot=ctx.community.bot_name)]
    lines += [ctx.t(c.usage) for c in shown if not c.allowed.staff_only]
    staff = [ctx.t(c.usage) for c in shown if c.allowed.staff_only]
    if staff:
        lines += [ctx.t("help.staff_header"), *staff]
    lines.append(ctx.t("help.footer"))
    return "\n".join(lines)
