"""One typed settings object, built once at start from the environment and the community
file. Handlers never read the environment; secrets never reach a log line."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from handlers.community import Community, load_community
from storage.connection import redact_url as storage_redact_url


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
    telegram_token: str | None = field(default=None, repr=False)
    telegram_secret: str | None = field(default=None, repr=False)
    telegram_api_base: str = "https://api.telegram.org/bot"
    telegram_mode: str = "polling"    # "webhook": POST /telegram; "polling": getUpdates
    telegram_per_second: int = 30     # TELEGRAM_MAX_PER_SECOND: the bot's overall pace (Telegram's figure)
    # WeChat Official Account (公众号): WECHAT_* variables, see the README
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = field(default=None, repr=False)
    wechat_token: str | None = field(default=None, repr=False)
    wechat_aes_key: str | None = field(default=None, repr=False)
    wechat_template_id: str | None = None
    wechat_template_field: str = "content"
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_reply_budget: float = 1.0
    wechat_cs_limit: int = 5
    # WeCom (企业微信) internal app: WECOM_* variables
    wecom_corp_id: str | None = None
    wecom_agent_id: int = 0
    wecom_secret: str | None = field(default=None, repr=False)
    wecom_token: str | None = field(default=None, repr=False)
    wecom_aes_key: str | None = field(default=None, repr=False)
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    wecom_bot_token: str | None = field(default=None, repr=False)     # the AI bot (智能机器人)
    wecom_bot_aes_key: str | None = field(default=None, repr=False)

    @property
    def platforms(self) -> tuple[str, ...]:
        """The channels configured here; pushes prefer their identities over the console."""
        found = [("tg", self.telegram_token), ("wx", self.wechat_app_id), ("wecom", self.wecom_corp_id)]
        return tuple(name for name, configured in found if configured)

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
        wechat, wecom = _wechat(env), _wecom(env)
        return cls(
            **wechat, **wecom,
            community=community, community_file=path,
            data_dir=Path(data_dir or env.get("LINLI_DATA_DIR") or default_data_dir(env)).expanduser(),
            redis_url=env.get("REDIS_URL") or None,
            redis_max_connections=_number(env, "LINLI_REDIS_MAX_CONNECTIONS", "64", int),
            redis_pool_timeout=_number(env, "LINLI_REDIS_POOL_TIMEOUT", "5"),
            rules_file=Path(rules) if rules else None,
            texts_file=Path(texts) if texts else None,
            host=host or env.get("LINLI_HOST", "127.0.0.1"), port=port_number,
            log_level=env.get("LINLI_LOG_LEVEL", "INFO").upper(),
            dead_letters_max=_number(env, "LINLI_DEAD_LETTERS_MAX", "10000", int),
            audit_days=_number(env, "LINLI_AUDIT_DAYS", "1095", int),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            telegram_api_base=env.get("TELEGRAM_API_BASE", "https://api.telegram.org/bot"),
            telegram_mode=mode,
            telegram_per_second=_number(env, "TELEGRAM_MAX_PER_SECOND", "30", int),
        )


def _number(env: Mapping[str, str], name: str, default: str, kind=float):
    try:
        value = kind(env.get(name, default))
    except ValueError:
        raise SettingsError(f"{name}: {env.get(name)!r} is not a number") from None
    if value <= 0:
        raise SettingsError(f"{name}: must be more than 0")
    return value


def _wechat(env: Mapping[str, str]) -> dict:
    app_id = env.get("WECHAT_APP_ID") or None
    if not app_id:
        return {}
    for name in ("WECHAT_APP_SECRET", "WECHAT_TOKEN"):
        if not env.get(name):
            raise SettingsError(f"{name}: required with WECHAT_APP_ID (see the README's WeChat section)")
    aes = env.get("WECHAT_AES_KEY") or None
    if aes and len(aes) != 43:
        raise SettingsError("WECHAT_AES_KEY: the EncodingAESKey is 43 characters")
    budget = _number(env, "WECHAT_REPLY_BUDGET", "1.0")
    if budget > 4:
        raise SettingsError("WECHAT_REPLY_BUDGET: WeChat waits 5 seconds at most; keep it under 4")
    return dict(wechat_app_id=app_id, wechat_app_secret=env["WECHAT_APP_SECRET"], wechat_token=env["WECHAT_TOKEN"],
                wechat_aes_key=aes, wechat_template_id=env.get("WECHAT_TEMPLATE_ID") or None,
                wechat_template_field=env.get("WECHAT_TEMPLATE_FIELD", "content"),
                wechat_api_base=env.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
                wechat_reply_budget=budget, wechat_cs_limit=_number(env, "WECHAT_CS_LIMIT", "5", int))


def _wecom(env: Mapping[str, str]) -> dict:
    corp_id = env.get("WECOM_CORP_ID") or None
    if not corp_id:
        return {}
    for name in ("WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY"):
        if not env.get(name):
            raise SettingsError(f"{name}: required with WECOM_CORP_ID (see the README's WeCom section)")
    if len(env["WECOM_AES_KEY"]) != 43:
        raise SettingsError("WECOM_AES_KEY: the EncodingAESKey is 43 characters")
    bot_token, bot_key = env.get("WECOM_BOT_TOKEN") or None, env.get("WECOM_BOT_AES_KEY") or None
    if bool(bot_token) != bool(bot_key) or (bot_key and len(bot_key) != 43):
        raise SettingsError("WECOM_BOT_TOKEN and WECOM_BOT_AES_KEY (43 characters) go together, for the AI bot")
    return dict(wecom_bot_token=bot_token, wecom_bot_aes_key=bot_key, wecom_corp_id=corp_id, wecom_agent_id=_number(env, "WECOM_AGENT_ID", "0", int),
                wecom_secret=env["WECOM_SECRET"], wecom_token=env["WECOM_TOKEN"], wecom_aes_key=env["WECOM_AES_KEY"],
                wecom_api_base=env.get("WECOM_API_BASE", "https://qyapi.weixin.qq.com"))
