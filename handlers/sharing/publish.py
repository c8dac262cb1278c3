"""Publishing a need (需要), an offer of help (提供) or a thing to give away (闲置), and
taking one down: 关闭 X3 (its owner or staff), 下架 X3 原因 (staff, the owner is told),
expiry (a timer); 我的供需 lists one's own.

In a group, 需要/提供/闲置 are everyday words ("需要 帮忙吗？"): there a message is taken
as a publication only when the bot is addressed or it plainly is one (long enough, not a
question); anything else goes on as ordinary text (a report, or nothing).
"""

from __future__ import annotations

import re
from datetime import datetime

from handlers import people, polls, tickets, timers
from handlers.context import Context
from handlers.permissions import STAFF, Refusal
from handlers.sharing import match
from handlers.sharing.rules import LONGEST_DAYS
from handlers.sharing.vocabulary import TRADE
from handlers.sharing.words import about, calm, communal, own
from nlp.pii import mask_group
from storage.households import Households
from storage.sharing import Item, Sharing

DAY = 86400.0
EXPIRE = "sharing_expire"
KINDS = {"need": "需要", "offer": "提供", "thing": "闲置"}
CLEAR_LENGTH = 6          # content characters a publication in a group has at least
_PLACE = re.compile(r"[@＠](\S+)")
_ON_BEHALF = re.compile(r"(?:代发|代表)[=＝:：]\s*(\S+)")
_BUILDING = re.compile(r"(\d{1,3})\s*(?:号楼|栋|幢)")
_QUESTION = re.compile(r"(?:[?？]|吗|么|呢|不)\s*[。.!！~～]*$")
_CONTENT = re.compile(r"[\s\W_]+", re.UNICODE)
_REF = re.compile(r"^[XxＸｘ#＃]?(\d+)\s*(.*)$", re.S)


def addressed(ctx: Context) -> bool:
    return not ctx.in_group or ctx.event.addressed or bool(
        re.search(rf"[@＠]{re.escape(ctx.community.bot_name)}", ctx.event.text or ""))


def plainly_published(args: str) -> bool:
    """Long enough and not a question: "需要 周六上午有人帮忙搬个衣柜", not "需要 帮忙吗？"."""
    return len(_CONTENT.sub("", args)) >= CLEAR_LENGTH and not _QUESTION.search(args)


async def need(ctx: Context, args: str) -> None:
    await publish(ctx, args, "need")


async def offer(ctx: Context, args: str) -> None:
    await publish(ctx, args, "offer")


async def thing(ctx: Context, args: str) -> None:
    await publish(ctx, args, "thing")


async def publish(ctx: Context, args: str, kind: str) -> None:
    spoken_to = addressed(ctx)
    if ctx.in_group and not spoken_to and not plainly_published(args):
        # not meant for us: what it would have been without the command word
        await tickets.on_text(ctx, f"{KINDS[kind]} {args}".strip(), False)
        return
    if not args:
        ctx.reply(ctx.t(f"sharing.usage.{kind}"))
        return
    rules = ctx.community.sharing
    text = args
    on_behalf = None
    found = _ON_BEHALF.search(text)
    if found:
        STAFF.require(ctx, None, "sharing.on_behalf_staff_only")
        on_behalf = found.group(1)
        text = (text[:found.start()] + text[found.end():]).strip()
    place = None
    found = _PLACE.search(text)
    if found:
        place = found.group(1)
    building_named = _BUILDING.search(text)
    home = None if on_behalf else await people.membership_of(ctx.community, Households(ctx.services.store), ctx.person)
    building = building_named.group(1) if building_named else (
        (home.building if home else None) or (ctx.chat.building if ctx.chat else None))
    now = ctx.now
    horizon = now + rules.expiry_days * DAY
    window = polls.find_window(_PLACE.sub(" ", text), now, ctx.community.tz, horizon)
    if window and not window[0]:
        # A day after the usual expiry ("12月24日" said on the 7th) is not past: the item
        # stays up until then, within the longest any item may.
        horizon = now + LONGEST_DAYS * DAY
        window = polls.find_window(_PLACE.sub(" ", text), now, ctx.community.tz, horizon)
    spans, when = (window if window else ([], ""))
    if window and not spans:
        ctx.reply(ctx.t("sharing.time_past", when=when))
        return
    words = about(_PLACE.sub(" ", text.replace(when, " ") if when else text), ctx.community.dictionary)
    if kind == "need" and _a_report(ctx, text, words, spoken_to):
        # "需要 修一下3号楼电梯", "需要 救护车": the community's to fix, not a neighbour's
        await tickets.on_text(ctx, f"{KINDS[kind]} {args}", spoken_to)
        return
    if not words.keys and not (words.acts & TRADE and words.things):
        if spoken_to:
            ctx.reply(ctx.t("sharing.unclear", kind=KINDS[kind]) + "\n" + ctx.t(f"sharing.usage.{kind}"))
        return
    repo = Sharing(ctx.services.store)
    mine = [i for i in await repo.of(ctx.person.id) if i.status == "open" and i.expires_at > now]
    replayed = [i for i in mine if i.event == ctx.event.id]
    if len(mine) - len(replayed) >= rules.max_open:
        ctx.reply(ctx.t("sharing.too_many", count=len(mine), most=rules.max_open))
        return
    expires = min(horizon, max(end for _, end in spans)) if spans else horizon
    fields = {"kind": kind, "text": text, "owner": ctx.person.id, "created_at": now, "expires_at": expires,
              "keys": words.keys, "spans": [[round(s, 3), round(e, 3)] for s, e in spans], "when": when,
              "building": building, "place": place, "on_behalf": on_behalf,
              "chat": ctx.chat.id if ctx.chat else None,
              "acts": ",".join(sorted(words.acts)), "things": ",".join(sorted(words.things)),
              "words": ",".join(sorted(words.words))}
    item_id, _ = await repo.publish(ctx.event.id, fields)
    item = await repo.get(item_id)
    await timers.schedule(ctx, EXPIRE, str(item.id), item.expires_at, f"sharing:{item.id}", item=item.id)
    if rules.digest:
        from handlers.sharing import digest   # the digest's module knows when it is next due
        await digest.schedule_next(ctx)
    proposed = await match.propose_for(ctx, item, words)
    _say_published(ctx, item, len(proposed))
    await match.tell_proposals(ctx, proposed)


def _a_report(ctx: Context, text: str, words, spoken_to: bool) -> bool:
    """What the community must see to, not a neighbour: someone in danger (the classifier's
    reading, not misled by "打不着火"); something of the community's to fix (电梯, 楼道灯,
    消防: vocabulary.COMMUNAL) with no help asked but a repair or a cleaning; or a report the
    classifier recognises that names nothing of one's own a neighbour could bring, fix or do
    (no thing, no service but a repair, no 我家/家里). "修一下我家冰箱", "有人帮忙通下水道吗",
    "住18层 电梯在检修 几个大箱子要搬下去" are needs."""
    verdict = ctx.services.classifier.classify(text, addressed=spoken_to)
    if verdict.life_risk:
        quiet = calm(text)
        if quiet == text or ctx.services.classifier.classify(quiet, addressed=spoken_to).life_risk:
            return True
    if communal(text):
        return not words.services - {"repair", "cleaning"}
    return verdict.actionable and not words.main_things and not words.services - {"repair"} and not own(text)


def _say_published(ctx: Context, item: Item, found: int) -> None:
    kind = ctx.t(f"sharing.kind.{item.kind}")
    ends = until(ctx, item)
    if ctx.in_group:
        ctx.reply(ctx.t("sharing.published_group", kind=kind, ref=item.ref, until=ends))
        return
    when = ctx.t("sharing.when", when=item.when) if item.when else ""
    place = ctx.t("sharing.place", place=item.place) if item.place else ""
    key = "sharing.published_found" if found else "sharing.published"
    ctx.reply(ctx.t(key, kind=kind, ref=item.ref, text=shown(ctx, item), when=when, place=place, until=ends,
                    count=found))


def until(ctx: Context, item: Item) -> str:
    """When it comes down, as people read it: a window ending at midnight is "13日 23:59",
    not "14日 00:00"."""
    local = datetime.fromtimestamp(item.expires_at, ctx.community.tz)
    return ctx.when(item.expires_at - 60 if (local.hour, local.minute) == (0, 0) else item.expires_at)


def shown(ctx: Context, item: Item) -> str:
    """An item's words as others read them: no phone or ID numbers, whose shop it is."""
    text = mask_group(item.text)
    return text + (ctx.t("sharing.on_behalf_line", name=item.on_behalf) if item.on_behalf else "")


async def load_item(ctx: Context, args: str, usage: str) -> tuple[Item, str] | None:
    found = _REF.match(args.strip())
    if not found:
        if addressed(ctx):
            ctx.reply(ctx.t(usage))
        return None
    item = await Sharing(ctx.services.store).get(int(found.group(1)))
    if item is None:
        raise Refusal("sharing.not_found", quiet=ctx.in_group, ref=f"X{found.group(1)}")
    return item, found.group(2).strip()


async def close(ctx: Context, args: str) -> None:
    """`关闭 X3`: its owner (or staff) takes it down; no more matches for it."""
    loaded = await load_item(ctx, args, "sharing.usage.close")
    if loaded is None:
        return
    item = loaded[0]
    if item.owner != ctx.person.id and not STAFF.allows(ctx):
        raise Refusal("sharing.not_yours", ref=item.ref)
    result, status = await Sharing(ctx.services.store).take_off(
        item, "closed", closed_at=f"{ctx.now:.3f}", closed_by=ctx.person.id)
    if result == "ok" or (status == "closed" and item.closed_by == ctx.person.id):
        await timers.cancel(ctx, EXPIRE, str(item.id))
        ctx.reply(ctx.t("sharing.closed", ref=item.ref))
    else:
        ctx.reply(ctx.t("sharing.already", ref=item.ref, status=ctx.t(f"sharing.status.{status}", until="")))


async def remove(ctx: Context, args: str) -> None:
    """`下架 X3 原因` (staff): taken down for breaking the rules; the owner is told why."""
    loaded = await load_item(ctx, args, "sharing.usage.remove")
    if loaded is None:
        return
    item, reason = loaded
    if not reason:
        ctx.reply(ctx.t("sharing.remove_reason"))
        return
    repo = Sharing(ctx.services.store)
    result, status = await repo.take_off(item, "removed", closed_at=f"{ctx.now:.3f}", closed_by=ctx.person.id,
                                         reason=reason)
    if result != "ok" and not (status == "removed" and item.reason == reason):
        ctx.reply(ctx.t("sharing.already", ref=item.ref, status=ctx.t(f"sharing.status.{status}", until="")))
        return
    await timers.cancel(ctx, EXPIRE, str(item.id))
    await ctx.services.audit.record(ctx.now, ctx.person.id, "sharing_remove", f"sharing:{item.id}:{reason}",
                                    f"chat:{ctx.event.channel}")
    ctx.reply(ctx.t("sharing.removed", ref=item.ref))
    ctx.tell(item.owner, ctx.t("sharing.removed_owner", ref=item.ref, text=mask_group(item.text), reason=reason))


async def on_expire(ctx: Context) -> None:
    """An item's time is over: down, and its owner told."""
    repo = Sharing(ctx.services.store)
    item = await repo.get(int(ctx.event.data["item"]))
    if item is None or item.status != "open":
        return
    result, _ = await repo.take_off(item, "expired", closed_at=f"{ctx.now:.3f}")
    fresh = await repo.get(item.id)
    if result == "ok" or (fresh and fresh.status == "expired" and fresh.closed_at == item.closed_at):
        ctx.tell(item.owner, ctx.t("sharing.expired", kind=ctx.t(f"sharing.kind.{item.kind}"), ref=item.ref,
                                   text=mask_group(item.text)))


async def mine(ctx: Context, args: str) -> None:
    """`我的供需`: my items, newest first, with their matches."""
    repo = Sharing(ctx.services.store)
    items = await repo.of(ctx.person.id, 20)
    if not items:
        ctx.reply_privately(ctx.t("sharing.mine_none"), ctx.t("sharing.sent_private", name=ctx.person.name))
        return
    lines = [ctx.t("sharing.mine_header")]
    for item in items:
        status = item.status if item.status != "open" or item.expires_at > ctx.now else "expired"
        lines.append(ctx.t("sharing.mine_line", ref=item.ref, kind=ctx.t(f"sharing.kind.{item.kind}"),
                           text=mask_group(item.text)[:30],
                           status=ctx.t(f"sharing.status.{status}", until=until(ctx, item))))
        for m in await repo.matches_of_item(item.id):
            other = m.offer if m.need == item.id else m.need
            lines.append(ctx.t("sharing.mine_match", ref=m.ref, other=f"X{other}",
                               status=ctx.t(f"sharing.match_status.{m.status}")))
    lines.append(ctx.t("sharing.mine_more"))
    ctx.reply_privately("\n".join(lines), ctx.t("sharing.sent_private", name=ctx.person.name))
