"""Instrument tags (LABELS.md) from a maintained lexicon: tracker/data/instruments.yaml.

Each tag lists terms; a term matches as whole words, case-insensitively, with a
trailing `*` for "any ending" (`tariff*`, `sanction*`). A term may also carry
`unless:` words that veto it within the same statement; a term starting with `re:`
is a regular expression. Users extend the
lexicon without touching code.

A model trained by `tracker train` tags with the learned tagger (`tagger.py`), which takes these
matches as features beside the wording; this lexicon alone tags for a model folder without one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from ..errors import ConfigError
from .corpus import INSTRUMENTS


def _term_pattern(term: str) -> str:
    if term.startswith("re:"):
        return term[3:].strip()
    words = term.strip().split()
    parts = []
    for word in words:
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"[\w-]*")
        else:
            parts.append(re.escape(word))
    return r"(?<![\w-])" + r"[\s-]+".join(parts) + (r"(?![\w])" if not words[-1].endswith("*") else "")


@dataclass(frozen=True)
class _Tag:
    name: str
    pattern: re.Pattern[str]
    veto: re.Pattern[str] | None


def lexicon_path() -> Path:
    return Path(str(resources.files("tracker") / "data" / "instruments.yaml"))


class InstrumentTagger:
    """Tags a statement with every instrument whose lexicon matches it, in LABELS.md order."""

    def __init__(self, path: Path | None = None):
        path = path or lexicon_path()
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            raise ConfigError(f"{path}: cannot read the instrument lexicon: {e}") from e
        tags = []
        for name in INSTRUMENTS:
            entry = (data or {}).get(name)
            if not entry or not entry.get("terms"):
                raise ConfigError(f"{path}: no terms for instrument {name!r}")
            pattern = re.compile("|".join(_term_pattern(t) for t in entry["terms"]), re.I)
            veto = re.compile("|".join(_term_pattern(t) for t in entry["unless"]), re.I) if entry.get("unless") else None
            tags.append(_Tag(name, pattern, veto))
        self._tags = tags

    def tags(self, text: str) -> list[str]:
        return [t.name for t in self._tags if t.pattern.search(text) and not (t.veto and t.veto.search(text))]

    def tags_many(self, texts: Sequence[str]) -> list[list[str]]:
        return [self.tags(text) for text in texts]
