"""Which channel and identity an outgoing message goes to.

A reply goes back the way its event came. A push goes to the addressee's first identity
on a configured platform (the community file's, then those bound in chat); the console identity every person and chat has is the last
resort, so on a machine with no platform configured everything reaches the console.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from handlers.community import Community
from handlers.events import Outgoing


def channel_of(identity: str) -> str:
    return identity.partition(":")[0]


def resolve(community: Community, message: Outgoing, platforms: tuple[str, ...],
            bound: tuple[str, ...] = ()) -> str:
    """`bound`: the addressee's identities bound at run time (storage/identities.py)."""
    if message.via:
        return message.via
    identities = community.identities_of(message.to) + bound
    for identity in identities:
        if channel_of(identity) in platforms:
            return identity
    return next((i for i in identities if channel_of(i) == "console"), f"console:{message.to.lstrip('@')}")


def encode(identity: str, message: Outgoing) -> str:
    return json.dumps({"identity": identity, **asdict(message)}, ensure_ascii=False)


def decode(payload: str) -> tuple[str, Outgoing]:
    data = json.loads(payload)
    identity = data.pop("identity")
    return identity, Outgoing.from_dict(data)
