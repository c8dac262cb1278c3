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

`uninstall()` undoes it (tests).
"""

from __future__ import annotations

import logging
import re
import traceback
from dataclasses import fields
from typing import Iterable, Mapping
from urllib.parse import parse_qs, quote, quote_plus, unquote, urlsplit

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


class Redactor(logging.Filter):
    """Masks the secrets (and the secret shapes above) in a log record, in place. As a
    filter it never drops a record. Applying it twice changes nothing more (the record
    factory applies it first; the filters on handlers again, catching `extra=` attributes,
    which logging sets after the factory)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
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
        return text

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


def install(secrets: Iterable[str], quiet_http: bool = True) -> Redactor:
    """Redact these secrets from every log record from now on (replacing what an earlier
    install did). Returns the filter."""
    uninstall()
    redactor = Redactor(secrets)
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
