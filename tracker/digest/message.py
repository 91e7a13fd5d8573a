"""The digest as a real email: multipart/alternative (text, HTML with CSS inlined), the chart inline by cid."""

from __future__ import annotations

import email.utils
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from urllib.parse import urlsplit

import css_inline
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .compose import DigestData
from .settings import DigestSettings

CHART_CID = "week-chart@tracker"


def http_url(url: str | None) -> str | None:
    """The URL when it is http(s); anything else (javascript:, data:, file:) is never made a link."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("tracker.digest", "templates"),
        autoescape=select_autoescape(["html", "j2"]) if autoescape else False,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["http_url"] = http_url
    env.filters["capitalize_first"] = _capitalize_first
    env.globals["fmt"] = _fmt
    return env


def subject(data: DigestData) -> str:
    return f"tracker digest {data.day}: {_capitalize_first(data.headline)}"


def render_html(data: DigestData, *, chart_src: str | None = f"cid:{CHART_CID}", inline: bool = True) -> str:
    """The HTML part; all text from feeds is escaped by the template's autoescaping."""
    day = date.fromisoformat(data.day)
    html = _environment(True).get_template("digest.html.j2").render(
        data=data, subject=subject(data), day=data.day, day_long=day.strftime("%A %d %B %Y"),
        day_short=day.strftime("%d %b"), chart_src=chart_src if data.chart_png else None,
    )
    return css_inline.inline(html) if inline else html


def render_text(data: DigestData) -> str:
    day = date.fromisoformat(data.day)
    return _environment(False).get_template("digest.txt.j2").render(
        data=data, day=data.day, day_long=day.strftime("%A %d %B %Y"), day_short=day.strftime("%d %b"),
    )


def message_id(data: DigestData, settings: DigestSettings) -> str:
    """One Message-ID per digest date and sender: a resend is recognisably the same message."""
    domain = settings.sender.rsplit("@", 1)[-1].strip(">") or "localhost"
    return f"<tracker-digest-{data.day}@{domain}>"


def build_message(data: DigestData, settings: DigestSettings, *, now: datetime | None = None) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients) or "undisclosed-recipients:;"
    message["Subject"] = subject(data)
    message["Date"] = email.utils.format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id(data, settings)
    message["X-Tracker-Digest-Date"] = data.day
    message.set_content(render_text(data))
    message.add_alternative(render_html(data), subtype="html")
    if data.chart_png:
        html_part = message.get_payload()[1]
        html_part.add_related(data.chart_png, maintype="image", subtype="png", cid=f"<{CHART_CID}>",
                              filename="week.png", disposition="inline")
    return message
