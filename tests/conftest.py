from __future__ import annotations

import html
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tracker.options import Options

from .httpserver import Reply, TestServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as s:
        yield s


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh current directory, so default paths (db/, feeds.yaml) land in tmp."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACKER_CONFIG", raising=False)
    return tmp_path


@pytest.fixture
def options(workdir: Path) -> Options:
    """Options with short timeouts so fault tests run fast."""
    return Options(
        db=workdir / "db" / "tracker.db",
        feeds=workdir / "feeds.yaml",
        connect_timeout=2.0,
        read_timeout=1.0,
        total_timeout=3.0,
        max_feed_bytes=200_000,
        max_page_bytes=200_000,
        extract_workers=0,  # in-process extraction and scoring keep unit tests fast; the CLI tests use the workers
        score_worker=False,
    )


@dataclass
class Item:
    title: str
    path: str | None  # article page path; None: no link
    guid: str | None = None
    summary: str = ""
    pub: str = "Mon, 05 May 2025 06:30:00 GMT"
    author: str | None = None


def rss(items: list[Item], server: TestServer, title: str = "Test Wire") -> bytes:
    parts = []
    for item in items:
        link = f"<link>{escape(server.url(item.path))}</link>" if item.path else ""
        guid = f'<guid isPermaLink="false">{escape(item.guid)}</guid>' if item.guid else ""
        author = f"<author>{escape(item.author)}</author>" if item.author else ""
        pub = f"<pubDate>{item.pub}</pubDate>" if item.pub else ""
        parts.append(
            f"<item><title>{escape(item.title)}</title>{link}{guid}{pub}{author}"
            f"<description>{escape(item.summary)}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>http://example.invalid/</link><description>test</description>{''.join(parts)}</channel></rss>"
    ).encode()


def page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/m'>Markets</a></nav><article><h1>{html.escape(title)}</h1>{body}</article>"
        "<div class='comments'><p>Comment: first!</p></div><footer>Copyright</footer></body></html>"
    ).encode()


def feed_reply(body: bytes, **kwargs: object) -> Reply:
    return Reply(body=body, content_type="application/rss+xml; charset=utf-8", **kwargs)  # type: ignore[arg-type]


def write_feeds(path: Path, feeds: list[tuple[str, str]] | list[tuple[str, str, str]]) -> Path:
    lines = ["feeds:"]
    for feed in feeds:
        name, url, *kind = feed
        lines += [f"  - name: {name}", f"    url: {url}", f"    kind: {kind[0] if kind else 'news'}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


KATO_PARAGRAPHS = [
    "TOKYO, May 5 - Japan's finance minister weighed in on the trade talks on Monday.",
    '"We have no intention of using our holdings as a bargaining chip," Katsunobu Kato said.',
    "Markets were calm after the remarks, traders said.",
    '"The yen moves have been a little rapid lately," said Mina Kurosawa, chief strategist at Harbor Securities.',
]


@pytest.fixture(scope="session", autouse=True)
def escalation_model():
    """The fine-tuned classifier; trained here once (a few minutes) on a fresh clone, as CI does."""
    from tracker.score.model import ensure_model

    return ensure_model()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, escalation_model) -> Path:
    """A demo database built once per test session by the real `tracker demo`."""
    from click.testing import CliRunner

    from tracker.cli import cli

    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.db"
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(cli, ["demo", "--db", str(db)], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.stderr
    return db
