"""Where volunteer tasks come from: staff turn a ticket into one (`派单 #12 志愿者 维修 2`)
or publish one on its own (`发布任务 周六清理绿地 人数8 时间11月29日9:00 地点中心花园`)."""

from __future__ import annotations

import re
from datetime import datetime

from handlers import tickets
from handlers.context import Context
from handlers.tasks.push import offer
from nlp.pii import mask_group
from storage.tasks import Tasks
from storage.tickets import Ticket

MOST_PLACES = 50
_PLACES = re.compile(r"^(?:人数)?(\d{1,3})人?$")
_WHEN = [re.compile(r"(\d{1,2})月(\d{1,2})[日号]\s*(\d{1,2})[:：](\d{2})"),
         re.compile(r"(\d{1,2})[-/](\d{1,2})\s+(\d{1,2})[:：](\d{2})")]
_BUILDING = re.compile(r"^(\d{1,3})(?:号楼|栋|幢)$")


async def from_ticket(ctx: Context, ticket: Ticket, rest: str) -> None:
    """`派单 #12 志愿者 [技能…] [人数] [党员]`: `rest` is what follows 志愿者."""
    if ticket.status not in tickets.OPEN_STATES:
        ctx.reply(ctx.t("tasks.ticket_not_open", id=ticket.id, status=tickets.status_label(ctx, ticket.status)))
        return
    places, skills, party = 1, [], False
    for word in rest.split():
        number = _PLACES.match(word)
        if number:
            places = int(number.group(1))
        elif word == "党员":
            party = True
        else:
            skills += [s for s in re.split(r"[,，、]", word) if s]
    if not 1 <= places <= MOST_PLACES:
        ctx.reply(ctx.t("tasks.places_bad", most=MOST_PLACES))
        return
    fields = {"title": f"{ticket.category or '求助'}·{tickets.place(ctx, ticket)}", "places": places,
              "ticket": ticket.id, "beneficiary": ticket.reporter, "detail": mask_group(ticket.text),
              "skills": skills, "party": party, "urgent": ticket.urgent, "building": ticket.building,
              "place": tickets.place(ctx, ticket)}
    task, count, held = await _create_and_offer(ctx, fields)
    ctx.reply(ctx.t("tasks.dispatched", ticket=ticket.id, ref=task.ref, count=count, held=_held(ctx, held)))


async def create_command(ctx: Context, args: str) -> None:
    """`发布任务 内容 [人数3] [时间11月29日9:00] [地点…] [技能…] [党员] [紧急] [@服务对象] [3号楼]`."""
    fields: dict = {"places": 1, "skills": [], "party": False, "urgent": False}
    text = args
    for pattern in _WHEN:
        match = pattern.search(text)
        if match:
            at = _next_date(ctx, *(int(g) for g in match.groups()))
            if at is None:
                ctx.reply(ctx.t("tasks.time_bad", text=match.group(0)))
                return
            fields["at"] = at
            text = text[:match.start()] + text[match.end():]
            break
    title = []
    for word in text.replace("时间", " ").split():
        number, building = _PLACES.match(word), _BUILDING.match(word)
        if word.startswith("人数") or (number and word.endswith("人")):
            if not number or not 1 <= int(number.group(1)) <= MOST_PLACES:
                ctx.reply(ctx.t("tasks.places_bad", most=MOST_PLACES))
                return
            fields["places"] = int(number.group(1))
        elif word.startswith("地点") and len(word) > 2:
            fields["place"] = word[2:]
        elif word.startswith("技能") and len(word) > 2:
            fields["skills"] = [s for s in re.split(r"[,，、]", word[2:]) if s]
        elif word in ("党员", "紧急"):
            fields["party" if word == "党员" else "urgent"] = True
        elif word[0] in "@＠":
            who = ctx.community.find_person(word)
            if who is None:
                ctx.reply(ctx.t("tasks.unknown_people", who=word))
                return
            fields["beneficiary"] = who.id
        elif building:
            fields["building"] = building.group(1)
            title.append(word)
        else:
            title.append(word)
    if not title:
        ctx.reply(ctx.t("tasks.title_needed") + "\n" + ctx.t("tasks.usage.create"))
        return
    fields["title"] = " ".join(title)
    if "building" not in fields and fields.get("beneficiary"):
        fields["building"] = ctx.community.people[fields["beneficiary"]].building
    task, count, held = await _create_and_offer(ctx, fields)
    key = "tasks.created" if count else "tasks.created_none"
    ctx.reply(ctx.t(key, ref=task.ref, title=task.title, places=task.places, count=count, held=_held(ctx, held)))


async def _create_and_offer(ctx: Context, fields: dict):
    repo = Tasks(ctx.services.store)
    fields = {**fields, "created_at": ctx.now, "created_by": ctx.person.id}
    task_id, _ = await repo.create(ctx.event.id, fields, tickets.entry(ctx, "task_created", "open", fields["title"]))
    task = await repo.get(task_id)
    count, held = await offer(ctx, task)
    return task, count, held


def _held(ctx: Context, held: int) -> str:
    return ctx.t("tasks.held", count=held) if held else ""


def _next_date(ctx: Context, month: int, day: int, hour: int, minute: int) -> float | None:
    """The next such moment from now, in the community's time zone."""
    now = datetime.fromtimestamp(ctx.now, ctx.community.tz)
    for year in (now.year, now.year + 1):
        try:
            moment = datetime(year, month, day, hour, minute, tzinfo=ctx.community.tz)
        except ValueError:
            return None
        if moment.timestamp() >= ctx.now - 86400:
            return moment.timestamp()
    return None
