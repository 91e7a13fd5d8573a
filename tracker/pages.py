"""Stage 3: an article page becomes its main text, through trafilatura (comments off)."""

from __future__ import annotations

import logging

import trafilatura

log = logging.getLogger(__name__)


def _same_words(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def main_text(page: bytes | str, *, url: str | None = None, title: str | None = None) -> str | None:
    """The article's main text, paragraphs one per line; None when trafilatura finds none.

    A first line that only repeats the headline is dropped: statements are taken
    from the body, and the headline is stored apart.
    """
    try:
        text = trafilatura.extract(page, url=url, include_comments=False, include_tables=False)
    except Exception as e:  # trafilatura on hostile HTML must cost one article, not the run
        log.warning("page_text_failed url=%s error=%s", url, f"{type(e).__name__}: {e}")
        return None
    if not text or not text.strip():
        return None
    lines = text.strip().split("\n")
    if title and len(lines) > 1 and _same_words(lines[0], title):
        lines = lines[1:]
    return "\n".join(lines).strip() or None
