"""`linli admin sharing …`: staff read 供需 items and their matches from the command line
(audited): `list [--status open] [--kind need] [--json]`, `show X3 [--json]`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from bot.admin.common import STDOUT, audit, iso
from bot.app import Runtime
from storage.sharing import KINDS, STATUSES, Item, Match, Sharing


def item_json(item: Item, runtime: Runtime) -> dict[str, Any]:
    return {"id": item.ref, "kind": item.kind, "status": item.status, "text": item.text, "owner": item.owner,
            "on_behalf": item.on_behalf, "building": item.building, "place": item.place, "when": item.when,
            "spans": [[iso(s, runtime), iso(e, runtime)] for s, e in item.spans],
            "created_at": iso(item.created_at, runtime), "expires_at": iso(item.expires_at, runtime),
            "keys": item.keys, "closed_at": iso(item.closed_at, runtime), "closed_by": item.closed_by,
            "reason": item.reason}


def match_json(found: Match, runtime: Runtime) -> dict[str, Any]:
    return {"id": found.ref, "status": found.status, "need": f"X{found.need}", "offer": f"X{found.offer}",
            "need_owner": found.need_owner, "offer_owner": found.offer_owner, "need_answer": found.need_answer,
            "offer_answer": found.offer_answer, "created_at": iso(found.created_at, runtime),
            "accepted_at": iso(found.accepted_at, runtime),
            "exchange": f"E{found.exchange}" if found.exchange else None}


async def list_items(runtime: Runtime, status: str | None, kind: str | None, as_json: bool,
                     out: TextIO = STDOUT) -> int:
    repo = Sharing(runtime.store)
    items = [i for i in await repo.many(await repo.ids())
             if (status is None or i.status == status) and (kind is None or i.kind == kind)]
    await audit(runtime, "list", f"sharing status={status or '*'} kind={kind or '*'}")
    if as_json:
        json.dump([item_json(i, runtime) for i in items], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for i in items:
        out.write(f"{i.ref:<6} {i.kind:<6} {i.status:<8} {i.owner:<14} {iso(i.expires_at, runtime)}  {i.text}\n")
    out.write(f"{len(items)} item(s)\n")
    return 0


async def show_item(runtime: Runtime, ref: str, as_json: bool, out: TextIO = STDOUT) -> int:
    number = ref.upper().lstrip("X#")
    repo = Sharing(runtime.store)
    item = await repo.get(int(number)) if number.isdigit() else None
    if item is None:
        print(f"linli: no item {ref} (没有找到供需 {ref})", file=sys.stderr)
        return 1
    await audit(runtime, "view", f"sharing:{item.id}")
    data = {**item_json(item, runtime),
            "matches": [match_json(m, runtime) for m in await repo.matches_of_item(item.id)]}
    if as_json:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for key, value in data.items():
        if key != "matches":
            out.write(f"{key:11} {value if value not in (None, [], {}) else ''}\n")
    out.write("matches:\n")
    for m in data["matches"]:
        out.write(f"  {m['id']:<5} {m['status']:<9} {m['need']}({m['need_owner']}:{m['need_answer'] or '-'}) "
                  f"{m['offer']}({m['offer_owner']}:{m['offer_answer'] or '-'}) {m['exchange'] or ''}\n")
    return 0


def register(areas: argparse._SubParsersAction, community_options) -> None:
    sharing = areas.add_parser("sharing", help="list and show 供需 items (needs, offers, things) and their matches")
    actions = sharing.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list items, newest first")
    community_options(listing)
    listing.add_argument("--status", choices=STATUSES, help="only this status")
    listing.add_argument("--kind", choices=KINDS, help="only this kind (need, offer, thing)")
    listing.add_argument("--json", action="store_true", help="JSON output")
    show = actions.add_parser("show", help="one item with its matches")
    community_options(show)
    show.add_argument("item", help="item id, e.g. X3 or 3")
    show.add_argument("--json", action="store_true", help="JSON output")


async def run(args: argparse.Namespace, runtime: Runtime) -> int:
    if args.action == "list":
        return await list_items(runtime, args.status, args.kind, args.json)
    return await show_item(runtime, args.item, args.json)
