"""PLACEHOLDER extractor: a few regular expressions standing behind the extraction seam.

It exists so that the foundation runs end to end before the real spaCy extractor
(issue 3) lands. It finds only direct quotes with a named speaker next to a
speech verb, and splits speech-feed bodies into sentences. It knows no
officials registry: every speaker it finds is marked non-official.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models import ArticleInput, Statement

_NAME = r"(?P<name>[A-Z][\w.'-]+(?: [A-Z][\w.'-]+){0,3})"
_VERB = r"(?:said|says|told reporters|added|warned|stressed)"
_QUOTE = re.compile(r"[\"“](?P<q>[^\"“”\n]{12,}?)[\"”]")
_AFTER = (
    re.compile(rf"\s*,?\s*{_NAME} {_VERB}\b"),
    re.compile(rf"\s*,?\s*{_VERB} {_NAME}"),
)
_BEFORE = re.compile(rf"{_NAME} {_VERB}:? ?$")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_TURN = re.compile(r"^(?P<label>[A-Z][^:\n]{0,60}):\s*")
_QUESTION_LABELS = ("q", "question", "reporter")


class PlaceholderExtractor:
    name = "placeholder-regex"
    version = "0"

    def extract(self, articles: Sequence[ArticleInput]) -> list[list[Statement]]:
        return [self._one(article) for article in articles]

    def _one(self, article: ArticleInput) -> list[Statement]:
        if article.feed_kind == "speech":
            return self._speech(article)
        found = []
        for match in _QUOTE.finditer(article.text):
            after = next((m for p in _AFTER if (m := p.match(article.text, match.end()))), None)
            before = _BEFORE.search(article.text, max(0, match.start() - 80), match.start())
            hit = after or before
            if hit is None:
                continue
            found.append(
                Statement(
                    speaker=hit.group("name"),
                    kind="direct",
                    text=match.group("q"),
                    start=match.start("q"),
                    end=match.end("q"),
                )
            )
        return found

    def _speech(self, article: ArticleInput) -> list[Statement]:
        speaker = article.author or "unknown speaker"
        found = []
        offset = 0
        for paragraph in article.text.split("\n"):
            start = offset
            offset += len(paragraph) + 1
            turn = _TURN.match(paragraph)
            body_start = start
            if turn:
                if turn.group("label").strip().lower().split(" ")[0] in _QUESTION_LABELS:
                    continue
                body_start = start + turn.end()
            for sentence in _SENTENCE.finditer(article.text, body_start, start + len(paragraph)):
                text = sentence.group().strip()
                if len(text.split()) < 3:
                    continue
                begin = sentence.start() + (len(sentence.group()) - len(sentence.group().lstrip()))
                found.append(Statement(speaker=speaker, kind="speech", text=text, start=begin, end=begin + len(text)))
        return found
