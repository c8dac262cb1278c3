"""What the agenda keeps about a person (我的数据) and forgetting them (注销), from their
index of topics (storage/keys.py topics_of: no scan).

Forgetting keeps each topic (it is the neighbours' too: their seconds, its decision) but
without the person: their seconding still counts under a pseudonym, their 评议 stays in
the average the same way, the history names the pseudonym, they follow nothing, and a
topic they were carrying out has no one (the secretary is told to name someone)."""

from __future__ import annotations

import hashlib

from handlers.agenda.common import count_text, secretaries, status_label
from handlers.context import Context
from storage.agenda import Topics


def pseudonym(person_id: str) -> str:
    return "gone:" + hashlib.sha256(person_id.encode()).hexdigest()[:8]


async def kept_about(ctx: Context, person_id: str) -> list[str]:
    topics = Topics(ctx.services.store)
    lines = []
    for topic_id in await topics.of_person(person_id):
        topic = await topics.get(topic_id)
        if topic is None:
            continue
        roles = []
        if topic.proposer == person_id:
            roles.append(ctx.t("agenda.privacy.proposed"))
        elif person_id in topic.seconders():
            roles.append(ctx.t("agenda.privacy.seconded"))
        if topic.owner == person_id:
            roles.append(ctx.t("agenda.privacy.owner"))
        if person_id in topic.ratings:
            roles.append(ctx.t("agenda.privacy.rated", score=topic.ratings[person_id]))
        lines.append(ctx.t("agenda.privacy.line", ref=topic.ref, title=topic.title,
                           roles="，".join(roles) or ctx.t("agenda.privacy.follows"),
                           status=status_label(ctx, topic.status), count=count_text(ctx, topic)))
    return lines


async def forget(ctx: Context, person_id: str) -> int:
    topics = Topics(ctx.services.store)
    carrying = []
    for topic_id in await topics.of_person(person_id):
        topic = await topics.get(topic_id)
        if topic is not None and topic.owner == person_id and topic.status == "implementing":
            carrying.append(topic)
    changed = await topics.forget(person_id, pseudonym(person_id))
    for topic in carrying:
        for person in secretaries(ctx):
            ctx.tell(person, ctx.t("agenda.privacy.owner_gone", ref=topic.ref, title=topic.title))
    return changed
