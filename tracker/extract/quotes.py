"""Pipeline components `tracker_paragraphs` and `tracker_quotes`.

`tracker_paragraphs` (before the parser) makes every line of the article its own
paragraph and starts a sentence there, so a parse never runs across paragraphs.
`tracker_quotes` finds double-quoted spans character by character: curly and
straight marks, apostrophes left alone, multi-paragraph quotes (a paragraph that
opens a quote and never closes it, followed by one that opens again), and an odd
number of marks (the unmatched one is ignored, never an error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

OPENERS = {"“": "”", "«": "»", "„": "“", '"': '"'}
CLOSERS = {"”", "»", '"'}


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int


@dataclass(frozen=True)
class Quote:
    """The content of one quoted part: [start, end) excludes the quote marks."""

    start: int
    end: int
    paragraph: int
    chain: int  # parts of one multi-paragraph quote share a chain number
    open_at: int  # offset of the opening mark
    close_at: int | None  # offset of the closing mark; None when the quote runs on into the next paragraph

    @property
    def runs_on(self) -> bool:
        return self.close_at is None


for _name, _default in (("paragraphs", None), ("quotes", None)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)


def split_paragraphs(text: str) -> list[Paragraph]:
    """Non-blank lines with their offsets, leading and trailing spaces trimmed."""
    paragraphs, offset = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = offset + (len(line) - len(line.lstrip()))
            paragraphs.append(Paragraph(start, start + len(stripped)))
        offset += len(line) + 1
    return paragraphs


@Language.component("tracker_paragraphs")
def mark_paragraphs(doc: Doc) -> Doc:
    """Record paragraphs and start a sentence at each (the parser keeps preset boundaries)."""
    doc._.paragraphs = split_paragraphs(doc.text)
    after_newline = True
    for token in doc:
        if token.is_space and "\n" in token.text:
            after_newline = True
            continue
        if after_newline and token.i > 0:
            token.is_sent_start = True
        after_newline = False
    return doc


def _is_opening_straight(text: str, i: int) -> bool:
    """A straight mark opens when it follows a space, a bracket or a dash, or starts the paragraph."""
    before = text[i - 1] if i > 0 else " "
    return before.isspace() or before in "([{—–-:/"


def _closes(open_mark: str, ch: str) -> bool:
    if open_mark == '"':
        return ch == '"'
    return ch in ("”", "»", '"') or (open_mark == "„" and ch == "“")


def find_quotes(text: str, paragraphs: list[Paragraph]) -> list[Quote]:
    quotes: list[Quote] = []
    chain = 0
    runs_on = False  # the previous paragraph ended inside a quote
    for number, paragraph in enumerate(paragraphs):
        segment = text[paragraph.start : paragraph.end]
        continues = runs_on and segment[0] in OPENERS
        runs_on = False
        open_at: int | None = None
        open_mark = ""
        for i, ch in enumerate(segment):
            if open_at is None:
                if ch in ("“", "«", "„") or (ch == '"' and _is_opening_straight(segment, i)):
                    open_at, open_mark = i, ch
                elif ch in ("”", '"') and i > 0 and segment[i - 1] in ",.?!" and CUE_AFTER_CLOSE.match(segment, i + 1):
                    # a closing mark whose opening mark was left out: the quote starts with the sentence
                    begin = _sentence_start(segment, i)
                    chain += 1
                    quotes.append(_repaired(text, paragraph.start + begin, paragraph.start + i, number, chain))
                continue
            if _closes(open_mark, ch):
                if not continues:
                    chain += 1
                continues = False
                quotes.append(_quote(text, paragraph.start + open_at, paragraph.start + i, number, chain))
                open_at = None
            elif ch in ("“", "«") and open_mark in ("“", "«"):
                open_at, open_mark = i, ch  # a second opener: the first one was a typo
        if open_at is not None:
            next_opens = number + 1 < len(paragraphs) and text[paragraphs[number + 1].start] in OPENERS
            # ", Bessent said." inside an unclosed quote means a missing closing mark, even when the
            # next paragraph opens a quote (a quote running on would not stop for an attribution)
            cue = CUE_AFTER_COMMA.search(segment, open_at + 1)
            if cue is not None:
                # a quote whose closing mark was left out, ended by its attribution: "Q, Kato said.
                if not continues:
                    chain += 1
                comma = paragraph.start + cue.start()
                quotes.append(_repaired(text, paragraph.start + open_at + 1, comma + 1, number, chain, close_at=comma))
            elif next_opens:
                if not continues:
                    chain += 1
                quotes.append(_quote(text, paragraph.start + open_at, None, number, chain, paragraph.end))
                runs_on = True
    # A chain whose last part never closes was an unmatched mark, not a quote.
    last_part = {q.chain: q for q in quotes}
    unclosed = {chain for chain, q in last_part.items() if q.runs_on}
    return [q for q in quotes if q.chain not in unclosed and q.end > q.start]


_SPEAKER = r"(?:[\w.'’-]+\s+){1,5}"
_VERBS = r"(?:said|says|added|adds|told|warned|insisted|stressed|argued|noted)\b"
CUE_AFTER_COMMA = re.compile(rf",\s+(?:{_SPEAKER}{_VERBS}|{_VERBS}\s+(?:[A-Z]|the\b))")
CUE_AFTER_CLOSE = re.compile(rf"\s*,?\s*(?:{_SPEAKER}{_VERBS}|{_VERBS}\s+(?:[A-Z]|the\b))")


def _sentence_start(segment: str, before: int) -> int:
    cut = max(segment.rfind(mark, 0, before - 1) for mark in (". ", "? ", "! "))
    return cut + 2 if cut >= 0 else 0


def _repaired(text: str, start: int, end: int, paragraph: int, chain: int, close_at: int | None = None) -> Quote:
    """A quote with one mark missing: the mark offsets point at what stands in for it."""
    while start < end and text[start].isspace():
        start += 1
    return Quote(
        start=start,
        end=end,
        paragraph=paragraph,
        chain=chain,
        open_at=start - 1,
        close_at=end if close_at is None else close_at,
    )


def _quote(text: str, open_at: int, close_at: int | None, paragraph: int, chain: int, end: int | None = None) -> Quote:
    start = open_at + 1
    stop = close_at if close_at is not None else end
    assert stop is not None
    while start < stop and text[start].isspace():
        start += 1
    while stop > start and text[stop - 1].isspace():
        stop -= 1
    return Quote(start=start, end=stop, paragraph=paragraph, chain=chain, open_at=open_at, close_at=close_at)


@Language.component("tracker_quotes")
def mark_quotes(doc: Doc) -> Doc:
    """Set doc._.quotes: every quoted part, statement or not (attribution decides)."""
    paragraphs = doc._.paragraphs if doc._.paragraphs is not None else split_paragraphs(doc.text)
    doc._.quotes = find_quotes(doc.text, paragraphs)
    return doc
