"""Stage 5: the SQLite store, through sqlite-utils.

The store takes and returns the dataclasses of `tracker.models`; it never sees
feedparser, httpx or spaCy objects. Each article is written with its statements
and scores in one transaction, so a crash never leaves half an article behind.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

import sqlite_utils

from ..errors import LockedError, StoreError
from ..logs import redact, with_credentials
from ..models import (
    Article,
    FeedOutcome,
    FeedSpec,
    FeedState,
    FetchResult,
    RunSummary,
    Score,
    ScoredStatement,
    iso_utc,
    utc_now,
)
from . import dedup
from .schema import LATEST_VERSION, MIGRATIONS


def _now() -> str:
    return iso_utc(utc_now())


@dataclass(frozen=True)
class Backoff:
    """After `after` failures in a row, a feed is tried every 2nd, 4th, then 7th night, not every night."""

    after: int = 3
    longest_days: int = 7

    def delay(self, failures: int) -> timedelta | None:
        if failures < self.after:
            return None
        nights = min(self.longest_days, 2 ** (failures - self.after + 1))
        return timedelta(days=nights) - timedelta(hours=1)  # an hour early, so the nightly run at that hour picks it


@dataclass(frozen=True)
class KnownEntry:
    article_id: int
    entry_hash: str
    page_error: str | None
    page_attempts: int


class Store:
    """A tracker database: open it with Store.open(path), which migrates it."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None = None):
        self.db = db
        self.path = path

    # -- opening ---------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, migrate: bool = True) -> Store:
        """Open (creating folders as needed) and migrate a database file; StoreError says why not."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the folder of {path}: {e.strerror or e}") from e
        if path.exists() and not os.access(path, os.W_OK):
            raise StoreError(f"database {path} is not writable")
        if not os.access(path.parent, os.W_OK):
            raise StoreError(f"folder {path.parent} is not writable (database {path})")
        try:
            conn = sqlite3.connect(str(path), timeout=30)
            db = sqlite_utils.Database(conn)
            db.execute("PRAGMA foreign_keys = ON")
            db.enable_wal()
            # No fsync per commit (docs/design.md, 5): a crash of the process loses nothing, a
            # power cut rolls back to an earlier commit, and the next run redoes what it lost.
            db.execute("PRAGMA synchronous = NORMAL")
            store = cls(db, path)
            if migrate:
                store.migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"cannot open database {path}: {e}") from e
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> list[int]:
        """Apply every migration newer than the file's version, each in its own transaction."""
        current = self.schema_version
        if current > LATEST_VERSION:
            raise StoreError(
                f"database schema version {current} is newer than this tracker knows ({LATEST_VERSION}); upgrade tracker"
            )
        applied = []
        for migration in MIGRATIONS:
            if migration.version <= current:
                continue
            with self.db.atomic():
                self.db.executescript(migration.sql)
                self.db.execute(
                    "CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)"
                )
                self.db["migrations"].insert({"version": migration.version, "name": migration.name, "applied": _now()})
                self.db.execute(f"PRAGMA user_version = {int(migration.version)}")
            applied.append(migration.version)
        return applied

    # -- feeds -----------------------------------------------------------

    def sync_feeds(self, specs: Iterable[FeedSpec]) -> list[FeedState]:
        """Make the feeds table match feeds.yaml; return the listed feeds in file order.

        A feed keeps its HTTP state and its redirected URL while the URL in the file
        stays the same; editing the URL in the file starts it afresh (and re-enables it).
        Feeds no longer listed are kept, marked inactive, so their articles stay.
        Credentials in a URL stay in feeds.yaml: the database holds the URL without them,
        and the states returned carry them again for fetching.
        """
        specs = list(specs)
        now = _now()
        with self.db.atomic():
            self.db.execute("UPDATE feeds SET active = 0")
            for spec in specs:
                url = redact(spec.url)
                row = self._feed_row_by_name(spec.name)
                if row is None:
                    self.db["feeds"].insert(
                        {"name": spec.name, "kind": spec.kind, "config_url": url, "url": url, "active": 1, "created": now}
                    )
                elif row["config_url"] != url:
                    self.db["feeds"].update(
                        row["id"],
                        {
                            "kind": spec.kind, "config_url": url, "url": url, "active": 1, "etag": None,
                            "last_modified": None, "disabled": 0, "disabled_reason": None, "consecutive_failures": 0,
                            "next_check": None,
                        },
                    )
                else:
                    self.db["feeds"].update(row["id"], {"kind": spec.kind, "active": 1})
        states = []
        for spec in specs:
            state = self.feed_state(spec.name)
            states.append(dataclasses.replace(state, url=with_credentials(state.url, spec.url)))
        return states

    def _feed_row_by_name(self, name: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM feeds WHERE name = ?", [name]))
        return rows[0] if rows else None

    def feed_state(self, name: str) -> FeedState:
        row = self._feed_row_by_name(name)
        if row is None:
            raise StoreError(f"no feed named {name!r} in the database")
        return FeedState(
            id=row["id"],
            name=row["name"],
            url=row["url"],
            kind=row["kind"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            disabled=bool(row["disabled"]),
            disabled_reason=row["disabled_reason"],
            consecutive_failures=row["consecutive_failures"],
            next_check=row["next_check"],
        )

    def record_feed_success(self, feed: FeedState, fetched: FetchResult) -> None:
        """A feed answered 200 (every entry now stored) or 304: keep its cache state."""
        changes: dict[str, Any] = {
            "last_checked": _now(),
            "last_success": _now(),
            "last_status": fetched.status,
            "consecutive_failures": 0,
            "next_check": None,
        }
        if not fetched.not_modified:
            changes.update(etag=fetched.etag, last_modified=fetched.last_modified)
        if fetched.permanent_url:
            changes["url"] = redact(fetched.permanent_url)
        self.db["feeds"].update(feed.id, changes)

    def record_feed_failure(
        self, feed: FeedState, error: str, status: int | None, *, disable: bool = False,
        retry_after: float | None = None, backoff: Backoff | None = None,
    ) -> str | None:
        """Count a failure; set when the feed is next worth trying. Returns that time, if any."""
        now = utc_now()
        error = redact(error)
        failures = feed.consecutive_failures + 1
        delay = backoff.delay(failures) if backoff is not None else None
        if retry_after is not None:
            delay = max(delay or timedelta(0), timedelta(seconds=min(retry_after, 7 * 86400)))
        next_check = iso_utc(now + delay) if delay else None
        with self.db.atomic():
            self.db.execute(
                """UPDATE feeds SET last_checked = ?, last_status = ?, last_error = ?, last_error_at = ?,
                   consecutive_failures = consecutive_failures + 1, total_failures = total_failures + 1,
                   next_check = ? WHERE id = ?""",
                [iso_utc(now), status, error, iso_utc(now), next_check, feed.id],
            )
            if disable:
                self.db["feeds"].update(feed.id, {"disabled": 1, "disabled_reason": error})
        return next_check

    # -- articles --------------------------------------------------------

    def known_entries(self, feed_id: int) -> dict[str, KnownEntry]:
        """What the store already holds of a feed, by entry key."""
        return {
            row["key"]: KnownEntry(row["id"], row["entry_hash"], row["page_error"], row["page_attempts"])
            for row in self.db.query(
                "SELECT id, key, entry_hash, page_error, page_attempts FROM articles WHERE feed_id = ?", [feed_id]
            )
        }

    def save_article(self, article: Article, *, extractor: str) -> tuple[bool, int]:
        """Insert or replace an article with its statements and scores, atomically.

        Returns (is_new, statements new to the store). An edited article keeps its
        id; its old statements are replaced. A statement that another report already
        carried (same speaker, near-identical words, within a few days) becomes one
        more source of the stored statement instead of a second statement.
        """
        now = _now()
        values = {
            "feed_id": article.feed_id,
            "key": article.key,
            "url": article.url,
            "title": article.title,
            "author": article.author,
            "published": article.published,
            "summary": article.summary,
            "text": article.text,
            "text_source": article.text_source,
            "page_error": redact(article.page_error) if article.page_error else None,
            "entry_hash": article.entry_hash,
            "extractor": extractor,
            "updated": now,
        }
        new_statements = 0
        with self.db.atomic():
            existing = list(
                self.db.query(
                    "SELECT id, page_attempts FROM articles WHERE feed_id = ? AND key = ?",
                    [article.feed_id, article.key],
                )
            )
            if existing:
                article_id = existing[0]["id"]
                values["page_attempts"] = existing[0]["page_attempts"] + 1
                self.db["articles"].update(article_id, values)
                self._detach_article(article_id)
            else:
                values["first_seen"] = now
                article_id = self._insert("articles", values)
            for scored in article.statements:
                st = scored.statement
                key = dedup.speaker_key(st.official_id, st.speaker)
                statement_id = self._same_statement(key, st.text, article.published)
                if statement_id is None:
                    statement_id = self._insert_statement(article_id, article.published, key, scored, now)
                    new_statements += 1
                self._insert(
                    "statement_sources",
                    {
                        "statement_id": statement_id,
                        "article_id": article_id,
                        "span_start": st.start,
                        "span_end": st.end,
                        "text": st.text,
                    },
                    or_ignore=True,
                )
        return not existing, new_statements

    def _insert_statement(self, article_id: int, published: str, key: str, scored: ScoredStatement, now: str) -> int:
        st, sc = scored.statement, scored.score
        statement_id = self._insert(
            "statements",
            {
                "article_id": article_id,
                "speaker": st.speaker,
                "official_id": st.official_id,
                "official": int(st.official),
                "role": st.role,
                "country": st.country,
                "kind": st.kind,
                "text": st.text,
                "span_start": st.start,
                "span_end": st.end,
                "speaker_key": key,
                "fingerprint": dedup.fingerprint(st.text),
                "published": published,
            },
        )
        self._insert(
            "scores",
            {
                "statement_id": statement_id,
                "model": sc.model,
                "model_version": sc.model_version,
                "level": sc.level,
                "label": sc.label,
                "escalation": sc.escalation,
                "probs": json.dumps(sc.probs),
                "instruments": json.dumps(sc.instruments),
                "scored": now,
                "current": 1,
            },
        )
        return statement_id

    def _insert(self, table: str, row: dict[str, Any], *, or_ignore: bool = False) -> int:
        """INSERT one row; its rowid. The ingest hot path: a plain statement is ten times cheaper
        than sqlite-utils' insert, which looks up the table and its columns on every call."""
        columns = ", ".join(row)
        marks = ", ".join("?" * len(row))
        verb = "INSERT OR IGNORE" if or_ignore else "INSERT"
        cursor = self.db.execute(f"{verb} INTO {table} ({columns}) VALUES ({marks})", list(row.values()))
        return int(cursor.lastrowid)

    def _same_statement(self, key: str, text: str, published: str) -> int | None:
        """A stored statement by the same speaker with near-identical words, within the window."""
        day = published[:10]
        window = f"{dedup.WINDOW_DAYS} days"
        rows = list(
            self.db.query(
                """SELECT id, text, fingerprint FROM statements
                   WHERE speaker_key = ? AND published BETWEEN date(?, '-' || ?) AND date(?, '+' || ?, '+1 day')
                   ORDER BY published""",
                [key, day, window, day, window],
            )
        )
        wanted = dedup.fingerprint(text)
        for row in rows:
            if row["fingerprint"] == wanted:
                return int(row["id"])
        for row in rows:
            if dedup.near_identical(row["text"], text):
                return int(row["id"])
        return None

    def _detach_article(self, article_id: int) -> None:
        """Before an edited article is written again: drop its sources, and the statements only it carried.

        A statement first seen in this article but also carried by others moves to
        its next earliest source.
        """
        self.db.execute("DELETE FROM statement_sources WHERE article_id = ?", [article_id])
        for row in list(self.db.query("SELECT id FROM statements WHERE article_id = ?", [article_id])):
            other = list(
                self.db.query(
                    """SELECT ss.article_id, ss.span_start, ss.span_end, ss.text, a.published
                       FROM statement_sources ss JOIN articles a ON a.id = ss.article_id
                       WHERE ss.statement_id = ? ORDER BY a.published, ss.article_id LIMIT 1""",
                    [row["id"]],
                )
            )
            if other:
                o = other[0]
                self.db["statements"].update(
                    row["id"],
                    {
                        "article_id": o["article_id"],
                        "span_start": o["span_start"],
                        "span_end": o["span_end"],
                        "text": o["text"],
                        "published": o["published"],
                    },
                )
            else:
                self.db.execute("DELETE FROM statements WHERE id = ?", [row["id"]])

    def sync_officials(self, officials: Iterable[Any]) -> int:
        """Mirror the officials registry into the `officials` table (the latest role in the flat columns)."""
        count = 0
        with self.db.atomic():
            for official in officials:
                roles = sorted(official.roles, key=lambda r: r.start or date.min)
                latest = roles[-1] if roles else None
                self.db["officials"].upsert(
                    {
                        "id": official.id,
                        "name": official.name,
                        "aliases": json.dumps(list(official.aliases)),
                        "role": latest.role if latest else None,
                        "organisation": latest.organisation if latest else None,
                        "country": official.country,
                        "tenure_start": latest.start.isoformat() if latest and latest.start else None,
                        "tenure_end": latest.end.isoformat() if latest and latest.end else None,
                        "roles": json.dumps(
                            [
                                {
                                    "role": r.role,
                                    "organisation": r.organisation,
                                    "start": r.start.isoformat() if r.start else None,
                                    "end": r.end.isoformat() if r.end else None,
                                }
                                for r in roles
                            ]
                        ),
                    },
                    pk="id",
                )
                count += 1
        return count

    # -- scores ----------------------------------------------------------

    def statements_to_score(self, model: str, version: str, limit: int, after_id: int = 0) -> list[tuple[int, str]]:
        """Statements whose current score is not by (model, version), by id, after `after_id`."""
        rows = self.db.query(
            """SELECT st.id, st.text FROM statements st
               LEFT JOIN scores sc ON sc.statement_id = st.id AND sc.current = 1
               WHERE st.id > ? AND (sc.id IS NULL OR sc.model != ? OR sc.model_version != ?)
               ORDER BY st.id LIMIT ?""",
            [after_id, model, version, limit],
        )
        return [(int(r["id"]), r["text"]) for r in rows]

    def replace_scores(self, scored: list[tuple[int, Score]]) -> None:
        """Make these the current scores (older ones stay, no longer current), in one transaction."""
        now = _now()
        with self.db.atomic():
            for statement_id, sc in scored:
                self.db.execute("UPDATE scores SET current = 0 WHERE statement_id = ? AND current = 1", [statement_id])
                self.db["scores"].insert(
                    {
                        "statement_id": statement_id, "model": sc.model, "model_version": sc.model_version,
                        "level": sc.level, "label": sc.label, "escalation": sc.escalation,
                        "probs": json.dumps(sc.probs), "instruments": json.dumps(sc.instruments),
                        "scored": now, "current": 1,
                    }
                )

    # -- runs ------------------------------------------------------------

    def start_run(self) -> int:
        """Record a run as started; runs left 'running' by a killed process become 'interrupted'."""
        with self.db.atomic():
            self.db.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
            return int(self.db["runs"].insert({"started": _now(), "status": "running", "pid": os.getpid()}).last_pk)

    def record_feed_outcome(self, run_id: int, feed_id: int, outcome: FeedOutcome) -> None:
        self.db["run_feeds"].insert(
            {
                "run_id": run_id,
                "feed_id": feed_id,
                "status": outcome.status,
                "http_status": outcome.http_status,
                "error": redact(outcome.error) if outcome.error else None,
                "warning": redact(outcome.warning) if outcome.warning else None,
                "entries": outcome.entries,
                "new_articles": outcome.new_articles,
                "updated_articles": outcome.updated_articles,
                "new_statements": outcome.new_statements,
                "page_errors": outcome.page_errors,
                "seconds": round(outcome.seconds, 3),
            },
            replace=True,
        )

    def finish_run(self, summary: RunSummary) -> None:
        outcomes = summary.outcomes
        self.db["runs"].update(
            summary.run_id,
            {
                "finished": _now(),
                "status": "failed" if summary.failed else "ok",
                "feeds_total": len(outcomes),
                "feeds_ok": sum(o.status == "ok" for o in outcomes),
                "feeds_not_modified": sum(o.status == "not_modified" for o in outcomes),
                "feeds_failed": len(summary.failed),
                "new_articles": summary.new_articles,
                "updated_articles": summary.updated_articles,
                "new_statements": summary.new_statements,
                "seconds": round(summary.seconds, 3),
                "stages": json.dumps(summary.stages),
            },
        )

    # -- reads -----------------------------------------------------------

    def query(self, sql: str, params: Iterable[Any] | dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        return self.db.query(sql, params if isinstance(params, dict) or params is None else list(params))

    def count(self, table: str) -> int:
        return self.db[table].count


class RunLock:
    """An exclusive lock that only one tracker run holds at a time.

    An flock on `<db>.lock`: the kernel releases it when the process dies, so a
    crash never leaves a stale lock behind (unlike a PID file).
    """

    def __init__(self, db_path: Path):
        self.path = Path(str(db_path) + ".lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+")
        except OSError as e:
            blocker = next((p for p in self.path.parents if p.exists() and not p.is_dir()), None)
            reason = f"{blocker} is a file, not a folder" if blocker else (e.strerror or str(e))
            raise StoreError(f"cannot create lock file {self.path}: {reason}") from e
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            handle.close()
            raise LockedError(f"another tracker run holds the lock on {self.path}; try again when it ends") from e
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    @contextmanager
    def held(self) -> Iterator[RunLock]:
        self.acquire()
        try:
            yield self
        finally:
            self.release()
