"""Syndicated copies: the same statement reported by several outlets is stored once, with its sources."""

from __future__ import annotations

import sqlite3

from tracker.ingest import ingest
from tracker.store.dedup import near_identical

from .conftest import Item, feed_reply, page, rss, write_feeds
from .httpserver import Reply

QUOTE_A = '"We will not sell our Treasury holdings as a bargaining chip, and we have said so many times," Katsunobu Kato said.'
QUOTE_B = (
    "“We will not sell our Treasury holdings as a bargaining chip and we have said so many times,” Kato told reporters."
)


def _serve(server, path, title, paragraphs, guid):
    server.routes[f"/{path}.html"] = Reply(body=page(title, paragraphs))
    server.routes[f"/{path}.xml"] = feed_reply(rss([Item(title, f"/{path}.html", guid=guid)], server))


def _rows(db, sql, *params):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_the_same_statement_from_two_outlets_is_one_statement_with_two_sources(server, options):
    _serve(
        server,
        "a",
        "Kato on holdings",
        ["TOKYO, May 9 - Japan spoke.", QUOTE_A, '"Short one," Katsunobu Kato said.'],
        "a1",
    )
    _serve(
        server,
        "b",
        "Kato rules out sales",
        ["Finance Minister Katsunobu Kato spoke on Friday.", QUOTE_B, '"Short two," Kato said.'],
        "b1",
    )
    write_feeds(options.feeds, [("Wire A", server.url("/a.xml")), ("Wire B", server.url("/b.xml"))])
    summary = ingest(options)
    assert summary.new_statements == 3  # the long quote once, the two short ones apart
    rows = _rows(options.db, "SELECT text, sources FROM timeline WHERE text LIKE 'We will not sell%'")
    assert len(rows) == 1 and rows[0][1] == 2
    assert _rows(options.db, "SELECT count(*) FROM statement_sources")[0][0] == 4

    # feed A edits its story and drops the quote: the statement stays, carried by B alone
    _serve(
        server,
        "a",
        "Kato on holdings (updated)",
        ["TOKYO, May 9 - Japan spoke again.", '"Short one," Katsunobu Kato said.'],
        "a1",
    )
    ingest(options)
    rows = _rows(
        options.db,
        "SELECT t.text, t.sources, t.feed FROM timeline t WHERE t.text LIKE 'We will not sell%'",
    )
    assert rows == [(rows[0][0], 1, "Wire B")]
    assert rows[0][0].startswith("We will not sell our Treasury holdings as a bargaining chip and")


def test_near_identical_means_small_edits_not_different_words():
    long = "We will not sell our Treasury holdings as a bargaining chip, and we have said so many times."
    assert near_identical(long, long.replace(",", "").replace("many", "so many"))
    assert near_identical("“" + long + "”", '"' + long.upper() + '"')
    assert not near_identical("We will respond.", "We will not respond.")
    assert not near_identical("We will impose tariffs of 25 percent on steel from Friday, the minister said.",
                              "We will impose tariffs of 35 percent on steel from Friday, the minister said.")
    assert not near_identical(long, long.replace("We will not", "We will"))
    assert not near_identical(
        long, "We will sell our Treasury holdings as a weapon if the tariffs stay in place this year."
    )
