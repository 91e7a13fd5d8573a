"""Hooks a front end (progress bar, log lines) attaches to an ingest run.

Its own module so that the CLI can name it without importing the whole pipeline: the CLI
is imported by every worker process that ingest spawns (the console script is their main
module), and a light CLI keeps their start-up short.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .models import FeedOutcome

FeedCallback = Callable[[str], None]
OutcomeCallback = Callable[[FeedOutcome], None]


@dataclass
class Progress:
    """Hooks a front end (progress bar, log lines) can attach to a run."""

    feeds_total: Callable[[int], None] = lambda n: None
    feed_started: FeedCallback = lambda name: None
    feed_done: OutcomeCallback = lambda outcome: None
