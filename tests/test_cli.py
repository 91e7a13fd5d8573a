"""The command line, through click's runner, on real temporary SQLite files."""

from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner

from tracker.cli import EXIT_FEEDS_FAILED, EXIT_LOCKED, EXIT_STORE, EXIT_USAGE, cli
from tracker.store import RunLock

from .conftest import KATO_PARAGRAPHS, Item, feed_reply, page, rss, write_feeds
from .httpserver import Reply


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def _good_feed(server) -> str:
    server.routes["/a/1.html"] = Reply(body=page("Kato on holdings", KATO_PARAGRAPHS))
    server.routes["/a.xml"] = feed_reply(rss([Item("Kato on holdings", "/a/1.html", guid="a-1")], server))
    return server.url("/a.xml")


def test_ingest_defaults_and_log_lines_under_cron(server, workdir):
    write_feeds(workdir / "feeds.yaml", [("Wire A", _good_feed(server))])
    result = run("ingest")
    assert result.exit_code == 0, result.output
    assert "feed='Wire A' status=ok" in result.stderr
    assert "feeds ok=1 failed=0 new_articles=1" in result.stderr
    assert (workdir / "db" / "tracker.db").exists()
    assert "status=ok" in (workdir / "db" / "tracker.log").read_text()


def test_one_bad_feed_exits_nonzero_with_one_line_and_stores_the_good(server, workdir):
    server.routes["/bad.xml"] = Reply(status=500, body=b"boom")
    feeds = write_feeds(workdir / "f.yaml", [("Broken", server.url("/bad.xml")), ("Wire A", _good_feed(server))])
    result = run("ingest", "--feeds", str(feeds), "--db", str(workdir / "x.db"))
    assert result.exit_code == EXIT_FEEDS_FAILED
    errors = [line for line in result.stderr.splitlines() if line.startswith("tracker: error:")]
    assert len(errors) == 1 and "1 of 2 feeds failed: Broken: HTTP 500" in errors[0]
    assert "Traceback" not in result.output + result.stderr
    with sqlite3.connect(workdir / "x.db") as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def test_invalid_feeds_file_is_a_one_line_usage_error(workdir):
    (workdir / "feeds.yaml").write_text("feeds:\n  - name: A\n    url: gopher://x.org/a\n")
    result = run("ingest")
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.strip().splitlines()[-1].startswith("tracker: error: feeds.yaml:3: feed 'A': URL must start")
    assert not (workdir / "db" / "tracker.db").exists()


def test_database_that_cannot_be_written_is_a_one_line_error(server, workdir):
    write_feeds(workdir / "feeds.yaml", [("Wire A", _good_feed(server))])
    (workdir / "blocker").write_text("a file where a folder should be")
    result = run("ingest", "--db", str(workdir / "blocker" / "tracker.db"))
    assert result.exit_code == EXIT_STORE
    assert "tracker: error:" in result.stderr and "Traceback" not in result.stderr


def test_second_run_while_one_holds_the_lock_exits_at_once(server, workdir):
    write_feeds(workdir / "feeds.yaml", [("Wire A", _good_feed(server))])
    lock = RunLock(workdir / "db" / "tracker.db")
    with lock.held():
        result = run("ingest")
    assert result.exit_code == EXIT_LOCKED
    assert "another tracker run holds the lock" in result.stderr
    assert run("ingest").exit_code == 0  # released


def test_config_file_sets_options_and_cli_wins(server, workdir):
    write_feeds(workdir / "other.yaml", [("Wire A", _good_feed(server))])
    (workdir / "tracker.toml").write_text('[tracker]\nfeeds = "other.yaml"\ndb = "db/from-config.db"\n')
    assert run("ingest").exit_code == 0
    assert (workdir / "db" / "from-config.db").exists()
    assert run("ingest", "--db", str(workdir / "cli.db")).exit_code == 0
    assert (workdir / "cli.db").exists()
    (workdir / "tracker.toml").write_text("[tracker]\ntimeuot = 3\n")
    bad = run("ingest")
    assert bad.exit_code == EXIT_USAGE and "unknown option 'timeuot'" in bad.stderr


def test_extract_gives_contract_objects_whose_spans_match_the_input(workdir):
    text = "\n".join(KATO_PARAGRAPHS)
    articles = [{"id": "k1", "text": text}, {"text": "No quotes here at all."}]
    result = run("extract", input="\n".join(json.dumps(a) for a in articles) + "\n")
    assert result.exit_code == 0, result.stderr
    statements = [json.loads(line) for line in result.stdout.splitlines()]
    assert statements, "expected statements"
    for s in statements:
        assert list(s) == [
            "article_id",
            "speaker",
            "official_id",
            "official",
            "role",
            "country",
            "kind",
            "text",
            "start",
            "end",
        ]
        assert s["article_id"] == "k1"
        assert text[s["start"] : s["end"]] == s["text"]


def test_extract_reports_the_bad_line(workdir):
    result = run("extract", input='{"text": "fine"}\nnot json\n')
    assert result.exit_code == EXIT_USAGE
    assert "<stdin>:2: not valid JSON" in result.stderr


def test_score_adds_the_score_fields(workdir):
    lines = [{"text": "We will respond with countermeasures.", "keep": 1}, {"text": "Talks resume next week."}]
    result = run("score", input="\n".join(json.dumps(x) for x in lines))
    assert result.exit_code == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0]["keep"] == 1 and out[0]["text"] == lines[0]["text"]
    for obj in out:
        assert obj["level"] in (0, 1, 2, 3) and 0 <= obj["escalation"] <= 1
        assert set(obj["probs"]) == {"deescalate", "neutral", "pressure", "threat"}
        assert isinstance(obj["instruments"], list)
