"""The scorer in a worker process: torch runs free of the ingest process's threads and their GIL.

Ingest fetches pages and extracts their text in threads; torch's many short operations then
wait on the GIL and the scorer slows to a third of its speed. In a process of its own it
runs at full speed, in parallel with the extraction workers and the fetching.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from ..models import Score
from ..workers import exit_with_parent

_worker_scorer = None


def _start_worker(parent: int, quantize: bool, precision: str, threads: int) -> None:
    global _worker_scorer
    exit_with_parent(parent)
    # Before torch loads OpenMP: its threads sleep between batches instead of spinning, which on
    # two cores shared with the extraction workers made ingest 15% faster (benchmarks/README.md).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from . import load_scorer

    _worker_scorer = load_scorer(quantize=quantize, precision=precision, threads=threads)


def _identity() -> tuple[str, str]:
    assert _worker_scorer is not None, "worker not initialised"
    return _worker_scorer.name, _worker_scorer.version


def _score_in_worker(texts: list[str]) -> list[Score]:
    assert _worker_scorer is not None, "worker not initialised"
    return _worker_scorer.score(texts)


class ParallelScorer:
    """The fine-tuned classifier in one worker process; `submit` returns a future of scores."""

    def __init__(self, *, quantize: bool = False, precision: str = "auto", threads: int = 2):
        from .model import ensure_model

        ensure_model()  # train here, with progress on this terminal, if it is missing
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(os.getpid(), quantize, precision, threads),
        )
        self._identity = self._pool.submit(_identity)  # loads the model now, in the background

    @property
    def name(self) -> str:
        return self._identity.result()[0]

    @property
    def version(self) -> str:
        return self._identity.result()[1]

    def wait_ready(self) -> None:
        """Block until the worker has loaded the model."""
        self._identity.result()

    def submit(self, texts: Sequence[str]) -> Future[list[Score]]:
        return self._pool.submit(_score_in_worker, list(texts))

    def score(self, texts: Sequence[str]) -> list[Score]:
        return self.submit(texts).result() if texts else []

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
