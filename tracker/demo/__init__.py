"""The embedded default: the whole pipeline, offline, over the bundled sample corpus."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..ingest import Progress, ingest
from ..models import RunSummary
from ..options import Options
from .corpus import feed_path, load_corpus
from .server import StaticServer, corpus_routes

DEMO_DB = Path("db/demo.db")


@dataclass(frozen=True)
class DemoResult:
    summary: RunSummary
    db: Path
    feeds_file: Path


def write_feeds_file(path: Path, base_url: str) -> None:
    feeds = load_corpus()
    lines = ["# Written by `tracker demo`: the bundled sample feeds, served from 127.0.0.1.", "feeds:"]
    for feed in feeds:
        lines += [
            f"  - name: {json.dumps(feed.name)}",
            f"    url: {base_url}{feed_path(feed)}",
            f"    kind: {feed.kind}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def demo(options: Options, *, db: Path = DEMO_DB, progress: Progress | None = None) -> DemoResult:
    """Serve the sample corpus on 127.0.0.1, ingest it into a fresh `db`, and return the run's summary.

    The demo database is rebuilt on every run, so the demo always shows the same thing.
    """
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    feeds_file = db.with_name(db.stem + "-feeds.yaml")
    with StaticServer() as server:
        server.set_routes(corpus_routes(load_corpus(), server.base_url))
        write_feeds_file(feeds_file, server.base_url)
        summary = ingest(options.replace(db=db, feeds=feeds_file), progress=progress)
    return DemoResult(summary=summary, db=db, feeds_file=feeds_file)


def demo_digest(store, settings, db: Path) -> tuple[str, Path, Path]:
    """Write the digest of the sample's most telling day (its latest spike, else its latest day) beside the database."""
    from dataclasses import replace

    from ..digest import write_digest

    row = next(store.query("SELECT max(day) AS day FROM spikes"))
    day = row["day"] or next(store.query("SELECT max(day) AS day FROM statements"))["day"]
    if not settings.recipients:
        settings = replace(settings, recipients=("reader@example.org",), sender="tracker-demo@localhost")
    eml, html = db.with_name(db.stem + "-digest.eml"), db.with_name(db.stem + "-digest.html")
    write_digest(store, settings, day, eml=eml, html=html)
    return day, eml, html
