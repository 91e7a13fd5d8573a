"""The HTTP stage against a real server on loopback."""

from __future__ import annotations

import pytest

from tracker.errors import BodyTooLargeError, FetchError
from tracker.fetch import Fetcher, parse_retry_after

from .httpserver import Reply


def test_conditional_get_answers_304_with_etag_and_last_modified(server, options):
    server.routes["/feed.xml"] = Reply(body=b"<rss/>")
    with Fetcher(options) as fetcher:
        first = fetcher.get(server.url("/feed.xml"), max_bytes=1000)
        again = fetcher.get(server.url("/feed.xml"), max_bytes=1000, etag=first.etag)
        by_date = fetcher.get(server.url("/feed.xml"), max_bytes=1000, last_modified=first.last_modified)
    assert first.status == 200 and first.body == b"<rss/>" and first.etag
    assert again.not_modified and again.body == b""
    assert by_date.not_modified
    assert server.requests[1].headers["if-none-match"] == first.etag


def test_sends_a_clear_user_agent(server, options):
    server.routes["/x"] = Reply(body=b"ok")
    with Fetcher(options) as fetcher:
        fetcher.get(server.url("/x"), max_bytes=100)
    assert server.requests[0].headers["user-agent"].startswith("tracker/")


def test_http_error_raises_with_status(server, options):
    server.routes["/broken"] = Reply(status=500, body=b"oops")
    with Fetcher(options) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get(server.url("/broken"), max_bytes=1000)
    assert caught.value.status == 500
    assert "HTTP 500" in str(caught.value)


def test_permanent_redirect_chain_reports_the_new_url(server, options):
    server.routes["/old"] = Reply(status=301, headers={"Location": "/older"})
    server.routes["/older"] = Reply(status=308, headers={"Location": "/new"})
    server.routes["/new"] = Reply(body=b"here")
    with Fetcher(options) as fetcher:
        result = fetcher.get(server.url("/old"), max_bytes=100)
    assert result.body == b"here"
    assert result.url == server.url("/new")
    assert result.permanent_url == server.url("/new")


def test_temporary_redirect_does_not_move_the_feed(server, options):
    server.routes["/old"] = Reply(status=301, headers={"Location": "/mid"})
    server.routes["/mid"] = Reply(status=302, headers={"Location": "/new"})
    server.routes["/new"] = Reply(body=b"here")
    with Fetcher(options) as fetcher:
        result = fetcher.get(server.url("/old"), max_bytes=100)
    assert result.body == b"here" and result.permanent_url is None


def test_redirect_loop_and_too_many_redirects_fail(server, options):
    server.routes["/a"] = Reply(status=302, headers={"Location": "/b"})
    server.routes["/b"] = Reply(status=302, headers={"Location": "/a"})
    for i in range(10):
        server.routes[f"/hop{i}"] = Reply(status=302, headers={"Location": f"/hop{i + 1}"})
    with Fetcher(options.replace(max_redirects=3)) as fetcher:
        with pytest.raises(FetchError, match="redirect loop"):
            fetcher.get(server.url("/a"), max_bytes=100)
        with pytest.raises(FetchError, match="more than 3 redirects"):
            fetcher.get(server.url("/hop0"), max_bytes=100)


def test_oversize_body_is_refused_by_content_length_and_while_streaming(server, options):
    server.routes["/declared"] = Reply(body=b"x" * 5000)
    server.routes["/streamed"] = Reply(body=b"x" * 5000, length=False)
    with Fetcher(options) as fetcher:
        with pytest.raises(BodyTooLargeError):
            fetcher.get(server.url("/declared"), max_bytes=1000)
        with pytest.raises(BodyTooLargeError):
            fetcher.get(server.url("/streamed"), max_bytes=1000)
        assert len(fetcher.get(server.url("/streamed"), max_bytes=5000).body) == 5000


def test_gzip_body_is_capped_on_its_decoded_size(server, options):
    server.routes["/bomb"] = Reply(body=b"\0" * 5_000_000, gzip=True)  # ~5 KB on the wire
    server.routes["/small"] = Reply(body=b"hello " * 100, gzip=True)
    with Fetcher(options) as fetcher:
        with pytest.raises(BodyTooLargeError):
            fetcher.get(server.url("/bomb"), max_bytes=100_000)
        assert fetcher.get(server.url("/small"), max_bytes=100_000).body == b"hello " * 100


def test_slow_server_times_out(server, options):
    server.routes["/slow"] = Reply(body=b"late", delay=2.5)  # read timeout is 1 s
    server.routes["/stall"] = Reply(body=b"x" * 1000, stall_after=10, stall_seconds=2.5)
    with Fetcher(options) as fetcher:
        with pytest.raises(FetchError, match="timed out"):
            fetcher.get(server.url("/slow"), max_bytes=1000)
        with pytest.raises(FetchError, match="timed out"):
            fetcher.get(server.url("/stall"), max_bytes=1000)


def test_unreachable_host_is_a_fetch_error(options):
    with Fetcher(options) as fetcher, pytest.raises(FetchError):
        fetcher.get("http://127.0.0.1:9/nothing", max_bytes=100)


def test_retry_after_parsing():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("not a date") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
