"""Pipeline component `tracker_speech`: speeches, remarks and press-conference transcripts.

In a speech item the body is the speaker's own words. The speaker is named by a
transcript's turn labels ("Minister Kato:"), else by the item's author, else by
its title ("Remarks by Treasury Secretary Scott Bessent at ..."). Every sentence
of the speaker's turns is a statement; reporters' questions are dropped.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from ..models import Statement
from .people import People, Person, strip_titles
from .quotes import split_paragraphs

if not Doc.has_extension("article"):
    Doc.set_extension("article", default=None)
if not Doc.has_extension("statements"):
    Doc.set_extension("statements", default=None)

TURN = re.compile(r"(?P<label>[A-Z][\w.'’\-]*(?:[ \t]+[\w.'’\-()&]+){0,6}?)[ \t]*:[ \t]+(?=\S)")
QUESTION_LABELS = re.compile(
    r"^(q|q\d+|question|questions|reporter|reporters|journalist|press|audience|moderator|host|operator|"
    r"participant|unidentified|unknown|interviewer|anchor|mc|master of ceremonies|chair of the session)\b",
    re.I,
)
STAGE_DIRECTION = re.compile(r"[(\[][^)\]]{1,40}[)\]]\.?")  # (Applause), [Laughter]
NAME_IN_TITLE = re.compile(
    r"\b(?:by|from|with)\s+(?P<who>[A-Z][^,:;|]+?)(?:\s+(?:at|on|to|before|in|during)\b|[,:;|]|$)"
)


class SpeechAttributor:
    def __init__(self, doc: Doc, people: People):
        self.doc = doc
        self.people = people
        article = doc._.article
        self.default: Person | None = None
        self.default = self._item_speaker(article.author if article else None, article.title if article else None)

    def _resolve(self, text: str, at: int = 10**9) -> Person | None:
        name = strip_titles(text.strip())
        if not name:
            return None
        person = self.people.person_named(name, at)
        # a surname label such as "Kato" once the item named the speaker in full
        same_surname = self.default is not None and name.split()[-1].casefold() == self.default.surname.casefold()
        return self.default if person is None and same_surname else person

    def _item_speaker(self, author: str | None, title: str | None) -> Person | None:
        if author:
            cleaned = re.sub(r"\S+@\S+", "", author)
            cleaned = re.sub(r"[()]", " ", cleaned).strip()
            person = self._resolve(cleaned)
            if person is not None:
                return person
            words = cleaned.split()
            if 2 <= len(words) <= 4 and all(w[0].isupper() for w in words) and not _looks_institutional(cleaned):
                return self.people.add(cleaned, 0, 0, subject=True)
        if title:
            for surface, official in self.people.registry.names_and_aliases():
                if len(surface.split()) >= 2 and surface in title:
                    return self.people.person_named(official.name, 0)
            match = NAME_IN_TITLE.search(title)
            if match:
                who = match.group("who").strip()
                person = self._resolve(who)
                if person is not None:
                    return person
                name = strip_titles(who)
                if 2 <= len(name.split()) <= 4 and not _looks_institutional(name):
                    return self.people.add(
                        who, 0, 0, subject=True, role_text=who[: len(who) - len(name)].strip() or None
                    )
        return None

    def statements(self) -> list[Statement]:
        found: list[Statement] = []
        text = self.doc.text
        current = self.default
        for paragraph in split_paragraphs(text):
            body_start = paragraph.start
            turn = TURN.match(text, paragraph.start, paragraph.end)
            if turn is not None:
                label = turn.group("label")
                if QUESTION_LABELS.match(label):
                    current = None
                    continue
                current = self._resolve(label, paragraph.start)
                body_start = turn.end()
            if current is None:
                continue
            described = self.people.describe(current)
            body = self.doc.char_span(body_start, paragraph.end, alignment_mode="expand")
            if body is None:
                continue
            for sentence in body.sents:
                start = max(sentence.start_char, body_start)
                end = min(sentence.end_char, paragraph.end)
                while start < end and text[start].isspace():
                    start += 1
                while end > start and text[end - 1].isspace():
                    end -= 1
                if not re.search(r"[A-Za-z]{2}", text[start:end]) or STAGE_DIRECTION.fullmatch(text[start:end]):
                    continue
                found.append(described.statement("speech", text, start, end))
        return found


def _looks_institutional(text: str) -> bool:
    return bool(
        re.search(
            r"\b(ministry|department|office|bank|commission|council|government|agency|bureau|"
            r"staff|desk|team|press|news|reserve|treasury|house)\b",
            text,
            re.I,
        )
    )


@Language.component("tracker_speech")
def speech_statements(doc: Doc) -> Doc:
    """Sets doc._.statements for speech items; news items pass through untouched."""
    article = doc._.article
    if article is not None and article.feed_kind == "speech":
        doc._.statements = SpeechAttributor(doc, doc._.people).statements()
    return doc
