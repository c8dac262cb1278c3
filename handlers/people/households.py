"""Households: who lives in which unit, and whether staff have verified it.

Two sources, merged here: the community file (`household = "3-2-502"`, written by staff,
so it counts as verified) and registrations in Redis (`登记` in chat, or a roster import),
which take precedence because people move; a chat registration waits for staff (`核实`).
Only verified households vote in household polls. Replies name a unit only in private:
a group never sees an address beyond the building.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.community import Community, Person
from handlers.context import Context
from nlp.location import extract_location
from storage.households import Households


@dataclass(frozen=True)
class Membership:
    person: str
    household: str
    verified: bool
    source: str            # file | chat | import

    @property
    def building(self) -> str:
        return self.household.split("-")[0]


def parse_household(text: str) -> str | None:
    """'3栋2单元502', '3号楼2单元502室', '三栋二单元502', '3-2-502' -> '3-2-502'; None unless
    building, unit and room are all there."""
    location = extract_location(text.strip())
    if location is None or not (location.building and location.unit and location.room):
        return None
    return f"{location.building}-{location.unit}-{location.room}"


def describe(household: str) -> str:
    building, unit, room = household.split("-")
    return f"{building}号楼{unit}单元{room}室"


async def memberships(community: Community, repo: Households) -> dict[str, Membership]:
    """Everyone of the community who belongs to a household, by person id."""
    registered = await repo.all()
    found: dict[str, Membership] = {}
    for person in community.people.values():
        reg = registered.get(person.id)
        if reg is not None:
            found[person.id] = Membership(person.id, reg.household, reg.verified, reg.source or "chat")
        elif person.household:
            found[person.id] = Membership(person.id, person.household, True, "file")
    return found


async def membership_of(community: Community, repo: Households, person: Person) -> Membership | None:
    reg = await repo.get(person.id)
    if reg is not None:
        return Membership(person.id, reg.household, reg.verified, reg.source or "chat")
    if person.household:
        return Membership(person.id, person.household, True, "file")
    return None


async def verified_households(community: Community, repo: Households,
                              building: str | None = None) -> dict[str, list[str]]:
    """household -> its verified members, for one building or the whole community."""
    households: dict[str, list[str]] = {}
    for member in (await memberships(community, repo)).values():
        if member.verified and (building is None or member.building == building):
            households.setdefault(member.household, []).append(member.person)
    return households


async def register(ctx: Context, args: str) -> None:
    """`登记 3栋2单元502`: a resident says which unit they live in."""
    household = parse_household(args)
    if household is None:
        ctx.tell(ctx.person.id, ctx.t("households.usage.register"))
        return
    repo = Households(ctx.services.store)
    # The unit the community file already gives is verified: staff wrote that file.
    on_file = ctx.person.household == household
    status, previous = await repo.register(ctx.person.id, household, ctx.now, ctx.person.id, "chat",
                                           verified=on_file)
    key = "households.registered_verified" if status == "verified" else "households.registered_pending"
    ctx.tell(ctx.person.id, ctx.t(key, household=describe(household)))
    if ctx.in_group:
        ctx.reply(ctx.t("households.registered_group", name=ctx.person.name))
    if status == "pending" and previous != household:
        for worker in ctx.community.grid_workers_for(household.split("-")[0]):
            ctx.tell(worker.id, ctx.t("households.verify_request", name=ctx.person.name, id=ctx.person.id,
                                      household=describe(household)))


async def verify(ctx: Context, args: str) -> None:
    """`核实 @person` (staff): the person's registered unit is confirmed. `核实` alone
    lists the registrations waiting for it."""
    repo = Households(ctx.services.store)
    who = args.strip().lstrip("@＠").strip()
    if not who:
        pending = [r for r in (await repo.all()).values() if not r.verified]
        lines = [ctx.t("households.pending_line", name=ctx.name_of(r.person), id=r.person,
                       household=describe(r.household), at=ctx.when(r.at)) for r in pending]
        ctx.tell(ctx.person.id, "\n".join([ctx.t("households.pending_header", count=len(pending)), *lines])
                 if pending else ctx.t("households.pending_none"))
        return
    person = ctx.community.find_person(who)
    if person is None:
        ctx.tell(ctx.person.id, ctx.t("households.unknown_person", who=who))
        return
    result, household = await repo.verify(person.id, ctx.person.id, ctx.now)
    if result == "unregistered":
        if person.household:
            ctx.tell(ctx.person.id, ctx.t("households.on_file", name=person.name,
                                          household=describe(person.household)))
        else:
            ctx.tell(ctx.person.id, ctx.t("households.not_registered", name=person.name))
        return
    await ctx.services.audit.record(ctx.now, ctx.person.id, "household_verify", f"person:{person.id}", "chat")
    ctx.tell(ctx.person.id, ctx.t("households.verified_ok" if result == "ok" else "households.verified_already",
                                  name=person.name, household=describe(household)))
    if result == "ok":
        ctx.tell(person.id, ctx.t("households.verified_you", household=describe(household)))
