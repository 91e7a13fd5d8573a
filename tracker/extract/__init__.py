"""The extraction seam: article texts in, statements out.

Ingest and `tracker extract` call `load_extractor()` and then `.extract(batch)`;
whatever stands behind the seam only has to honour the Extractor protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ..models import ArticleInput, Statement


class Extractor(Protocol):
    """Turns a batch of articles into one list of statements per article."""

    name: str
    version: str

    def extract(self, articles: Sequence[ArticleInput]) -> list[list[Statement]]: ...


def load_extractor(officials: Path | None = None) -> Extractor:
    """The spaCy extractor, with the bundled officials registry and the user's own file, if any."""
    from .pipeline import SpacyExtractor

    return SpacyExtractor(officials_files=[officials] if officials else [])
