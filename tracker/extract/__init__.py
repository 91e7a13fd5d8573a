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


def load_extractor(officials: Path | None = None, *, workers: int = 0) -> Extractor:
    """The spaCy extractor, with the bundled officials registry and the user's own file, if any.

    workers > 0 runs it in that many worker processes (ParallelExtractor), so that parsing
    uses every core and overlaps with scoring; 0 runs it in this process.
    """
    files = [officials] if officials else []
    if workers > 0:
        from .parallel import ParallelExtractor

        return ParallelExtractor(officials_files=files, workers=workers)
    from .pipeline import SpacyExtractor

    return SpacyExtractor(officials_files=files)
