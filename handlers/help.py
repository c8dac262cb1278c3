"""`帮助`: what the asker may do, with examples, read from each command's permission
(handlers/permissions.py): a command is listed to the kinds of people it allows. A ticket
command is listed to staff and to the contacts tickets are sent to (departments', and
those `[routing]` names), who may use it on their tickets; an assignee may use it on the
ticket they were given, and is told so when it is given to them."""

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
