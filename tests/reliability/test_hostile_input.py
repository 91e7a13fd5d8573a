"""Hostile and broken input: each costs its own feed or article a recorded error, never the run."""

from __future__ import annotations

import sqlite3

from ..conftest import Item, feed_reply, page, rss, write_feeds
from ..httpserver import Reply
from .conftest import run_tracker, run_tracker_peak

SECRET = "TOPSECRET-XXE-CONTENT-7731"

BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>'
    + b"<link>http://127.0.0.1:9/x</link><description>&lol9;</description></item></channel></rss>"
)


def _xxe(path: str) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{path}">]>'
        '<rss version="2.0"><channel><title>t</title><item><guid>xxe-1</guid><title>Leak &xxe; here</title>'
        "<description>&xxe;</description></item></channel></rss>"
    ).encode()


def _rows(db, sql, *args):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def test_hostile_feeds_fail_alone_memory_stays_bounded_and_nothing_leaks(server, project, tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    good = [Item("Good story", "/good/1.html", guid="good-1", summary="fine")]
    server.routes["/good/1.html"] = Reply(body=page("Good story", ['"We are calm," Katsunobu Kato said on Friday.']))
    server.routes["/good.xml"] = feed_reply(rss(good, server))
    server.routes["/malformed.xml"] = feed_reply(b"<rss><channel><item><title>broken & <<< ")
    server.routes["/html.xml"] = Reply(body=b"<!DOCTYPE html><html><body><h1>Not a feed</h1></body></html>")
    server.routes["/bomb.xml"] = feed_reply(BOMB)
    server.routes["/xxe.xml"] = feed_reply(_xxe(str(secret_file)))
    server.routes["/gzipbomb.xml"] = feed_reply(b"\0" * 50_000_000, gzip=True)
    server.routes["/huge.xml"] = feed_reply(b"<rss>" + b"A" * 5_000_000, length=False)
    wrong = rss([Item("Caf\u00e9 cr\u00e8me tariffs", "/good/1.html", guid="enc-1")], server).replace(b"utf-8", b"ascii")
    server.routes["/wrong-encoding.xml"] = feed_reply(wrong.decode().encode("latin-1"))  # latin-1 bytes, declared ascii and utf-8
    server.routes["/no-charset.xml"] = Reply(body=rss([Item("Plain title", "/good/1.html", guid="nc-1")], server).replace(b' encoding="utf-8"', b""),
                                             content_type="application/xml")
    server.routes["/loop-a.xml"] = Reply(status=302, headers={"Location": "/loop-b.xml"})
    server.routes["/loop-b.xml"] = Reply(status=302, headers={"Location": "/loop-a.xml"})
    server.routes["/stall.xml"] = feed_reply(rss(good, server), stall_after=50, stall_seconds=8)
    server.routes["/busy.xml"] = Reply(status=429, body=b"slow down", headers={"Retry-After": "7200"})
    bare = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Bare</title>'
            b"<item><title>No guid, no link, no date</title><description>Only text.</description></item>"
            b"<item><description>Nothing but a description</description></item></channel></rss>")
    server.routes["/bare.xml"] = feed_reply(bare)
    server.routes["/big/1.html"] = Reply(body=b"<html><body><p>" + b"word " * 4_200_000 + b"</p></body></html>")
    server.routes["/bigpage.xml"] = feed_reply(rss([Item("Big page", "/big/1.html", guid="big-1", summary='"Short," Katsunobu Kato said.')], server))
    scripted = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>S</title><item><guid>s-1</guid>'
                b"<title>&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;Bold&lt;/b&gt; headline</title>"
                b"<description>&lt;img src=x onerror=alert(2)&gt;Summary</description></item></channel></rss>")
    server.routes["/scripted.xml"] = feed_reply(scripted)
    names = ["good", "malformed", "html", "bomb", "xxe", "gzipbomb", "huge", "wrong-encoding", "no-charset", "loop-a",
             "stall", "busy", "bare", "bigpage", "scripted"]
    write_feeds(project / "feeds.yaml", [(n, server.url(f"/{n}.xml")) for n in names])

    result, peak_mb = run_tracker_peak("ingest", cwd=project)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1 and "feeds failed" in result.stderr.splitlines()[-1]
    assert peak_mb < 1500, f"peak RSS {peak_mb:.0f} MB"

    db = project / "db" / "tracker.db"
    outcome = {name: (status, error or warning) for name, status, error, warning in _rows(
        db, "SELECT f.name, r.status, r.error, r.warning FROM run_feeds r JOIN feeds f ON f.id = r.feed_id")}
    failed = {name for name, (status, _) in outcome.items() if status == "failed"}
    assert failed == {"html", "gzipbomb", "huge", "loop-a", "stall", "busy"}
    # broken XML whose entries feedparser recovered: stored, and the problem recorded
    assert outcome["malformed"][0] == "ok" and "recovered from a problem" in outcome["malformed"][1]
    assert outcome["bomb"][1] and "recovered" in outcome["bomb"][1]
    assert "over the cap" in outcome["gzipbomb"][1] and "over the cap" in outcome["huge"][1]
    assert "redirect loop" in outcome["loop-a"][1] and "timed out" in outcome["stall"][1]
    assert "HTTP 429" in outcome["busy"][1] and "next try after" in outcome["busy"][1]
    assert outcome["good"][0] == outcome["bomb"][0] == outcome["xxe"][0] == outcome["bare"][0] == "ok"

    titles = [t for (t,) in _rows(db, "SELECT title FROM articles")]
    assert "Good story" in titles and "Plain title" in titles and "No guid, no link, no date" in titles
    assert any("Caf" in t and "tariffs" in t for t in titles)
    assert all(len(t) < 1000 for t in titles)  # the entity bomb was never expanded
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert SECRET not in dump  # the external entity was never read
    scripted_title = _rows(db, "SELECT title, summary FROM articles WHERE key LIKE 'guid:%s-1'")[0]
    assert scripted_title[0] == "Bold headline" and scripted_title[1] == "Summary"  # tags and script contents dropped
    big = _rows(db, "SELECT text_source, page_error, text FROM articles WHERE key = 'guid:big-1'")[0]
    assert big[0] == "summary" and "over the cap" in big[1] and big[2].startswith('"Short,"')

    # the 429 is honoured: the next run leaves that feed alone
    server.requests.clear()
    again = run_tracker("ingest", cwd=project)
    assert "/busy.xml" not in server.paths_requested()
    status = _rows(db, "SELECT r.status FROM run_feeds r JOIN feeds f ON f.id = r.feed_id WHERE f.name = 'busy' "
                       "AND r.run_id = (SELECT max(id) FROM runs)")[0][0]
    assert status == "skipped" and again.returncode == 1  # the other broken feeds still fail
