"""The nightly ingest end to end: real HTTP server on loopback, real SQLite file."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from tracker.ingest import ingest
from tracker.store import Store
from tracker.timeline import TIMELINE_COLUMNS

from .conftest import KATO_PARAGRAPHS, Item, feed_reply, page, rss, write_feeds
from .httpserver import Reply


def _rows(db, sql, *params):
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params)]


def _two_article_feed(server, **reply):
    server.routes["/a/1.html"] = Reply(body=page("Kato on holdings", KATO_PARAGRAPHS))
    server.routes["/a/2.html"] = Reply(
        body=page("Second story", ['"We will respond with countermeasures of our own," Scott Bessent said.'])
    )
    items = [
        Item("Kato on holdings", "/a/1.html", guid="a-1", summary="Kato spoke."),
        Item("Second story", "/a/2.html", guid="a-2", summary="Bessent spoke."),
    ]
    server.routes["/a.xml"] = feed_reply(rss(items, server), **reply)
    return items


def test_ingest_stores_articles_statements_and_scores(server, options):
    _two_article_feed(server)
    write_feeds(options.feeds, [("Wire A", server.url("/a.xml"))])
    summary = ingest(options)
    assert summary.failed == [] and summary.new_articles == 2
    articles = _rows(options.db, "SELECT * FROM articles ORDER BY key")
    assert [a["title"] for a in articles] == ["Kato on holdings", "Second story"]
    assert articles[0]["text_source"] == "page"
    assert "Comment: first!" not in articles[0]["text"]  # comments off
    assert articles[0]["published"] == "2025-05-05T06:30:00Z"
    speakers = {r["speaker"] for r in _rows(options.db, "SELECT speaker FROM timeline")}
    assert "Katsunobu Kato" in speakers
    run = _rows(options.db, "SELECT * FROM runs")[0]
    assert run["status"] == "ok" and run["new_articles"] == 2 and run["finished"]


def test_timeline_view_has_the_contract_columns(server, options):
    _two_article_feed(server)
    write_feeds(options.feeds, [("Wire A", server.url("/a.xml"))])
    ingest(options)
    with sqlite3.connect(options.db) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(timeline)")]
        row = conn.execute("SELECT day, official, instruments FROM timeline LIMIT 1").fetchone()
    assert set(TIMELINE_COLUMNS) <= set(columns)
    assert row[0] == "2025-05-05" and row[1] in (0, 1) and row[2].startswith("[")


def test_second_ingest_stores_nothing_and_fetches_no_page_again(server, options):
    _two_article_feed(server)
    write_feeds(options.feeds, [("Wire A", server.url("/a.xml"))])
    ingest(options)
    counts = [Store.open(options.db).count(t) for t in ("articles", "statements", "scores")]
    server.requests.clear()
    second = ingest(options)
    assert server.paths_requested() == ["/a.xml"]
    assert server.requests[0].headers.get("if-none-match")  # conditional GET
    assert second.outcomes[0].status == "not_modified"
    assert second.new_articles == second.updated_articles == second.new_statements == 0
    assert [Store.open(options.db).count(t) for t in ("articles", "statements", "scores")] == counts


def test_unchanged_feed_without_http_caching_fetches_no_page_again(server, options):
    _two_article_feed(server, conditional=False)
    write_feeds(options.feeds, [("Wire A", server.url("/a.xml"))])
    ingest(options)
    server.requests.clear()
    second = ingest(options)
    assert server.paths_requested() == ["/a.xml"]
    assert second.outcomes[0].status == "ok" and second.new_articles == 0


def test_edited_entry_is_updated_not_duplicated(server, options):
    items = _two_article_feed(server)
    write_feeds(options.feeds, [("Wire A", server.url("/a.xml"))])
    ingest(options)
    first_id = _rows(options.db, "SELECT id FROM articles WHERE key = 'guid:a-2'")[0]["id"]
    items[1].title = "Second story (updated)"
    server.routes["/a/2.html"] = Reply(
        body=page("Second story (updated)", ['"We are ready to talk," Scott Bessent said on Tuesday.'])
    )
    server.routes["/a.xml"] = feed_reply(rss(items, server))
    summary = ingest(options)
    assert summary.new_articles == 0 and summary.updated_articles == 1
    rows = _rows(options.db, "SELECT id, title FROM articles WHERE key = 'guid:a-2'")
    assert rows == [{"id": first_id, "title": "Second story (updated)"}]
    texts = [r["text"] for r in _rows(options.db, "SELECT text FROM timeline WHERE article_id = ?", first_id)]
    assert texts == ["We are ready to talk,"]
    assert (
        _rows(options.db, "SELECT count(*) AS n FROM scores")[0]["n"]
        == _rows(options.db, "SELECT count(*) AS n FROM statements")[0]["n"]
    )


def test_bad_feeds_fail_alone_and_good_feeds_are_stored(server, options):
    _two_article_feed(server)
    server.routes["/500.xml"] = Reply(status=500, body=b"boom")
    server.routes["/malformed.xml"] = feed_reply(b"this is <<< not a feed at all")
    server.routes["/html.xml"] = Reply(body=b"<!DOCTYPE html><html><body><p>Hello</p></body></html>")
    server.routes["/slow.xml"] = feed_reply(rss([], server), delay=2.5)
    server.routes["/huge.xml"] = feed_reply(b"<rss>" + b"x" * 300_000 + b"</rss>")
    write_feeds(
        options.feeds,
        [
            ("Broken", server.url("/500.xml")),
            ("Malformed", server.url("/malformed.xml")),
            ("Html", server.url("/html.xml")),
            ("Wire A", server.url("/a.xml")),
            ("Slow", server.url("/slow.xml")),
            ("Huge", server.url("/huge.xml")),
        ],
    )
    summary = ingest(options)
    by_feed = {o.feed: o for o in summary.outcomes}
    assert by_feed["Wire A"].status == "ok" and by_feed["Wire A"].new_articles == 2
    assert {name for name, o in by_feed.items() if o.status == "failed"} == {
        "Broken",
        "Malformed",
        "Html",
        "Slow",
        "Huge",
    }
    assert "HTTP 500" in by_feed["Broken"].error
    assert "malformed feed" in by_feed["Malformed"].error
    assert "HTML page" in by_feed["Html"].error
    assert "timed out" in by_feed["Slow"].error
    assert "over the cap" in by_feed["Huge"].error
    feeds = {f["name"]: f for f in _rows(options.db, "SELECT * FROM feeds")}
    assert feeds["Broken"]["consecutive_failures"] == 1 and "HTTP 500" in feeds["Broken"]["last_error"]
    run_feeds = _rows(options.db, "SELECT f.name, r.status, r.error FROM run_feeds r JOIN feeds f ON f.id = r.feed_id")
    assert sum(r["status"] == "failed" for r in run_feeds) == 5
    assert _rows(options.db, "SELECT status, feeds_failed FROM runs") == [{"status": "failed", "feeds_failed": 5}]


def test_permanent_redirect_updates_the_stored_url(server, options):
    _two_article_feed(server)
    server.routes["/moved.xml"] = Reply(status=301, headers={"Location": "/a.xml"})
    write_feeds(options.feeds, [("Wire A", server.url("/moved.xml"))])
    ingest(options)
    assert _rows(options.db, "SELECT url, config_url FROM feeds")[0] == {
        "url": server.url("/a.xml"),
        "config_url": server.url("/moved.xml"),
    }
    server.requests.clear()
    ingest(options)
    assert server.paths_requested() == ["/a.xml"]


def test_gone_feed_is_disabled_until_its_url_changes(server, options):
    _two_article_feed(server)
    server.routes["/gone.xml"] = Reply(status=410, body=b"gone")
    write_feeds(options.feeds, [("Gone", server.url("/gone.xml"))])
    first = ingest(options)
    assert first.outcomes[0].status == "failed" and "410" in first.outcomes[0].error
    server.requests.clear()
    second = ingest(options)
    assert second.outcomes[0].status == "disabled" and second.failed == []
    assert server.requests == []
    write_feeds(options.feeds, [("Gone", server.url("/a.xml"))])
    third = ingest(options)
    assert third.outcomes[0].status == "ok" and third.new_articles == 2


def test_page_failure_falls_back_to_the_summary(server, options):
    server.routes["/p/ok.html"] = Reply(status=404, body=b"missing")
    items = [
        Item("No page", "/p/ok.html", guid="x1", summary='"We will not back down," Scott Bessent said.'),
        Item("No link", None, guid="x2", summary="Summary only."),
    ]
    server.routes["/f.xml"] = feed_reply(rss(items, server))
    write_feeds(options.feeds, [("F", server.url("/f.xml"))])
    summary = ingest(options)
    assert summary.failed == [] and summary.outcomes[0].page_errors == 2
    rows = _rows(options.db, "SELECT title, text, text_source, page_error FROM articles ORDER BY key")
    assert rows[0]["text_source"] == "summary" and rows[0]["text"].startswith('"We will not back down')
    assert "HTTP 404" in rows[0]["page_error"]
    assert rows[1]["page_error"] == "entry has no link"


def test_entries_without_guid_link_or_date_get_stable_keys(server, options):
    items = [Item("Only a title", None, guid=None, summary="s", pub="")]
    server.routes["/f.xml"] = feed_reply(rss(items, server), conditional=False)
    write_feeds(options.feeds, [("F", server.url("/f.xml"))])
    ingest(options)
    again = ingest(options)
    keys = [r["key"] for r in _rows(options.db, "SELECT key FROM articles")]
    assert len(keys) == 1 and keys[0].startswith("hash:")
    assert again.new_articles == 0


def test_speech_feed_attributes_the_body_to_the_author(server, options):
    server.routes["/s/1.html"] = Reply(
        body=page(
            "Press conference",
            [
                "Q: Will you sell Treasuries?",
                "Minister Kato: We are watching markets closely. Talks continue next week.",
            ],
        )
    )
    items = [Item("Press conference", "/s/1.html", guid="s1", author="kato@mof.example (Katsunobu Kato)")]
    server.routes["/s.xml"] = feed_reply(rss(items, server))
    write_feeds(options.feeds, [("Pressers", server.url("/s.xml"), "speech")])
    ingest(options)
    rows = _rows(options.db, "SELECT speaker, kind, text FROM timeline")
    assert rows and all(r["kind"] == "speech" for r in rows)
    assert not any("sell Treasuries" in r["text"] for r in rows)


_REMARKS = [
    "We will respond to these tariffs with measures of our own",
    "Talks with Beijing were constructive and will continue next week",
    "Our export controls on chips are not up for negotiation",
    "The dollar's strength reflects a strong economy",
    "If they dump Treasuries, they will hurt themselves first",
    "We welcome the extension of the truce on rare earths",
    "Sanctions on the two banks take effect on Friday",
    "Nobody wins a currency war, and we will not start one",
    "The deficit must come down before the midterms",
    "Every option remains on the table regarding soybeans",
    "I spoke with my counterpart twice this morning",
    "Duties on steel will double unless the plants close",
    "The framework agreement is a good basis for a deal",
    "We are studying restrictions on outbound investment",
    "Markets have handled the volatility well so far",
]


def _feed_of_five(server, name: str, marker: str = "") -> None:
    items = []
    for i in range(5):
        path = f"/{name}/{i}.html"
        text = f'"{_REMARKS[(ord(name) - ord("a")) * 5 + i]}," Scott Bessent said.'
        server.routes[path] = Reply(body=page(f"{name} story {i}", [text + (marker if i == 3 else "")]))
        items.append(Item(f"{name} story {i}", path, guid=f"{name}-{i}"))
    server.routes[f"/{name}.xml"] = feed_reply(rss(items, server, title=name))


class _FailsOnMarker:
    """The real extractor, except that a batch holding the marker raises, as a bug in a parser would."""

    def __init__(self, marker: str):
        from tracker.extract import load_extractor

        self.real = load_extractor()
        self.name, self.version, self.marker = self.real.name, self.real.version, marker

    def extract(self, articles):
        if any(self.marker in a.text for a in articles):
            raise RuntimeError("parser bug")
        return self.real.extract(articles)


def test_chunks_of_several_feeds_share_the_pipeline_and_each_feed_is_accounted_for(server, options):
    options = replace(options, batch_size=2)  # five articles: three chunks per feed, in flight across feeds
    for name in ("a", "b", "c"):
        _feed_of_five(server, name)
    write_feeds(options.feeds, [(name.upper(), server.url(f"/{name}.xml")) for name in ("a", "b", "c")])
    summary = ingest(options)
    assert [(o.feed, o.status, o.new_articles, o.new_statements) for o in summary.outcomes] == [
        ("A", "ok", 5, 5), ("B", "ok", 5, 5), ("C", "ok", 5, 5)
    ]
    rows = _rows(options.db, "SELECT a.key, count(s.id) AS n FROM articles a LEFT JOIN statements s ON s.article_id = a.id GROUP BY a.id")
    assert len(rows) == 15 and all(r["n"] == 1 for r in rows)
    assert all(r["etag"] for r in _rows(options.db, "SELECT etag FROM feeds"))  # stored once every chunk was
    again = ingest(options)
    assert [o.status for o in again.outcomes] == ["not_modified"] * 3


def test_a_failing_chunk_fails_its_feed_only_and_the_next_run_completes_it(server, options):
    options = replace(options, batch_size=2)
    for name in ("a", "c"):
        _feed_of_five(server, name)
    _feed_of_five(server, "b", marker=" BOOM")
    write_feeds(options.feeds, [(name.upper(), server.url(f"/{name}.xml")) for name in ("a", "b", "c")])
    summary = ingest(options, extractor=_FailsOnMarker("BOOM"))
    by_feed = {o.feed: o for o in summary.outcomes}
    assert by_feed["A"].status == by_feed["C"].status == "ok"
    assert by_feed["A"].new_articles == by_feed["C"].new_articles == 5
    assert by_feed["B"].status == "failed" and "parser bug" in (by_feed["B"].error or "")
    assert by_feed["B"].new_articles == 2  # the chunk before the failing one is kept
    assert _rows(options.db, "SELECT etag, consecutive_failures FROM feeds WHERE name = 'B'") == [
        {"etag": None, "consecutive_failures": 1}
    ]
    again = ingest(options)  # the real extractor: feed B is fetched again and completed, nothing doubled
    assert {o.feed: (o.status, o.new_articles) for o in again.outcomes} == {
        "A": ("not_modified", 0), "B": ("ok", 3), "C": ("not_modified", 0)
    }
    assert _rows(options.db, "SELECT count(*) AS n FROM statements")[0]["n"] == 15


def test_a_statement_repeated_by_two_wires_is_scored_once(server, options, caplog):
    quote = '"If Washington goes ahead, we are ready to sell part of our Treasury holdings," Katsunobu Kato said.'
    for name in ("x", "y"):
        server.routes[f"/{name}/1.html"] = Reply(body=page(f"{name} on Kato", [f"TOKYO - Wire {name} reports.", quote]))
        items = [Item(f"{name} on Kato", f"/{name}/1.html", guid=f"{name}-1")]
        server.routes[f"/{name}.xml"] = feed_reply(rss(items, server, title=name))
    write_feeds(options.feeds, [("X", server.url("/x.xml")), ("Y", server.url("/y.xml"))])
    caplog.set_level("INFO", logger="tracker.ingest")
    summary = ingest(options)
    assert summary.new_articles == 2
    assert "statements extracted=2 scored=1" in caplog.text
    rows = _rows(options.db, "SELECT level, instruments FROM timeline")
    assert rows and all(r["level"] == 3 and "treasury_holdings" in r["instruments"] for r in rows)


def test_score_memo_forgets_the_oldest_texts_first():
    from tracker.ingest import ScoreMemo, _Ready

    memo = ScoreMemo(size=2)
    batch = _Ready(["score-a", "score-b", "score-c"])
    for position, text in enumerate("abc"):
        memo.put(text, batch, position)
    assert "a" not in memo and memo.score("a") is None
    assert [memo.score("b"), memo.score("c")] == ["score-b", "score-c"]
