"""A synthetic corpus for the benchmarks, built from the paragraphs of the bundled sample and gold
articles and from the quotes of the labelled corpus, attributed to officials of the registry.

Articles are drawn paragraph by paragraph (seeded), so they read like wire copy and hold
quotes, reported speech and analysts in realistic proportions, at any scale. The wire
paragraphs alone (about 260 with a quote) would repeat every statement many times and flatter
a scorer that scores a repeated text once; with the labelled quotes the pool holds some 2,800
distinct quoted paragraphs. Pages are rendered on demand from the article's seed, so serving
10,000 articles holds no corpus in memory.
"""

from __future__ import annotations

import json
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
from tracker.extract.registry import load_registry
from tracker.paths import extraction_gold_dir
from tracker.score.corpus import corpus_path

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
        quoted = [p for p in paragraphs if _QUOTE.search(p)] + labelled_quotes()
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


_ATTRIBUTIONS = (
    '"{text}" {name} said on {day}.',
    '{name} told reporters on {day}: "{text}"',
    '"{text}" {name}, the {role}, said in a statement.',
)
# The corpus's first two rounds only, so that the benchmark's texts stay the same as the training
# data grows (the third round, 1,300 more quotes, would change every figure and its pool).
BENCHMARK_SOURCES = ("part-", "extra-")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def labelled_quotes() -> list[str]:
    """The labelled corpus's quotes as wire paragraphs, each attributed to an official of its country."""
    by_country: dict[str, list] = {}
    for official in load_registry(()).officials.values():
        by_country.setdefault(official.country, []).append(official)
    paragraphs = []
    with open(corpus_path(), encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            row = json.loads(line)
            officials = by_country.get(row.get("country", ""))
            if row.get("form") != "quote" or not officials or not row.get("source", "").startswith(BENCHMARK_SOURCES):
                continue
            official = officials[number % len(officials)]
            role = official.role_at(None)
            paragraphs.append(_ATTRIBUTIONS[number % len(_ATTRIBUTIONS)].format(
                text=row["text"], name=official.name, day=_DAYS[number % len(_DAYS)],
                role=role.role if role else "official",
            ))
    return paragraphs
