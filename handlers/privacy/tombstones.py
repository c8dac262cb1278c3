"""An erased person is nobody: the community file may still list them (linli cannot edit
it; staff are told to remove the entry), so every event first looks at the tombstones
(storage/privacy.py: a counter each event, their hash only when it moved) and works with
the file as if the erased were gone — their name reads 已注销居民, they have no chat
accounts, no household, no roles, no care enrolment or devices from the file — and the
router treats a message from one of their accounts as from someone unknown."""

from __future__ import annotations

from dataclasses import replace

from handlers.community import Community, Person
from handlers.context import Context
from storage.privacy import ERASED, Privacy

_BASE = "_privacy_base"        # the community as the file has it
_ERASED = "_privacy_erased"    # the ids masked in this copy
_VERSION = "_privacy_version"  # the tombstones' version it was made from
PENDING_UNTIL = "_privacy_pending_until"   # on a Context: until when a 注销 may wait (screen read it)


async def screen(ctx: Context) -> None:
    """Make `ctx.community` the file's community with the erased masked (kept for the next
    event while the tombstones do not change)."""
    repo = Privacy(ctx.services.store)
    version, pending_until = await repo.glance()    # one small read per event; the tombstones when they moved
    ctx.__dict__[PENDING_UNTIL] = pending_until     # for erase.interrupts: no 注销 waits after this
    community = ctx.services.community
    if _ERASED in community.__dict__ and community.__dict__.get(_VERSION) == version:
        return
    base = community.__dict__.get(_BASE, community)
    ctx.services.community = masked(base, await repo.erased_ids(), ctx.t("privacy.erased_name"))
    object.__setattr__(ctx.services.community, _VERSION, version)


def masked(base: Community, erased: frozenset[str], name: str) -> Community:
    """The file's community, the erased renamed and stripped; ERASED ("-", what an expired
    or erased record names instead of its person) reads as the same name."""
    people = {pid: replace(person, name=name, roles=frozenset(), household=None, identities=(), buildings=(),
                           volunteer=None) if pid in erased else person
              for pid, person in base.people.items()}
    people.setdefault(ERASED, Person(id=ERASED, name=name, roles=frozenset()))
    # The file's [[care.people]] (enrolled again at each start) and [[devices]] of someone
    # erased stay in the file until staff remove them: meanwhile they are not there.
    care = replace(base.care, people=tuple(e for e in base.care.people if e.person not in erased))
    devices = {key: device for key, device in base.devices.items() if device.person not in erased}
    community = replace(base, people=people, care=care, devices=devices)
    object.__setattr__(community, _BASE, base)
    object.__setattr__(community, _ERASED, erased)
    return community


def is_erased(ctx: Context, person_id: str | None) -> bool:
    """As of the last `screen`."""
    return bool(person_id) and (person_id == ERASED or person_id in ctx.community.__dict__.get(_ERASED, ()))


def file_person(ctx: Context, person_id: str) -> Person | None:
    """The person as the community file has them (their identities too), erased or not."""
    return ctx.community.__dict__.get(_BASE, ctx.community).people.get(person_id)
