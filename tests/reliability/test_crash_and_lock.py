"""One run at a time, and a run killed at any moment loses nothing and duplicates nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import pytest

from ..conftest import Item, feed_reply, page, rss, write_feeds
from ..httpserver import Reply
from .conftest import run_tracker, start_tracker, wait_for

ARTICLES = 10


def _serve_slow_feed(server, delay: float) -> None:
    items = []
    for i in range(ARTICLES):
        paragraphs = [
            f"TOKYO, May {i + 1} - Officials spoke on day {i}.",
            f'"We are watching the markets very closely on day {i}," Katsunobu Kato said.',
            f'"Tariffs on day {i} remain a concern for us," said Scott Bessent, the Treasury secretary.',
        ]
        server.routes[f"/p/{i}.html"] = Reply(body=page(f"Story {i}", paragraphs), delay=delay)
        items.append(Item(f"Story {i}", f"/p/{i}.html", guid=f"g{i}", pub=f"Mon, {i + 1:02d} Jun 2025 06:00:00 GMT"))
    server.routes["/f.xml"] = feed_reply(rss(items, server))


def _pages_requested(server) -> int:
    return sum(path.startswith("/p/") for path in server.paths_requested())


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as handle:
                children.setdefault(int(handle.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except OSError:
        return False


def _check_store(db) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == ARTICLES
        per_article = conn.execute(
            "SELECT a.key, count(s.statement_id) FROM articles a LEFT JOIN statement_sources s ON s.article_id = a.id GROUP BY a.id"
        ).fetchall()
        assert all(n == 2 for _, n in per_article), per_article  # whole articles only: both quotes, once
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT speaker, text, count(*) AS n FROM statements GROUP BY speaker, text HAVING n > 1)"
        ).fetchone()[0]
        assert duplicates == 0
        assert conn.execute("SELECT count(*) FROM statements s LEFT JOIN scores c ON c.statement_id = s.id AND c.current = 1 "
                            "WHERE c.id IS NULL").fetchone()[0] == 0


def test_a_second_run_exits_at_once_while_one_runs(server, project):
    _serve_slow_feed(server, delay=0.5)
    write_feeds(project / "feeds.yaml", [("Slow", server.url("/f.xml"))])
    first = start_tracker("ingest", cwd=project)
    try:
        wait_for(lambda: _pages_requested(server) >= 1, what="the first run to fetch pages")
        started = time.monotonic()
        second = run_tracker("ingest", cwd=project, timeout=60)
        assert second.returncode == 3
        assert time.monotonic() - started < 15
        assert "another tracker run holds the lock" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        assert first.wait(timeout=300) == 0, first.stderr
    _check_store(project / "db" / "tracker.db")


@pytest.mark.parametrize("kill_after_pages", [0, 3, 7])
def test_a_killed_run_is_completed_by_the_next_without_duplicates(server, project, kill_after_pages):
    _serve_slow_feed(server, delay=0.4)
    write_feeds(project / "feeds.yaml", [("Slow", server.url("/f.xml"))])
    victim = start_tracker("ingest", cwd=project)
    if kill_after_pages == 0:
        wait_for(lambda: "/f.xml" in server.paths_requested(), what="the feed request")
    else:
        wait_for(lambda: _pages_requested(server) >= kill_after_pages, what=f"{kill_after_pages} pages")
    workers = _descendants(victim.pid)
    if kill_after_pages:  # the extraction and scoring workers are running by now
        assert workers, "expected worker processes"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    wait_for(lambda: not any(_alive(pid) for pid in workers), timeout=20, what="the workers to exit with their parent")
    db = project / "db" / "tracker.db"
    with sqlite3.connect(db) as conn:
        stored_before = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert stored_before < ARTICLES
    again = run_tracker("ingest", cwd=project)
    assert again.returncode == 0, again.stderr
    _check_store(db)
    with sqlite3.connect(db) as conn:
        runs = conn.execute("SELECT status FROM runs ORDER BY id").fetchall()
    assert runs == [("interrupted",), ("ok",)]
