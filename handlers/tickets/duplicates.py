"""Is a new report the same problem as an open ticket? Same building, opened within a
week, not at a different unit, and saying much the same thing: most of the content
characters of the shorter text appear in the other (location words, digits, punctuation
and particles removed) — in the same category, or almost all of them if the classifier
put the two in different categories. Tested and measured on labelled pairs
(tests/data/duplicate_pairs.tsv); the threshold is the one those figures chose.

The same person saying it again soon after (REPEAT_HOURS) is a repeat, wherever they say
it: in the building's group and then 1:1, where the building is read from the chat the
first time and from their household the second. Only a building or unit both reports
name, differing, tells two of their reports apart (`repeat_of`). An urgent repeat of an
urgent ticket is one too: its alarms went out the first time.
"""

from __future__ import annotations

import re

from handlers.context import Context
from handlers.tickets.common import OPEN_STATES
from storage.tickets import Ticket

WINDOW_DAYS = 7
REPEAT_HOURS = 2    # the same person saying it again this soon, in any chat, is told it is known
THRESHOLD = 0.55    # measured: see the README's duplicate figures and tests/test_duplicates.py
ALMOST_SAME = 0.8   # this similar, a different category is the classifier hesitating, not another problem
_LOCATION = re.compile(r"[0-9０-９一二三四五六七八九十百]+\s*(?:号楼|号|栋|幢|单元|楼|层|室|户)|[0-9０-９]+")
_NOISE = set("的了是在有我们你他她它吗呢啊吧呀哦哈很都也还就又太把被给和跟与及这那个些么怎么请问一下已经一直好几天")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def content(text: str) -> set[str]:
    """The characters that say what the problem is."""
    stripped = _PUNCT.sub("", _LOCATION.sub("", text))
    return {ch for ch in stripped if ch not in _NOISE}


def similarity(a: str, b: str) -> float:
    """Share of the shorter text's content characters found in the other (0…1)."""
    left, right = content(a), content(b)
    if not left or not right:
        return 0.0
    return len(left & right) / min(len(left), len(right))


def same_problem(text: str, category: str | None, building: str | None, unit: str | None, at: float,
                 ticket: Ticket, threshold: float = THRESHOLD, states: tuple[str, ...] = OPEN_STATES) -> bool:
    """`states`: what the ticket may be in (the open ones; the triage queue's for 待确认)."""
    if ticket.status not in states or not building or building != ticket.building:
        return False
    if at - ticket.created_at > WINDOW_DAYS * 86400:
        return False
    other_unit = (ticket.location or {}).get("unit")
    if unit and other_unit and unit != other_unit:
        return False
    alike = similarity(text, ticket.text)
    return alike >= (threshold if category == ticket.category else max(threshold, ALMOST_SAME))


def _alike(text: str, category: str | None, other: str, other_category: str | None) -> bool:
    """Much the same thing (same_problem's test of the words alone)."""
    return similarity(text, other) >= (THRESHOLD if category == other_category else max(THRESHOLD, ALMOST_SAME))


async def repeat_of(ctx: Context, text: str, category: str | None, location: dict | None,
                    urgent: bool) -> Ticket | None:
    """The open ticket the sender reported (or joined) in the last REPEAT_HOURS that this
    report repeats, or None. Their own words then (a co-reporter's are kept with them)
    must say much the same thing; a building or a unit named by both, and different, is
    another problem; an urgent report repeats only an urgent ticket (else its alarms are
    still to go out)."""
    person, tickets = ctx.person, ctx.services.tickets
    ids = await tickets.ids_of(person.id, ctx.now - REPEAT_HOURS * 3600)
    for ticket in await tickets.many(ids, history=False):
        if ticket.status not in OPEN_STATES or (urgent and not ticket.urgent):
            continue
        said = ticket.text if ticket.reporter == person.id else (ticket.co_reporters.get(person.id) or {}).get("text")
        if not said:
            continue
        theirs = ticket.location or {}
        here = location or {}
        if any(here.get(part) and theirs.get(part) and here[part] != theirs[part] for part in ("building", "unit")):
            continue
        if _alike(text, category, said, ticket.category):
            return ticket
    return None
