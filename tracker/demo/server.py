"""A small static HTTP server on 127.0.0.1 for the demo and the benchmarks.

It answers conditional GETs (ETag, Last-Modified) like a well-behaved
publisher, so a second ingest over it costs one 304 per feed.
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .corpus import DemoFeed, article_path, feed_path, render_feed, render_page

FEED_TYPES = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}
HTML_TYPE = "text/html; charset=utf-8"
LAST_MODIFIED = email.utils.formatdate(1746057600, usegmt=True)  # fixed: the corpus never changes


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: without this, 40 ms of delayed ACK each

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?", 1)[0]
        routes = self.server.routes
        route = routes(path) if callable(routes) else routes.get(path)
        if route is None:
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        content_type, body = route
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", LAST_MODIFIED)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: the ingest logs what matters
        pass


Routes = Mapping[str, tuple[str, bytes]] | Callable[[str], tuple[str, bytes] | None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    routes: Routes

    def handle_error(self, request: object, client_address: object) -> None:
        """A client hanging up a kept-alive connection is not worth a traceback on the console."""


class StaticServer:
    """Serves routes (a mapping, or a function of the path) from 127.0.0.1 on a free port, in a background thread."""

    def __init__(self, routes: Routes | None = None, host: str = "127.0.0.1", port: int = 0):
        self._server = _Server((host, port), _Handler)
        self._server.routes = routes if callable(routes) else dict(routes or {})
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-http", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def set_routes(self, routes: Routes) -> None:
        self._server.routes = routes if callable(routes) else dict(routes)

    def __enter__(self) -> StaticServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def corpus_routes(feeds: list[DemoFeed], base: str) -> dict[str, tuple[str, bytes]]:
    """Every feed and article page of the corpus, keyed by URL path."""
    routes: dict[str, tuple[str, bytes]] = {}
    for feed in feeds:
        routes[feed_path(feed)] = (FEED_TYPES.get(feed.format, FEED_TYPES["rss"]), render_feed(feed, base))
        for article in feed.articles:
            routes[article_path(feed, article)] = (HTML_TYPE, render_page(feed, article))
    return routes
