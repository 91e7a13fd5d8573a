"""Stage 2: a fetched body becomes Entry values, through feedparser.

feedparser is lenient: it recovers what it can from broken XML and flags the
problem in `bozo`. tracker keeps what it recovered, and calls a body a failure
only when it yields no feed at all (HTML, garbage, a truncated document).
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from .errors import FeedParseError
from .models import Entry, FetchResult

_TAG = re.compile(r"<[^>]+>")
_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_SPACE = re.compile(r"[ \t\r\f\v]+")


def plain_text(fragment: str | None) -> str:
    """Text of an HTML fragment: tags dropped, entities decoded, whitespace folded."""
    if not fragment:
        return ""
    text = html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", fragment)))
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _entry_time(entry: Any) -> datetime | None:
    for field in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(entry, field)  # dict.get: skip feedparser's deprecated updated->published mapping
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _hash(*parts: str | None) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part or "").encode("utf-8", "replace"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def entry_key(guid: str | None, link: str | None, title: str, published: datetime | None) -> str:
    """A stable key: the guid, else the link, else a hash of title and date."""
    if guid and guid.strip():
        return "guid:" + guid.strip()
    if link and link.strip():
        return "link:" + link.strip()
    stamp = published.isoformat() if published else ""
    return "hash:" + _hash(title, stamp)[:32]


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: list[Entry]
    warning: str | None = None  # feedparser recovered from a problem


def parse_feed(fetched: FetchResult, max_entries: int = 500) -> ParsedFeed:
    """Entries of a feed body; FeedParseError when the body holds no feed."""
    headers = {"content-location": fetched.url}
    if fetched.content_type:
        headers["content-type"] = fetched.content_type
    try:
        parsed = feedparser.parse(fetched.body, response_headers=headers)
    except Exception as e:  # feedparser is not supposed to raise; never let it stop a run
        raise FeedParseError(f"feed parser crashed: {type(e).__name__}: {e}") from e
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not parsed.get("version") and not parsed.entries:
        reason = f": {problem}" if problem else ""
        looks_html = fetched.body.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html"))
        what = "an HTML page, not a feed" if looks_html else "not an RSS or Atom feed"
        raise FeedParseError(f"malformed feed, {what}{reason}")
    entries = []
    for raw in parsed.entries[:max_entries]:
        title = plain_text(raw.get("title")) or "(untitled)"
        link = raw.get("link") or None
        guid = raw.get("id") or None
        published = _entry_time(raw)
        summary = plain_text(raw.get("summary"))
        content = " ".join(c.get("value", "") for c in raw.get("content", []) or [])
        author = plain_text(raw.get("author")) or None
        entries.append(
            Entry(
                key=entry_key(guid, link, title, published),
                title=title,
                link=link,
                summary=summary or plain_text(content),
                published=published,
                author=author,
                content_hash=_hash(title, link, summary, content, dict.get(raw, "updated"), author),
            )
        )
    warning = f"feed recovered from a problem: {problem}" if problem else None
    return ParsedFeed(title=plain_text(parsed.feed.get("title")), entries=entries, warning=warning)
