"""The community file: who lives here, which chats exist, who handles what.

Written by community workers, so every problem is reported with the file, the key
and what is wrong, and start-up stops rather than running half-configured.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The file's sections the packages define: [points]/[timebank] (points), [volunteers] (tasks),
# [care], [retention] (privacy), [[rooms]], [agenda] (议题) and [sharing] (供需).
from handlers import agenda, care, points, privacy, rooms, sharing, tasks

ROLES = ("resident", "volunteer", "party_member", "grid_worker", "staff", "secretary",
         "council", "department", "council_chair")
TICKET_ROLES = frozenset({"staff", "grid_worker", "secretary"})
CHAT_KINDS = ("building", "council", "volunteers", "staff")
CHAT_MODES = ("auto", "mention")
TRIAGE_THRESHOLD = 0.35   # the community default when neither file sets a triage threshold
# `[[devices]] type`: what each kind of device posts to /iot/{device} (bot/iot.py).
DEVICE_TYPES = ("water_meter", "door", "button")


class CommunityError(ValueError):
    """A community file problem, naming the file and the key."""


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    roles: frozenset[str]
    household: str | None = None
    identities: tuple[str, ...] = ()
    buildings: tuple[str, ...] = ()
    volunteer: tasks.Profile | None = None    # the file's profile; chat edits live in Redis

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def handles_tickets(self) -> bool:
        return bool(self.roles & TICKET_ROLES)

    @property
    def building(self) -> str | None:
        return self.household.split("-")[0] if self.household else None


@dataclass(frozen=True)
class Chat:
    id: str
    name: str
    kind: str
    mode: str = "mention"
    building: str | None = None
    identities: tuple[str, ...] = ()
    auto_threshold: float | None = None     # None: the rule file's
    triage_threshold: float | None = None   # None: the community's (see Triage); 0: no triage here


@dataclass(frozen=True)
class Device:
    """`[[devices]]`: a device in someone's home posting to `/iot/{id}` (README "Devices
    (IoT)"). Its HMAC key is never in this file: `key_env` names the environment variable
    holding it (else the keys file, LINLI_DEVICE_KEYS_FILE, has it under the device's id)."""
    id: str
    type: str          # one of DEVICE_TYPES
    person: str        # the person whose home it is in
    key_env: str | None = None


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    contact: str


@dataclass(frozen=True)
class Sla:
    respond_hours: float = 24
    resolve_hours: float = 72
    remind_before_hours: float = 4
    escalate_after_hours: float = 24
    rate_close_days: float = 3
    reopen_days: float = 7
    urgent_respond_hours: float = 1     # an urgent ticket (gas, fire, someone trapped): 0.5 is half an hour
    urgent_resolve_hours: float = 24

    def respond_within(self, urgent: bool) -> float:
        """Hours a ticket has to leave 待受理."""
        return self.urgent_respond_hours if urgent else self.respond_hours

    def resolve_within(self, urgent: bool) -> float:
        """Hours a ticket has to reach 已办结."""
        return self.urgent_resolve_hours if urgent else self.resolve_hours

    def deadlines(self, now: float, urgent: bool) -> dict[str, float]:
        """A new (or reopened) ticket's respond_due and resolve_due."""
        return {"respond_due": now + self.respond_within(urgent) * 3600,
                "resolve_due": now + self.resolve_within(urgent) * 3600}


@dataclass(frozen=True)
class Targets:
    """`[targets]`: what the community aims for, drawn on the statistics' charts (README
    "Statistics"): rates as fractions (0.95 is 95%); `reopen_rate` is a most, the others
    a least."""
    response_rate: float = 0.95
    resolution_rate: float = 0.90
    satisfaction_rate: float = 0.90
    reopen_rate: float = 0.05
    average_rating: float = 4.5


@dataclass(frozen=True)
class Triage:
    """`[triage]`: an `auto` group's message the classifier is unsure about waits for staff
    (待确认). `threshold` None: the rule file's, else TRIAGE_THRESHOLD; 0: no triage."""
    threshold: float | None = None
    lapse_days: float = 3
    remind_at: str = "09:00"   # the daily reminder to staff, in the community's time zone

    @property
    def remind_hour_minute(self) -> tuple[int, int]:
        hour, _, minute = self.remind_at.partition(":")
        return int(hour), int(minute)


@dataclass(frozen=True)
class Community:
    id: str
    name: str
    timezone: str
    sla: Sla
    people: dict[str, Person]
    chats: dict[str, Chat]
    departments: dict[str, Department]
    routing: dict[str, str] = field(default_factory=dict)
    ledger: points.LedgerRules = field(default_factory=points.LedgerRules)  # [points], [timebank], [[rewards]]
    volunteering: tasks.Volunteering = field(default_factory=tasks.Volunteering)  # [volunteers]
    dictionary: tuple[str, ...] = ()   # [dictionary]: place names jieba keeps whole
    bot_name: str = "小邻"
    source: str = ""
    triage: Triage = field(default_factory=Triage)
    office_phone: str | None = None   # a public office number residents may be given
    retention: privacy.RetentionRules = field(default_factory=privacy.RetentionRules)   # [retention]
    targets: Targets = field(default_factory=Targets)
    devices: dict[str, Device] = field(default_factory=dict)   # [[devices]], by id
    sharing: sharing.SharingRules = field(default_factory=sharing.SharingRules)   # [sharing]: 供需
    care: care.CareRules = field(default_factory=care.CareRules)   # [care], [[care.people]]
    rooms: tuple[rooms.Room, ...] = ()   # [[rooms]]: rooms and equipment lent (handlers/rooms/rules.py)
    agenda: agenda.AgendaRules = field(default_factory=agenda.AgendaRules)   # [agenda]: 议题 thresholds

    def triage_threshold(self, chat: Chat | None, rule_file: float | None) -> float | None:
        """Where an `auto` group's unsure messages start going to the triage queue: the
        chat's, else the community file's `[triage] threshold`, else the rule file's, else
        TRIAGE_THRESHOLD. None (a threshold of 0): no triage in that chat."""
        for value in (chat.triage_threshold if chat else None, self.triage.threshold, rule_file):
            if value is not None:
                return value or None
        return TRIAGE_THRESHOLD

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def person_by_identity(self, identity: str | None) -> Person | None:
        return self._identities().get(identity or "") if identity else None

    def chat_by_identity(self, identity: str | None) -> Chat | None:
        found = self._identities().get(identity or "")
        return found if isinstance(found, Chat) else None

    def with_role(self, role: str) -> list[Person]:
        return [p for p in self.people.values() if role in p.roles]

    def grid_workers_for(self, building: str | None) -> list[Person]:
        workers = self.with_role("grid_worker")
        mine = [p for p in workers if building and building in p.buildings]
        return mine or [p for p in workers if not p.buildings] or workers

    def find_person(self, ref: str) -> Person | None:
        """A person as staff and residents name them after @: '@zhang', 'zhang', '@张阿姨'
        or '张阿姨' — by id, else by full name when exactly one person has it (two 张阿姨
        are told apart by id)."""
        key = ref.strip().lstrip("@＠")
        if key in self.people:
            return self.people[key]
        named = [p for p in self.people.values() if p.name == key]
        return named[0] if len(named) == 1 else None

    def contact_for(self, department: str | None, category: str | None) -> str | None:
        """Who a ticket is sent to by the file: the contact of the department it is escalated
        to, else the person `[routing]` names for its category (None: its building's grid
        worker, like any ticket)."""
        if department:
            found = self.departments.get(department)
            return found.contact if found else None
        return self.routing.get(category or "")

    @property
    def contacts(self) -> frozenset[str]:
        """Everyone tickets may be sent to by the file: departments' contacts and the people
        `[routing]` names."""
        return frozenset(d.contact for d in self.departments.values()) | frozenset(self.routing.values())

    def department(self, key: str) -> Department | None:
        """By id or by (part of) its Chinese name, as staff type it in chat."""
        if key in self.departments:
            return self.departments[key]
        matches = [d for d in self.departments.values() if key and key in d.name]
        return matches[0] if len(matches) == 1 else None

    def identities_of(self, address: str) -> tuple[str, ...]:
        """Platform identities of '@person' or a chat id, console ones included."""
        if address.startswith("@"):
            person = self.people.get(address[1:])
            return (person.identities + (f"console:{person.id}",)) if person else ()
        chat = self.chats.get(address)
        return (chat.identities + (f"console:{chat.id}",)) if chat else ()

    def _identities(self) -> dict[str, Person | Chat]:
        cached = self.__dict__.get("_identity_index")
        if cached is None:
            cached = {}
            for item in [*self.people.values(), *self.chats.values()]:
                cached.setdefault(f"console:{item.id}", item)
            for item in [*self.people.values(), *self.chats.values()]:
                for identity in item.identities:
                    cached[identity] = item
            object.__setattr__(self, "_identity_index", cached)
        return cached


def load_community(path: str | Path) -> Community:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CommunityError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise CommunityError(f"{path}: not valid TOML: {exc}") from None
    return _Parser(str(path)).community(raw)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> CommunityError:
        return CommunityError(f"{self.source}: {key}: {problem}")

    def table(self, raw: Any, key: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(raw, dict):
            raise self.fail(key, "must be a table")
        for name in raw:
            if name not in allowed:
                raise self.fail(f"{key}.{name}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for name in sorted(required - raw.keys()):
            raise self.fail(f"{key}.{name}", "is required")
        return raw

    def text(self, raw: dict, key: str, name: str, default: str | None = None) -> str | None:
        value = raw.get(name, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise self.fail(f"{key}.{name}", "must be a non-empty string")
        return value

    def texts(self, raw: dict, key: str, name: str) -> tuple[str, ...]:
        value = raw.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{key}.{name}", "must be a list of strings")
        return tuple(value)

    def number(self, raw: dict, key: str, name: str, default: float) -> float:
        value = raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.fail(f"{key}.{name}", "must be a positive number")
        return float(value)

    def community(self, raw: dict) -> Community:
        self.table(raw, "(top level)", {"community", "retention", "sla", "routing", "departments", "chats", "people",
                                        "points", "timebank", "rewards", "volunteers", "dictionary", "triage", "sharing",
                                        "targets", "devices", "care", "agenda", "rooms"},
                   {"community"})
        head = self.table(raw["community"], "community", {"id", "name", "timezone", "bot_name", "office_phone"},
                          {"id", "name"})
        cid = self.text(head, "community", "id")
        if not cid.replace("-", "").replace("_", "").isalnum() or not cid.isascii():
            raise self.fail("community.id", "use ASCII letters, digits, '-' or '_' only")
        timezone = self.text(head, "community", "timezone", "Asia/Shanghai")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail("community.timezone", f"unknown time zone {timezone!r}") from None
        sla_raw = self.table(raw.get("sla", {}), "sla", set(Sla.__dataclass_fields__), set())
        sla = Sla(**{name: self.number(sla_raw, "sla", name, getattr(Sla, name)) for name in Sla.__dataclass_fields__})
        for urgent, routine in (("urgent_respond_hours", "respond_hours"), ("urgent_resolve_hours", "resolve_hours")):
            if getattr(sla, urgent) > getattr(sla, routine):
                raise self.fail(f"sla.{urgent}", f"must not be longer than {routine} ({getattr(sla, routine):g})")
        people = self.unique([self.person(p, f"people[{i}]") for i, p in enumerate(self.list(raw, "people"))], "people")
        chats = self.unique([self.chat(c, f"chats[{i}]") for i, c in enumerate(self.list(raw, "chats"))], "chats")
        departments = self.unique(
            [self.department(d, f"departments[{i}]", people) for i, d in enumerate(self.list(raw, "departments"))],
            "departments")
        routing = raw.get("routing", {})
        if not isinstance(routing, dict):
            raise self.fail("routing", "must be a table of category = person id")
        for category, person_id in routing.items():
            if person_id not in people:
                raise self.fail(f"routing.{category}", f"unknown person {person_id!r}")
        self.check_identities(people, chats)
        return Community(id=cid, name=self.text(head, "community", "name"), timezone=timezone, sla=sla,
                         people=people, chats=chats, departments=departments, routing=dict(routing),
                         bot_name=self.text(head, "community", "bot_name", "小邻"), source=self.source,
                         ledger=points.parse_rules(raw, self.fail),
                         volunteering=tasks.parse_volunteering(raw.get("volunteers"), self.fail),
                         dictionary=self.dictionary(raw.get("dictionary", {})),
                         triage=self.triage(raw.get("triage", {})),
                         office_phone=self.text(head, "community", "office_phone"),
                         retention=privacy.parse_retention(raw.get("retention"), self.fail),
                         targets=self.targets(raw.get("targets", {})),
                         devices=self.unique([self.device(d, f"devices[{i}]", people)
                                              for i, d in enumerate(self.list(raw, "devices"))], "devices"),
                         sharing=sharing.parse_sharing(raw.get("sharing"), self.fail),
                         care=care.parse_care(raw.get("care"), people, self.fail),
                         rooms=rooms.parse_rooms(raw.get("rooms"), people, self.fail),
                         agenda=agenda.parse_agenda(raw.get("agenda"), self.fail))

    def device(self, raw: Any, key: str, people: dict[str, Person]) -> Device:
        """`[[devices]] id = "wm-301", type = "water_meter", person = "wang_nainai",
        key_env = "LINLI_DEVICE_KEY_WM301"`."""
        if isinstance(raw, dict) and ("key" in raw or "secret" in raw):
            raise self.fail(f"{key}.{'key' if 'key' in raw else 'secret'}",
                            "never put a device's key in the community file: name the environment variable "
                            "holding it with key_env, or put it in the keys file (LINLI_DEVICE_KEYS_FILE)")
        raw = self.table(raw, key, {"id", "type", "person", "key_env"}, {"id", "type", "person"})
        device_id = self.text(raw, key, "id")
        if not device_id.isascii() or not device_id.replace("-", "").replace("_", "").isalnum():
            raise self.fail(f"{key}.id", "use ASCII letters, digits, '-' or '_' only (it is part of the URL)")
        kind = self.text(raw, key, "type")
        if kind not in DEVICE_TYPES:
            raise self.fail(f"{key}.type", f"unknown type {kind!r} (expected one of {', '.join(DEVICE_TYPES)})")
        person = self.text(raw, key, "person")
        if person not in people:
            raise self.fail(f"{key}.person", f"unknown person {person!r}")
        key_env = self.text(raw, key, "key_env")
        if key_env is not None and not (key_env.isascii() and key_env.replace("_", "").isalnum()
                                        and not key_env[0].isdigit()):
            raise self.fail(f"{key}.key_env", f"{key_env!r} is not an environment variable name, "
                                              "e.g. \"LINLI_DEVICE_KEY_WM301\"")
        return Device(id=device_id, type=kind, person=person, key_env=key_env)

    def fraction(self, raw: dict, key: str, name: str) -> float | None:
        value = raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise self.fail(f"{key}.{name}", "must be a number from 0 to 1, e.g. 0.35")
        return float(value)

    def targets(self, raw: Any) -> Targets:
        """`[targets] response_rate = 0.95 …` (all optional): rates from 0 to 1, the
        average rating from 1 to 5."""
        raw = self.table(raw, "targets", set(Targets.__dataclass_fields__), set())
        values = {}
        for name in Targets.__dataclass_fields__:
            if name == "average_rating":
                value = raw.get(name, Targets.average_rating)
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 5:
                    raise self.fail(f"targets.{name}", "must be a number from 1 to 5, e.g. 4.5")
                values[name] = float(value)
            else:
                found = self.fraction(raw, "targets", name)
                values[name] = getattr(Targets, name) if found is None else found
        return Targets(**values)

    def triage(self, raw: Any) -> Triage:
        """`[triage] threshold = 0.35, lapse_days = 3, remind_at = "09:00"` (all optional)."""
        raw = self.table(raw, "triage", {"threshold", "lapse_days", "remind_at"}, set())
        remind_at = self.text(raw, "triage", "remind_at", Triage.remind_at)
        hour, colon, minute = remind_at.partition(":")
        if not (colon and hour.isdigit() and minute.isdigit() and len(minute) == 2
                and int(hour) < 24 and int(minute) < 60):
            raise self.fail("triage.remind_at", f"{remind_at!r} is not a time of day such as \"09:00\"")
        threshold = self.fraction(raw, "triage", "threshold")
        if threshold == 1:
            raise self.fail("triage.threshold", "must be below 1 (0 turns triage off)")
        return Triage(threshold=threshold, lapse_days=self.number(raw, "triage", "lapse_days", Triage.lapse_days),
                      remind_at=f"{int(hour):02d}:{minute}")

    def dictionary(self, raw: Any) -> tuple[str, ...]:
        """`[dictionary] words = [...]` and/or `file = "places.txt"` (jieba's user-dictionary
        format, a word a line, optionally followed by a frequency and a tag; relative to this file)."""
        raw = self.table(raw, "dictionary", {"words", "file"}, set())
        words = list(self.texts(raw, "dictionary", "words"))
        name = self.text(raw, "dictionary", "file")
        if name:
            path = Path(self.source).parent / name
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise self.fail("dictionary.file", f"cannot read {path}: {exc}") from None
            words += [line.split()[0] for line in lines if line.strip() and not line.startswith("#")]
        return tuple(dict.fromkeys(words))

    def list(self, raw: dict, name: str) -> list:
        value = raw.get(name, [])
        if not isinstance(value, list):
            raise self.fail(name, f"must be an array of tables ([[{name}]])")
        return value

    def unique(self, items: list, name: str) -> dict:
        found: dict = {}
        for i, item in enumerate(items):
            if item.id in found:
                raise self.fail(f"{name}[{i}].id", f"duplicate id {item.id!r}")
            found[item.id] = item
        return found

    def person(self, raw: Any, key: str) -> Person:
        raw = self.table(raw, key, {"id", "name", "roles", "household", "identities", "buildings", "volunteer"},
                         {"id", "name"})
        roles = self.texts(raw, key, "roles") or ("resident",)
        for role in roles:
            if role not in ROLES:
                raise self.fail(f"{key}.roles", f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
        household = self.text(raw, key, "household")
        if household is not None and len(household.split("-")) != 3:
            raise self.fail(f"{key}.household", f"{household!r} is not building-unit-room, e.g. \"3-2-502\"")
        return Person(id=self.text(raw, key, "id"), name=self.text(raw, key, "name"), roles=frozenset(roles),
                      household=household, identities=self.identities(raw, key),
                      buildings=self.texts(raw, key, "buildings"),
                      volunteer=tasks.parse_profile(raw.get("volunteer"), f"{key}.volunteer", self.fail))

    def chat(self, raw: Any, key: str) -> Chat:
        raw = self.table(raw, key, {"id", "name", "kind", "building", "mode", "identities", "auto_threshold",
                                    "triage_threshold"}, {"id", "name", "kind"})
        kind = self.text(raw, key, "kind")
        if kind not in CHAT_KINDS:
            raise self.fail(f"{key}.kind", f"unknown kind {kind!r} (expected one of {', '.join(CHAT_KINDS)})")
        mode = self.text(raw, key, "mode", "mention")
        if mode not in CHAT_MODES:
            raise self.fail(f"{key}.mode", f"unknown mode {mode!r} (expected auto or mention)")
        building = raw.get("building")
        if building is not None and not isinstance(building, (str, int)):
            raise self.fail(f"{key}.building", "must be a string such as \"3\"")
        auto = self.fraction(raw, key, "auto_threshold")
        if auto == 0:
            raise self.fail(f"{key}.auto_threshold", "must be above 0 (mode = \"mention\" opens nothing unaddressed)")
        triage = self.fraction(raw, key, "triage_threshold")
        if auto is not None and triage and triage > auto:
            raise self.fail(f"{key}.triage_threshold", f"must not be above auto_threshold ({auto:g})")
        return Chat(id=self.text(raw, key, "id"), name=self.text(raw, key, "name"), kind=kind, mode=mode,
                    building=None if building is None else str(building), identities=self.identities(raw, key),
                    auto_threshold=auto, triage_threshold=triage)

    def department(self, raw: Any, key: str, people: dict[str, Person]) -> Department:
        raw = self.table(raw, key, {"id", "name", "contact"}, {"id", "name", "contact"})
        contact = self.text(raw, key, "contact")
        if contact not in people:
            raise self.fail(f"{key}.contact", f"unknown person {contact!r}")
        return Department(id=self.text(raw, key, "id"), name=self.text(raw, key, "name"), contact=contact)

    def identities(self, raw: dict, key: str) -> tuple[str, ...]:
        values = self.texts(raw, key, "identities")
        for value in values:
            channel, _, ident = value.partition(":")
            if not channel or not ident:
                raise self.fail(f"{key}.identities", f"{value!r} is not channel:id, e.g. \"tg:12345\"")
        return values

    def check_identities(self, people: dict[str, Person], chats: dict[str, Chat]) -> None:
        owner: dict[str, str] = {}
        for kind, items in (("people", people), ("chats", chats)):
            for item in items.values():
                for identity in item.identities:
                    if identity in owner:
                        raise self.fail(f"{kind}.{item.id}.identities",
                                        f"{identity!r} already belongs to {owner[identity]}")
                    owner[identity] = f"{kind}.{item.id}"
