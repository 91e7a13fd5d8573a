"""The scoring seam: statement texts in, escalation scores out (LABELS.md).

Ingest and `tracker score` call `load_scorer()` and then `.score(texts)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from ..models import LABELS, Score


class Scorer(Protocol):
    """Scores a batch of statement texts, one Score per text, in order."""

    name: str
    version: str

    def score(self, texts: Sequence[str]) -> list[Score]: ...


def escalation(probs: Mapping[str, float]) -> float:
    """LABELS.md: (0*p0 + 1*p1 + 2*p2 + 3*p3) / 3."""
    return sum(level * probs[label] for level, label in enumerate(LABELS)) / 3


def load_scorer(*, quantize: bool = False, precision: str = "auto", threads: int = 2) -> Scorer:
    """The fine-tuned, calibrated classifier; trained first (once, with progress) if it is missing.

    precision: 'auto' (bfloat16 where the CPU computes it natively, else float32), 'float32'
    or 'bfloat16' (the `scorer_precision` option).
    quantize: dynamic int8, about twice as fast as float32 but no faster than bfloat16, and 2 points
    of held-out macro-F1 lower (benchmarks/README.md); the `quantize_scorer` option turns it on.
    """
    from .model import TransformerScorer, ensure_model

    return TransformerScorer(ensure_model(), quantize=quantize, precision=precision, threads=threads)
