"""Who may do what (handlers/permissions.py), as the router, 帮助 and a handler ask it."""

from types import SimpleNamespace

import pytest

from handlers.community import load_community
from handlers.permissions import (ANYONE, COUNCIL_CHAIR, DEPARTMENT_CONTACT, REPORTER, RESIDENT, STAFF,
                                  TICKET_HANDLER, TICKET_HOLDER, VOLUNTEER, Refusal, role)
from handlers.router import COMMANDS
from tests.conftest import DEMO

COMMUNITY = load_community(DEMO)


def as_(person_id):
    return SimpleNamespace(person=COMMUNITY.people.get(person_id or ""), community=COMMUNITY)


TICKET = SimpleNamespace(reporter="zhang", assignee="vol_wang", department="wuye")


@pytest.mark.parametrize("permission, who, allowed", [
    (RESIDENT, "zhang", True), (RESIDENT, None, False), (ANYONE, None, True),
    (STAFF, "grid", True), (STAFF, "secretary", True), (STAFF, "wuye_li", False), (STAFF, "vol_wang", False),
    (VOLUNTEER, "vol_wang", True), (VOLUNTEER, "grid", False), (VOLUNTEER | STAFF, "grid", True),
    (COUNCIL_CHAIR, "r101", True), (COUNCIL_CHAIR, "r104", False),
    (COUNCIL_CHAIR | role("secretary", "staff"), "staff_chen", True),
    (COUNCIL_CHAIR | role("secretary", "staff"), "zhang", False),
])
def test_kinds_of_people(permission, who, allowed):
    assert permission.allows(as_(who)) is allowed


@pytest.mark.parametrize("who, on_ticket, at_door, listed", [
    ("grid", True, True, True),           # staff: any ticket, and 帮助 lists the ticket commands
    ("vol_wang", True, True, False),      # the ticket's holder: this ticket only
    ("wuye_li", True, True, False),       # the contact of the ticket's department
    ("dept_cg", False, True, False),      # another department's contact: let in, refused on the ticket
    ("zhang", False, True, False),        # the reporter does not handle it
    (None, False, False, False),          # nobody the community knows is not let in at all
])
def test_a_ticket_command_is_decided_on_the_ticket(who, on_ticket, at_door, listed):
    ctx = as_(who)
    assert TICKET_HANDLER.allows(ctx, TICKET) is on_ticket
    assert TICKET_HANDLER.admits(ctx) is at_door
    assert TICKET_HANDLER.allows(ctx) is listed
    assert TICKET_HANDLER.staff_only


def test_require_raises_the_refusal_with_its_values():
    with pytest.raises(Refusal) as refused:
        REPORTER.require(as_("r102"), TICKET, "ticket.not_yours", id=12)
    assert (refused.value.key, refused.value.values, refused.value.quiet) == ("ticket.not_yours", {"id": 12}, False)
    REPORTER.require(as_("zhang"), TICKET, "ticket.not_yours", id=12)   # the reporter: no refusal


def test_subject_kinds_allow_nobody_without_the_subject():
    assert not (TICKET_HOLDER | DEPARTMENT_CONTACT).allows(as_("vol_wang"))


def listed(who):
    return {c.name for c in COMMANDS if c.allowed.allows(as_(who))}


def test_help_lists_what_each_may_use():
    resident, volunteer, chair, staff = listed("zhang"), listed("vol_wang"), listed("r101"), listed("grid")
    assert {"report", "status", "rate", "vote", "register", "points", "link", "help"} <= resident
    assert not resident & {"newpoll", "claim", "mytasks", "volunteer", "todo", "assign", "checkin", "linkcode"}
    assert volunteer - resident == {"volunteer", "claim", "withdraw", "done", "mytasks"}
    assert chair - resident == {"newpoll", "decide", "schedule", "implement"}   # polls and 议题 (agenda)
    assert {"newpoll", "claim", "mytasks", "todo", "assign", "triage", "proxyvote", "verify", "checkin",
            "newtask", "linkcode"} <= staff and "volunteer" not in staff
    # staff may use these, and so may others (volunteers, the council's chair, a room's approvers)
    shared_with_others = {"newpoll", "claim", "withdraw", "done", "mytasks", "decide", "schedule", "implement",
                          "approve", "refuse"}
    assert {c.name for c in COMMANDS if c.allowed.staff_only} == staff - resident - shared_with_others


async def test_the_router_answers_a_refusal_once_and_staff_words_in_a_group_only_when_addressed(console):
    await console.say("zhang", "b3", "待确认")                 # neighbours may say it to each other
    assert console.transcript.new() == []
    await console.say("zhang", "b3", "@小邻 待确认")
    assert [m["text"] for m in console.transcript.new()] == [console.runtime.services.texts("permission.staff_only")]
    await console.say("zhang", "b3", "发起投票 装不装充电桩")     # a command's own refusal: wherever it is typed
    assert [m["text"] for m in console.transcript.new()] == [console.runtime.services.texts("polls.create.not_allowed")]
    await console.say("zhang", None, "派单 #9 @grid")          # a ticket command: the ticket first
    assert [m["text"] for m in console.transcript.new()] == [console.runtime.services.texts("ticket.not_found", id=9)]
