"""`帮助`: what the asker may do, with examples."""

from __future__ import annotations

from handlers.context import Context


def help_text(ctx: Context, commands: list) -> str:
    staff = bool(ctx.person and ctx.person.handles_tickets)
    lines = [ctx.t("help.header", bot=ctx.community.bot_name)]
    lines += [ctx.t(c.usage) for c in commands
              if not c.staff and (c.role is None or staff or (ctx.person and ctx.person.has(c.role)))]
    if staff:
        lines.append(ctx.t("help.staff_header"))
        lines += [ctx.t(c.usage) for c in commands if c.staff]
    lines.append(ctx.t("help.footer"))
    return "\n".join(lines)
