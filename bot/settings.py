"""One typed settings object, built once at start from the environment and the community
file. Handlers never read the environment; secrets never reach a log line."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit, urlunsplit

from handlers.community import Community, load_community


class SettingsError(ValueError):
    pass


def default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "linli"


def redact_url(url: str | None) -> str | None:
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


@dataclass(frozen=True)
class Settings:
    community: Community
    community_file: Path
    data_dir: Path
    redis_url: str | None = field(default=None, repr=False)
    rules_file: Path | None = None
    texts_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    telegram_token: str | None = field(default=None, repr=False)
    telegram_secret: str | None = field(default=None, repr=False)
    telegram_api_base: str = "https://api.telegram.org/bot"
    telegram_mode: str = "polling"    # "webhook": POST /telegram; "polling": getUpdates

    @property
    def platforms(self) -> tuple[str, ...]:
        """The channels configured here; pushes prefer their identities over the console."""
        return ("tg",) if self.telegram_token else ()

    def __repr__(self) -> str:  # the Redis URL may carry a password
        return (f"Settings(community={self.community.id!r}, data_dir={str(self.data_dir)!r}, "
                f"redis={redact_url(self.redis_url) or 'embedded'!r}, host={self.host!r}, port={self.port}, "
                f"platforms={self.platforms})")

    @classmethod
    def load(cls, community_file: str | Path, *, data_dir: str | Path | None = None,
             rules_file: str | Path | None = None, env: Mapping[str, str] | None = None,
             host: str | None = None, port: int | None = None) -> "Settings":
        env = os.environ if env is None else env
        path = Path(community_file)
        community = load_community(path)
        raw_port = port if port is not None else env.get("LINLI_PORT", "8080")
        try:
            port_number = int(raw_port)
        except ValueError:
            raise SettingsError(f"LINLI_PORT: {raw_port!r} is not a port number") from None
        rules = rules_file or env.get("LINLI_RULES")
        texts = env.get("LINLI_TEXTS")
        mode = env.get("TELEGRAM_MODE") or ("webhook" if env.get("TELEGRAM_WEBHOOK_SECRET") else "polling")
        if mode not in ("webhook", "polling"):
            raise SettingsError(f"TELEGRAM_MODE: {mode!r} is neither webhook nor polling")
        if env.get("TELEGRAM_BOT_TOKEN") and mode == "webhook" and not env.get("TELEGRAM_WEBHOOK_SECRET"):
            raise SettingsError("TELEGRAM_WEBHOOK_SECRET: required in webhook mode "
                                "(1-256 characters A-Z a-z 0-9 _ -), so only Telegram can post updates")
        return cls(
            community=community, community_file=path,
            data_dir=Path(data_dir or env.get("LINLI_DATA_DIR") or default_data_dir(env)).expanduser(),
            redis_url=env.get("REDIS_URL") or None,
            rules_file=Path(rules) if rules else None,
            texts_file=Path(texts) if texts else None,
            host=host or env.get("LINLI_HOST", "127.0.0.1"), port=port_number,
            log_level=env.get("LINLI_LOG_LEVEL", "INFO").upper(),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            telegram_api_base=env.get("TELEGRAM_API_BASE", "https://api.telegram.org/bot"),
            telegram_mode=mode,
        )
