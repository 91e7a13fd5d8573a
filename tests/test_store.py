"""The SQLite store: migrations, WAL, and one transaction per article."""

from __future__ import annotations

import sqlite3

import pytest

from tracker.errors import StoreError
from tracker.models import Article, FeedSpec, Score, ScoredStatement, Statement
from tracker.store import Store, schema
from tracker.store.schema import LATEST_VERSION, Migration


def _article(feed_id: int, key: str = "guid:1", level: int = 1, n: int = 2) -> Article:
    statements = [
        ScoredStatement(
            Statement(speaker="Katsunobu Kato", kind="direct", text=f"statement {i}", start=0, end=11),
            Score(
                level=level if i == n - 1 else 1,
                label="neutral",
                escalation=0.33,
                probs={"deescalate": 0.1, "neutral": 0.7, "pressure": 0.1, "threat": 0.1},
                instruments=[],
                model="m",
                model_version="1",
            ),
        )
        for i in range(n)
    ]
    return Article(
        feed_id=feed_id,
        key=key,
        title="t",
        url=None,
        published="2025-05-05T00:00:00Z",
        summary="",
        text="statement 0",
        text_source="summary",
        entry_hash="h",
        statements=statements,
    )


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "db" / "t.db") as s:
        yield s


def test_new_database_is_migrated_to_the_latest_version_in_wal_mode(store):
    assert store.schema_version == LATEST_VERSION
    assert [r["version"] for r in store.query("SELECT version FROM migrations")] == list(range(1, LATEST_VERSION + 1))
    assert store.db.journal_mode == "wal"
    assert {"feeds", "articles", "officials", "statements", "scores", "runs", "run_feeds"} <= set(
        store.db.table_names()
    )
    assert "timeline" in store.db.view_names()


def test_reopening_applies_nothing_again(tmp_path):
    path = tmp_path / "t.db"
    Store.open(path).close()
    with Store.open(path) as again:
        assert again.migrate() == []


def test_database_from_a_newer_tracker_is_refused(tmp_path):
    path = tmp_path / "t.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this tracker knows"):
        Store.open(path)


def test_a_failing_migration_leaves_the_database_at_the_previous_version(tmp_path, monkeypatch):
    path = tmp_path / "t.db"
    Store.open(path).close()
    broken = Migration(LATEST_VERSION + 1, "broken", "CREATE TABLE half_done (x INTEGER);\nTHIS IS NOT SQL;")
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + (broken,))
    monkeypatch.setattr("tracker.store.MIGRATIONS", schema.MIGRATIONS + (broken,))
    monkeypatch.setattr("tracker.store.LATEST_VERSION", LATEST_VERSION + 1)
    with pytest.raises(StoreError):
        Store.open(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0


def test_article_is_written_whole_or_not_at_all(store):
    feed = store.sync_feeds([FeedSpec("F", "http://x.invalid/f.xml")])[0]
    with pytest.raises(sqlite3.IntegrityError):
        store.save_article(_article(feed.id, level=9), extractor="x")  # the last score breaks a CHECK
    assert store.count("articles") == store.count("statements") == store.count("scores") == 0

    assert store.save_article(_article(feed.id), extractor="x") == (True, 2)
    with pytest.raises(sqlite3.IntegrityError):
        store.save_article(_article(feed.id, level=9, n=3), extractor="x")  # a failed update keeps the old version
    assert store.count("articles") == 1 and store.count("statements") == 2 and store.count("scores") == 2


def test_edited_feed_url_resets_its_state_and_unlisted_feeds_go_inactive(store):
    feed = store.sync_feeds([FeedSpec("F", "http://x.invalid/a.xml"), FeedSpec("G", "http://x.invalid/g.xml")])[0]
    store.db["feeds"].update(feed.id, {"etag": '"e"', "url": "http://x.invalid/moved.xml"})
    same = store.sync_feeds([FeedSpec("F", "http://x.invalid/a.xml")])[0]
    assert same.etag == '"e"' and same.url == "http://x.invalid/moved.xml"
    assert [r["active"] for r in store.query("SELECT active FROM feeds ORDER BY name")] == [1, 0]
    edited = store.sync_feeds([FeedSpec("F", "http://x.invalid/b.xml")])[0]
    assert edited.etag is None and edited.url == "http://x.invalid/b.xml" and edited.id == feed.id


def test_interrupted_runs_are_marked_when_the_next_run_starts(store):
    first = store.start_run()  # never finished: the process was killed
    store.start_run()
    assert next(store.query("SELECT status FROM runs WHERE id = ?", [first]))["status"] == "interrupted"
