"""The bundled sample corpus: YAML files of feeds and articles, rendered as RSS, Atom and HTML.

See corpus/README.md for what the corpus holds. Rendering lives here so that
the demo server and the benchmarks serve the very same bytes.
"""

from __future__ import annotations

import email.utils
import html
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import yaml


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    title: str
    published: datetime
    summary: str
    body: str
    guid: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class DemoFeed:
    slug: str
    name: str
    kind: str
    format: str
    description: str
    articles: tuple[DemoArticle, ...]


def _parse_time(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def load_feed(path: Path) -> DemoFeed:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    feed = data["feed"]
    articles = tuple(
        DemoArticle(
            slug=a["slug"],
            title=a["title"],
            published=_parse_time(a["published"]),
            summary=a.get("summary", ""),
            body=a["body"].strip(),
            guid=a.get("guid"),
            author=a.get("author"),
        )
        for a in data["articles"]
    )
    return DemoFeed(
        slug=feed["slug"],
        name=feed["name"],
        kind=feed.get("kind", "news"),
        format=feed.get("format", "rss"),
        description=feed.get("description", ""),
        articles=articles,
    )


def corpus_dir() -> Path:
    return Path(str(resources.files("tracker.demo") / "corpus"))


def load_corpus(folder: Path | None = None) -> list[DemoFeed]:
    folder = folder or corpus_dir()
    return [load_feed(path) for path in sorted(folder.glob("*.yaml"))]


def article_path(feed: DemoFeed, article: DemoArticle) -> str:
    return f"/{feed.slug}/{article.slug}.html"


def feed_path(feed: DemoFeed) -> str:
    return f"/feeds/{feed.slug}.xml"


def render_feed(feed: DemoFeed, base: str) -> bytes:
    """The feed as RSS 2.0 or Atom 1.0, newest entry first."""
    articles = sorted(feed.articles, key=lambda a: a.published, reverse=True)
    x = xml_escape
    if feed.format == "atom":
        updated = articles[0].published.isoformat() if articles else "2025-01-01T00:00:00+00:00"
        items = []
        for a in articles:
            link = base + article_path(feed, a)
            author = f"<author><name>{x(a.author)}</name></author>" if a.author else ""
            ident = f"<id>{x(a.guid)}</id>" if a.guid else ""
            items.append(
                f'<entry><title type="text">{x(a.title)}</title><link rel="alternate" href="{x(link)}"/>{ident}'
                f"<published>{a.published.isoformat()}</published><updated>{a.published.isoformat()}</updated>"
                f'{author}<summary type="text">{x(a.summary)}</summary></entry>'
            )
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{x(feed.name)}</title><subtitle>{x(feed.description)}</subtitle>"
            f'<link rel="self" href="{x(base + feed_path(feed))}"/><id>{x(base + feed_path(feed))}</id>'
            f"<updated>{updated}</updated>{''.join(items)}</feed>\n"
        )
    else:
        items = []
        for a in articles:
            link = base + article_path(feed, a)
            guid = f'<guid isPermaLink="false">{x(a.guid)}</guid>' if a.guid else ""
            author = f"<dc:creator>{x(a.author)}</dc:creator>" if a.author else ""
            items.append(
                f"<item><title>{x(a.title)}</title><link>{x(link)}</link>{guid}"
                f"<pubDate>{email.utils.format_datetime(a.published)}</pubDate>{author}"
                f"<description>{x(a.summary)}</description></item>"
            )
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>{x(feed.name)}</title><link>{x(base)}/</link><description>{x(feed.description)}</description>"
            f"{''.join(items)}</channel></rss>\n"
        )
    return body.encode("utf-8")


def render_page(feed: DemoFeed, article: DemoArticle) -> bytes:
    """An article page with the clutter of a real site around the text: menus, related links, comments."""
    e = html.escape
    paragraphs = "\n".join(f"<p>{e(p.strip())}</p>" for p in article.body.split("\n\n") if p.strip())
    byline = f'<p class="byline">By {e(article.author)}</p>' if article.author else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(article.title)} | {e(feed.name)}</title></head>
<body>
<header><nav><a href="/">Home</a> | <a href="/markets">Markets</a> | <a href="/policy">Policy</a> | <a href="/subscribe">Subscribe</a></nav></header>
<main><article>
<h1>{e(article.title)}</h1>
{byline}
<time datetime="{article.published.isoformat()}">{article.published.strftime("%d %B %Y %H:%M UTC")}</time>
{paragraphs}
</article>
<aside class="related"><h2>Related</h2><ul><li><a href="/markets/asia">Asian markets wrap</a></li><li><a href="/policy/trade">Trade policy tracker</a></li></ul></aside>
<section id="comments" class="comments"><h2>Comments</h2>
<div class="comment"><p>Reader comment: this will move the yen for sure, sell everything now.</p></div>
</section></main>
<footer><p>Sample text written for the tracker demo; not a real report. &copy; {e(feed.name)}</p></footer>
</body></html>
"""
    return page.encode("utf-8")
