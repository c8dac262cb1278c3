"""The key layout. Every key of a community carries the hash tag `{community-id}`, so the
Lua scripts that touch several keys run on one Cluster slot."""

from __future__ import annotations


class Keys:
    def __init__(self, community_id: str) -> None:
        self.prefix = f"linli:{{{community_id}}}:"

    def __call__(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    # pipeline
    def inbound(self, shard: int) -> str:
        return self("in", shard)

    def seen(self, platform_id: str) -> str:
        return self("seen", platform_id)

    def done(self, event_id: str) -> str:
        return self("done", event_id)

    def dead_letters(self) -> str:
        return self("dead")

    def outbox(self, channel: str) -> str:
        return self("out", channel)

    def lease(self, name: str) -> str:
        return self("lease", name)

    def workers(self) -> str:
        return self("workers")

    def jobs(self) -> str:
        return self("jobs")

    def job_payloads(self) -> str:
        return self("jobs", "payload")

    def fake_clock(self) -> str:
        return self("clock", "fake")

    # tickets
    def ticket_seq(self) -> str:
        return self("ticket", "seq")

    def ticket(self, ticket_id: int) -> str:
        return self("ticket", ticket_id)

    def ticket_history(self, ticket_id: int) -> str:
        return self("ticket", ticket_id, "history")

    def ticket_ops(self, ticket_id: int) -> str:
        return self("ticket", ticket_id, "ops")

    def ticket_by_event(self) -> str:
        """Earlier versions' event id -> ticket id, kept forever; now only read (a ticket
        keeps its event in its own hash)."""
        return self("ticket", "by-event")

    def tickets_open(self) -> str:
        """Prefix of the open-ticket indexes (storage/tickets.py lists them)."""
        return self("tickets", "open")

    def tickets_unconfirmed(self) -> str:
        """The triage queue: tickets waiting for staff to confirm them (待确认)."""
        return self("tickets", "unconfirmed")

    def tickets_indexed(self) -> str:
        return self("tickets", "indexed")

    def tickets(self) -> str:
        return self("tickets")

    def tickets_of(self, person_id: str) -> str:
        return self("tickets", "reporter", person_id)

    def audit(self) -> str:
        return self("audit")

    # learning from staff
    def examples(self) -> str:
        """Labelled examples from staff judgements (a stream, masked text)."""
        return self("examples")

    def quiet(self, person_id: str, chat: str) -> str:
        """The last message the bot stayed quiet on, per person and chat (expires)."""
        return self("quiet", person_id, chat)
