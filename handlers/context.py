"""What a handler works with: the community, the clock, the repositories, and the turn
(the event being handled, who sent it, where, and the messages it will produce)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Callable

from handlers.clock import Clock
from handlers.community import Chat, Community, Person
from handlers.events import Buttons, Event, Outgoing
from handlers.texts import Texts
from nlp import Classifier
from nlp.pii import mask_group
from storage.audit import Audit
from storage.examples import Examples
from storage.jobs import Jobs
from storage.store import Store
from storage.tickets import Tickets


@dataclass
class Services:
    """Long-lived parts every handler may use. A feature's repository is built from
    `store` where it is needed (`Polls(ctx.services.store)`): repositories hold no state."""

    store: Store
    community: Community
    clock: Clock
    texts: Texts
    tickets: Tickets
    jobs: Jobs
    audit: Audit
    examples: Examples
    web_url: str | None = None   # where the web workbench is served (登录 links), None: not served
    # The classifier is built on first use (about a second: pinyin and jieba's tables), so
    # an admin command that classifies nothing does not pay for it.
    load_classifier: Callable[[], Classifier] = field(repr=False, default=Classifier.from_file)
    _classifier: Classifier | None = field(default=None, repr=False)

    @property
    def classifier(self) -> Classifier:
        if self._classifier is None:
            self._classifier = self.load_classifier()
        return self._classifier

    @classifier.setter
    def classifier(self, value: Classifier) -> None:
        self._classifier = value


@dataclass
class Context:
    services: Services
    event: Event
    person: Person | None = None
    chat: Chat | None = None
    outgoing: list[Outgoing] = field(default_factory=list)

    # shortcuts handlers use on every line
    @property
    def community(self) -> Community:
        return self.services.community

    @property
    def now(self) -> float:
        return self.services.clock.now()

    def t(self, key: str, /, **values: Any) -> str:
        return self.services.texts(key, **values)

    @property
    def in_group(self) -> bool:
        return self.event.chat_kind == "group"

    def reply(self, text: str, buttons: Buttons = (), cut_note: str = "") -> None:
        """Answer in the chat the event came from. `cut_note`: what the text ends with if a
        platform must cut it (Outgoing.cut_note)."""
        if self.chat:
            to = self.chat.id
        elif self.in_group or not self.person:
            to = self.event.chat or self.event.sender or ""
        else:
            to = f"@{self.person.id}"
        via = self.event.chat or self.event.sender
        self._add(Outgoing(to=to, text=text, via=via, in_reply_to=self.event.id, buttons=buttons,
                           cut_note=cut_note))

    def tell(self, person_id: str, text: str, buttons: Buttons = (), cut_note: str = "") -> None:
        """A private message to a person; the sender's own 1:1 chat gets it as a reply."""
        if self.person and person_id == self.person.id and not self.in_group and self.event.kind == "message":
            self.reply(text, buttons, cut_note)
        else:
            self._add(Outgoing(to=f"@{person_id}", text=text, in_reply_to=self.event.id, buttons=buttons,
                               cut_note=cut_note))

    def reply_privately(self, text: str, notice: str, cut_note: str = "") -> None:
        """Answer the sender only: in a group the text goes 1:1 and the group reads `notice`."""
        if self.in_group:
            self.tell(self.person.id, text, cut_note=cut_note)
            self.reply(notice)
        else:
            self.reply(text, cut_note=cut_note)

    def react(self, emoji: str) -> None:
        """Acknowledge the event's message quietly (a reaction, no message) where its
        platform gave its message id (Telegram); elsewhere nothing."""
        message_id = self.event.data.get("message_id")
        if message_id is None or self.event.kind != "message":
            return
        to = self.chat.id if self.chat else (self.event.chat or self.event.sender or "")
        self._add(Outgoing(to=to, text=emoji, via=self.event.chat or self.event.sender,
                           in_reply_to=self.event.id, reaction_to=str(message_id)))

    def post(self, chat_id: str, text: str, buttons: Buttons = (), cut_note: str = "") -> None:
        self._add(Outgoing(to=chat_id, text=text, in_reply_to=self.event.id, buttons=buttons, cut_note=cut_note))

    def _add(self, message: Outgoing) -> None:
        # Privacy by default: whatever a handler wrote, a group never sees a phone, ID or
        # bank-card number, nor a licence plate (staff read them in private messages).
        group = self.event.chat_kind == "group" if message.via else not message.is_private
        if group:
            message = replace(message, text=mask_group(message.text))
        self.outgoing.append(message)

    def when(self, at: float) -> str:
        """A time as residents read it, in the community's time zone."""
        local = datetime.fromtimestamp(at, self.community.tz)
        return f"{local.month}月{local.day}日 {local:%H:%M}"

    def name_of(self, person_id: str | None) -> str:
        person = self.community.people.get(person_id or "")
        return person.name if person else (person_id or "")
