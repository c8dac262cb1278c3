"""One typed settings object, built once at start from the environment and the community
file. Handlers never read the environment; secrets never reach a log line."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from handlers.community import Community, load_community
from storage.connection import redact_url as storage_redact_url

if TYPE_CHECKING:
    from bot.channels.base import ChannelConfig


class SettingsError(ValueError):
    pass


def default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "linli"


def redact_url(url: str | None) -> str | None:
    """The URL with its password replaced by *** (also in the Sentinel and Cluster forms,
    which name several hosts)."""
    return storage_redact_url(url)


@dataclass(frozen=True)
class Settings:
    community: Community
    community_file: Path
    data_dir: Path
    redis_url: str | None = field(default=None, repr=False)
    redis_max_connections: int = 64   # LINLI_REDIS_MAX_CONNECTIONS: the pool's bound
    redis_pool_timeout: float = 5.0   # LINLI_REDIS_POOL_TIMEOUT: seconds to wait for a free connection
    rules_file: Path | None = None
    texts_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    dead_letters_max: int = 10_000    # entries the dead-letter stream keeps (LINLI_DEAD_LETTERS_MAX)
    audit_days: int = 3 * 365         # audit entries older than this are trimmed (LINLI_AUDIT_DAYS)
    # The web workbench (bot/web/): served when web_url is set (LINLI_WEB_URL, the address a
    # browser reaches this server at); its session cookies are encrypted with web_secret.
    web_url: str | None = None
    web_secret: str | None = field(default=None, repr=False)   # LINLI_WEB_SECRET
    web_session_hours: float = 8.0    # LINLI_WEB_SESSION_HOURS: a sign-in lasts this long
    # Devices (bot/iot.py): each [[devices]]' HMAC key, by device id, from the variable its
    # key_env names, else from the keys file (LINLI_DEVICE_KEYS_FILE); a device without one
    # stops `linli run` (missing_device_keys). Readings older than device_retention_days go.
    device_keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    missing_device_keys: tuple[str, ...] = ()
    device_retention_days: float = 90.0   # LINLI_DEVICE_RETENTION_DAYS
    # Scheduled backups (bot/backups.py): `linli run` writes one every backup_hours into
    # backup_dir (LINLI_BACKUP_DIR; none: no scheduled backups), keeping the newest backup_keep.
    backup_dir: Path | None = None
    backup_hours: float = 24.0        # LINLI_BACKUP_HOURS
    backup_keep: int = 7              # LINLI_BACKUP_KEEP
    # Each configured channel's own settings, by channel name, read by the channel itself
    # (its `configure`; bot/channels/registry.py lists the channels).
    channels: Mapping[str, ChannelConfig] = field(default_factory=dict)

    @property
    def platforms(self) -> tuple[str, ...]:
        """The channels configured here; pushes prefer their identities over the console."""
        return tuple(self.channels)

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
        # Imported here: the channels import SettingsError and read_number from this module.
        from bot.channels import registry
        channels = {}
        for channel in registry.CHANNELS:
            config = channel.configure(env)
            if config is not None:
                channels[channel.name] = config
        web_url, web_secret = _web(env)
        device_keys, missing = _device_keys(community, env)
        return cls(
            web_url=web_url, web_secret=web_secret,
            device_keys=device_keys, missing_device_keys=missing,
            device_retention_days=read_number(env, "LINLI_DEVICE_RETENTION_DAYS", "90"),
            backup_dir=Path(env["LINLI_BACKUP_DIR"]).expanduser() if env.get("LINLI_BACKUP_DIR") else None,
            backup_hours=read_number(env, "LINLI_BACKUP_HOURS", "24"),
            backup_keep=read_number(env, "LINLI_BACKUP_KEEP", "7", int),
            web_session_hours=read_number(env, "LINLI_WEB_SESSION_HOURS", "8"),
            channels=channels,
            community=community, community_file=path,
            data_dir=Path(data_dir or env.get("LINLI_DATA_DIR") or default_data_dir(env)).expanduser(),
            redis_url=env.get("REDIS_URL") or None,
            redis_max_connections=read_number(env, "LINLI_REDIS_MAX_CONNECTIONS", "64", int),
            redis_pool_timeout=read_number(env, "LINLI_REDIS_POOL_TIMEOUT", "5"),
            rules_file=Path(rules) if rules else None,
            texts_file=Path(texts) if texts else None,
            host=host or env.get("LINLI_HOST", "127.0.0.1"), port=port_number,
            log_level=env.get("LINLI_LOG_LEVEL", "INFO").upper(),
            dead_letters_max=read_number(env, "LINLI_DEAD_LETTERS_MAX", "10000", int),
            audit_days=read_number(env, "LINLI_AUDIT_DAYS", "1095", int),
        )


WEB_SECRET_MIN = 32


def _web(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """LINLI_WEB_URL (an http(s) address, no trailing slash kept) and LINLI_WEB_SECRET,
    which it needs: at least WEB_SECRET_MIN characters. Errors name the variable, never
    the secret."""
    url = (env.get("LINLI_WEB_URL") or "").strip().rstrip("/") or None
    secret = env.get("LINLI_WEB_SECRET") or None
    if url is None:
        return None, secret
    if not url.startswith(("http://", "https://")) or "://" not in url or not url.split("://", 1)[1]:
        raise SettingsError(f"LINLI_WEB_URL: {url!r} is not an http:// or https:// address")
    if secret is None:
        raise SettingsError("LINLI_WEB_SECRET: required when LINLI_WEB_URL is set (the key of the workbench's "
                            "session cookies): e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
    if len(secret) < WEB_SECRET_MIN:
        raise SettingsError(f"LINLI_WEB_SECRET: must be at least {WEB_SECRET_MIN} characters")
    return url, secret


DEVICE_KEY_MIN = 16


def _device_keys(community: Community, env: Mapping[str, str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Each device's HMAC key: from the environment variable its `key_env` names, else from
    the keys file LINLI_DEVICE_KEYS_FILE (TOML, `"wm-301" = "KEY"` a line). Returns the keys
    found and the ids of devices without one (an error for `linli run`, which serves them;
    other commands do not need them). Errors name the variable or file, never a key."""
    keys: dict[str, str] = {}
    file_keys: dict = {}
    path = env.get("LINLI_DEVICE_KEYS_FILE")
    if path:
        try:
            file_keys = tomllib.loads(Path(path).expanduser().read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"LINLI_DEVICE_KEYS_FILE: cannot read {path}: {exc.__class__.__name__}") from None
        except tomllib.TOMLDecodeError:
            raise SettingsError(f"LINLI_DEVICE_KEYS_FILE: {path} is not TOML (\"device-id\" = \"key\" a line)") from None
        for name in file_keys:
            if name not in community.devices:
                raise SettingsError(f"LINLI_DEVICE_KEYS_FILE: {path}: {name!r} is no device of the community file")
    missing = []
    for device in community.devices.values():
        source = device.key_env or f"LINLI_DEVICE_KEYS_FILE ({device.id})"
        key = env.get(device.key_env) if device.key_env else None
        if not key:
            key = file_keys.get(device.id)
        if not key:
            missing.append(device.id)
            continue
        if not isinstance(key, str) or len(key) < DEVICE_KEY_MIN:
            raise SettingsError(f"{source}: the key of device {device.id} must be a string of at least "
                                f"{DEVICE_KEY_MIN} characters, e.g. openssl rand -hex 32")
        keys[device.id] = key
    return keys, tuple(missing)


def read_number(env: Mapping[str, str], name: str, default: str, kind=float):
    """A positive number from the environment (channels read theirs with it too)."""
    try:
        value = kind(env.get(name, default))
    except ValueError:
        raise SettingsError(f"{name}: {env.get(name)!r} is not a number") from None
    if value <= 0:
        raise SettingsError(f"{name}: must be more than 0")
    return value
