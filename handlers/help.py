"""`帮助`: what the asker may do, with examples, read from each command's permission
(handlers/permissions.py): a command is listed to the kinds of people it allows. A ticket
command is listed to staff only, though an assignee or a department's contact may use it
on their own ticket: help cannot know which ticket they mean."""

from __future__ import annotations

from handlers.commands import available
from handlers.context import Context


def help_text(ctx: Context, commands: list) -> str:
    shown = available(ctx, commands)
    lines = [ctx.t("help.header", bot=ctx.community.bot_name)]
    lines += [ctx.t(c.usage) for c in shown if not c.allowed.staff_only]
    staff = [ctx.t(c.usage) for c in shown if c.allowed.staff_only]
    if staff:
        lines += [ctx.t("help.staff_header"), *staff]
    lines.append(ctx.t("help.footer"))
    return "\n".join(lines)
