"""Volunteers: their profiles (`志愿者 技能 维修 助老`, `志愿者 暂停 7天`) and who is offered
a task first.

A profile is the community file's `volunteer = {…}` with the volunteer's own chat changes
on top (storage/volunteers.py). Ranking puts first whoever best fits: skills the task asks
for, free when it is due, living nearest (same building, then same grid), holding the fewest
open tasks, and offered something least recently (so pushes are shared out fairly).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from handlers.community import Person
from handlers.context import Context
from handlers.tasks.rules import Profile, available_at, minutes_range, window, within
from storage.tasks import Task, Tasks
from storage.volunteers import Profiles

DAY = 86400.0
_DAYS = re.compile(r"^(\d{1,3})\s*(天|日|d)?$")


async def profiles_of(ctx: Context, people: list[Person]) -> dict[str, Profile]:
    changes = await Profiles(ctx.services.store).changes(p.id for p in people)
    found = {}
    for person in people:
        profile, changed = person.volunteer or Profile(), changes.get(person.id, {})
        found[person.id] = replace(
            profile,
            skills=tuple(changed.get("skills", profile.skills)),
            quiet_hours=changed.get("quiet_hours", profile.quiet_hours),
            max_open=int(changed["max_open"]) if "max_open" in changed else profile.max_open,
            available=tuple(changed.get("available", profile.available)),
            paused_until=float(changed["paused_until"]) if "paused_until" in changed else None)
    return found


def most_open(ctx: Context, profile: Profile) -> int:
    return profile.max_open or ctx.community.volunteering.max_open


def quiet_until(ctx: Context, profile: Profile, at: float) -> float | None:
    """When a push held at `at` may go out, or None when it may go now."""
    span = minutes_range(profile.quiet_hours or ctx.community.volunteering.quiet_hours)
    local = datetime.fromtimestamp(at, ctx.community.tz)
    if not span or not within(local, span):
        return None
    end = local.replace(hour=span[1] // 60 % 24, minute=span[1] % 60, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.timestamp()


def nearness(ctx: Context, person: Person, building: str | None) -> int:
    """2 same building, 1 same grid (a grid worker covers both), 0 otherwise."""
    if not building or not person.building:
        return 0
    if person.building == building:
        return 2
    grids = [g.buildings for g in ctx.community.with_role("grid_worker") if g.buildings]
    return 1 if any(building in cover and person.building in cover for cover in grids) else 0


async def candidates(ctx: Context, task: Task) -> list[Person]:
    """Volunteers who may be offered `task` now, best first."""
    people = [p for p in ctx.community.with_role("volunteer")
              if p.id not in task.pushed and p.id not in task.claims and p.id != task.beneficiary
              and (not task.party or p.has("party_member"))]
    if not people:
        return []
    repo = Tasks(ctx.services.store)
    profiles = await profiles_of(ctx, people)
    loads = await repo.loads(p.id for p in people)
    last = await repo.last_pushed(p.id for p in people)
    due = datetime.fromtimestamp(task.at or ctx.now, ctx.community.tz)
    free = [p for p in people
            if not (profiles[p.id].paused_until and profiles[p.id].paused_until > ctx.now)
            and loads[p.id] < most_open(ctx, profiles[p.id])]

    def fit(person: Person) -> tuple:
        profile = profiles[person.id]
        skills = len(set(task.skills) & set(profile.skills))
        return (-skills, not available_at(profile, due), -nearness(ctx, person, task.building),
                loads[person.id], last.get(person.id, 0.0), person.id)

    return sorted(free, key=fit)


# ---- `志愿者 …`: a volunteer's own profile -------------------------------------------------

async def command(ctx: Context, args: str) -> None:
    person = ctx.person     # a volunteer: VOLUNTEER at the router
    word, _, rest = args.strip().partition(" ")
    rest = rest.strip()
    change = _change(ctx, word, rest)
    if change is None:
        what = args.strip()
        ctx.reply(ctx.t("volunteers.bad", text=what, usage=ctx.t("tasks.usage.volunteer")) if what
                  else await _profile_text(ctx, person))
        return
    await Profiles(ctx.services.store).change(person.id, **change)
    ctx.reply(ctx.t("volunteers.saved", profile=await _profile_text(ctx, person)))


def _change(ctx: Context, word: str, rest: str) -> dict | None:
    if word == "技能" and rest:
        return {"skills": [s for s in re.split(r"[\s,，、]+", rest) if s]}
    if word == "暂停":
        days = _DAYS.match(rest or "7")
        return {"paused_until": ctx.now + int(days.group(1)) * DAY} if days and int(days.group(1)) > 0 else None
    if word == "恢复" and not rest:
        return {"paused_until": None}
    if word == "免打扰" and minutes_range(rest):
        return {"quiet_hours": rest}
    if word == "上限" and rest.isdigit() and 1 <= int(rest) <= 20:
        return {"max_open": int(rest)}
    if word == "时段" and rest:
        windows = re.findall(r"[1-7](?:-[1-7])?\s+\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}", rest)
        if windows and all(window(w) for w in windows):
            return {"available": windows}
    return None


async def _profile_text(ctx: Context, person: Person) -> str:
    profile = (await profiles_of(ctx, [person]))[person.id]
    paused = profile.paused_until and profile.paused_until > ctx.now
    return ctx.t("volunteers.profile", name=person.name,
                 skills="、".join(profile.skills) or ctx.t("volunteers.none"),
                 quiet=profile.quiet_hours or ctx.community.volunteering.quiet_hours,
                 most=most_open(ctx, profile),
                 windows="；".join(profile.available) or ctx.t("volunteers.any_time"),
                 state=ctx.t("volunteers.paused_until", until=ctx.when(profile.paused_until)) if paused
                 else ctx.t("volunteers.active"))
