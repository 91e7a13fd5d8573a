"""Feed health and backoff, the doctor, online backups, input validation and secrets, with real processes."""

from __future__ import annotations

import json
import sqlite3

from ..conftest import KATO_PARAGRAPHS, Item, feed_reply, page, rss, write_feeds
from ..httpserver import Reply
from .conftest import run_tracker, start_tracker, wait_for


def _good_feed(server, path="/a.xml", pages=1, delay=0.0):
    items = []
    for i in range(pages):
        server.routes[f"{path}-{i}.html"] = Reply(body=page(f"Story {i}", KATO_PARAGRAPHS + [f"Day {i}."]), delay=delay)
        items.append(Item(f"Story {i}", f"{path}-{i}.html", guid=f"{path}-{i}"))
    server.routes[path] = feed_reply(rss(items, server))
    return server.url(path)


def test_a_failing_feed_is_backed_off_and_shown_by_tracker_feeds(server, project):
    server.routes["/down.xml"] = Reply(status=503, body=b"down")
    write_feeds(project / "feeds.yaml", [("Down", server.url("/down.xml")), ("Up", _good_feed(server))])
    for _ in range(3):
        assert run_tracker("ingest", cwd=project).returncode == 1
    db = project / "db" / "tracker.db"
    feeds = {row["name"]: row for row in map(json.loads, run_tracker("feeds", "--format", "json", cwd=project).stdout.splitlines())}
    assert feeds["Down"]["state"] == "backing off" and feeds["Down"]["errors_in_a_row"] == 3
    assert "HTTP 503" in feeds["Down"]["last_error"] and feeds["Down"]["next_check"] > "2000"
    assert feeds["Up"]["state"] == "ok" and feeds["Up"]["last_success"]
    server.requests.clear()
    fourth = run_tracker("ingest", cwd=project)
    assert fourth.returncode == 0, fourth.stderr  # the backed-off feed is skipped, not failed again
    assert "/down.xml" not in server.paths_requested() and "status=skipped" in fourth.stderr
    with sqlite3.connect(db) as conn:  # time passes: the next check is due
        conn.execute("UPDATE feeds SET next_check = '2000-01-01T00:00:00Z' WHERE name = 'Down'")
    server.routes["/down.xml"] = feed_reply(rss([], server))
    assert run_tracker("ingest", cwd=project).returncode == 0
    feeds = {r["name"]: r for r in map(json.loads, run_tracker("feeds", "--format", "json", cwd=project).stdout.splitlines())}
    assert feeds["Down"]["state"] == "ok" and feeds["Down"]["errors_in_a_row"] == 0


def test_doctor_checks_for_monitoring(server, project):
    write_feeds(project / "feeds.yaml", [("Up", _good_feed(server))])
    missing = run_tracker("doctor", cwd=project)
    assert missing.returncode == 1 and "no database" in missing.stdout
    assert run_tracker("ingest", cwd=project).returncode == 0
    healthy = run_tracker("doctor", cwd=project)
    assert healthy.returncode == 0, healthy.stdout
    assert "ok   integrity" in healthy.stdout and "ok   schema" in healthy.stdout
    with sqlite3.connect(project / "db" / "tracker.db") as conn:
        conn.execute("UPDATE runs SET finished = '2025-01-01T00:00:00Z'")
    stale = run_tracker("doctor", "--max-age-hours", "24", cwd=project)
    assert stale.returncode == 1 and "FAIL last run" in stale.stdout


def test_backup_is_consistent_while_ingest_writes(server, project, tmp_path):
    write_feeds(project / "feeds.yaml", [("Slow", _good_feed(server, pages=8, delay=0.4))])
    ingest = start_tracker("ingest", cwd=project)
    try:
        wait_for(lambda: sum(p.startswith("/a.xml-") for p in server.paths_requested()) >= 3, what="ingest under way")
        copies = []
        for n in range(3):
            copy = tmp_path / f"backup-{n}.db"
            result = run_tracker("backup", str(copy), cwd=project, timeout=120)
            assert result.returncode == 0, result.stderr
            copies.append(copy)
    finally:
        assert ingest.wait(timeout=300) == 0
    for copy in copies:
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            orphans = conn.execute("SELECT count(*) FROM statements s LEFT JOIN articles a ON a.id = s.article_id WHERE a.id IS NULL").fetchone()[0]
            assert orphans == 0


def test_bad_configuration_is_refused_at_start_with_file_line_and_reason(project):
    cases = {
        "feeds:\n  - name: A\n    ulr: https://x.org/a\n": "feeds.yaml:3: unknown feed key 'ulr' (did you mean 'url'?)",
        "feeds:\n  - name: A\n": "feeds.yaml:2: feed 'A' has no 'url'",
        "feeds:\n  - name: A\n    url: file:///etc/passwd\n": "feeds.yaml:3: feed 'A': URL must start with http:// or https://",
        "feeds:\n  - name: A\n    url: http://x.org/a\n  - name: A\n    url: http://x.org/b\n": "feeds.yaml:4: duplicate feed name 'A'",
    }
    for text, message in cases.items():
        (project / "feeds.yaml").write_text(text)
        result = run_tracker("ingest", cwd=project)
        assert result.returncode == 2 and result.stderr.strip().splitlines()[-1] == f"tracker: error: {message}" or message in result.stderr
        assert "Traceback" not in result.stderr
    (project / "feeds.yaml").write_text("feeds:\n  - name: A\n    url: http://127.0.0.1:9/a\n")
    (project / "ro").mkdir()
    (project / "ro" / "file").write_text("x")
    unwritable = run_tracker("ingest", "--db", "ro/file/tracker.db", cwd=project)
    last = unwritable.stderr.strip().splitlines()[-1]
    assert unwritable.returncode == 4 and last == "tracker: error: cannot create lock file ro/file/tracker.db.lock: ro/file is a file, not a folder"
    assert "Traceback" not in unwritable.stderr


def test_no_secret_reaches_a_log_or_the_database(server, project):
    write_feeds(project / "feeds.yaml", [("Private", _good_feed(server).replace("http://", "http://reader:hunter2-pass@"))])
    server.routes["/down.xml"] = Reply(status=500, body=b"no")
    with open(project / "feeds.yaml", "a") as handle:
        handle.write(f"  - name: Private down\n    url: {server.url('/down.xml').replace('http://', 'http://reader:hunter2-pass@')}\n")
    result = run_tracker("ingest", "--digest", cwd=project, TRACKER_SMTP_HOST="127.0.0.1", TRACKER_SMTP_PORT="9",
                         TRACKER_SMTP_SECURITY="none", TRACKER_SMTP_USER="u", TRACKER_SMTP_PASSWORD="smtp-Pa55word",
                         TRACKER_DIGEST_TO="a@x.example")
    assert result.returncode == 1
    assert server.requests[0].headers.get("authorization", "").startswith("Basic ")  # the credentials were used
    db = project / "db" / "tracker.db"
    dump = "\n".join(sqlite3.connect(db).iterdump())
    logs = (project / "db" / "tracker.log").read_text()
    for secret in ("hunter2-pass", "smtp-Pa55word"):
        assert secret not in dump and secret not in logs and secret not in result.stderr
    assert "***@" in dump and "digest" in logs
