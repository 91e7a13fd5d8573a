"""Pipeline component `tracker_people`: who is mentioned in an article, and who "he" and "the minister" are.

Names come from the officials registry (exact names and aliases, through a
PhraseMatcher) and from spaCy's PERSON entities. Each person keeps the role the
article gives them (a title before the name, an appositive after it), so that a
later "the commerce secretary" or "he" can be resolved to a full canonical name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token

from ..models import Statement
from .registry import Official, Registry, family_name, fold
from .roles import country_in, descriptor_key, is_official_role

if not Doc.has_extension("people"):
    Doc.set_extension("people", default=None)
if not Doc.has_extension("article_day"):
    Doc.set_extension("article_day", default=None)

HONORIFICS = {"mr", "mr.", "ms", "ms.", "mrs", "mrs.", "dr", "dr.", "sir", "dame", "madam"}
TITLE_WORDS = {
    "minister",
    "secretary",
    "president",
    "governor",
    "chancellor",
    "premier",
    "vice",
    "deputy",
    "commissioner",
    "chair",
    "chairman",
    "chairwoman",
    "prime",
    "finance",
    "trade",
    "treasury",
    "commerce",
    "economy",
    "foreign",
    "representative",
    "ambassador",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "senator",
    "gov.",
    "sen.",
    "rep.",
    "leader",
    "chief",
    "cabinet",
    "state",
    "general",
    "director",
    "envoy",
    "negotiator",
    "u.s.",
    "us",
    "fed",
    "ecb",
    "boj",
    "vice-president",
    "mp",
    "economic",
    "revitalization",
    "industry",
    "international",
    "affairs",
    "top",
    *HONORIFICS,
}
PRONOUNS = {"he", "she"}
# Definite descriptions only: "a senior official said" is an anonymous source, not a person we can name.
DEFINITE = {"the", "this", "that"}
GENERIC_HEADS = {
    "minister",
    "secretary",
    "official",
    "governor",
    "chancellor",
    "premier",
    "president",
    "commissioner",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "diplomat",
    "negotiator",
    "representative",
    "chief",
    "envoy",
    "chair",
    "chairman",
    "head",
    "leader",
    "strategist",
    "economist",
    "analyst",
    "executive",
    "ambassador",
    "banker",
    "lawmaker",
    "senator",
    "adviser",
    "advisor",
    "director",
    "manager",
    "czar",
    "boss",
}
NAME_DEPS = {"compound", "flat", "appos"}


@dataclass
class Person:
    name: str
    official: Official | None = None
    role_text: str | None = None

    @property
    def surname(self) -> str:
        return self.official.surname if self.official is not None else family_name(self.name, None)


@dataclass
class Mention:
    start: int
    end: int
    person: Person
    subject: bool = False


@dataclass(frozen=True)
class Speaker:
    """A resolved speaker as a statement reports it."""

    name: str
    official: bool
    official_id: str | None
    role: str | None
    country: str | None

    def statement(self, kind: str, text: str, start: int, end: int) -> Statement:
        """The statement this speaker made at text[start:end]."""
        return Statement(
            speaker=self.name,
            kind=kind,
            text=text[start:end],
            start=start,
            end=end,  # type: ignore[arg-type]
            official=self.official,
            official_id=self.official_id,
            role=self.role,
            country=self.country,
        )


@dataclass
class People:
    """The persons of one article and every place they are mentioned."""

    registry: Registry
    day: date | None
    persons: list[Person] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    by_token: dict[int, Person] = field(default_factory=dict)  # token index -> person named there

    # -- building ---------------------------------------------------------

    def person_named(self, name: str, at: int) -> Person | None:
        """The person a name refers to at offset `at` (full name, alias or surname); None if unknown."""
        clean = strip_titles(name)
        if not clean:
            return None
        key = fold(clean)
        for person in reversed(self._mentioned_before(at)):
            if fold(person.name) == key or (person.official and key in {fold(a) for a in person.official.aliases}):
                return person
        words = clean.split()
        if len(words) == 1:
            for person in reversed(self._mentioned_before(at)):
                if fold(person.surname) == key:
                    return person
            for person in reversed(self._mentioned_before(at)):
                # name order is unknown outside the registry: "Wu" for Wu Meiling, "Teller" for Graham Teller
                if person.official is None and key in {fold(w) for w in person.name.split()}:
                    return person
        official = self.registry.by_name(clean)
        if official is None and len(words) == 1:
            in_office = [o for o in self.registry.by_surname(clean) if o.role_at(self.day)]
            official = in_office[0] if len(in_office) == 1 else None
        if official is not None:
            return self._person_for_official(official)
        return None

    def _person_for_official(self, official: Official) -> Person:
        for person in self.persons:
            if person.official is not None and person.official.id == official.id:
                return person
        person = Person(name=official.name, official=official)
        self.persons.append(person)
        return person

    def add(
        self,
        name: str,
        start: int,
        end: int,
        *,
        subject: bool = False,
        role_text: str | None = None,
        tokens: range = range(0),
    ) -> Person:
        person = self.person_named(name, start)
        if person is None:
            person = Person(name=strip_titles(name))
            self.persons.append(person)
        elif len(strip_titles(name).split()) > len(person.name.split()) and person.official is None:
            person.name = strip_titles(name)  # a fuller form of a name seen first in short
        if role_text and not person.role_text:
            person.role_text = role_text
        self.mentions.append(Mention(start, end, person, subject))
        self.mentions.sort(key=lambda m: m.start)
        for i in tokens:
            self.by_token[i] = person
        return person

    def note_speaker(self, person: Person, at: int) -> None:
        """A resolved speaker is the most salient antecedent for the next "he said"."""
        self.mentions.append(Mention(at, at, person, subject=True))
        self.mentions.sort(key=lambda m: m.start)

    def _mentioned_before(self, at: int) -> list[Person]:
        seen: list[Person] = []
        for mention in self.mentions:
            if mention.start >= at:
                break
            if mention.person in seen:
                seen.remove(mention.person)
            seen.append(mention.person)
        return seen

    # -- resolving --------------------------------------------------------

    def pronoun(self, at: int) -> Person | None:
        """The antecedent of he/she at `at`: the latest subject or speaker, else the latest mention."""
        before = [m for m in self.mentions if m.start < at]
        subjects = [m for m in before if m.subject]
        if subjects:
            return subjects[-1].person
        return before[-1].person if before else None

    def nominal(self, phrase: str, at: int) -> Person | None:
        """The person a definite description ("the finance minister") refers to at `at`.

        Registry descriptors and titles first (by country and words), then the roles the
        article gave the people it named: before `at`, else after it (a lede often
        describes a person whom the next paragraph names).
        """
        country, rest = descriptor_key(phrase)
        if not rest:
            return None
        described = self.registry.with_descriptor(phrase, self.day)
        if described:
            mentioned = [p for p in self._mentioned_before(at) + self._mentioned_after(at) if p.official in described]
            if mentioned:
                return mentioned[-1] if mentioned[-1] in self._mentioned_before(at) else mentioned[0]
            if len(described) == 1:
                return self._person_for_official(described[0])
        words = rest.split()
        before = list(reversed(self._mentioned_before(at)))
        for person in before + self._mentioned_after(at):
            description = " ".join(fold(t) for t in self._descriptions(person))
            fits = all(re.search(r"\b" + re.escape(w) + r"\b", description) for w in words)
            if fits and (country is None or self.describe(person).country in (None, country)):
                return person
        return None

    def _mentioned_after(self, at: int) -> list[Person]:
        seen: list[Person] = []
        for mention in self.mentions:
            if mention.start > at and mention.person not in seen:
                seen.append(mention.person)
        return seen

    def _descriptions(self, person: Person) -> list[str]:
        texts = [person.role_text or ""]
        if person.official is not None:
            role = person.official.role_at(self.day)
            if role is not None:
                texts += [role.role, role.organisation or "", *role.titles, *role.descriptors]
        return texts

    def describe(self, person: Person) -> Speaker:
        """Official or not, with role and country: the registry first, then the article's own words."""
        if person.official is not None:
            role = person.official.role_at(self.day)
            if role is not None:
                return Speaker(person.name, True, person.official.id, role.role, person.official.country)
            text_says = is_official_role(person.role_text)
            return Speaker(person.name, bool(text_says), person.official.id, person.role_text, person.official.country)
        official = is_official_role(person.role_text)
        return Speaker(person.name, bool(official), None, clean_role(person.role_text), country_in(person.role_text))


def strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


HEAD_TITLES = {
    "minister", "secretary", "president", "governor", "chancellor", "premier", "commissioner", "chair", "chairman",
    "chairwoman", "representative", "ambassador", "spokesperson", "spokesman", "spokeswoman", "senator", "director",
    "envoy", "negotiator", "leader", "mr.", "ms.", "mrs.", "dr.", "mr", "ms", "mrs", "dr", "sir", "dame", "of",
}


def strip_titles(name: str) -> str:
    """'Treasury Secretary Scott Bessent' -> 'Scott Bessent'; "Kato's" -> 'Kato';
    'Assistant U.S. Trade Representative Laura Whitcombe' -> 'Laura Whitcombe' (after the last title word)."""
    words = name.replace("’s", "").replace("'s", "").split()
    def is_title(word: str) -> bool:  # "Director-General" counts, as "director" does
        return any(part in HEAD_TITLES for part in word.casefold().strip(",").split("-"))

    last_title = max((i for i, w in enumerate(words[:-1]) if is_title(w)), default=-1)
    if last_title >= 0:
        words = words[last_title + 1 :]
    while len(words) > 1 and words[0].casefold().strip(",") in TITLE_WORDS:
        words = words[1:]
    if len(words) == 1 and words[0].casefold() in TITLE_WORDS:
        return ""
    return " ".join(words).strip(" ,")


def clean_role(role_text: str | None) -> str | None:
    if not role_text:
        return None
    text = re.sub(r"^(the|a|an)\s+", "", role_text.strip(" ,"), flags=re.I)
    return text or None


def title_before(doc: Doc, start: int, end: int) -> str | None:
    """Title words right before a name ("Treasury Secretary" in "Treasury Secretary Scott Bessent")."""
    i = start - 1
    while i >= 0 and not doc[i].is_sent_end and i < doc[i].head.i <= end:
        if doc[i].dep_ not in ("compound", "amod", "poss", "case", "nmod", "det", "punct") or doc[i].is_space:
            break
        i -= 1
    words = doc[i + 1 : start]
    text = words.text.strip()
    if not text or all(t.dep_ == "det" for t in words):
        return None
    return text


def appositive(doc: Doc, head: Token) -> str | None:
    """The appositive of a name ("Kato, the finance minister, said"), as text."""
    for child in head.children:
        if child.dep_ == "appos" and child.i > head.i and not child.like_num:
            span = doc[child.left_edge.i : child.right_edge.i + 1]
            return span.text.strip(" ,")
    return None


def name_head(span: Span) -> Token:
    return span.root


@Language.factory(
    "tracker_people",
    default_config={"officials_files": []},
)
def make_people(nlp: Language, name: str, officials_files: list[str]) -> PeopleFinder:
    from pathlib import Path

    from .registry import load_registry

    return PeopleFinder(nlp, load_registry(tuple(Path(p) for p in officials_files)))


class PeopleFinder:
    """Sets doc._.people: every person mentioned, with titles and appositives as their roles."""

    def __init__(self, nlp: Language, registry: Registry):
        self.registry = registry
        self.matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        for surface, official in registry.names_and_aliases():
            forms = {surface, strip_accents(surface)}  # wires often drop accents: Sefcovic for Šefčovič
            self.matcher.add(official.id, [nlp.make_doc(form) for form in forms])

    def __call__(self, doc: Doc) -> Doc:
        people = People(self.registry, doc._.article_day)
        spans: list[Span] = [doc[s:e] for _, s, e in self.matcher(doc)]
        spans += [ent for ent in doc.ents if ent.label_ == "PERSON"]
        for span in _longest_first(spans):
            name = strip_titles(span.text)
            if not name or not any(ch.isupper() for ch in name):
                continue
            # NER sometimes swallows the title: start the name where the title words end
            offset = len(span.text) - len(span.text.lstrip())
            start_char = span.start_char + offset + span.text.find(name.split()[0])
            head = name_head(span)
            role = title_before(doc, span.start, span.end) or appositive(doc, head)
            people.add(
                name,
                start_char,
                span.end_char,
                subject=head.dep_ in ("nsubj", "nsubjpass"),
                role_text=role,
                tokens=range(span.start, span.end),
            )
        doc._.people = people
        return doc


def _longest_first(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans, longer ones winning, in document order."""
    chosen: list[Span] = []
    taken: set[int] = set()
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if any(i in taken for i in range(span.start, span.end)):
            continue
        chosen.append(span)
        taken.update(range(span.start, span.end))
    return sorted(chosen, key=lambda s: s.start)
