"""Digest delivery settings: the [digest] table of tracker.toml, then the environment (which wins).

The SMTP password comes only from the environment (TRACKER_SMTP_PASSWORD): it is
never read from a file, written to the database or logged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ConfigError

ENV = {
    "host": "TRACKER_SMTP_HOST",
    "port": "TRACKER_SMTP_PORT",
    "security": "TRACKER_SMTP_SECURITY",
    "user": "TRACKER_SMTP_USER",
    "sender": "TRACKER_DIGEST_FROM",
    "recipients": "TRACKER_DIGEST_TO",
    "timezone": "TRACKER_DIGEST_TZ",
    "quiet_day": "TRACKER_DIGEST_QUIET_DAY",
}
PASSWORD_ENV = "TRACKER_SMTP_PASSWORD"
FILE_KEYS = {"host", "port", "security", "user", "sender", "recipients", "timezone", "quiet_day", "top", "from", "to"}


@dataclass(frozen=True)
class DigestSettings:
    host: str | None = None
    port: int | None = None
    security: str = "starttls"  # none | starttls | ssl
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "tracker@localhost"
    recipients: tuple[str, ...] = ()
    timezone: str = "UTC"
    quiet_day: str = "send"  # send a short "quiet day" digest, or skip
    top: int = 10

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def smtp_port(self) -> int:
        return self.port or {"ssl": 465, "starttls": 587}.get(self.security, 25)

    def check_for_sending(self) -> None:
        if not self.host:
            raise ConfigError(f"no SMTP server: set {ENV['host']} (or host in the [digest] table of tracker.toml)")
        if not self.recipients:
            raise ConfigError(f"no recipients: set {ENV['recipients']} (comma-separated)")


def _recipients(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return tuple(item.strip() for item in items if str(item).strip())


def _validated(settings: DigestSettings, source: str) -> DigestSettings:
    if settings.security not in ("none", "starttls", "ssl"):
        raise ConfigError(f"{source}: SMTP security must be none, starttls or ssl (got {settings.security!r})")
    if settings.quiet_day not in ("send", "skip"):
        raise ConfigError(f"{source}: quiet_day must be send or skip (got {settings.quiet_day!r})")
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(f"{source}: unknown time zone {settings.timezone!r}") from e
    return settings


def load_digest_settings(table: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> DigestSettings:
    """Defaults, then the config file's [digest] table, then the environment."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    for key, value in (table or {}).items():
        if key == "password":
            raise ConfigError(f"tracker.toml [digest]: the SMTP password is read only from the environment ({PASSWORD_ENV})")
        if key not in FILE_KEYS:
            raise ConfigError(f"tracker.toml [digest]: unknown key {key!r}")
        key = {"from": "sender", "to": "recipients"}.get(key, key)
        values[key] = value
    for key, variable in ENV.items():
        if environ.get(variable):
            values[key] = environ[variable]
    if "recipients" in values:
        values["recipients"] = _recipients(values["recipients"])
    if "port" in values:
        try:
            values["port"] = int(values["port"])
        except (TypeError, ValueError) as e:
            raise ConfigError(f"SMTP port must be a number (got {values['port']!r})") from e
    if "top" in values:
        values["top"] = int(values["top"])
    if isinstance(values.get("security"), str):
        values["security"] = values["security"].lower()
    settings = replace(DigestSettings(), **values, password=environ.get(PASSWORD_ENV) or None)
    return _validated(settings, "digest settings")


def digest_table(config: Path | None) -> dict[str, Any]:
    """The [digest] table of the config file in use, if any."""
    import tomllib

    from ..options import CONFIG_ENV, DEFAULT_CONFIG

    path = config or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    if path is None:
        return {}
    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle).get("digest", {})
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: config file not found") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [digest] must be a table")
    return table
