"""When two reports carry the same statement: syndicated copies count once.

The same speaker saying near-identical words (quote marks, white space, case
and small edits aside) within a few days is one statement with several sources.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
import unicodedata

from ..text import fold

WINDOW_DAYS = 3
SIMILARITY = 0.9
MIN_FUZZY_CHARS = 40  # shorter statements must match exactly: "we will respond" is not "we will not respond"
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


@functools.lru_cache(maxsize=8192)  # a stored statement is compared with every new one of its speaker
def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    # fold's own cache is for names and role words; a statement's text is cached here, once
    return " ".join(_PUNCT.sub(" ", fold.__wrapped__(text)).split())


def fingerprint(text: str) -> str:
    return hashlib.sha1(normalize(text).encode("utf-8")).hexdigest()[:20]


def speaker_key(official_id: str | None, speaker: str) -> str:
    return official_id or "name:" + fold(speaker)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(?:not|no|never|nor|none|cannot|without)\b|n't\b")


@functools.lru_cache(maxsize=8192)
def _facts(text: str) -> tuple[tuple[str, ...], int]:
    """The numbers and the count of negations: the small edits that change what was said."""
    lowered = text.casefold().replace("’", "'")
    return tuple(sorted(_NUMBER.findall(lowered))), len(_NEGATION.findall(lowered))


def near_identical(a: str, b: str) -> bool:
    """Same words but for small edits: a character-level similarity of at least SIMILARITY,
    with the same numbers and the same negations ("25%" is not "35%", "will" is not "will not")."""
    na, nb = normalize(a), normalize(b)
    if na == nb:
        return True
    if _facts(a) != _facts(b):
        return False
    if min(len(na), len(nb)) < MIN_FUZZY_CHARS or min(len(na), len(nb)) / max(len(na), len(nb)) < SIMILARITY:
        return False
    return difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio() >= SIMILARITY
