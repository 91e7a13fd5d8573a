"""Stage 1: HTTP GET with every limit a nightly job needs.

feedparser's own fetcher has no timeout and no size cap, so tracker fetches with
httpx and hands feedparser the bytes. Redirects are followed by hand so that a
chain of permanent redirects can update the stored feed URL, and the body is
decoded here (gzip/deflate only) so that the decoded size is capped while it
streams: a gzip bomb stops at the cap, not at the end of memory.
"""

from __future__ import annotations

import email.utils
import time
import zlib
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from .errors import BodyTooLargeError, FetchError
from .models import FetchResult
from .options import Options

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT_REDIRECTS = (301, 308)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class _Decoder:
    """Content-Encoding decoder that never produces more than it is allowed to."""

    def __init__(self, encoding: str):
        encoding = encoding.strip().lower()
        self._inflater: zlib._Decompress | None
        if encoding in ("", "identity"):
            self._inflater = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            # 32 + MAX_WBITS: accept a gzip or a zlib header.
            self._inflater = zlib.decompressobj(32 + zlib.MAX_WBITS)
            self._raw_deflate = encoding == "deflate"
        else:
            raise FetchError(f"unsupported Content-Encoding {encoding!r}")

    def decode(self, data: bytes, allowance: int) -> bytes:
        """Decode one chunk; at most allowance + 1 bytes come out, so the caller sees an overflow."""
        if self._inflater is None:
            return data
        try:
            out = self._inflater.decompress(data, allowance + 1)
        except zlib.error as e:
            if self._raw_deflate:  # some servers send deflate without the zlib header
                self._raw_deflate = False
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.decode(data, allowance)
            raise FetchError(f"corrupt compressed body: {e}") from e
        self._raw_deflate = False
        return out

    @property
    def pending(self) -> bool:
        """Whether decoded output is still held back (the cap was reached mid-chunk)."""
        return self._inflater is not None and bool(self._inflater.unconsumed_tail)


class Fetcher:
    """A pooled HTTP client with tracker's limits. Thread-safe; use as a context manager."""

    def __init__(self, options: Options):
        self.options = options
        self._client = httpx.Client(
            headers={"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(
                connect=options.connect_timeout,
                read=options.read_timeout,
                write=options.read_timeout,
                pool=options.connect_timeout,
            ),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max(4, options.page_workers * 2)),
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: str = PAGE_ACCEPT,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        """GET url, following at most max_redirects redirects, body capped at max_bytes decoded.

        Returns a FetchResult for 2xx and 304; raises FetchError (with .status) otherwise.
        """
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = time.monotonic() + self.options.total_timeout
        current = url
        permanent = True
        seen = {url}
        for _hop in range(self.options.max_redirects + 1):
            try:
                with self._client.stream("GET", current, headers=headers) as response:
                    if response.status_code in REDIRECTS:
                        location = response.headers.get("Location")
                        if not location:
                            raise FetchError(
                                f"HTTP {response.status_code} redirect without Location", status=response.status_code
                            )
                        target = urljoin(current, location.strip())
                        if urlsplit(target).scheme not in ("http", "https"):
                            raise FetchError(f"redirect to a non-http(s) URL: {target}", status=response.status_code)
                        if target in seen:
                            raise FetchError(f"redirect loop at {target}", status=response.status_code)
                        seen.add(target)
                        permanent = permanent and response.status_code in PERMANENT_REDIRECTS
                        current = target
                        continue
                    return self._finish(url, current, permanent and current != url, response, max_bytes, deadline)
            except FetchError:
                raise
            except httpx.TimeoutException as e:
                raise FetchError(f"timed out ({type(e).__name__}) fetching {current}") from e
            except httpx.HTTPError as e:
                raise FetchError(f"{type(e).__name__}: {e} ({current})") from e
        raise FetchError(f"more than {self.options.max_redirects} redirects starting at {url}")

    def _finish(
        self,
        requested: str,
        url: str,
        permanent: bool,
        response: httpx.Response,
        max_bytes: int,
        deadline: float,
    ) -> FetchResult:
        status = response.status_code
        headers = response.headers
        common = dict(
            requested_url=requested,
            url=url,
            status=status,
            content_type=headers.get("Content-Type"),
            etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
            permanent_url=url if permanent else None,
        )
        if status == 304:
            return FetchResult(**common)
        if status >= 400 or status < 200:
            raise FetchError(
                f"HTTP {status} {response.reason_phrase}".strip() + f" ({url})",
                status=status,
                retry_after=parse_retry_after(headers.get("Retry-After")),
            )
        declared = headers.get("Content-Length")
        encoding = headers.get("Content-Encoding", "")
        if declared and declared.isdigit() and not encoding and int(declared) > max_bytes:
            raise BodyTooLargeError(
                f"body of {int(declared)} bytes is over the cap of {max_bytes} ({url})", status=status
            )
        decoder = _Decoder(encoding)
        chunks: list[bytes] = []
        size = 0
        for raw in response.iter_raw():
            data = decoder.decode(raw, max_bytes - size)
            size += len(data)
            if size > max_bytes or decoder.pending:
                raise BodyTooLargeError(f"body over the cap of {max_bytes} bytes ({url})", status=status)
            chunks.append(data)
            if time.monotonic() > deadline:
                raise FetchError(
                    f"timed out: body not complete after {self.options.total_timeout:g}s ({url})", status=status
                )
        return FetchResult(body=b"".join(chunks), **common)
