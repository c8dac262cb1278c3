"""What the polls package keeps about a person (我的数据: their place and ballot in each
open poll) and forgets (注销).

Forgetting keeps every count: in each poll the person could vote in, their id is replaced
by an alias drawn at random (`已注销-…`), under which their ballot still counts; a
household's ballot they cast stays the household's, cast by nobody. The event and any
proxy reason are dropped from the ballot. A poll's creator stays as an id (its name reads
已注销居民). Polls carry no index per voter, so this reads each poll's voter list once:
the cost of one erasure is the number of polls ever made (a few a month)."""

from __future__ import annotations

import secrets

from handlers.context import Context
from handlers.polls.view import choice_text
from storage.polls import Polls
from storage.privacy import Privacy


async def kept_about(ctx: Context, person_id: str) -> list[str]:
    repo = Polls(ctx.services.store)
    lines = []
    for poll_id in await repo.open_ids():
        unit = await repo.unit_of(poll_id, person_id)
        if unit is None:
            continue
        snapshot = await repo.snapshot(poll_id)
        ballot = snapshot.ballots.get(unit)
        if ballot is None:
            state = ctx.t("privacy.kept.poll_not_voted")
        elif ballot.option is None:
            state = ctx.t("privacy.kept.poll_voted_anonymous")
        else:
            state = ctx.t("privacy.kept.poll_voted", choice=choice_text(ctx, snapshot.poll, ballot.option))
        lines.append(ctx.t("privacy.kept.poll_open", id=poll_id, question=snapshot.poll.question, state=state))
    return lines


async def forget(ctx: Context, person_id: str) -> int:
    polls, privacy = Polls(ctx.services.store), Privacy(ctx.services.store)
    changed = 0
    for poll_id in await polls.ids():
        changed += await privacy.unlink_ballots(poll_id, person_id, f"已注销-{secrets.token_hex(4)}")
    return changed
