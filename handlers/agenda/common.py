"""What the agenda modules share: reading a topic reference (Y3), loading a topic (which
refuses for you), the history entry, telling a topic's followers, how a topic reads."""

from __future__ import annotations

import re
from typing import Any

from handlers.context import Context
from handlers.permissions import Refusal
from storage.agenda import Topic, Topics

_REF = re.compile(r"^[YyＹｙ]\s*(\d+)\s*(.*)$", re.S)
# Who hears that an agenda topic waits: the secretary first, else the council chair, else staff.
SECRETARY_ROLES = ("secretary", "council_chair", "staff")


def topic_ref(args: str) -> tuple[int, str] | None:
    """'Y3 some words' -> (3, 'some words'); None unless it starts with a topic id."""
    match = _REF.match(args.strip())
    return (int(match.group(1)), match.group(2).strip()) if match else None


def repo(ctx: Context) -> Topics:
    return Topics(ctx.services.store)


async def load_topic(ctx: Context, args: str, usage: str) -> tuple[Topic, str]:
    """The topic `args` names and the rest of them. A malformed command is answered with
    its usage, except in a group when the bot was not addressed (neighbours talking)."""
    ref = topic_ref(args)
    if ref is None:
        raise Refusal(usage, quiet=True)
    topic = await repo(ctx).get(ref[0])
    if topic is None:
        raise Refusal("agenda.not_found", quiet=True, ref=f"Y{ref[0]}")
    return topic, ref[1]


def entry(ctx: Context, action: str, status: str, note: str = "", **more: Any) -> dict[str, Any]:
    return {"at": ctx.now, "by": ctx.person.id if ctx.person else "system", "action": action,
            "status": status, "note": note, **more}


def status_label(ctx: Context, status: str) -> str:
    return ctx.t(f"agenda.status.{status}")


def tell_followers(ctx: Context, topic: Topic, text: str, skip: tuple[str, ...] = (), me_too: bool = False) -> None:
    """Each person following the topic (proposer, seconders, those merged in) hears it 1:1,
    except the one who did this (they read the reply, unless `me_too`) and `skip`."""
    me = ctx.person.id if ctx.person and not me_too else None
    for person in sorted(topic.followers):
        if person != me and person not in skip and person in ctx.community.people:
            ctx.tell(person, text)


def scope_chats(ctx: Context, topic: Topic) -> list[str]:
    """Where a topic is posted: its building's chats, or every building's for the community."""
    return [c.id for c in ctx.community.chats.values() if c.kind == "building"
            and (topic.scope == "community" or c.building == topic.building)]


def council_chats(ctx: Context) -> list[str]:
    return [c.id for c in ctx.community.chats.values() if c.kind == "council"]


def secretaries(ctx: Context) -> list[str]:
    for role in SECRETARY_ROLES:
        found = [p.id for p in ctx.community.with_role(role)]
        if found:
            return found
    return []


def count_text(ctx: Context, topic: Topic, count: int | None = None) -> str:
    """'附议 4/10 户'."""
    unit = ctx.t("agenda.unit.household" if topic.unit == "household" else "agenda.unit.person")
    return ctx.t("agenda.count", count=topic.count if count is None else count, threshold=topic.threshold,
                 unit=unit)


def scope_text(ctx: Context, topic: Topic) -> str:
    if topic.scope == "building":
        return ctx.t("agenda.scope.building", building=topic.building)
    return ctx.t("agenda.scope.community")


def carries_out(ctx: Context, topic: Topic) -> bool:
    """The sender is the person carrying the topic out, or the contact of the department
    it was referred to."""
    if ctx.person is None:
        return False
    department = ctx.community.departments.get(topic.department or "")
    return topic.owner == ctx.person.id or (department is not None and department.contact == ctx.person.id)


def why_line(ctx: Context, topic: Topic) -> str:
    """'理由：…' and a line break, for a template's {why} that stands before its next line
    ('' when the proposer gave no reason)."""
    return ctx.t("agenda.why", text=topic.text) + "\n" if topic.text else ""


def owner_text(ctx: Context, topic: Topic) -> str:
    parts = []
    if topic.owner:
        parts.append(ctx.t("agenda.owner", name=ctx.name_of(topic.owner)))
    if topic.due:
        parts.append(ctx.t("agenda.due", at=ctx.when(topic.due)))
    return "，".join(parts)
