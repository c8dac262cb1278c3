"""Who may do what, as data.

A `Permission` names the kinds of people who may do something, joined with `|`
(`VOLUNTEER | STAFF`). Some kinds are decided by the person alone (STAFF, VOLUNTEER,
COUNCIL_CHAIR); others by the person and the thing acted on (TICKET_HOLDER: that
ticket's assignee), which only a handler has, once it has loaded the thing.

Every command declares one (`Command.allowed`, handlers/commands.py) and it is read in
three places:

- the router refuses at the door whoever no kind of person allows, unless a kind that
  depends on the thing acted on might (a ticket command lets anyone through to name the
  ticket; its handler checks that ticket with `require`);
- `帮助` lists a command to the people a kind of person allows (it cannot know the
  ticket), under 工作人员 when only staff are told of it;
- the web workbench will offer a person only what they may do.

A refusal is raised once where its reason is found — `raise Refusal("ticket.not_yours",
id=12)` or `REPORTER.require(ctx, ticket, "ticket.not_yours", id=12)` — and answered once
by the router.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from handlers.context import Context

STAFF_ONLY = "permission.staff_only"


class Refusal(Exception):
    """What the person is told instead of the command being done: a texts key and its
    values. `quiet`: said only to someone who addressed the bot (in a group, "待确认" or
    "忽略 上面那条" between neighbours is not meant for it)."""

    def __init__(self, key: str, /, *, quiet: bool = False, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.quiet = quiet
        self.values = values


@dataclass(frozen=True)
class Kind:
    """One kind of person. `test(ctx, subject)`; `about_subject`: decided by the thing acted
    on too, so only a handler that has it can tell (without one it allows nobody)."""

    name: str
    test: Callable[["Context", Any], bool]
    about_subject: bool = False
    at_work: bool = False   # people who work with staff (a department's contact): 帮助 lists it under 工作人员
    might: Callable[["Context"], bool] | None = None   # about_subject: the sender may be one for some subject


@dataclass(frozen=True)
class Permission:
    kinds: tuple[Kind, ...]

    def __or__(self, other: "Permission") -> "Permission":
        return Permission(self.kinds + tuple(k for k in other.kinds if k not in self.kinds))

    def __repr__(self) -> str:
        return " | ".join(k.name for k in self.kinds)

    def allows(self, ctx: "Context", subject: Any = None) -> bool:
        """Whether the sender may do this (to `subject`, for kinds that depend on it)."""
        return any(k.test(ctx, subject) for k in self.kinds if subject is not None or not k.about_subject)

    def admits(self, ctx: "Context") -> bool:
        """At the door, before the command names its subject: a kind of person allows the
        sender, or a known sender might be one for the subject (the handler decides)."""
        return self.allows(ctx) or (ctx.person is not None and any(k.about_subject for k in self.kinds))

    def offers(self, ctx: "Context") -> bool:
        """Whether to tell the sender of it (帮助): a kind of person allows them, or they are
        someone it may allow for some subject (a department's contact, for ticket commands)."""
        return self.allows(ctx) or any(k.might is not None and k.might(ctx) for k in self.kinds)

    @property
    def staff_only(self) -> bool:
        """Only staff, and those who work with them (a department's contact), are ever told
        of it (帮助 lists it under 工作人员)."""
        alone = [k for k in self.kinds if not k.about_subject]
        return STAFF.kinds[0] in alone and all(k is STAFF.kinds[0] or k.at_work for k in alone)

    def require(self, ctx: "Context", subject: Any, key: str = STAFF_ONLY, /, **values: Any) -> None:
        """Refuse with `key` unless the sender may do this to `subject`."""
        if not self.allows(ctx, subject):
            raise Refusal(key, **values)


def _person(name: str, test: Callable[[Any], bool]) -> Permission:
    return Permission((Kind(name, lambda ctx, subject: ctx.person is not None and test(ctx.person)),))


def role(*roles: str) -> Permission:
    """People with one of these roles in the community file."""
    return _person("|".join(roles), lambda person: person.has(*roles))


def _named_by(field: str, name: str) -> Permission:
    """The person the thing acted on names in `field` (a ticket's reporter, a task's
    beneficiary, an exchange's receiver…)."""
    return Permission((Kind(name, lambda ctx, subject: ctx.person is not None
                            and getattr(subject, field, None) == ctx.person.id, about_subject=True),))


def _is_contact(ctx: "Context", subject: Any) -> bool:
    return ctx.person is not None and ctx.person.id in ctx.community.contacts


def _department_contact(ctx: "Context", ticket: Any) -> bool:
    """The contact of the department a ticket is escalated to (吹哨) or, escalated nowhere,
    the person the community file routes its category to (`[routing]`: 设施维修 → 物业's
    contact): linli tells them of it and asks them to act, so they may."""
    return ctx.person is not None and ctx.community.contact_for(
        getattr(ticket, "department", None), getattr(ticket, "category", None)) == ctx.person.id


# Kinds of people decided by the person alone.
ANYONE = Permission((Kind("anyone", lambda ctx, subject: True),))   # even a sender the community does not know yet
RESIDENT = _person("resident", lambda person: True)   # anyone the community knows (staff and volunteers live here too)
STAFF = _person("staff", lambda person: person.handles_tickets)   # staff, grid workers and the secretary
VOLUNTEER = role("volunteer")
COUNCIL_CHAIR = role("council_chair")
# A department's contact or a person `[routing]` names: someone tickets are sent to (待办).
CONTACT = Permission((Kind("contact", lambda ctx, subject: _is_contact(ctx, subject), at_work=True),))

# Kinds decided by the thing acted on.
TICKET_HOLDER = _named_by("assignee", "ticket_holder")         # the person a ticket was given to (派单, 接单)
DEPARTMENT_CONTACT = Permission((Kind("department_contact", _department_contact, about_subject=True,
                                      might=lambda ctx: _is_contact(ctx, None)),))
REPORTER = _named_by("reporter", "reporter")                   # a ticket's
CO_REPORTER = Permission((Kind("co_reporter", lambda ctx, ticket: ctx.person is not None   # reported it too,
                               and ctx.person.id in (getattr(ticket, "co_reporters", None) or {}),  # or had
                               about_subject=True),))                                      # theirs merged in
BENEFICIARY = _named_by("beneficiary", "beneficiary")          # a task's
PUBLISHER = _named_by("created_by", "publisher")               # a task's (发布任务, 派单 … 志愿者)
RECEIVER = _named_by("receiver", "receiver")                   # a time-bank exchange's
OWNER = _named_by("person", "owner")                           # a redemption's (兑换码)

# An elder in care (handlers/care) and their guardians: the subject is their enrolment.
# The person in care themselves; 帮助 tells those the community file names.
ELDER = Permission((Kind("elder", lambda ctx, enrolment: ctx.person is not None
                         and getattr(enrolment, "person", None) == ctx.person.id, about_subject=True,
                         might=lambda ctx: ctx.person is not None and any(
                             e.person == ctx.person.id for e in ctx.community.care.people)),))
GUARDIAN = Permission((Kind("guardian", lambda ctx, enrolment: ctx.person is not None
                            and ctx.person.id in (getattr(enrolment, "guardians", None) or ()),
                            about_subject=True,
                            # 帮助 tells the guardians the community file names (chat enrolments live in Redis)
                            might=lambda ctx: ctx.person is not None and any(
                                ctx.person.id in e.guardians for e in ctx.community.care.people)),))
CARE_WATCHER = STAFF | GUARDIAN                                # who ever sees an elder's status

# Who may change a ticket (派单, 处理, 办结, 驳回, 吹哨, 合并, 拆分) and read it whole.
TICKET_HANDLER = STAFF | TICKET_HOLDER | DEPARTMENT_CONTACT
