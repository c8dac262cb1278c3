"""The key layout: every Redis key name linli uses is made here, by a named method (as
arq keeps its in one constants.py), so a key is found by grepping one file and no two
places can spell it differently.

Every key of a community carries the hash tag `{community-id}`, so the Lua scripts that
touch several keys run on one Cluster slot. The scripts get their keys in KEYS, with two
documented exceptions, both on the same hash tag because they are made from a key of this
file: a key of a record that does not exist yet is passed as a template, the method called
with NEW_ID (`ticket(NEW_ID)`), and create_once.lua puts the id it draws in its place; and
the ticket scripts make the open-ticket index names from `tickets_open()`, and the
statistics' bucket names from `stats_prefix()`, with the fields they read
(`tickets_open_by` and `stats` spell the same names for Python).
"""

from __future__ import annotations

# Stands for the id create_once.lua draws, in key templates and values (storage/create_once.py).
NEW_ID = "$id"
# The embedded server's own bookkeeping (which processes use it), outside every community.
EMBEDDED_USERS = "linli:embedded:users"


class Keys:
    def __init__(self, community_id: str) -> None:
        self.prefix = f"linli:{{{community_id}}}:"

    def __call__(self, *parts: object) -> str:
        """Any name under the community's prefix. The methods below are the names in use;
        this stays for tests and one-off tools that look a key up by its parts."""
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

    def rate(self, window: str) -> str:
        """One outbound rate-limit window (storage/ratelimit.py)."""
        return self("rate", window)

    def token(self, app: str) -> str:
        """A platform access token shared by every worker (storage/tokens.py)."""
        return self("token", app)

    def token_lock(self, app: str) -> str:
        return self("token", app, "lock")

    # channels
    def tg_button(self, token: str) -> str:
        """The command behind a Telegram button's short callback data."""
        return self("tg", "button", token)

    def tg_offset(self) -> str:
        """The next Telegram update to ask for (long polling)."""
        return self("tg", "offset")

    def wx_reply(self, event_id: str) -> str:
        """What became of the passive reply a WeChat request waits for."""
        return self("wx", "reply", event_id)

    def wx_reply_sent(self, event_id: str) -> str:
        return self("wx", "reply", event_id, "sent")

    def wx_window(self) -> str:
        """openid -> when they last wrote (the 48-hour customer-service window)."""
        return self("wx", "window")

    def wx_window_sent(self) -> str:
        """openid -> messages sent in their current window."""
        return self("wx", "window", "sent")

    def wecom_respond(self, event_id: str) -> str:
        """The response_url a WeCom callback came with."""
        return self("wecom", "respond", event_id)

    # people
    def identity_owners(self) -> str:
        """Platform identity -> "@person" or a chat id (storage/identities.py)."""
        return self("identity", "owner")

    def identities_of(self, address: str) -> str:
        return self("identity", "of", address)

    def link_code(self, code: str) -> str:
        return self("link", "code", code)

    def link_failures(self, identity: str) -> str:
        return self("link", "failures", identity)

    def household_registered(self) -> str:
        """person -> household (storage/households.py)."""
        return self("household", "registered")

    def household_verified(self) -> str:
        return self("household", "verified")

    def household_details(self) -> str:
        return self("household", "details")

    def household_verifications(self) -> str:
        return self("household", "verifications")

    def volunteer(self, person_id: str) -> str:
        """What a volunteer changed about themselves in chat (storage/volunteers.py)."""
        return self("volunteer", person_id)

    def volunteers_last_push(self) -> str:
        """person -> when a task was last offered to them."""
        return self("volunteers", "last-push")

    # tickets
    def ticket_seq(self) -> str:
        return self("ticket", "seq")

    def ticket(self, ticket_id: int | str) -> str:
        return self("ticket", ticket_id)

    def ticket_history(self, ticket_id: int | str) -> str:
        return self("ticket", ticket_id, "history")

    def ticket_ops(self, ticket_id: int) -> str:
        return self("ticket", ticket_id, "ops")

    def ticket_co(self, ticket_id: int) -> str:
        """person -> their own report of the same problem (co-reporters)."""
        return self("ticket", ticket_id, "co")

    def ticket_by_event(self) -> str:
        """Earlier versions' event id -> ticket id, kept forever; now only read (a ticket
        keeps its event in its own hash)."""
        return self("ticket", "by-event")

    def tickets_open(self) -> str:
        """All open tickets, and the prefix of the open-ticket indexes (storage/tickets.py
        lists them; the ticket scripts make the names the way `tickets_open_by` does)."""
        return self("tickets", "open")

    def tickets_open_by(self, code: str, value: str) -> str:
        """The open tickets of one building (b), category (c), assignee (a) or department (d)."""
        return self("tickets", "open", code, value)

    def tickets_open_buildings(self) -> str:
        """The buildings that have an open-ticket index."""
        return self("tickets", "open", "buildings")

    def tickets_unconfirmed(self) -> str:
        """The triage queue: tickets waiting for staff to confirm them (待确认)."""
        return self("tickets", "unconfirmed")

    def tickets_indexed(self) -> str:
        return self("tickets", "indexed")

    # ticket statistics (storage/stats.py)
    def stats_prefix(self) -> str:
        """The prefix of the statistics' buckets: the ticket scripts make a bucket's name
        from it the way `stats` does (PREFIX:PERIOD:DIM)."""
        return self("stats")

    def stats(self, period: str, dim: str) -> str:
        """Hash `VALUE|METRIC` -> count for the tickets created in one period (a day
        "2026-11-03" or a month "2026-11"), by one dimension (storage/stats.py DIMS)."""
        return self("stats", period, dim)

    def stats_periods(self) -> str:
        """The days and months that have a bucket."""
        return self("stats", "periods")

    def stats_version(self) -> str:
        """Which version of the statistics the buckets hold (missing: rebuild them)."""
        return self("stats", "version")

    def tickets(self) -> str:
        return self("tickets")

    def tickets_of(self, person_id: str) -> str:
        return self("tickets", "reporter", person_id)

    def nudged(self, subject: str) -> str:
        """String, expiring after a day: someone was told of `subject` today ("ticket:12": its
        holder, that its reporter asked after it; "contact:zhang": staff, that zhang asked for
        a person). The value is the event that told them and when ("EVENT TIME")."""
        return self("nudged", subject)

    def audit(self) -> str:
        return self("audit")

    # volunteer tasks
    def task_seq(self) -> str:
        return self("task", "seq")

    def task_by_event(self) -> str:
        """Event id -> the task it created."""
        return self("task", "by-event")

    def task(self, task_id: int | str) -> str:
        return self("task", task_id)

    def task_claims(self, task_id: int) -> str:
        return self("task", task_id, "claims")

    def task_done(self, task_id: int) -> str:
        return self("task", task_id, "done")

    def task_pushed(self, task_id: int) -> str:
        return self("task", task_id, "pushed")

    def task_history(self, task_id: int | str) -> str:
        return self("task", task_id, "history")

    def task_ops(self, task_id: int) -> str:
        return self("task", task_id, "ops")

    def task_offer(self, task_id: int, event_id: str) -> str:
        """Marks that one event already offered the task (handlers/tasks/push.py)."""
        return self("task", task_id, "offer", event_id)

    def tasks(self) -> str:
        return self("tasks")

    def tasks_of_ticket(self, ticket_id: int | str) -> str:
        return self("tasks", "of-ticket", ticket_id)

    def tasks_open_of(self, person_id: str) -> str:
        """A volunteer's open tasks (their load)."""
        return self("tasks", "open", person_id)

    # polls
    def poll_seq(self) -> str:
        return self("poll", "seq")

    def poll_by_event(self) -> str:
        return self("poll", "by-event")

    def poll(self, poll_id: int | str) -> str:
        return self("poll", poll_id)

    def poll_voters(self, poll_id: int | str) -> str:
        """person -> the unit they vote for (themselves or their household), fixed at creation."""
        return self("poll", poll_id, "voters")

    def poll_ballots(self, poll_id: int) -> str:
        return self("poll", poll_id, "ballots")

    def poll_box(self, poll_id: int) -> str:
        """An anonymous poll's choices, unlinked from the voters."""
        return self("poll", poll_id, "box")

    def polls_open(self) -> str:
        return self("polls", "open")

    def polls(self) -> str:
        return self("polls")

    # the ledger (points and time-bank hours)
    def ledger_entries(self) -> str:
        return self("ledger", "entries")

    def ledger_keys(self) -> str:
        """Idempotency key -> the first entry its transaction booked."""
        return self("ledger", "keys")

    def ledger_balances(self) -> str:
        return self("ledger", "balances")

    def ledger_head(self) -> str:
        return self("ledger", "head")

    def ledger_account(self, account: str) -> str:
        """An account's entries (their seqs)."""
        return self("ledger", "account", account)

    def ledger_cap(self, day: str, person_id: str) -> str:
        return self("ledger", "cap", day, person_id)

    def ledger_rank(self, month: str, building: str) -> str:
        return self("ledger", "rank", month, building)

    def ledger_rank_optout(self) -> str:
        return self("ledger", "rank", "optout")

    # time-bank exchanges
    def exchange_seq(self) -> str:
        return self("timebank", "seq")

    def exchange_by_event(self) -> str:
        return self("timebank", "by-event")

    def exchange(self, exchange_id: int | str) -> str:
        return self("timebank", exchange_id)

    def exchanges_of(self, person_id: str) -> str:
        return self("timebank", "of", person_id)

    # the 爱心超市
    def reward_item(self, item_id: str) -> str:
        return self("reward", "item", item_id)

    def reward_items(self) -> str:
        return self("reward", "items")

    def reward_items_from_file(self) -> str:
        """The items the community file lists (the others were added by staff)."""
        return self("reward", "from-file")

    def reward_code(self, code: str) -> str:
        return self("reward", "code", code)

    def reward_codes(self) -> str:
        return self("reward", "codes")

    def rewards_of(self, person_id: str) -> str:
        return self("reward", "of", person_id)

    # the web workbench (storage/web.py)
    def web_login(self, digest: str) -> str:
        """A one-time sign-in link: the SHA-256 of its token -> the person; expires."""
        return self("web", "login", digest)

    def web_session(self, digest: str) -> str:
        """A signed-in browser: the SHA-256 of its session id -> the person; expires."""
        return self("web", "session", digest)

    def web_failures(self, client: str) -> str:
        """Failed sign-ins from one client address in the current window."""
        return self("web", "failures", client)

    # devices (storage/devices.py)
    def device_readings(self, device: str) -> str:
        """A device's readings: a sorted set by their time, trimmed to the retention."""
        return self("device", device, "readings")

    def device_last(self, device: str) -> str:
        """A device's newest reading (hash: at, reading, event), kept past the retention."""
        return self("device", device, "last")

    def device_nonce(self, device: str, signature: str) -> str:
        """A signature seen from a device (expires once its timestamp is out of the window)."""
        return self("device", device, "nonce", signature)

    # elders in care (storage/care.py)
    def care_people(self) -> str:
        """Who is in care: person id -> their enrolment (JSON)."""
        return self("care", "people")

    def care_state(self, person_id: str) -> str:
        """One person's last sign of life, absence, open alarm and its claim (hash)."""
        return self("care", "state", person_id)

    def care_steps(self, person_id: str) -> str:
        """The alarm steps one person's events applied: operation key (event id | step) ->
        the alarm before and after (hash, expiring; storage/lua/care_step.lua)."""
        return self("care", "steps", person_id)

    def care_log(self, person_id: str) -> str:
        """One person's care log: entry ids by time (sorted set)."""
        return self("care", "log", person_id)

    def care_log_entries(self, person_id: str) -> str:
        """The bodies of the care log's entries, by entry id (hash)."""
        return self("care", "log", person_id, "entries")

    # rooms and equipment the community lends (storage/rooms.py)
    def room_booking_seq(self) -> str:
        return self("rooms", "seq")

    def room_booking_by_event(self) -> str:
        """Event id -> the booking it made (storage/lua/room_book.lua)."""
        return self("rooms", "by-event")

    def room_booking(self, booking_id: int | str) -> str:
        return self("rooms", "booking", booking_id)

    def room_booking_ops(self, booking_id: int | str) -> str:
        """Operation key -> the status it set (storage/lua/room_change.lua; replay-safe)."""
        return self("rooms", "booking", booking_id, "ops")

    def room_slots(self, room_id: str) -> str:
        """A room's live bookings (pending or approved) by start; they never overlap."""
        return self("rooms", "slots", room_id)

    def room_slot_ends(self, room_id: str) -> str:
        """Booking id -> end, for the live bookings of room_slots."""
        return self("rooms", "ends", room_id)

    def room_bookings(self) -> str:
        """Every booking by start (the admin CLI's listing)."""
        return self("rooms", "all")

    def room_bookings_pending(self) -> str:
        """Bookings waiting for approval, by start."""
        return self("rooms", "pending")

    def room_bookings_of(self, person_id: str) -> str:
        """One person's bookings by start."""
        return self("rooms", "of", person_id)

    def room_usage(self, month: str) -> str:
        """Room id -> approved booked seconds within opening hours in a month ("2026-12")."""
        return self("rooms", "usage", month)

    # 供需: needs and offers matched (storage/sharing.py)
    def sharing_seq(self) -> str:
        return self("sharing", "seq")

    def sharing_by_event(self) -> str:
        """Event id -> the item it published."""
        return self("sharing", "by-event")

    def sharing_item(self, item_id: int | str) -> str:
        return self("sharing", "item", item_id)

    def sharing_items(self) -> str:
        """Every item by publication time (the admin CLI's listing)."""
        return self("sharing", "all")

    def sharing_index(self, kind: str, key: str) -> str:
        """The open items of one kind (need, offer, thing) with one matching key ("a:repair")."""
        return self("sharing", "index", kind, key)

    def sharing_of(self, person_id: str) -> str:
        """One person's items by publication time."""
        return self("sharing", "of", person_id)

    def sharing_new(self, building: str) -> str:
        """Items published for one building ("" for the whole community) by time: the digest's."""
        return self("sharing", "new", building)

    def sharing_match_seq(self) -> str:
        return self("sharing", "match", "seq")

    def sharing_pairs(self) -> str:
        """"NEED:OFFER" -> the match proposed for the pair (never proposed twice)."""
        return self("sharing", "pairs")

    def sharing_match(self, match_id: int | str) -> str:
        return self("sharing", "match", match_id)

    def sharing_matches_of(self, person_id: str) -> str:
        """The matches proposed to one person, by time."""
        return self("sharing", "matches", person_id)

    def sharing_matches_of_item(self, item_id: int | str) -> str:
        """The matches proposed for one item, by time."""
        return self("sharing", "item", item_id, "matches")

    # 议题: residents' topics for the council's agenda (storage/agenda.py)
    def topic_seq(self) -> str:
        return self("agenda", "seq")

    def topic_by_event(self) -> str:
        """Event id -> the topic it proposed."""
        return self("agenda", "by-event")

    def topic(self, topic_id: int | str) -> str:
        return self("agenda", "topic", topic_id)

    def topic_history(self, topic_id: int | str) -> str:
        return self("agenda", "topic", topic_id, "history")

    def topic_ops(self, topic_id: int | str) -> str:
        """Operation key -> its result (the topic's applied steps; replay-safe)."""
        return self("agenda", "topic", topic_id, "ops")

    def topic_seconds(self, topic_id: int | str) -> str:
        """Unit (a household, or a person) -> its seconding (JSON: by, at)."""
        return self("agenda", "topic", topic_id, "seconds")

    def topic_followers(self, topic_id: int | str) -> str:
        """Who hears each step: the proposer, seconders, those of topics merged into it."""
        return self("agenda", "topic", topic_id, "followers")

    def topic_ratings(self, topic_id: int | str) -> str:
        """Person -> their 评议 (1-5)."""
        return self("agenda", "topic", topic_id, "ratings")

    def topics(self) -> str:
        """Every topic by creation time."""
        return self("agenda", "all")

    def topics_state_prefix(self) -> str:
        """Topics by state: PREFIX:STATE sorted sets scored by creation time; the agenda
        scripts make the names from this prefix (same hash tag), like tickets_open."""
        return self("agenda", "state")

    def topics_in(self, state: str) -> str:
        return f"{self.topics_state_prefix()}:{state}"

    def topics_of(self, person_id: str) -> str:
        """A person's topics (proposed, seconded, carried out), by when they joined."""
        return self("agenda", "of", person_id)

    # learning from staff
    def examples(self) -> str:
        """Labelled examples from staff judgements (a stream, masked text)."""
        return self("examples")

    def quiet(self, person_id: str, chat: str) -> str:
        """The last message the bot stayed quiet on, per person and chat (expires)."""
        return self("quiet", person_id, chat)

    # privacy (storage/privacy.py)
    def privacy_erased(self) -> str:
        """People erased (注销): person id -> when, by whom, on what request (hash)."""
        return self("privacy", "erased")

    def privacy_erased_version(self) -> str:
        """Moves with every erasure: what each event reads, so the tombstones are read again
        only when they changed (a counter)."""
        return self("privacy", "erased", "version")

    def privacy_pending(self, person_id: str) -> str:
        """A person's 注销 waiting for 确认注销 (expires)."""
        return self("privacy", "pending", person_id)

    def privacy_pending_until(self) -> str:
        """Until when some 注销 may be waiting (a time): while it is past, no message needs
        to look for one."""
        return self("privacy", "pending", "until")

    def privacy_cursor(self, kind: str) -> str:
        """How far the retention job has walked a time index (a score)."""
        return self("privacy", "cursor", kind)

    def privacy_waiting(self, kind: str) -> str:
        """Records past the cursor not yet due (still open, closed too recently), by time (zset)."""
        return self("privacy", "waiting", kind)
