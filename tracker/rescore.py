"""`tracker rescore`: give every stored statement a score by the current model."""

from __future__ import annotations

import logging
from collections.abc import Callable

from .options import Options
from .score import Scorer, load_scorer
from .store import RunLock, Store

log = logging.getLogger(__name__)


def rescore(options: Options, *, scorer: Scorer | None = None, batch_size: int = 256,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Score the statements whose current score is by another model or version; returns how many.

    Works in batches, each committed on its own: an interrupted rescore keeps what it did
    and the next one goes on from there. Holds the run lock, like ingest.
    """
    with RunLock(options.db).held(), Store.open(options.db) as store:
        scorer = scorer or load_scorer(quantize=options.quantize_scorer, precision=options.scorer_precision)
        total = store.db.execute(
            """SELECT count(*) FROM statements st LEFT JOIN scores sc ON sc.statement_id = st.id AND sc.current = 1
               WHERE sc.id IS NULL OR sc.model != ? OR sc.model_version != ?""",
            [scorer.name, scorer.version],
        ).fetchone()[0]
        done = 0
        after = 0
        while True:
            batch = store.statements_to_score(scorer.name, scorer.version, batch_size, after)
            if not batch:
                break
            scores = scorer.score([text for _, text in batch])
            store.replace_scores([(statement_id, score) for (statement_id, _), score in zip(batch, scores, strict=True)])
            done += len(batch)
            after = batch[-1][0]
            if progress:
                progress(done, total)
        log.info("rescore model=%s version=%s statements=%d", scorer.name, scorer.version, done)
        return done
