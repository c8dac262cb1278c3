"""No secret in any log line, whatever logger writes it and at whatever level.

`install(secrets_of(settings))` is called once by bot/cli.py's main(), right after the
settings are loaded. From then on every log record has each secret (as given, and in its
URL-quoted forms) replaced by `***` in its formatted message, its traceback, its stack
information and (through the root logger's handlers) any string attribute passed with
`extra=`. On top of the listed secrets,
some shapes are masked wherever they appear: a password in a URL's user part
(`redis://user:***@host`), the values of the query parameters `access_token`,
`corpsecret`, `secret`, `secret_token`, `key` and any `…password`, the same keys in a logged
dict or JSON (`'secret_token': '***'`), a WeCom group robot's webhook key in an
identity (`wecom:robot:***`), and the token of a web workbench sign-in link
(`/web/login/***`). LINLI_WEB_SECRET is a settings field declared repr=False, so it is
one of the listed secrets.

How, so that nothing slips past:
- the record factory (`logging.setLogRecordFactory`) is wrapped, so every record made by
  any logger is redacted as soon as it is made, before any filter or handler sees it —
  child loggers that propagate to the root, loggers with handlers of their own, and
  handlers added later (filters on a logger do not apply to records propagated from its
  children; filters on a handler apply only to that handler);
- the same filter is also put on the root logger and on each of its handlers, present and
  added later, for records built some other way (`logging.makeLogRecord`, e.g. from a
  socket handler) and for attributes passed with `extra=` (logging sets those after the
  record factory ran, so they are masked by the root's handlers' filters);
- httpx and httpcore, which log every request URL (Telegram's has the token in its path),
  are lowered to WARNING unless `quiet_http=False`.

Personal data is masked the same way (`install_for(settings)`, what bot/cli.py calls):
phone, ID-card and bank-card numbers by their shape wherever they appear (`138****5678`,
nlp/pii.py, as in group replies), and the name of every person the community file lists
(`***`). What linli itself logs names people by id and things by number, never a message's
text; a handler's crash is logged without the exception's message (bot/worker.py), which
may quote the message.

`uninstall()` undoes it (tests).
"""

from __future__ import annotations

import logging
import re
import traceback
from dataclasses import fields
from typing import Iterable, Mapping
from urllib.parse import parse_qs, quote, quote_plus, unquote, urlsplit

from nlp.pii import mask_pii

MASK = "***"
QUIET_LOGGERS = ("httpx", "httpcore")

# Shapes that are secret whoever's they are (an access token fetched at run time, a key in
# a URL, a password in a connection URL).
_SECRET_NAMES = r"access_token|corpsecret|secret|secret_token|[a-z_]*password|key"
_PATTERNS = (
    (re.compile(r"(://[^/\s:@'\"]*:)[^@\s/'\"]+(@)"), r"\1" + MASK + r"\2"),
    (re.compile(rf"([?&](?:{_SECRET_NAMES})=)[^&\s'\"#]+"), r"\1" + MASK),
    (re.compile(rf"""(['"](?:{_SECRET_NAMES})['"]\s*:\s*['"])[^'"]+"""), r"\1" + MASK),
    (re.compile(r"(wecom:robot:)[A-Za-z0-9_-]+"), r"\1" + MASK),
    (re.compile(r"(/web/login/)[A-Za-z0-9_-]+"), r"\1" + MASK),   # a web workbench sign-in link's token
)
# A LogRecord's own attributes; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def secrets_of(settings) -> list[str]:
    """Every secret in a Settings: the fields declared with repr=False (each value of a
    mapping: the devices' HMAC keys) and the password in REDIS_URL (never the URL itself), and each configured channel's secrets (its settings'
    repr=False fields — the Telegram token and webhook secret, the WeChat/WeCom secrets,
    tokens and AES keys — and what the channel adds, such as the token's part after the colon)."""
    found: list[str] = []
    for spec in fields(settings):
        if spec.repr:
            continue
        value = getattr(settings, spec.name)
        if not value:
            continue
        if spec.name == "redis_url":
            found += _url_passwords(str(value))
            continue
        if isinstance(value, Mapping):   # the devices' keys, by device id
            found += [str(key) for key in value.values() if key]
            continue
        found.append(str(value))
    for config in settings.channels.values():
        found += config.secrets()
    return found


def personal_of(settings) -> list[str]:
    """The names of the people the community file lists (a one-character name is left: it
    would mask that character in every line)."""
    return [person.name for person in settings.community.people.values()
            if person.name and len(person.name) >= 2]


def install_for(settings) -> "Redactor":
    """Mask this deployment's secrets and its people's names (and phone and ID numbers, by
    shape) in every log record from now on."""
    return install(secrets_of(settings), personal=personal_of(settings))


def _url_passwords(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    found = [password] if password else []
    for name, values in parse_qs(parts.query).items():   # ?password=, ?sentinel_password=
        if name.lower().endswith("password"):
            found += values
    return found + [unquote(p) for p in found]


def traceback_without_messages(exc: BaseException) -> str:
    """A traceback for a log line: its frames and each exception's type, not the exceptions'
    messages, which may quote what a resident wrote (`ValueError: cannot read 「…」`). The
    whole traceback is kept where staff can read it (bot/worker.py: the dead-letter entry)."""
    parts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        kind = type(exc)
        name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
        parts.append("Traceback (most recent call last):\n" + "".join(traceback.format_tb(exc.__traceback__))
                     + f"{name} (its message is not logged)")
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return "\n\nThe above exception led to the following:\n\n".join(reversed(parts))


class Redactor(logging.Filter):
    """Masks the secrets (and the secret shapes above) in a log record, in place. As a
    filter it never drops a record. Applying it twice changes nothing more (the record
    factory applies it first; the filters on handlers again, catching `extra=` attributes,
    which logging sets after the factory)."""

    def __init__(self, secrets: Iterable[str], personal: Iterable[str] = ()) -> None:
        super().__init__()
        names = sorted({name for name in personal if name}, key=len, reverse=True)
        self.names = re.compile("|".join(map(re.escape, names))) if names else None
        variants = set()
        for secret in secrets:
            if not secret:
                continue
            secret = str(secret)
            variants |= {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), unquote(secret)}
        variants.discard("")
        ordered = sorted(variants, key=len, reverse=True)   # a longer secret before one inside it
        self.secrets = tuple(ordered)
        self.pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def redact(self, text: str) -> str:
        if self.pattern is not None:
            text = self.pattern.sub(MASK, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        if self.names is not None:
            text = self.names.sub(MASK, text)
        return mask_pii(text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:   # a bad format string: leave it to the handler's error reporting
            message = None
        if message is not None:
            cleaned = self.redact(message)
            if cleaned != message or record.args:
                record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            cleaned = self.redact(text)
            if cleaned != text:   # otherwise leave the formatting to the formatter
                record.exc_text = cleaned
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True


_installed: dict = {}


def install(secrets: Iterable[str], quiet_http: bool = True, personal: Iterable[str] = ()) -> Redactor:
    """Redact these secrets and names (`personal`) from every log record from now on
    (replacing what an earlier install did). Returns the filter."""
    uninstall()
    redactor = Redactor(secrets, personal)
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redactor.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    root = logging.getLogger()
    root.addFilter(redactor)
    for handler in root.handlers:
        handler.addFilter(redactor)
    add_handler = root.addHandler

    def add_filtered_handler(handler: logging.Handler) -> None:   # the root's handlers added later
        handler.addFilter(redactor)
        add_handler(handler)

    root.addHandler = add_filtered_handler
    levels = {}
    if quiet_http:
        for name in QUIET_LOGGERS:
            logger = logging.getLogger(name)
            levels[name] = logger.level
            if logger.level == logging.NOTSET or logger.level < logging.WARNING:
                logger.setLevel(logging.WARNING)
    _installed.update(redactor=redactor, factory=factory, previous=previous, levels=levels,
                      handlers=list(root.handlers))
    return redactor


def uninstall() -> None:
    """Undo install(): the record factory, the filters and the httpx/httpcore levels."""
    if not _installed:
        return
    redactor = _installed["redactor"]
    if logging.getLogRecordFactory() is _installed["factory"]:
        logging.setLogRecordFactory(_installed["previous"])
    root = logging.getLogger()
    root.__dict__.pop("addHandler", None)
    root.removeFilter(redactor)
    for handler in {*_installed["handlers"], *root.handlers}:
        handler.removeFilter(redactor)
    for name, level in _installed["levels"].items():
        logging.getLogger(name).setLevel(level)
    _installed.clear()
