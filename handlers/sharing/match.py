"""Matching a new item with the open ones of the other side, and what follows a proposal.

Candidates come from the inverted index (a set per kind per matching key: storage/sharing.py),
never from reading every item; each is then checked: still open and not expired, not the
same owner's, times that overlap, and about the same thing (words.compatible). The best
few (`[sharing] proposals`) are ranked by what they share and by nearness — same
building, then same grid (a grid worker covers both buildings), then the community — and
proposed privately to both sides (`接受 M3` / `不用 M3`). Each pair is proposed once ever:
a pass is remembered. Names and how to reach each other are told only once both accept.
A match of help between neighbours (an offer, not a shop's) can then be recorded in the
time bank: the helper says `帮完 M3 1.5`, the receiver confirms (`确认 E5`) as in the time bank.
"""

from __future__ import annotations

import re

from handlers import people, points, tickets
from handlers.context import Context
from handlers.permissions import Refusal
from handlers.sharing.words import About, closeness, compatible
from nlp.pii import mask_group
from storage.households import Households
from storage.ledger import Exchanges
from storage.sharing import Item, Match, Sharing

MOST_CANDIDATES = 200     # the newest this many index hits are read for one new item
NEAR_WEIGHT = 0.25        # per step of nearness (same grid 1, same building 2), on top of closeness
_REF = re.compile(r"^[MmＭｍ#＃]?(\d+)\s*(.*)$", re.S)


def about_of(item: Item) -> About:
    split = lambda value: frozenset(v for v in value.split(",") if v)   # noqa: E731
    return About(split(item.acts), split(item.things), split(item.words))


def spans_of(item: Item) -> list[tuple[float, float]]:
    """When it holds: its windows, else any time from publication to expiry."""
    return [(s, e) for s, e in item.spans] or [(item.created_at, item.expires_at)]


def overlap(a: Item, b: Item) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in spans_of(a) for s2, e2 in spans_of(b))


def nearness(ctx: Context, one: str | None, other: str | None) -> int:
    """2 the same building, 1 the same grid (one grid worker covers both), 0 otherwise."""
    if not one or not other:
        return 0
    if one == other:
        return 2
    if any(one in p.buildings and other in p.buildings for p in ctx.community.with_role("grid_worker")):
        return 1
    return 0


async def propose_for(ctx: Context, item: Item, words: About) -> list[Match]:
    """Find and propose the best matches for a newly published item (to be told with
    `tell_proposals`); a redelivered publication gets the proposals it made before."""
    repo = Sharing(ctx.services.store)
    existing = await repo.matches_of_item(item.id)
    if existing:                      # the publication was delivered again: the same proposals
        return existing
    kinds = ("offer", "thing") if item.kind == "need" else ("need",)
    ids = sorted(await repo.candidates(kinds, words.keys) - {item.id}, reverse=True)[:MOST_CANDIDATES]
    pairs = [(item.id, other) if item.kind == "need" else (other, item.id) for other in ids]
    done = await repo.paired(pairs)
    scored = []
    for other in await repo.many(i for i, pair in zip(ids, pairs) if pair not in done):
        if other.status != "open" or other.expires_at <= ctx.now or other.owner == item.owner:
            continue
        need, offer = (item, other) if item.kind == "need" else (other, item)
        if not overlap(need, offer):
            continue
        need_about, offer_about = about_of(need), about_of(offer)
        if not compatible(need_about, offer_about, offer.kind == "thing"):
            continue
        near = nearness(ctx, need.building, offer.building)
        scored.append((closeness(need_about, offer_about) + NEAR_WEIGHT * near, other.created_at, need, offer))
    scored.sort(key=lambda row: (row[0], row[1]), reverse=True)
    made = []
    for score, _, need, offer in scored[:ctx.community.sharing.proposals]:
        created = await repo.propose(need, offer, ctx.now, score)
        made.append(await repo.match(created.id))
    return made


async def tell_proposals(ctx: Context, proposals: list[Match]) -> None:
    """Each proposal, privately to both sides (after the publisher heard it is published)."""
    repo = Sharing(ctx.services.store)
    for found in proposals:
        await _tell_proposal(ctx, repo, found)


async def _tell_proposal(ctx: Context, repo: Sharing, found: Match) -> None:
    if found.status != "proposed":
        return
    need, offer = await repo.get(found.need), await repo.get(found.offer)
    buttons = (((ctx.t("sharing.match.accept_button"), f"接受 {found.ref}"),
                (ctx.t("sharing.match.pass_button"), f"不用 {found.ref}")),)
    ask = ctx.t("sharing.match.ask", ref=found.ref)
    kind_of = lambda item: ctx.t(f"sharing.kind.{item.kind}")   # noqa: E731
    intro = ctx.t("sharing.match.intro_need", mine=need.ref, mine_text=_short(need), kind=kind_of(offer),
                  ref=found.ref)
    ctx.tell(need.owner, "\n".join((intro, _other(ctx, offer, need), ask)), buttons=buttons)
    intro = ctx.t("sharing.match.intro_offer", mine=offer.ref, mine_text=_short(offer), mine_kind=kind_of(offer),
                  ref=found.ref)
    ctx.tell(offer.owner, "\n".join((intro, _other(ctx, need, offer), ask)), buttons=buttons)


def _short(item: Item) -> str:
    text = mask_group(item.text)
    return text if len(text) <= 30 else text[:29] + "…"


def _other(ctx: Context, item: Item, mine: Item) -> str:
    """The other side's item as its reader sees it: what, roughly where, when — no name."""
    near = nearness(ctx, item.building, mine.building)
    if near == 2:
        where = ctx.t("sharing.match.where_building", building=item.building)
    elif near == 1:
        where = ctx.t("sharing.match.where_grid", building=item.building)
    else:
        where = ctx.t("sharing.match.where_community")
    parts = [where] + [p for p in (item.place and f"@{item.place}", item.when) if p]
    text = mask_group(item.text) + (ctx.t("sharing.on_behalf_line", name=item.on_behalf) if item.on_behalf else "")
    return ctx.t("sharing.match.other", kind=ctx.t(f"sharing.kind.{item.kind}"), text=text,
                 details=ctx.t("sharing.match.details", where=" · ".join(parts), when=""))


async def _load(ctx: Context, args: str) -> tuple[Match, str, str] | None:
    """The match named (M3), the sender's side of it and the rest of the words."""
    found = _REF.match(args.strip())
    if not found:
        if not ctx.in_group or ctx.event.addressed:
            ctx.reply(ctx.t("sharing.match.usage_ref"))
        return None
    repo = Sharing(ctx.services.store)
    result = await repo.match(int(found.group(1)))
    if result is None:
        raise Refusal("sharing.match.not_found", quiet=True, ref=f"M{found.group(1)}")
    side = result.side_of(ctx.person.id)
    if side is None:
        raise Refusal("sharing.match.not_yours", quiet=True, ref=result.ref)
    return result, side, found.group(2).strip()


async def accept(ctx: Context, args: str) -> None:
    """`接受 M3`: once both sides accept, each is told who the other is."""
    await _answer(ctx, args, True)


async def decline(ctx: Context, args: str) -> None:
    """`不用 M3`: the pair is not proposed again."""
    await _answer(ctx, args, False)


async def _answer(ctx: Context, args: str, yes: bool) -> None:
    if not yes and not _REF.match(args.strip()):
        # "不用 谢谢", "不用 麻烦了": politeness, not an answer to a match
        await tickets.on_text(ctx, f"不用 {args}".strip(), not ctx.in_group or ctx.event.addressed)
        return
    loaded = await _load(ctx, args)
    if loaded is None:
        return
    found, side, _ = loaded
    repo = Sharing(ctx.services.store)
    result, status = await repo.answer(found.id, side, yes, ctx.event.id, ctx.now)
    result = result.removeprefix("replay:")
    if result == "waiting":
        ctx.reply(ctx.t("sharing.match.waiting", ref=found.ref))
    elif result == "passed":
        ctx.reply(ctx.t("sharing.match.passed", ref=found.ref))
        other_side = "offer" if side == "need" else "need"
        if getattr(found, f"{other_side}_answer") == "yes":
            ctx.tell(found.other(ctx.person.id), ctx.t("sharing.match.passed_other", ref=found.ref))
    elif result == "accepted":
        await _put_in_touch(ctx, repo, found)
    else:
        ctx.reply(ctx.t("sharing.match.closed", ref=found.ref, status=ctx.t(f"sharing.match_status.{status}")))


async def _put_in_touch(ctx: Context, repo: Sharing, found: Match) -> None:
    need, offer = await repo.get(found.need), await repo.get(found.offer)
    helps = _is_help(need, offer)
    for person, other, other_item in ((found.need_owner, found.offer_owner, offer),
                                      (found.offer_owner, found.need_owner, need)):
        text = ctx.t("sharing.match.accepted", ref=found.ref, name=_name(ctx, other, other_item),
                     household=await _household(ctx, other), how=ctx.t("sharing.match.how", ref=found.ref))
        if helps:
            text += "\n" + ctx.t("sharing.match.how_timebank", ref=found.ref)
        ctx.tell(person, text)


def _is_help(need: Item | None, offer: Item | None) -> bool:
    """Help between neighbours: an offer of help (not a thing), not a shop's or an organisation's."""
    return bool(need and offer and offer.kind == "offer" and not offer.on_behalf)


def _name(ctx: Context, person_id: str, item: Item | None) -> str:
    name = ctx.name_of(person_id)
    return f"{item.on_behalf}（{name}）" if item and item.on_behalf else name


async def _household(ctx: Context, person_id: str) -> str:
    """Where they live (registered in chat, else the community file's), as people say it."""
    person = ctx.community.people.get(person_id)
    home = await people.membership_of(ctx.community, Households(ctx.services.store), person) if person else None
    return ctx.t("sharing.match.household", household=people.describe(home.household)) if home else ""


async def leave(ctx: Context, args: str) -> None:
    """`留言 M3 周六九点我来`: a word passed to the other side of an accepted match."""
    loaded = await _load(ctx, args)
    if loaded is None:
        return
    found, side, text = loaded
    if not text:
        ctx.reply(ctx.t("sharing.usage.leave"))
        return
    if found.status != "accepted":
        ctx.reply(ctx.t("sharing.match.message_not_yet", ref=found.ref))
        return
    ctx.tell(found.other(ctx.person.id), ctx.t("sharing.match.message", name=ctx.person.name, ref=found.ref,
                                               text=text))
    ctx.reply(ctx.t("sharing.match.message_sent"))


async def helped(ctx: Context, args: str) -> None:
    """`帮完 M3 1.5`: the helper records the help in the time bank (points.record); the
    neighbour helped confirms it there (确认 E5)."""
    loaded = await _load(ctx, args)
    if loaded is None:
        return
    found, side, rest = loaded
    repo = Sharing(ctx.services.store)
    need, offer = await repo.get(found.need), await repo.get(found.offer)
    if not _is_help(need, offer):
        ctx.reply(ctx.t("sharing.match.not_help", ref=found.ref))
        return
    if found.status != "accepted":
        ctx.reply(ctx.t("sharing.match.message_not_yet", ref=found.ref))
        return
    if side != "offer":
        ctx.reply(ctx.t("sharing.match.not_helper", ref=found.ref, name=ctx.name_of(found.offer_owner)))
        return
    if found.exchange and found.exchange_event != ctx.event.id:
        earlier = await Exchanges(ctx.services.store).get(found.exchange)
        if earlier is not None and earlier.status in ("pending", "confirmed"):   # disputed or lapsed: again
            ctx.reply(ctx.t("sharing.match.already_recorded", ref=found.ref, exchange=found.exchange))
            return
    hours = points.parse_hours(rest.split()[0]) if rest else None
    if not hours:
        ctx.reply(ctx.t("sharing.usage.helped"))
        return
    receiver = ctx.community.people.get(found.need_owner)
    if receiver is None:          # no longer in the community (注销)
        raise Refusal("sharing.match.not_found", ref=found.ref)
    note = ctx.t("sharing.match.timebank_note", ref=found.ref, text=_short(need))
    exchange = await points.record(ctx, receiver, hours, note)
    if exchange is not None:
        await repo.note_exchange(found.id, exchange, ctx.event.id)
