"""Pipeline component `tracker_attribution`: statements with their speakers, for news articles.

Direct quotes take their speaker from a speech verb next to them ("Q," S said /
said S / S said: "Q"), from the quote before them (split and follow-on quotes)
or from the other parts of a multi-paragraph quote. Reported speech is the
clausal complement of a speech verb (S said (that) ...), or the clause that
"according to S" frames. Speakers are resolved through `doc._.people` to full
canonical names; a speaker that cannot be resolved to a person (a ministry, a
country, "a senior official") gives no statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from ..models import Statement
from .people import DEFINITE, GENERIC_HEADS, PRONOUNS, People, Person, appositive, strip_titles, title_before
from .quotes import Quote
from .roles import PRIVATE_ORG, country_in

if not Doc.has_extension("statements"):
    Doc.set_extension("statements", default=None)

SPEECH_LEMMAS = frozenset(
    [
        "say",
        "tell",
        "add",
        "warn",
        "insist",
        "vow",
        "pledge",
        "signal",
        "acknowledge",
        "reiterate",
        "caution",
        "stress",
        "urge",
        "argue",
        "note",
        "repeat",
        "predict",
        "concede",
        "complain",
        "threaten",
        "promise",
        "hint",
        "announce",
        "declare",
        "state",
        "explain",
        "suggest",
        "assert",
        "maintain",
        "emphasise",
        "emphasize",
        "underline",
        "underscore",
        "comment",
        "remark",
        "write",
        "tweet",
        "post",
        "confirm",
        "deny",
        "claim",
        "contend",
        "observe",
        "admit",
        "agree",
        "reply",
        "respond",
        "answer",
        "ask",
        "demand",
        "indicate",
        "forecast",
        "estimate",
        "counter",
        "protest",
        "allege",
        "affirm",
        "assure",
        "reassure",
        "recall",
        "acknowledge",
        "lament",
        "boast",
        "quip",
        "joke",
        "muse",
        "mention",
        "specify",
        "clarify",
        "caution",
        "advise",
        "signalled",
    ]
)
SPEECH_FORMS = frozenset(
    [
        "signalled",
        "signaled",
        "signalling",
        "signaling",
        "cautioned",
        "emphasised",
        "emphasized",
        "underlined",
        "underscored",
        "said",
        "says",
        "told",
        "tells",
        "added",
        "adds",
        "warned",
        "warns",
        "insisted",
        "insists",
        "vowed",
        "vows",
        "pledged",
        "pledges",
        "signals",
        "acknowledged",
        "acknowledges",
        "reiterated",
        "reiterates",
        "stressed",
        "stresses",
        "urged",
        "urges",
        "argued",
        "argues",
        "noted",
        "notes",
        "repeated",
        "repeats",
        "predicted",
        "conceded",
        "complained",
        "threatened",
        "promised",
        "hinted",
        "announced",
        "declared",
        "stated",
        "explained",
        "suggested",
        "asserted",
        "maintained",
        "commented",
        "remarked",
        "wrote",
        "tweeted",
        "posted",
        "confirmed",
        "denied",
        "claimed",
        "contended",
        "observed",
        "admitted",
        "agreed",
        "replied",
        "responded",
        "answered",
        "asked",
        "demanded",
        "indicated",
        "forecast",
        "estimated",
        "countered",
        "protested",
        "alleged",
        "affirmed",
        "assured",
        "reassured",
        "recalled",
        "lamented",
        "boasted",
        "mentioned",
        "clarified",
        "advised",
    ]
)
# Verbs whose reported content is an infinitive ("vowed to retaliate", "urged Washington to drop ...").
INFINITIVE_VERBS = frozenset(["vow", "pledge", "promise", "threaten", "urge", "warn", "ask", "call", "demand"])
TITLE_CUES = frozenset(
    [
        "titled",
        "entitled",
        "called",
        "dubbed",
        "named",
        "headlined",
        "so-called",
        "labelled",
        "labeled",
        "branded",
        "term",
        "word",
        "phrase",
    ]
)
SENTENCE_END = frozenset(".!?")
INSTITUTION = re.compile(
    r"\b(ministry|department|government|bank|commission|council|office|agency|bureau|administration|house|"
    r"treasury|parliament|congress|senate|committee|union|association|federation|group|board|reserve|fund)\b",
    re.I,
)
TRAILING_CLAUSE = re.compile(
    r",\s+(?:as|while|after|amid|even as|despite|following|a day after|a week after|days after|hours after|"
    r"weeks after|just days after|shortly after|ahead of|before|in a move|in remarks|in an interview|"
    r"in a statement|speaking|signalling|signaling|saying|adding|noting|citing|according to|"
    # any other participle phrase after a comma ("walking back remarks ...") is the reporter's frame
    r"(?!including|excluding|notwithstanding|regarding|concerning|during|pending|bring|string|spring|thing)\w+ing)\b"
)
WINDOW = 30


@dataclass
class Candidate:
    kind: str  # direct | reported
    start: int
    end: int
    subject: Token | None  # the token naming the speaker: a name, a pronoun or a description
    quote: Quote | None = None
    standalone: bool = False  # a quote that is a whole sentence with no cue of its own


def is_speech_verb(token: Token) -> bool:
    """A speech verb, by its form: the pipeline runs without spaCy's lemmatizer (speed), so forms are listed."""
    return token.pos_ in ("VERB", "AUX") and (token.lower_ in SPEECH_FORMS or token.lower_ in SPEECH_LEMMAS)


def verb_base(token: Token) -> str:
    """vowed -> vow, urges -> urge, promising -> promis(e): enough to tell the infinitive-taking speech verbs."""
    word = token.lower_
    for suffix, replacement in (("ied", "y"), ("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)] + replacement
            for candidate in (stem, stem + "e"):
                if candidate in INFINITIVE_VERBS:
                    return candidate
    return word


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip white space and the sentence-final punctuation of a reported clause."""
    while start < end and (text[start].isspace() or text[start] in ",;:—–-"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".,;:!?—–-"):
        end -= 1
    return start, end


class Attributor:
    """Finds statements in one parsed news article."""

    def __init__(self, doc: Doc, people: People, min_quote_words: int):
        self.doc = doc
        self.text = doc.text  # spaCy joins every token's text anew on each `doc.text`
        self.people = people
        self.min_quote_words = min_quote_words
        self.quotes: list[Quote] = list(doc._.quotes or [])
        self.in_quote = [False] * len(doc)
        self.mark_tokens: set[int] = set()
        for quote in self.quotes:
            for token in self._tokens(quote.start, quote.end):
                self.in_quote[token.i] = True
            for offset in (quote.open_at, quote.close_at):
                if offset is not None:
                    token = self._token_at(offset)
                    if token is not None:
                        self.mark_tokens.add(token.i)

    # -- token helpers -----------------------------------------------------

    def _tokens(self, start: int, end: int) -> Span:
        span = self.doc.char_span(start, end, alignment_mode="expand")
        return span if span is not None else self.doc[0:0]

    def _token_at(self, offset: int) -> Token | None:
        span = self.doc.char_span(offset, offset + 1, alignment_mode="expand")
        return span[0] if span is not None and len(span) else None

    def _after_window(self, quote: Quote) -> list[Token]:
        if quote.close_at is None:
            return []
        close = self._token_at(quote.close_at)
        if close is None:
            return []
        window = []
        for token in self.doc[close.i + 1 : close.i + 1 + WINDOW]:
            if token.is_space and "\n" in token.text:
                break
            if token.i in self.mark_tokens or self.in_quote[token.i]:
                break
            window.append(token)
            if token.text in SENTENCE_END:
                break
        return window

    def _before_window(self, quote: Quote) -> list[Token]:
        opening = self._token_at(quote.open_at)
        if opening is None:
            return []
        window: list[Token] = []
        for token in reversed(self.doc[max(0, opening.i - WINDOW) : opening.i]):
            if token.is_space and "\n" in token.text:
                break
            if token.i in self.mark_tokens or self.in_quote[token.i] or token.text in SENTENCE_END:
                break
            window.append(token)
        return list(reversed(window))

    # -- speakers -----------------------------------------------------------

    def speaker_of(self, token: Token) -> Person | None:
        """The person a subject token stands for: a name, a pronoun or a definite description."""
        at = token.idx
        lower = token.lower_
        if token.i in self.people.by_token:
            return self.people.by_token[token.i]
        if lower in PRONOUNS:
            return self.people.pronoun(at)
        named = self._name_in_subtree(token)
        if named is not None:
            return named
        if token.pos_ == "PRON":
            return None
        name = self._name_at(token)
        if name is not None:
            person = self.people.person_named(name.text, name.start_char)
            if person is not None:
                return person
            if token.ent_type_ in ("GPE", "ORG", "NORP", "LOC", "FAC") and not self._person_entity(name):
                return None  # (only when the pipeline runs spaCy's NER)
            if token.pos_ == "PROPN" and self._looks_like_person(name):
                role = title_before(self.doc, name.start, name.end) or appositive(self.doc, token)
                return self.people.add(name.text, name.start_char, name.end_char, subject=True, role_text=role)
            return None
        if lower in GENERIC_HEADS or token.pos_ == "NOUN":
            phrase = self._noun_phrase(token)
            first = phrase[0].lower_ if len(phrase) else ""
            possessive = any(t.dep_ == "poss" for t in phrase)
            if first not in DEFINITE and not possessive:
                return None  # "a senior official said": an anonymous source
            return self.people.nominal(phrase.text, at)
        return None

    def _name_in_subtree(self, token: Token) -> Person | None:
        """A person named inside the subject phrase ("Deputy Minister of Trade Graham Teller"),
        not inside its relative clauses or appositives ("Kato, who met Bessent, ...")."""
        stack = [c for c in token.children if c.dep_ not in ("relcl", "acl", "appos", "advcl", "punct", "cc", "conj")]
        while stack:
            child = stack.pop()
            if child.i in self.people.by_token:
                return self.people.by_token[child.i]
            if child.dep_ == "pobj" and child.pos_ == "PROPN" and token.lower_ in GENERIC_HEADS:
                name = self._name_at(child)
                if name is not None and self._looks_like_person(name):
                    role = self.doc[token.left_edge.i : name.start].text.strip()
                    return self.people.add(name.text, name.start_char, name.end_char, subject=True, role_text=role or None)
            stack += [c for c in child.children if c.dep_ not in ("relcl", "acl", "appos", "advcl", "conj")]
        return None

    def _person_entity(self, span: Span) -> bool:
        return any(t.ent_type_ == "PERSON" for t in span)

    def _looks_like_person(self, name: Span) -> bool:
        """A name not in the registry: a PERSON entity, or two or more capitalised words that name no institution."""
        if self._person_entity(name):
            return True
        words = name.text.split()
        return (
            len(words) >= 2 and all(w[:1].isupper() for w in words) and not INSTITUTION.search(name.text)
            and not PRIVATE_ORG.search(name.text) and country_in(name.text) is None
        )

    def _name_at(self, token: Token) -> Span | None:
        """The proper-name span around a PROPN subject (its compound/flat parts), titles excluded."""
        if token.pos_ != "PROPN":
            return None
        start = end = token.i
        while start > 0:
            previous = self.doc[start - 1]
            if previous.pos_ == "PROPN" and previous.head.i in range(start, token.i + 1):
                start -= 1
            elif start > 1 and _joins(self.doc, start - 1):  # hyphenated names come in three tokens: Ji - won
                start -= 2
            else:
                break
        while end + 1 < len(self.doc):
            following = self.doc[end + 1]
            if following.pos_ == "PROPN" and following.dep_ in ("flat", "compound"):
                end += 1
            elif end + 2 < len(self.doc) and _joins(self.doc, end + 1):
                end += 2
            else:
                break
        span = self.doc[start : end + 1]
        name = strip_titles(span.text)
        if not name:
            return None
        offset = span.text.rfind(name)
        return self.doc.char_span(
            span.start_char + offset, span.start_char + offset + len(name), alignment_mode="expand"
        )

    def _noun_phrase(self, token: Token) -> Span:
        """Determiner, adjectives, compounds and possessor of a noun, stopping at punctuation and datelines."""
        left = token.i
        while left > 0:
            previous = self.doc[left - 1]
            if previous.is_punct and previous.text not in ("’s", "'s") or previous.is_space:
                break
            if previous.dep_ != "case" and (previous.head.i < left - 1 or previous.head.i > token.i):
                break
            if previous.dep_ not in ("det", "amod", "compound", "poss", "case", "nmod", "advmod") or previous.like_num:
                break
            left -= 1
        return self.doc[left : token.i + 1]

    # -- cues ---------------------------------------------------------------

    def _subject(self, verb: Token) -> Token | None:
        """The verb's subject nearest to it: a dateline ("OTTAWA, July 11 -") is sometimes parsed as a second one."""
        subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
        if not subjects:
            return None
        subject = min(subjects, key=lambda c: abs(c.i - verb.i))
        if _is_dateline(subject):  # "LONDON, September 3 - Governor Andrew Bailey warned": the name hangs off it
            named = [c for c in subject.children if c.dep_ == "appos"]
            return named[-1] if named else None
        return subject

    def cue_after(self, quote: Quote) -> Token | None:
        """`"Q," S said` / `"Q," said S, the minister` / `"Q," S, who ..., said`."""
        window = self._after_window(quote)
        words = [t for t in window if not t.is_punct and not t.is_space]
        if not words:
            return None
        first = words[0]
        for token in window:
            if not is_speech_verb(token):
                continue
            subject = self._subject(token)
            if (
                subject is not None
                and subject.i >= first.i - 1
                and (first.i in range(subject.left_edge.i, subject.right_edge.i + 1) or first == token)
            ):
                return subject
            if subject is None and first == token:  # "said Kato" parsed without a subject arc
                following = [t for t in window if t.i > token.i and t.pos_ in ("PROPN", "PRON", "NOUN")]
                if following:
                    return following[0]
            return None
        return self._according_to(window)

    def cue_before(self, quote: Quote) -> Token | None:
        """`S said: "Q"` / `S said "Q"` / `"Q1," S said, "Q2"` (the split quote's second part)."""
        window = self._before_window(quote)
        for position in range(len(window) - 1, -1, -1):
            token = window[position]
            if not is_speech_verb(token):
                continue
            between = window[position + 1 :]
            if any(t.pos_ in ("VERB", "AUX") for t in between):
                return None  # a quote inside a reported clause: `S said Japan would "respond"`
            if any(t.lower_ in TITLE_CUES for t in between):
                return None
            subject = self._subject(token)
            if subject is None:
                following = [t for t in between if t.pos_ in ("PROPN", "PRON")]
                subject = following[0] if following else None
            if subject is None:
                preceding = [t for t in window[:position] if t.pos_ in ("PROPN", "PRON", "NOUN")]
                subject = preceding[-1] if preceding else None
            return subject
        return self._according_to(window)

    def _according_to(self, window: list[Token]) -> Token | None:
        for token in window:
            if token.lower_ == "according" and token.i + 1 < len(self.doc) and self.doc[token.i + 1].lower_ == "to":
                objects = [t for t in self.doc[token.i + 1].children if t.dep_ == "pobj"]
                if objects:
                    return objects[0]
        return None

    def is_title_like(self, quote: Quote) -> bool:
        before = self._before_window(quote)
        return bool(before) and before[-1].lower_ in TITLE_CUES

    def is_standalone(self, quote: Quote) -> bool:
        """A quote that makes a whole sentence (or a whole paragraph) with nothing outside it."""
        before = [t for t in self._before_window(quote) if not t.is_punct and not t.is_space]
        after = [t for t in self._after_window(quote) if not t.is_punct and not t.is_space]
        return not before and not after

    # -- statements ---------------------------------------------------------

    def direct_candidates(self) -> list[Candidate]:
        found = []
        for quote in self.quotes:
            words = len(self.text[quote.start : quote.end].split())
            if self.is_title_like(quote):
                continue
            subject = self.cue_after(quote) or self.cue_before(quote)
            standalone = subject is None and self.is_standalone(quote)
            if subject is None and not standalone and not quote.runs_on:
                continue  # scare quotes, quoted terms, fragments inside reported clauses
            if subject is None and words < self.min_quote_words:
                continue
            found.append(Candidate("direct", quote.start, quote.end, subject, quote, standalone or quote.runs_on))
        return found

    def reported_candidates(self) -> list[Candidate]:
        found = []
        for token in self.doc:
            if self.in_quote[token.i] or not is_speech_verb(token):
                continue
            subject = self._subject(token)
            span = self._reported_span(token)
            if span is None:
                continue
            start, end = span
            if self._quoted_share(start, end) > 0.5:
                continue  # a direct quote, found above
            if subject is None:
                continue
            found.append(Candidate("reported", start, end, subject))
        found += self._according_candidates()
        return found

    def _reported_span(self, verb: Token) -> tuple[int, int] | None:
        complement = next((c for c in verb.children if c.dep_ == "ccomp"), None)
        if complement is None and verb_base(verb) in INFINITIVE_VERBS and verb.dep_ not in ("relcl", "acl"):
            complement = next((c for c in verb.children if c.dep_ == "xcomp" and c.i > verb.i), None)
            if complement is not None:
                obj = next((c for c in verb.children if c.dep_ == "dobj" and c.i < complement.i), None)
                first = obj.left_edge if obj is not None else complement.left_edge
                return self._clause_bounds(first, complement.right_edge)
        if complement is None:
            return None
        first = complement.left_edge
        while first.i <= complement.right_edge.i and (first.dep_ == "mark" and first.lower_ == "that"):
            first = self.doc[first.i + 1]
        return self._clause_bounds(first, complement.right_edge)

    def _clause_bounds(self, first: Token, last: Token) -> tuple[int, int] | None:
        start, end = _trim(self.text, first.idx, last.idx + len(last.text))
        trailing = TRAILING_CLAUSE.search(self.text, start, end)
        if trailing is not None and len(self.text[start : trailing.start()].split()) >= 3:
            end = trailing.start()  # ", as the yen held steady": the journalist's frame, not the statement
        if end - start < 8 or len(self.text[start:end].split()) < 3:
            return None
        return start, end

    def _quoted_share(self, start: int, end: int) -> float:
        inside = sum(max(0, min(end, q.end) - max(start, q.start)) for q in self.quotes)
        return inside / max(1, end - start)

    def _according_candidates(self) -> list[Candidate]:
        found: list[Candidate] = []
        if "according" not in self.text.lower():
            return found  # most articles: no need to walk every token
        for token in self.doc:
            if token.lower_ != "according" or self.in_quote[token.i]:
                continue
            if token.i + 1 >= len(self.doc) or self.doc[token.i + 1].lower_ != "to":
                continue
            objects = [t for t in self.doc[token.i + 1].children if t.dep_ == "pobj"]
            if not objects:
                continue
            sentence = token.sent
            phrase_start = token.i
            phrase_end = objects[0].right_edge.i + 1
            if phrase_start <= sentence.start + 1:
                start, end = (
                    self.doc[phrase_end].idx if phrase_end < sentence.end else sentence.end_char,
                    sentence.end_char,
                )
            else:
                start, end = sentence.start_char, token.idx
            start, end = _trim(self.text, start, end)
            if end - start < 8 or self._quoted_share(start, end) > 0.5:
                continue
            found.append(Candidate("reported", start, end, objects[0]))
        return found

    def resolve(self) -> list[Statement]:
        candidates = sorted(self.direct_candidates() + self.reported_candidates(), key=lambda c: (c.start, c.kind))
        # 1. speakers in document order, so "he said" finds the latest speaker before it
        speakers: list[Person | None] = []
        for c in candidates:
            speaker = self.speaker_of(c.subject) if c.subject is not None else None
            if speaker is not None:
                self.people.note_speaker(speaker, c.start)
            speakers.append(speaker)
        # 2. parts of one multi-paragraph quote share the speaker any of them names
        by_chain: dict[int, Person] = {}
        for c, speaker in zip(candidates, speakers, strict=True):
            if c.quote is not None and speaker is not None:
                by_chain.setdefault(c.quote.chain, speaker)
        # 3. a floating follow-on quote inherits the speaker of the statement just before it
        statements: list[Statement] = []
        last: tuple[Person, int] | None = None
        for c, speaker in zip(candidates, speakers, strict=True):
            if speaker is None and c.quote is not None:
                speaker = by_chain.get(c.quote.chain)
                if speaker is None and c.standalone and last is not None and c.quote.paragraph - last[1] <= 1:
                    speaker = last[0]
            if speaker is None:
                continue
            if statements and _overlaps(statements[-1], c.start, c.end):
                continue
            statements.append(self.people.describe(speaker).statement(c.kind, self.text, c.start, c.end))
            last = (speaker, _paragraph_of(self.doc._.paragraphs or [], c.start))
        return statements


def _joins(doc: Doc, i: int) -> bool:
    """doc[i] is a hyphen joining two words with no space: the "-" of "Ji-won"."""
    return (
        doc[i].text == "-" and not doc[i - 1].whitespace_ and not doc[i].whitespace_
        and doc[i - 1].is_alpha and doc[i + 1].is_alpha
    )


def _is_dateline(token: Token) -> bool:
    """An all-capitals place name opening its sentence and followed by a comma: "TOKYO, June 3 -"."""
    doc = token.doc
    return (
        token.is_sent_start is not False
        and (token.i == 0 or doc[token.i - 1].is_space or token.is_sent_start)
        and token.text.isupper()
        and len(token.text) > 2
        and token.i + 1 < len(doc)
        and doc[token.i + 1].text == ","
    )


def _overlaps(statement: Statement, start: int, end: int) -> bool:
    return min(statement.end, end) - max(statement.start, start) > 0


def _paragraph_of(paragraphs: list, offset: int) -> int:
    for number, paragraph in enumerate(paragraphs):
        if paragraph.start <= offset <= paragraph.end:
            return number
    return -1


@Language.factory("tracker_attribution", default_config={"min_quote_words": 3})
def make_attribution(nlp: Language, name: str, min_quote_words: int) -> AttributionStep:
    return AttributionStep(min_quote_words)


class AttributionStep:
    """Sets doc._.statements for news articles (speech items are handled by tracker_speech)."""

    def __init__(self, min_quote_words: int):
        self.min_quote_words = min_quote_words

    def __call__(self, doc: Doc) -> Doc:
        if doc._.statements is not None:  # already set (a speech item)
            return doc
        doc._.statements = Attributor(doc, doc._.people, self.min_quote_words).resolve()
        return doc
