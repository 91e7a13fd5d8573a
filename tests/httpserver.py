"""A real HTTP server on 127.0.0.1 whose routes tests script: statuses, delays, stalls, redirects.

Every request is recorded, so a test can assert which pages were (not) fetched.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True  # answer If-None-Match / If-Modified-Since with 304
    delay: float = 0.0  # seconds before the response starts
    stall_after: int | None = None  # send this many body bytes, then go silent for stall_seconds
    stall_seconds: float = 0.0
    length: bool = True  # send Content-Length; False: close-delimited body
    gzip: bool = False


Route = Reply | Callable[[BaseHTTPRequestHandler], Reply]


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: without this, 40 ms of delayed ACK each

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = self.server.routes.get(self.path)
        if route is None:
            reply = Reply(status=404, body=b"not found")
        elif callable(route):
            reply = route(self)
        else:
            reply = route
        if reply.delay:
            time.sleep(reply.delay)
        body = gzip.compress(reply.body) if reply.gzip else reply.body
        etag = '"' + hashlib.sha1(reply.body).hexdigest()[:12] + '"'
        last_modified = email.utils.formatdate(1_700_000_000 + int(etag[1:-1], 16) % 10_000_000, usegmt=True)
        if_none_match = self.headers.get("If-None-Match")
        fresh = if_none_match == etag if if_none_match else self.headers.get("If-Modified-Since") == last_modified
        if reply.status == 200 and reply.conditional and fresh:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        if reply.status == 200 and reply.conditional:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
        if reply.gzip:
            self.send_header("Content-Encoding", "gzip")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            if reply.stall_after is not None:
                self.wfile.write(body[: reply.stall_after])
                self.wfile.flush()
                time.sleep(reply.stall_seconds)
                self.wfile.write(body[reply.stall_after :])
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]
    requests: list[Request]

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up (timeouts, caps) are part of the tests, not errors to print."""


class TestServer:
    """Use as a context manager; `url(path)` gives the absolute URL of a route."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.routes = {}
        self._server.requests = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def routes(self) -> dict[str, Route]:
        return self._server.routes

    @property
    def requests(self) -> list[Request]:
        return self._server.requests

    def paths_requested(self) -> list[str]:
        return [r.path for r in self.requests]

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def __enter__(self) -> TestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
