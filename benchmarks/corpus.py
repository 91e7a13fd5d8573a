"""A synthetic corpus for the benchmarks, built from the paragraphs of the bundled sample and gold articles.

Articles are drawn paragraph by paragraph (seeded), so they read like wire copy and hold
quotes, reported speech and analysts in realistic proportions, at any scale. Pages are
rendered on demand from the article's seed, so serving 10,000 articles holds no corpus
in memory.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cached_property
from html import escape as html_escape
from xml.sax.saxutils import escape

from tracker.demo.corpus import load_corpus
from tracker.evaluate.extraction import load_gold
from tracker.paths import extraction_gold_dir

_QUOTE = re.compile(r"[\"“”]")


@dataclass(frozen=True)
class CorpusShape:
    feeds: int = 10
    articles: int = 100  # in all
    paragraphs: int = 7  # per article
    quoted_share: float = 0.6  # of paragraphs holding a quote
    seed: int = 11


class SyntheticCorpus:
    def __init__(self, shape: CorpusShape):
        self.shape = shape

    @cached_property
    def pools(self) -> tuple[list[str], list[str]]:
        """(paragraphs with a quote mark, paragraphs without), from the sample and the gold set."""
        paragraphs: list[str] = []
        for feed in load_corpus():
            if feed.kind == "news":
                for article in feed.articles:
                    paragraphs += [p.strip() for p in article.body.split("\n\n") if p.strip()]
        for gold in load_gold(extraction_gold_dir()):
            if gold.article.feed_kind == "news":
                paragraphs += [p.strip() for p in gold.article.text.split("\n") if p.strip()]
        quoted = [p for p in paragraphs if _QUOTE.search(p)]
        plain = [p for p in paragraphs if not _QUOTE.search(p)]
        return quoted, plain

    def feed_articles(self, feed: int) -> range:
        per_feed = self.shape.articles // self.shape.feeds
        extra = 1 if feed < self.shape.articles % self.shape.feeds else 0
        start = feed * per_feed + min(feed, self.shape.articles % self.shape.feeds)
        return range(start, start + per_feed + extra)

    def body(self, article: int) -> list[str]:
        rng = random.Random(self.shape.seed * 1_000_003 + article)
        quoted, plain = self.pools
        return [
            rng.choice(quoted) if rng.random() < self.shape.quoted_share else rng.choice(plain)
            for _ in range(self.shape.paragraphs)
        ]

    def published(self, article: int) -> datetime:
        return datetime(2025, 5, 1, tzinfo=UTC) + timedelta(minutes=37 * article)

    def feed_xml(self, feed: int, base: str) -> bytes:
        items = "".join(
            f"<item><title>Synthetic story {a}</title><link>{base}/a/{a}.html</link><guid isPermaLink=\"false\">s-{a}</guid>"
            f"<pubDate>{format_datetime(self.published(a))}</pubDate><description>{escape(self.body(a)[0][:200])}</description></item>"
            for a in self.feed_articles(feed)
        )
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench feed {feed}</title>'
                f"<link>{base}/</link><description>bench</description>{items}</channel></rss>").encode()

    def page(self, article: int) -> bytes:
        paragraphs = "".join(f"<p>{html_escape(p)}</p>" for p in self.body(article))
        return (f"<!DOCTYPE html><html><head><title>Synthetic story {article}</title></head><body>"
                f"<nav><a href='/'>Home</a> <a href='/m'>Markets</a></nav><article><h1>Synthetic story {article}</h1>"
                f"{paragraphs}</article><footer>Bench</footer></body></html>").encode()

    def texts(self) -> list[str]:
        """The article texts, as the extractor sees them, for the nlp.pipe reference."""
        return ["\n".join(self.body(a)) for a in range(self.shape.articles)]
