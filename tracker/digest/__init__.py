"""The daily digest: compose a day's email, send it by SMTP exactly once, or write it to a file.

Every send is recorded in the `digests` table (day, recipients, Message-ID, status).
A day already sent is not sent again without `force`; a failed send is recorded as
failed and retried by the next run, before that run's own day. A crash between the
SMTP server's acceptance and the record leaves the day unrecorded, so it is sent
again: the Message-ID is the same, which lets mail systems drop the copy.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from ..errors import TrackerError
from ..models import iso_utc, utc_now
from ..store import Store
from .compose import DigestData, compose
from .message import build_message, render_html, subject
from .settings import DigestSettings

log = logging.getLogger(__name__)
RETRY_DAYS = 14  # failed digests older than this are left alone


class DigestError(TrackerError):
    """A digest could not be sent; it is recorded as failed and retried by the next run."""


@dataclass(frozen=True)
class DigestOutcome:
    day: str
    status: str  # sent | failed | skipped | already_sent | written
    detail: str = ""


def yesterday(settings: DigestSettings) -> str:
    return (datetime.now(settings.zone).date() - timedelta(days=1)).isoformat()


def send_message(message: EmailMessage, settings: DigestSettings, *, timeout: float = 30.0) -> None:
    """Deliver by SMTP (none, STARTTLS or SSL, with login when a user is set)."""
    try:
        if settings.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.smtp_port, timeout=timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.host, settings.smtp_port, timeout=timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.user:
                client.login(settings.user, settings.password or "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as e:
        detail = str(e).replace(settings.password, "***") if settings.password else str(e)
        raise DigestError(f"SMTP {settings.host}:{settings.smtp_port}: {type(e).__name__}: {detail}") from e


def _record(store: Store, day: str, settings: DigestSettings, status: str, *, message_id: str = "", title: str = "",
            error: str | None = None) -> None:
    now = iso_utc(utc_now())
    previous = next(store.query("SELECT attempts, created FROM digests WHERE day = ?", [day]), None)
    store.db["digests"].upsert(
        {
            "day": day, "status": status, "recipients": ", ".join(settings.recipients), "message_id": message_id,
            "subject": title, "attempts": (previous["attempts"] if previous else 0) + (status in ("sent", "failed")),
            "error": error, "updated": now, "sent": now if status == "sent" else None,
            "created": previous["created"] if previous else now,
        },
        pk="day",
    )


def days_to_send(store: Store, day: str) -> list[str]:
    """Earlier failed digests (oldest first, within RETRY_DAYS), then the day asked for."""
    oldest = (date.fromisoformat(day) - timedelta(days=RETRY_DAYS)).isoformat()
    failed = [r["day"] for r in store.query(
        "SELECT day FROM digests WHERE status = 'failed' AND day >= ? AND day < ? ORDER BY day", [oldest, day]
    )]
    return failed + [day]


def send_digests(store: Store, settings: DigestSettings, day: str, *, force: bool = False) -> list[DigestOutcome]:
    """Send the digest of `day`, after retrying earlier failures; exactly once per day unless forced."""
    settings.check_for_sending()
    outcomes = []
    for target in days_to_send(store, day):
        row = next(store.query("SELECT status FROM digests WHERE day = ?", [target]), None)
        if row is not None and row["status"] == "sent" and not force:
            outcomes.append(DigestOutcome(target, "already_sent", "already sent; use --force to send again"))
            continue
        data = compose(store, target, top=settings.top)
        if data.quiet and settings.quiet_day == "skip":
            _record(store, target, settings, "skipped", title=subject(data))
            outcomes.append(DigestOutcome(target, "skipped", "quiet day, not sent (quiet_day = skip)"))
            continue
        message = build_message(data, settings)
        try:
            send_message(message, settings)
        except DigestError as e:
            _record(store, target, settings, "failed", message_id=message["Message-ID"], title=message["Subject"], error=str(e))
            log.warning("digest day=%s status=failed error=%r", target, str(e))
            outcomes.append(DigestOutcome(target, "failed", str(e)))
            continue
        _record(store, target, settings, "sent", message_id=message["Message-ID"], title=message["Subject"])
        log.info("digest day=%s status=sent to=%d message_id=%s", target, len(settings.recipients), message["Message-ID"])
        outcomes.append(DigestOutcome(target, "sent", f"sent to {len(settings.recipients)} recipient(s)"))
    return outcomes


def write_digest(store: Store, settings: DigestSettings, day: str, *, eml: Path | None = None,
                 html: Path | None = None) -> DigestData:
    """Write the message (.eml) and/or its HTML for a browser, without sending or recording anything."""
    data = compose(store, day, top=settings.top)
    if eml is not None:
        eml.parent.mkdir(parents=True, exist_ok=True)
        eml.write_bytes(bytes(build_message(data, settings)))
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        chart = html.with_name(html.stem + "-week.png")
        html.write_text(render_html(data, chart_src=chart.name), encoding="utf-8")
        if data.chart_png:
            chart.write_bytes(data.chart_png)
    return data
