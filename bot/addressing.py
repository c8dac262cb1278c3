"""Which channel and identity an outgoing message goes to.

A reply goes back the way its event came. A push goes to the addressee's first identity
on a configured platform (the community file's, then those bound in chat); the console identity every person and chat has is the last
resort, so on a machine with no platform configured everything reaches the console.

Which console: a console session tags the events of its lines (CONSOLE_SESSION), and the
console messages they cause wait in that session's own queue, so consoles sharing a data
directory each print what their own lines caused. Other console messages (a job falling
due, an admin action's notice) wait in the shared `console` queue, printed by whichever
console holds it.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from handlers.community import Community
from handlers.events import Event, Outgoing

CONSOLE_SESSION = "console_session"   # Event.data: the console session whose line it is


def channel_of(identity: str) -> str:
    return identity.partition(":")[0]


def console_queue(session: str) -> str:
    """The outbox queue of one console session."""
    return f"console.{session}"


def queue_of(identity: str, event: Event) -> str:
    """The outbox queue of a message to `identity` that `event` caused: its channel's, or
    for a console message caused by a console session's line, that session's."""
    channel = channel_of(identity)
    session = event.data.get(CONSOLE_SESSION) if channel == "console" else None
    return console_queue(session) if session else channel


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
    data = asdict(message)
    if not data["cut_note"]:     # (most messages: no bytes for it in the outbox)
        del data["cut_note"]
    return json.dumps({"identity": identity, **data}, ensure_ascii=False)


def decode(payload: str) -> tuple[str, Outgoing]:
    data = json.loads(payload)
    identity = data.pop("identity")
    return identity, Outgoing.from_dict(data)
