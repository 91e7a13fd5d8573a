"""One exception root for the library; only the CLI turns these into one-line errors."""

from __future__ import annotations


class TrackerError(Exception):
    """Root of every error tracker raises on purpose."""


class ConfigError(TrackerError):
    """A configuration file (feeds.yaml, tracker.toml) is missing or invalid."""


class StoreError(TrackerError):
    """The database cannot be opened, migrated or written."""


class LockedError(StoreError):
    """Another tracker process holds the database lock."""


class FetchError(TrackerError):
    """An HTTP fetch failed; the message says why in one line."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class BodyTooLargeError(FetchError):
    """The decoded body grew past the configured cap."""


class FeedParseError(TrackerError):
    """A fetched body is not a usable RSS or Atom feed."""


class QueryError(TrackerError):
    """A read was asked for something that does not exist or is ambiguous."""
