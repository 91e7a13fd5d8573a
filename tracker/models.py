"""Plain dataclasses the pipeline stages hand each other.

Storage sees only these: never feedparser, httpx or spaCy objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

FeedKind = Literal["news", "speech"]
StatementKind = Literal["direct", "reported", "speech"]
LABELS: tuple[str, ...] = ("deescalate", "neutral", "pressure", "threat")


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with a trailing Z, to the second: sorts as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class FeedSpec:
    """One feed as the user listed it in feeds.yaml."""

    name: str
    url: str
    kind: FeedKind = "news"
    line: int | None = None


@dataclass(frozen=True)
class FeedState:
    """A feed as the store knows it: where to fetch it and its HTTP cache state."""

    id: int
    name: str
    url: str
    kind: FeedKind
    etag: str | None = None
    last_modified: str | None = None
    disabled: bool = False
    disabled_reason: str | None = None
    consecutive_failures: int = 0
    next_check: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """What came back from one HTTP GET, after redirects."""

    requested_url: str
    url: str
    status: int
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    permanent_url: str | None = None  # set when every redirect hop was permanent

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Entry:
    """One feed entry, reduced to what tracker keeps."""

    key: str
    title: str
    link: str | None
    summary: str
    published: datetime | None
    author: str | None
    content_hash: str


@dataclass(frozen=True)
class ArticleInput:
    """An article's text as the extraction stage sees it (the `tracker extract` input)."""

    text: str
    id: str | None = None
    title: str | None = None
    published: str | None = None
    url: str | None = None
    feed_kind: FeedKind = "news"
    author: str | None = None


@dataclass(frozen=True)
class Statement:
    """One statement attributed to one speaker, with its span in the article text."""

    speaker: str
    kind: StatementKind
    text: str
    start: int
    end: int
    official: bool = False
    official_id: str | None = None
    role: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Score:
    """A statement's escalation score by one model (LABELS.md)."""

    level: int
    label: str
    escalation: float
    probs: dict[str, float]
    instruments: list[str]
    model: str
    model_version: str


@dataclass
class ScoredStatement:
    statement: Statement
    score: Score


@dataclass
class Article:
    """A fetched article, ready to be stored with its statements."""

    feed_id: int
    key: str
    title: str
    url: str | None
    published: str  # ISO-8601 UTC
    summary: str
    text: str
    text_source: Literal["page", "summary"]
    entry_hash: str
    author: str | None = None
    page_error: str | None = None
    statements: list[ScoredStatement] = field(default_factory=list)


@dataclass
class FeedOutcome:
    """How one feed fared in one run. Errors are values: one bad feed never stops the run."""

    feed: str
    status: Literal["ok", "not_modified", "failed", "disabled", "skipped"]
    error: str | None = None
    http_status: int | None = None
    entries: int = 0
    new_articles: int = 0
    updated_articles: int = 0
    new_statements: int = 0
    page_errors: int = 0
    seconds: float = 0.0
    warning: str | None = None


@dataclass
class RunSummary:
    run_id: int
    outcomes: list[FeedOutcome] = field(default_factory=list)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> list[FeedOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def new_articles(self) -> int:
        return sum(o.new_articles for o in self.outcomes)

    @property
    def updated_articles(self) -> int:
        return sum(o.updated_articles for o in self.outcomes)

    @property
    def new_statements(self) -> int:
        return sum(o.new_statements for o in self.outcomes)

    def line(self) -> str:
        ok = sum(o.status in ("ok", "not_modified") for o in self.outcomes)
        return (
            f"feeds ok={ok} failed={len(self.failed)} "
            f"new_articles={self.new_articles} updated_articles={self.updated_articles} "
            f"new_statements={self.new_statements} seconds={self.seconds:.1f}"
        )
