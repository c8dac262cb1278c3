"""What the people package keeps about a person (我的数据) and forgets (注销): the chat
accounts bound to them (the community file's are listed; only staff can remove those,
with the entry), their household registration and its verification."""

from __future__ import annotations

from handlers.context import Context
from handlers.people.households import describe
from storage.households import Households
from storage.identities import Identities
from storage.privacy import Privacy


def _platform(identity: str) -> str:
    return identity.split(":", 1)[0]


async def kept_about(ctx: Context, person_id: str) -> list[str]:
    person = ctx.community.people.get(person_id)
    bound = await Identities(ctx.services.store).of(f"@{person_id}")
    accounts = [*(person.identities if person else ()), *bound]
    lines = []
    if accounts:
        # the platform only: an account's id is no news to its owner, and the cut text may be forwarded
        counted: dict[str, int] = {}
        for identity in accounts:
            counted[_platform(identity)] = counted.get(_platform(identity), 0) + 1
        lines.append(ctx.t("privacy.kept.identities",
                           accounts="、".join(f"{name} {n} 个" for name, n in counted.items())))
    registration = await Households(ctx.services.store).get(person_id)
    if registration is not None:
        state = "household_verified" if registration.verified else "household_pending"
        lines.append(ctx.t("privacy.kept.household", household=describe(registration.household),
                           state=ctx.t(f"privacy.kept.{state}")))
    elif person and person.household:
        lines.append(ctx.t("privacy.kept.household", household=describe(person.household),
                           state=ctx.t("privacy.kept.household_verified")))
    return lines


async def forget(ctx: Context, person_id: str) -> int:
    identities = Identities(ctx.services.store)
    changed = 0
    for identity in await identities.of(f"@{person_id}"):
        if await identities.unbind(identity):
            changed += 1
    if await Privacy(ctx.services.store).forget_household(person_id):
        changed += 1
    return changed
