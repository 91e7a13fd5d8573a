"""Logging: key=value lines to stderr and to a rotating file; secrets never written."""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path

LOGGER = "tracker"
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+(?::[^/\s@]*)?@")


def redact(text: str) -> str:
    """Credentials in URLs blanked: https://user:pass@host/ -> https://***@host/."""
    return _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)


def with_credentials(url: str, source: str) -> str:
    """url with the user:password of `source` put back, when the hosts match and url has none of its own."""
    from urllib.parse import urlsplit, urlunsplit

    origin, target = urlsplit(source), urlsplit(url)
    if not origin.username or target.hostname != origin.hostname:
        return url
    userinfo = origin.netloc.rsplit("@", 1)[0]
    host = target.netloc.rsplit("@", 1)[-1]
    return urlunsplit(target._replace(netloc=f"{userinfo}@{host}"))


class RedactSecrets(logging.Filter):
    """Blanks credentials in URLs (scheme://user:pass@host) and any registered secret value."""

    def __init__(self, secrets: list[str] | None = None):
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s]

    def redact(self, text: str) -> str:
        text = redact(text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def setup_logging(
    log_file: Path | None,
    *,
    quiet_stderr: bool,
    max_bytes: int = 5_000_000,
    backups: int = 5,
    secrets: list[str] | None = None,
) -> Path | None:
    """Configure the 'tracker' logger; returns the log file in use (None if it could not be opened).

    quiet_stderr: only warnings reach stderr (a progress bar is showing);
    otherwise every INFO line does, which is what cron mails or a journal keeps.
    """
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    redact = RedactSecrets(secrets)
    formatter = logging.Formatter(FORMAT)

    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.WARNING if quiet_stderr else logging.INFO)
    stderr.setFormatter(formatter)
    stderr.addFilter(redact)
    logger.addHandler(stderr)

    if log_file is None:
        return None
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
    except OSError as e:
        logger.warning("log_file_unavailable path=%s error=%r", log_file, e.strerror or str(e))
        return None
    rotating.setLevel(logging.INFO)
    rotating.setFormatter(formatter)
    rotating.addFilter(redact)
    logger.addHandler(rotating)
    return log_file
