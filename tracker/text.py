"""Small text helpers shared by stages."""

from __future__ import annotations

import functools
import unicodedata


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Šefčovič' and 'Sefcovic' fold alike (cached: names and
    role words are folded again and again)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("’", "'").casefold().split())
