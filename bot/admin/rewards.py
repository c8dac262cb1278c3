"""`linli admin rewards …`: staff manage the 爱心超市 catalogue and see redemptions.

    linli admin rewards list [--json]
    linli admin rewards add ID NAME --price P [--unit points|hours] [--stock N] [--description TEXT]
    linli admin rewards stock ID N | +N | -N     set, or add to / take from, the stock
    linli admin rewards price ID P               (items added here; file items: edit the file)
    linli admin rewards remove ID | restore ID   withdraw from / put back on offer
    linli admin rewards redemptions [--status issued|fulfilled|cancelled] [--person ID] [--json]

Items of the community file follow the file for name, price and unit; their stock is seeded
from it once and then managed here. Every change is written to the audit log.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import datetime
from typing import TextIO

from bot.admin.common import audit as _audit, person_of, STDOUT
from bot.app import Runtime
from handlers.points.earning import hours_text, parse_hours
from storage.rewards import Item, Rewards


def _price(unit: str, amount: int) -> str:
    return hours_text(amount) if unit == "hours" else str(amount)


def _parse_price(unit: str, text: str) -> int | None:
    if unit == "hours":
        return parse_hours(text) or None
    return int(text) if text.isdigit() and int(text) > 0 else None


def _fail(message: str, code: int = 2) -> int:
    print(f"linli: {message}", file=sys.stderr)
    return code


async def list_items(rewards: Rewards, as_json: bool, out: TextIO) -> int:
    items = await rewards.items()
    if as_json:
        json.dump([{**asdict(i), "price": _price(i.unit, i.price)} for i in items], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for i in items:
        stock = "unlimited" if i.stock is None else str(i.stock)
        out.write(f"{i.id:<12} {i.name:<16} {_price(i.unit, i.price):>6} {i.unit:<6} stock {stock:<9} "
                  f"{'on offer' if i.active else 'withdrawn':<9} {i.source}\n")
    return 0


async def redemptions(runtime: Runtime, rewards: Rewards, status: str | None, person: str | None, as_json: bool,
                      out: TextIO) -> int:
    rows = [r for r in await rewards.redemptions(person) if status in (None, r.status)]
    await _audit(runtime, "view", f"redemptions:{person or '*'}")
    tz = runtime.settings.community.tz
    data = [{"code": r.code, "person": r.person, "item": r.item, "name": r.name, "price": _price(r.unit, r.price),
             "unit": r.unit, "status": r.status, "at": datetime.fromtimestamp(r.at, tz).isoformat(timespec="seconds"),
             "entry": r.seq} for r in rows]
    if as_json:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for r in data:
        out.write(f"{r['code']}  {r['at']}  {r['person']:<10} {r['name']:<16} {r['price']:>6} {r['unit']:<6} "
                  f"{r['status']}\n")
    return 0


async def run(args: argparse.Namespace, runtime: Runtime, out: TextIO = STDOUT) -> int:
    rewards = Rewards(runtime.store)
    await rewards.sync(runtime.settings.community.ledger.rewards.values())
    if args.action == "list":
        return await list_items(rewards, args.json, out)
    if args.action == "redemptions":
        person = person_of(runtime.settings.community, args.person).id if args.person else None
        return await redemptions(runtime, rewards, args.status, person, args.json, out)
    if args.action == "add":
        price = _parse_price(args.unit, args.price)
        if price is None:
            return _fail(f"price must be a positive {'number of hours' if args.unit == 'hours' else 'whole number'}")
        if args.stock is not None and args.stock < 0:
            return _fail("stock must be 0 or more")
        item = Item(args.id, args.name, price, args.unit, args.stock, description=args.description or "")
        if not await rewards.add(item):
            return _fail(f"an item {args.id!r} exists already")
        await _audit(runtime, "reward_add", f"reward:{args.id}")
        out.write(f"added {args.id}: {args.name}\n")
        return 0
    item = await rewards.item(args.id)
    if item is None:
        return _fail(f"no item {args.id!r} (linli admin rewards list)", 1)
    if args.action == "stock":
        mode = "add" if args.number[:1] in "+-" else "set"
        try:
            number = int(args.number)
        except ValueError:
            return _fail("stock: N, +N or -N")
        result, value = await rewards.stock(item.id, mode, number)
        if result != "ok":
            return _fail({"unlimited": "the item has unlimited stock: set a number first",
                          "negative": f"stock cannot go below 0 (it is {value})"}.get(result, result), 1)
        await _audit(runtime, "reward_stock", f"reward:{item.id} {args.number}")
        out.write(f"{item.id}: stock {value}\n")
        return 0
    if item.source == "file" and args.action == "price":
        return _fail(f"{item.id} comes from the community file: change its price there", 1)
    if args.action == "price":
        price = _parse_price(item.unit, args.price)
        if price is None:
            return _fail("price must be positive")
        await rewards.update(item.id, price=price)
    else:
        await rewards.update(item.id, active="0" if args.action == "remove" else "1")
    await _audit(runtime, f"reward_{args.action}", f"reward:{item.id}")
    out.write(f"{item.id}: {args.action} done\n")
    return 0


def register(areas: argparse._SubParsersAction, community_options) -> None:
    parser = areas.add_parser("rewards", help="the 爱心超市 catalogue and redemptions")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every item, with price, stock and whether it is on offer")
    community_options(listing)
    listing.add_argument("--json", action="store_true", help="JSON output")
    add = actions.add_parser("add", help="a new item")
    community_options(add)
    add.add_argument("id", help="ASCII id, e.g. haircut")
    add.add_argument("name", help="what residents write after 兑换, e.g. 理发券")
    add.add_argument("--price", required=True, help="in points (whole) or hours (1.5)")
    add.add_argument("--unit", choices=("points", "hours"), default="points")
    add.add_argument("--stock", type=int, help="how many (leave out: unlimited)")
    add.add_argument("--description")
    stock = actions.add_parser("stock", help="set (N) or change (+N, -N) an item's stock")
    community_options(stock)
    stock.add_argument("id")
    stock.add_argument("number", help="N, +N or -N")
    price = actions.add_parser("price", help="change the price of an item added here")
    community_options(price)
    price.add_argument("id")
    price.add_argument("price")
    for name, text in (("remove", "withdraw an item from offer"), ("restore", "put a withdrawn item back")):
        sub = actions.add_parser(name, help=text)
        community_options(sub)
        sub.add_argument("id")
    redeemed = actions.add_parser("redemptions", help="redemption codes, newest first")
    community_options(redeemed)
    redeemed.add_argument("--status", choices=("issued", "fulfilled", "cancelled"))
    redeemed.add_argument("--person", help="only this person's (id or full name)")
    redeemed.add_argument("--json", action="store_true", help="JSON output")
