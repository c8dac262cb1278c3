"""What the workbench's pages show, read from the repositories for one signed-in person.

Who sees what is handlers/permissions.py's: a person the workbench lets in (WORKBENCH) who
is STAFF (staff, grid workers, the secretary) sees every ticket of the community; anyone
else (a department's contact, a person [routing] names) sees the tickets TICKET_HANDLER
lets them handle: given to them, escalated to their department, or routed to them. A grid
worker who lists buildings starts on those buildings (any other may be chosen).

Lists come from indexes: the open-ticket indexes (all, by building, category, assignee,
department) for what is open, the triage queue for 待确认, and the index of every ticket
by creation time, read by date range and at most SCAN_LIMIT of them, for anything else.
No page reads every ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time as dtime, timedelta
from typing import Any

from handlers import tickets as ticket_package
from handlers.community import Person
from handlers.context import Context, Services
from handlers.people.web_login import context_of, may_sign_in
from handlers.permissions import STAFF, TICKET_HANDLER
from handlers.router import COMMANDS
from nlp.pii import mask_group
from storage.tickets import OPEN_STATES, QUEUE_STATES, STATUSES, TRANSITIONS, TRIAGE_STATES, Ticket

DUE_SOON_HOURS = 4          # 今日: "due within 4 hours"
PAGE_SIZE = 50              # 工单: tickets a page
SCAN_LIMIT = 5000           # 工单, closed states: at most this many of a period are looked at
DEFAULT_DAYS = 30           # 工单, closed states: the period when none is given
TRIAGE_LIMIT = 20
EXCERPT = 40                # characters of a resident's words in a list line

# The staff actions a ticket page offers, by command name: what the command changes (a
# TRANSITIONS action, whose states decide when it is offered) and its form's fields.
ACTIONS: dict[str, str | None] = {
    "assign": "assigned", "start": "started", "resolve": "resolved", "reject": "rejected",
    "escalate": "escalated", "merge": "merged", "split": None,
}
COMMAND = {command.name: command for command in COMMANDS}


@dataclass
class Viewer:
    """The signed-in person and a turn on their behalf, for texts, times and permissions."""
    person: Person
    ctx: Context

    @classmethod
    def of(cls, services: Services, person: Person) -> "Viewer":
        return cls(person, context_of(services, person))

    @property
    def community_wide(self) -> bool:
        return STAFF.allows(self.ctx)

    @property
    def home_buildings(self) -> tuple[str, ...]:
        """A grid worker's buildings: their default view."""
        return self.person.buildings if self.person.has("grid_worker") else ()

    @property
    def home_scope(self) -> tuple[str | None, ...]:
        """What a grid worker's default view holds: their buildings, and the tickets no grid
        worker's buildings cover (no building, or a building nobody lists), as on 待办."""
        if not self.home_buildings:
            return ()
        community = self.ctx.community
        covered = {b for p in community.with_role("grid_worker") for b in p.buildings}
        known = {c.building for c in community.chats.values() if c.building} | \
                {p.building for p in community.people.values() if p.building}
        return (*self.home_buildings, None, *sorted(known - covered))

    def sees(self, ticket: Ticket) -> bool:
        return TICKET_HANDLER.allows(self.ctx, ticket)

    def own_indexes(self) -> list[tuple[str, str]]:
        """The open-ticket indexes holding what a contact may see."""
        community, pid = self.ctx.community, self.person.id
        wanted = [("assignee", pid)]
        wanted += [("department", d.id) for d in community.departments.values() if d.contact == pid]
        wanted += [("category", c) for c, who in community.routing.items() if who == pid]
        return wanted


def allowed(services: Services, person: Person | None) -> bool:
    return may_sign_in(services, person)


# -- how things read -------------------------------------------------------------------

def ago(seconds: float) -> str:
    seconds = max(0, seconds)
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{int(seconds // 60)}分钟前"
    if seconds < 86400:
        return f"{int(seconds // 3600)}小时前"
    return f"{int(seconds // 86400)}天前"


def span(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 3600:
        return f"{max(1, int(seconds // 60))}分钟"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}".rstrip("0").rstrip(".") + "小时"
    return f"{seconds / 86400:.1f}".rstrip("0").rstrip(".") + "天"


def next_due(ticket: Ticket) -> float | None:
    """The deadline that comes next: responding while 待受理, else resolving."""
    if ticket.status == "open" and ticket.respond_due:
        return min(ticket.respond_due, ticket.resolve_due or ticket.respond_due)
    return ticket.resolve_due


def holder(viewer: Viewer, ticket: Ticket) -> str:
    ctx = viewer.ctx
    if ticket.assignee:
        return ctx.name_of(ticket.assignee)
    if ticket.department:
        dept = ctx.community.departments.get(ticket.department)
        return dept.name if dept else ticket.department
    routed = ctx.community.routing.get(ticket.category or "")
    if routed and ticket.status in OPEN_STATES:
        return f"{ctx.name_of(routed)}（未受理）"
    return "暂无负责人"


def status_label(viewer: Viewer, status: str) -> str:
    return ticket_package.status_label(viewer.ctx, status)


def action_label(viewer: Viewer, action: str) -> str:
    try:
        return viewer.ctx.t(f"action.{action}")
    except KeyError:
        return action


def row(viewer: Viewer, ticket: Ticket) -> dict[str, Any]:
    """One line of a list: what, where, who reported it (their name; their words masked as
    in a group chat), who holds it, how long ago, the next deadline."""
    now = viewer.ctx.now
    due = next_due(ticket) if ticket.status in OPEN_STATES else None
    text = ticket.text or ""
    excerpt = text if len(text) <= EXCERPT else text[:EXCERPT] + "…"
    return {
        "id": ticket.id, "category": ticket.category or "其他", "urgent": ticket.urgent,
        "status": ticket.status, "status_label": status_label(viewer, ticket.status),
        "text": mask_group(excerpt), "place": ticket_package.place(viewer.ctx, ticket),
        "reporter": viewer.ctx.name_of(ticket.reporter) if ticket.reporter else "",
        "holder": holder(viewer, ticket), "ago": ago(now - ticket.created_at),
        "created": viewer.ctx.when(ticket.created_at),
        "overdue": due is not None and due < now,
        "due": None if due is None else (f"已超时{span(now - due)}" if due < now else f"{span(due - now)}后到期"),
    }


# -- 今日 -------------------------------------------------------------------------------

async def open_candidates(viewer: Viewer, by: str | None = None, value: str | None = None) -> list[int]:
    """Ids of open tickets this person may see (candidates: check what is loaded)."""
    tickets = viewer.ctx.services.tickets
    if viewer.community_wide:
        return await tickets.open_ids(by, value)
    found: set[int] = set()
    for index, key in viewer.own_indexes():
        found.update(await tickets.open_ids(index, key))
    if by is not None:
        found &= set(await tickets.open_ids(by, value))
    return sorted(found, reverse=True)


@dataclass
class Today:
    urgent: list[dict] = field(default_factory=list)
    overdue: list[dict] = field(default_factory=list)
    due_soon: list[dict] = field(default_factory=list)
    not_accepted: list[dict] = field(default_factory=list)
    triage: list[dict] = field(default_factory=list)
    triage_count: int = 0
    buildings: list[dict] = field(default_factory=list)
    total: int = 0


async def today(viewer: Viewer, buildings: tuple[str, ...] = ()) -> Today:
    """`buildings`: only these (a grid worker's own, by default)."""
    ctx, tickets = viewer.ctx, viewer.ctx.services.tickets
    now = ctx.now
    loaded = await tickets.many(await open_candidates(viewer), history=False, co=False)
    mine = [t for t in loaded if t.status in OPEN_STATES and viewer.sees(t)
            and (not buildings or t.building in buildings)]
    mine.sort(key=lambda t: (next_due(t) or float("inf"), -t.created_at))
    page = Today(total=len(mine))
    for ticket in mine:
        due = next_due(ticket)
        line = row(viewer, ticket)
        if ticket.urgent:
            page.urgent.append(line)
        if due is not None and due < now:
            page.overdue.append(line)
        elif due is not None and due < now + DUE_SOON_HOURS * 3600:
            page.due_soon.append(line)
        if ticket.status == "open":
            page.not_accepted.append(line)
    counts: dict[str | None, dict[str, Any]] = {}
    for ticket in mine:
        entry = counts.setdefault(ticket.building, {"building": ticket.building, "open": 0, "overdue": 0,
                                                    "urgent": 0, "not_accepted": 0})
        entry["open"] += 1
        entry["overdue"] += int((next_due(ticket) or now) < now)
        entry["urgent"] += int(ticket.urgent)
        entry["not_accepted"] += int(ticket.status == "open")
    page.buildings = sorted(counts.values(), key=lambda e: (e["building"] is None, _number(e["building"])))
    for entry in page.buildings:
        entry["label"] = f"{entry['building']}号楼" if entry["building"] else "未注明楼栋"
    if viewer.community_wide:
        waiting = [t for t in await tickets.many(await tickets.queue_ids(), history=False, co=False)
                   if t.status in QUEUE_STATES and (not buildings or t.building in buildings)]
        page.triage_count = len(waiting)
        page.triage = [row(viewer, t) for t in waiting[:TRIAGE_LIMIT]]
    return page


def _number(building: str | None) -> tuple[int, str]:
    text = building or ""
    return (int(text), "") if text.isdigit() else (10 ** 9, text)


# -- 工单 -------------------------------------------------------------------------------

@dataclass
class Filters:
    status: str = ""          # "": every open state; "all"; or one state
    category: str = ""
    building: str = ""
    holder: str = ""
    department: str = ""
    start: str = ""           # YYYY-MM-DD, in the community's time zone
    end: str = ""
    overdue: bool = False
    urgent: bool = False
    q: str = ""
    page: int = 1
    scope: str = ""           # "all": a grid worker looks beyond their buildings

    @classmethod
    def parse(cls, query: Any) -> "Filters":
        def text(name: str, most: int = 50) -> str:
            return (query.get(name) or "").strip()[:most]
        try:
            page = max(1, int(query.get("page") or 1))
        except ValueError:
            page = 1
        status = text("status")
        if status not in ("", "all") and status not in STATUSES:
            status = ""
        return cls(status=status, category=text("category"), building=text("building"),
                   holder=text("holder"), department=text("department"), start=_date(text("start")),
                   end=_date(text("end")), overdue=query.get("overdue") == "1", urgent=query.get("urgent") == "1",
                   q=text("q", 100), page=page, scope=text("scope"))

    def query(self, **changes: Any) -> str:
        """These filters as a query string (for the pages' links)."""
        from urllib.parse import urlencode
        values = {**self.__dict__, **changes}
        pairs = {}
        for name, value in values.items():
            if value is True:
                pairs[name] = "1"
            elif name == "page":
                if value != 1:
                    pairs[name] = str(value)
            elif value not in ("", False, None):
                pairs[name] = value
        return urlencode(pairs)


def _date(text: str) -> str:
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return ""
    return text


def _day_start(viewer: Viewer, text: str, plus_days: int = 0) -> float:
    day = datetime.strptime(text, "%Y-%m-%d").date() + timedelta(days=plus_days)
    return datetime.combine(day, dtime(0, 0), viewer.ctx.community.tz).timestamp()


@dataclass
class Listing:
    rows: list[dict]
    total: int
    page: int
    pages: int
    capped: bool = False      # the period held more than SCAN_LIMIT tickets
    period: str = ""          # the period read, when a closed state was asked for


async def listing(viewer: Viewer, f: Filters) -> Listing:
    ctx, tickets = viewer.ctx, viewer.ctx.services.tickets
    now = ctx.now
    start = _day_start(viewer, f.start) if f.start else None
    end = _day_start(viewer, f.end, 1) if f.end else None
    open_only = f.status == "" or f.status in OPEN_STATES
    capped, period = False, ""
    if open_only:
        if f.holder:
            index = ("assignee", f.holder)
        elif f.department:
            index = ("department", f.department)
        elif f.building:
            index = ("building", f.building)
        elif f.category:
            index = ("category", f.category)
        else:
            index = (None, None)
        ids = await open_candidates(viewer, *index)
    else:
        if start is None and end is None:
            start = now - DEFAULT_DAYS * 86400
            period = f"最近{DEFAULT_DAYS}天"
        ids = await tickets.created_between(start if start is not None else 0, end if end is not None else now + 86400,
                                            SCAN_LIMIT)
        capped = len(ids) >= SCAN_LIMIT
    buildings = _buildings_of(viewer, f)
    found = []
    for ticket in await tickets.briefs(ids):
        if open_only and ticket.status not in OPEN_STATES:
            continue
        if f.status and f.status != "all" and ticket.status != f.status:
            continue
        if f.status == "all" and ticket.status in TRIAGE_STATES:
            continue
        if f.category and (ticket.category or "") != f.category:
            continue
        if buildings and ticket.building not in buildings:
            continue
        if f.holder and ticket.assignee != f.holder:
            continue
        if f.department and ticket.department != f.department:
            continue
        if f.urgent and not ticket.urgent:
            continue
        if f.overdue and not (ticket.status in OPEN_STATES and (next_due(ticket) or now) < now):
            continue
        if start is not None and ticket.created_at < start or end is not None and ticket.created_at >= end:
            continue
        if not viewer.sees(ticket):
            continue
        found.append(ticket)
    found.sort(key=lambda t: (-t.created_at, -t.id))
    if f.q:
        words = f.q.lower()
        whole = await tickets.many([t.id for t in found], history=False, co=True)
        found = [t for t in whole if words in (t.text or "").lower()
                 or any(words in str(r.get("text", "")).lower() for r in t.co_reporters.values())]
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(f.page, pages)
    shown = found[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    full = {t.id: t for t in await tickets.many([t.id for t in shown], history=False, co=False)}
    rows = [row(viewer, full.get(t.id, t)) for t in shown]
    return Listing(rows, len(found), page, pages, capped, period)


def _buildings_of(viewer: Viewer, f: Filters) -> tuple[str, ...]:
    if f.building:
        return (f.building,)
    if f.scope != "all" and viewer.home_buildings:
        return viewer.home_scope
    return ()


def choices(viewer: Viewer, categories: tuple[str, ...]) -> dict[str, Any]:
    """The filters' options: states, categories (the rule file's), buildings, holders,
    departments."""
    community = viewer.ctx.community
    categories = list(categories) + sorted(set(community.routing) - set(categories))
    buildings = sorted({c.building for c in community.chats.values() if c.building}
                       | {p.building for p in community.people.values() if p.building}, key=_number)
    holders = [p for p in community.people.values()
               if p.handles_tickets or p.id in community.contacts or p.has("volunteer")]
    departments = list(community.departments.values())
    if not viewer.community_wide:
        own = {key for index, key in viewer.own_indexes() if index == "department"}
        departments = [d for d in departments if d.id in own]
    return {
        "statuses": [(s, status_label(viewer, s)) for s in STATUSES],
        "open_states": OPEN_STATES,
        "categories": categories, "buildings": buildings,
        "holders": [(p.id, p.name) for p in holders],
        "departments": [(d.id, d.name) for d in departments],
    }


# -- one ticket ---------------------------------------------------------------------------

async def ticket_page(viewer: Viewer, ticket: Ticket) -> dict[str, Any]:
    ctx = viewer.ctx
    community = ctx.community
    history = []
    photos, places = [], []
    for item in ticket.history:
        action = item.get("action", "")
        history.append({"at": ctx.when(item["at"]), "by": ticket_package_actor(viewer, item.get("by")),
                        "action": action_label(viewer, action), "note": item.get("note") or "",
                        "status": status_label(viewer, item["status"]) if item.get("status") else ""})
        if action == "attached":
            note = item.get("note") or ""
            photos.append({"at": ctx.when(item["at"]), "url": note if note.startswith(("https://", "http://")) else "",
                           "ref": note})
        if action == "located":
            places.append({"at": ctx.when(item["at"]), "label": item.get("note") or ""})
    location = ticket.location or {}
    co = [{"id": pid, "name": ctx.name_of(pid), "text": r.get("text", ""),
           "at": ctx.when(r["at"]) if r.get("at") else "", "rating": r.get("rating"),
           "merged_from": r.get("merged_from")}
          for pid, r in sorted(ticket.co_reporters.items(), key=lambda kv: kv[1].get("at", 0))]
    dept = community.departments.get(ticket.department or "")
    due = next_due(ticket) if ticket.status in OPEN_STATES else None
    actions = []
    for name, transition in ACTIONS.items():
        command = COMMAND.get(name)
        if command is None or not command.allowed.allows(ctx, ticket):
            continue
        states = TRANSITIONS.get(transition) if transition else None
        if transition and ticket.status not in (states or ()):
            continue
        if name == "split" and not ticket.co_reporters:
            continue
        actions.append({"name": name, "word": command.words[0]})
    return {
        "id": ticket.id, "category": ticket.category or "其他", "urgent": ticket.urgent,
        "status": ticket.status, "status_label": status_label(viewer, ticket.status),
        "text": ticket.text, "place": ticket_package.place(ctx, ticket),
        "location": {k: v for k, v in location.items() if v}, "places": places, "photos": photos,
        "reporter": ctx.name_of(ticket.reporter), "created": ctx.when(ticket.created_at),
        "ago": ago(ctx.now - ticket.created_at),
        "assignee": ctx.name_of(ticket.assignee) if ticket.assignee else "",
        "department": dept.name if dept else (ticket.department or ""),
        "holder": holder(viewer, ticket),
        "respond_due": ctx.when(ticket.respond_due) if ticket.respond_due else "",
        "resolve_due": ctx.when(ticket.resolve_due) if ticket.resolve_due else "",
        "due": None if due is None else (f"已超时{span(ctx.now - due)}" if due < ctx.now else f"{span(due - ctx.now)}后到期"),
        "overdue": due is not None and due < ctx.now,
        "rating": ticket.rating, "comment": ticket.comment or "", "reason": ticket.reason or "",
        "duplicate_of": ticket.duplicate_of, "history": history, "co_reporters": co,
        "actions": actions,
    }


def ticket_package_actor(viewer: Viewer, by: str | None) -> str:
    if not by or by == "system":
        return viewer.ctx.t("ticket.by_system")
    return viewer.ctx.name_of(by)


def action_people(viewer: Viewer) -> list[tuple[str, str]]:
    """Whom 派单 may name: those who handle tickets, contacts and volunteers."""
    community = viewer.ctx.community
    return [(p.id, p.name) for p in community.people.values()
            if p.handles_tickets or p.id in community.contacts or p.has("volunteer")]


def command_text(viewer: Viewer, ticket: Ticket, name: str, form: Any) -> str | None:
    """The chat command an action from the page stands for, as if typed; None when the
    form does not make one."""
    community = viewer.ctx.community

    def field(key: str, most: int = 500) -> str:
        return " ".join((form.get(key) or "").split())[:most]

    command = COMMAND.get(name)
    if name not in ACTIONS or command is None:
        return None
    word, ref = command.words[0], f"#{ticket.id}"
    if name == "assign":
        person = community.people.get(field("person", 60))
        return f"{word} {ref} @{person.id}" if person else None
    if name in ("start",):
        return f"{word} {ref} {field('note')}".strip()
    if name in ("resolve", "reject"):
        note = field("note")
        return f"{word} {ref} {note}" if note else None
    if name == "escalate":
        dept = community.departments.get(field("department", 60))
        return f"{word} {ref} {dept.id} {field('note')}".strip() if dept else None
    if name == "merge":
        other = field("other", 12).lstrip("#＃")
        return f"{word} {ref} #{int(other)}" if other.isdigit() else None
    if name == "split":
        person = field("person", 60)
        if person and person not in ticket.co_reporters:
            return None
        return f"{word} {ref} {person}".strip()
    return None
