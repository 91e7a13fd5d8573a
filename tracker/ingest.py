"""The nightly job: every feed fetched, new articles fetched, statements extracted, scored, stored.

Per-feed errors are values (FeedOutcome): one bad feed never stops the others.
A feed's ETag is stored only after all of its entries are, so a crash mid-feed
never hides entries behind a later 304.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .errors import FeedParseError, FetchError
from .extract import Extractor, load_extractor
from .extract.registry import load_registry
from .feedlist import load_feedlist
from .fetch import FEED_ACCEPT, Fetcher
from .logs import redact
from .models import (
    Article,
    ArticleInput,
    Entry,
    FeedOutcome,
    FeedState,
    FetchResult,
    RunSummary,
    Score,
    ScoredStatement,
    Statement,
    iso_utc,
    utc_now,
)
from .options import Options
from .pages import main_text
from .parse import parse_feed
from .progress import Progress
from .score import Scorer, load_scorer
from .spikes import refresh_spikes
from .store import Backoff, KnownEntry, RunLock, Store

log = logging.getLogger(__name__)

class _Ready:
    """An already finished extraction, for extractors that work in this process."""

    def __init__(self, value: list) -> None:
        self.value = value

    def result(self) -> list:
        return self.value


class Stages:
    """Seconds spent per pipeline stage (summed over threads for the page stages)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    @contextmanager
    def time(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.seconds[stage] += time.perf_counter() - started


@dataclass
class _PendingFeed:
    """A feed whose chunks are still in the pipeline; its outcome is final when the last one leaves."""

    feed: FeedState
    fetched: FetchResult
    outcome: FeedOutcome
    started: float
    chunks_left: int
    failed_chunk: int | None = None  # chunks from this one on are dropped; the ones before it are kept

    def keeps(self, chunk: _Chunk) -> bool:
        return self.failed_chunk is None or chunk.index < self.failed_chunk


@dataclass
class _Chunk:
    """Up to batch_size articles of one feed on their way through extraction, scoring and storage."""

    pending: _PendingFeed
    index: int
    articles: list[Article]
    parsing: Any
    statements: list[list[Statement]] = field(default_factory=list)
    scoring: Any = None


class ScoreMemo:
    """Texts sent to the scorer in this run, with where their score will be, so a statement
    repeated by several wires (even in chunks still in flight) is scored once.
    Bounded: the oldest are forgotten first."""

    def __init__(self, size: int = 20_000):
        self.size = size
        self._batches: dict[str, tuple[Any, int]] = {}  # text -> (future of a batch's scores, position)

    def __contains__(self, text: str) -> bool:
        return text in self._batches

    def put(self, text: str, batch: Any, position: int) -> None:
        if len(self._batches) >= self.size:
            del self._batches[next(iter(self._batches))]
        self._batches[text] = (batch, position)

    def score(self, text: str) -> Score | None:
        """The score, waiting for its batch if need be; None when the text was never sent or is forgotten."""
        found = self._batches.get(text)
        return found[0].result()[found[1]] if found is not None else None


def _chunks(items: Sequence[Entry], size: int) -> Iterator[Sequence[Entry]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def needs_work(entry: Entry, known: KnownEntry | None, max_page_attempts: int = 3) -> bool:
    """New entries, edited entries, and pages that failed and deserve another try."""
    if known is None or known.entry_hash != entry.content_hash:
        return True
    return known.page_error is not None and known.page_attempts < max_page_attempts


FeedDone = Callable[[FeedState, FeedOutcome], None]


class FeedProcessor:
    """Starts one feed at a time; its articles flow through a pipeline shared by all feeds.

    Every feed's outcome reaches `on_done` exactly once: at once for a failure, a 304 or
    nothing new, else when its last chunk of articles is stored. `drain` ends the run.
    """

    def __init__(
        self,
        options: Options,
        store: Store,
        fetcher: Fetcher,
        extractor: Extractor | None,
        scorer: Scorer | None,
        on_done: FeedDone,
    ):
        self.options = options
        self.store = store
        self.fetcher = fetcher
        self._extractor = extractor
        self._owns_extractor = extractor is None
        self._scorer = scorer
        self._owns_scorer = False
        self.backoff = Backoff(after=options.backoff_after_failures)
        self.stages = Stages()
        self._pool = ThreadPoolExecutor(max_workers=max(1, options.page_workers), thread_name_prefix="page")
        self.on_done = on_done
        self._extracting: deque[_Chunk] = deque()
        self._scoring: deque[_Chunk] = deque()
        self.memo = ScoreMemo()
        self.statements_extracted = 0
        self.statements_scored = 0  # fewer when statements repeat

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for component, owned in ((self._extractor, self._owns_extractor), (self._scorer, self._owns_scorer)):
            close = getattr(component, "close", None)
            if close is not None and owned:
                close()

    @property
    def extractor(self) -> Extractor:
        """Loaded on first use: a run where every feed answers 304 never loads a model."""
        if self._extractor is None:
            with self.stages.time("load_models"):
                self._extractor = load_extractor(self.options.officials, workers=self.options.extract_workers)
        return self._extractor

    @property
    def scorer(self) -> Scorer:
        if self._scorer is None:
            with self.stages.time("load_models"):
                if self.options.score_worker:
                    from .score.parallel import ParallelScorer

                    self._scorer = ParallelScorer(
                        quantize=self.options.quantize_scorer,
                        precision=self.options.scorer_precision,
                        threads=self.options.score_threads,
                    )
                else:
                    self._scorer = load_scorer(
                        quantize=self.options.quantize_scorer,
                        precision=self.options.scorer_precision,
                        threads=self.options.score_threads,
                    )
                self._owns_scorer = True
        return self._scorer

    def process(self, feed: FeedState) -> None:
        started = time.monotonic()
        try:
            outcome = self._process(feed, started)
        except Exception as e:  # a bug or a hostile input must cost one feed, not the run
            outcome = FeedOutcome(feed.name, "failed", error=self._internal_error(feed, e))
        if outcome is not None:
            outcome.seconds = time.monotonic() - started
            self._report(feed, outcome)

    def _report(self, feed: FeedState, outcome: FeedOutcome) -> None:
        if outcome.error:
            outcome.error = redact(outcome.error)  # URLs in errors may carry feeds.yaml credentials
        self.on_done(feed, outcome)

    def _process(self, feed: FeedState, started: float) -> FeedOutcome | None:
        """The feed's outcome when it is already known, None when its articles are in the pipeline."""
        if feed.disabled:
            return FeedOutcome(feed.name, "disabled", error=f"disabled: {feed.disabled_reason}")
        if feed.next_check and feed.next_check > iso_utc(utc_now()):
            return FeedOutcome(
                feed.name, "skipped",
                error=f"backing off until {feed.next_check} after {feed.consecutive_failures} failure(s) in a row",
            )
        try:
            with self.stages.time("fetch_feeds"):
                fetched = self.fetcher.get(
                    feed.url,
                    max_bytes=self.options.max_feed_bytes,
                    accept=FEED_ACCEPT,
                    etag=feed.etag,
                    last_modified=feed.last_modified,
                )
        except FetchError as e:
            gone = e.status == 410
            error = f"{e} - feed disabled (410 Gone); edit its URL in feeds.yaml to re-enable" if gone else str(e)
            next_check = self.store.record_feed_failure(
                feed, error, e.status, disable=gone, retry_after=e.retry_after, backoff=self.backoff
            )
            if next_check:
                error += f"; next try after {next_check}"
            return FeedOutcome(feed.name, "failed", error=error, http_status=e.status)
        if fetched.not_modified:
            self.store.record_feed_success(feed, fetched)
            return FeedOutcome(feed.name, "not_modified", http_status=304)
        try:
            with self.stages.time("parse"):
                parsed = parse_feed(fetched, self.options.max_entries_per_feed)
        except FeedParseError as e:
            self.store.record_feed_failure(feed, str(e), fetched.status, backoff=self.backoff)
            return FeedOutcome(feed.name, "failed", error=str(e), http_status=fetched.status)
        if parsed.warning:
            log.warning("feed=%r warning=%r", feed.name, parsed.warning)

        outcome = FeedOutcome(feed.name, "ok", http_status=fetched.status, entries=len(parsed.entries), warning=parsed.warning)
        known = self.store.known_entries(feed.id)
        seen: set[str] = set()
        todo = []
        for entry in parsed.entries:
            if entry.key not in seen and needs_work(entry, known.get(entry.key)):
                todo.append(entry)
            seen.add(entry.key)
        chunks = list(_chunks(todo, self.options.batch_size))
        if not chunks:
            self.store.record_feed_success(feed, fetched)
            return outcome
        self.extractor  # noqa: B018 - start the extraction and scoring workers loading while the pages download
        self.scorer  # noqa: B018
        pending = _PendingFeed(feed, fetched, outcome, started, chunks_left=len(chunks))
        pages = self._fetch_pages(feed, chunks[0])
        for i in range(len(chunks)):
            try:
                articles = [page.result() for page in pages]
                pages = self._fetch_pages(feed, chunks[i + 1]) if i + 1 < len(chunks) else []
                chunk = _Chunk(pending, i, articles, self._submit_extraction(feed, articles))
            except Exception as e:  # the chunks before this one are kept
                self._fail(pending, i, e)
                self._leave(pending, len(chunks) - i)
                return None
            self._push(chunk)
        return None

    # The pipeline: chunk k is parsed in the extraction workers while chunk k-1 is scored in the
    # scoring worker, chunk k-2 is stored here and the pages of chunk k+1 download, across feed
    # boundaries: a feed's last chunks overlap the next feed's first ones.

    def _push(self, chunk: _Chunk) -> None:
        self._extracting.append(chunk)
        while len(self._extracting) > 1:
            self._advance(self._extracting.popleft(), self._submit_scoring)
        while len(self._scoring) > 1:
            self._advance(self._scoring.popleft(), self._store_chunk)

    def drain(self) -> None:
        """Finish every chunk in flight (the end of the run)."""
        while self._extracting:
            self._advance(self._extracting.popleft(), self._submit_scoring)
        while self._scoring:
            self._advance(self._scoring.popleft(), self._store_chunk)

    def _advance(self, chunk: _Chunk, step: Callable[[_Chunk], None]) -> None:
        """Run one pipeline step. An error fails the chunk's feed only; the feed's later chunks are
        dropped, and as its ETag is not stored the next run does them again."""
        pending = chunk.pending
        if pending.keeps(chunk):
            try:
                step(chunk)
                if step != self._store_chunk:
                    return  # on to the next stage
            except Exception as e:  # a bug or a hostile input must cost one feed, not the run
                self._fail(pending, chunk.index, e)
        self._leave(pending, 1)

    def _internal_error(self, feed: FeedState, error: Exception) -> str:
        """Log a bug met while processing a feed and record it as the feed's failure; the message."""
        log.exception("feed=%r internal error", feed.name)
        message = redact(f"internal error: {type(error).__name__}: {error}")
        self.store.record_feed_failure(feed, message, None)
        return message

    def _fail(self, pending: _PendingFeed, index: int, error: Exception) -> None:
        pending.failed_chunk = index if pending.failed_chunk is None else min(index, pending.failed_chunk)
        pending.outcome.status = "failed"
        pending.outcome.error = self._internal_error(pending.feed, error)

    def _leave(self, pending: _PendingFeed, chunks: int) -> None:
        """`chunks` of a feed left the pipeline (stored or dropped); the last one completes the feed."""
        pending.chunks_left -= chunks
        if pending.chunks_left == 0:
            self._complete(pending)

    def _complete(self, pending: _PendingFeed) -> None:
        if pending.failed_chunk is None:
            self.store.record_feed_success(pending.feed, pending.fetched)
        pending.outcome.seconds = time.monotonic() - pending.started
        self._report(pending.feed, pending.outcome)

    def _fetch_pages(self, feed: FeedState, entries: Sequence[Entry]) -> list[Future[Article]]:
        return [self._pool.submit(self._article, feed, entry) for entry in entries]

    def _submit_extraction(self, feed: FeedState, articles: list[Article]) -> Any:
        inputs = [
            ArticleInput(text=a.text, id=a.key, title=a.title, published=a.published, url=a.url,
                         feed_kind=feed.kind, author=a.author)
            for a in articles
        ]
        extractor = self.extractor  # loaded (and timed) before the clock below starts
        with self.stages.time("extract_submit"):
            submit = getattr(extractor, "submit", None)
            return submit(inputs) if submit is not None else _Ready(extractor.extract(inputs))

    def _submit_scoring(self, chunk: _Chunk) -> None:
        """Wait for a chunk's statements and send them to the scorer in one batch."""
        with self.stages.time("extract_wait"):
            chunk.statements = chunk.parsing.result()
        texts = list(dict.fromkeys(s.text for statements in chunk.statements for s in statements))
        texts = [text for text in texts if text not in self.memo]
        self.statements_extracted += sum(len(statements) for statements in chunk.statements)
        self.statements_scored += len(texts)
        submit = getattr(self.scorer, "submit", None)
        if not texts:
            chunk.scoring = _Ready([])
        elif submit is not None:
            chunk.scoring = submit(texts)  # in the scoring worker
        else:
            with self.stages.time("score"):
                chunk.scoring = _Ready(self.scorer.score(texts))
        for position, text in enumerate(texts):
            self.memo.put(text, chunk.scoring, position)
        self._scoring.append(chunk)

    def _store_chunk(self, chunk: _Chunk) -> None:
        """Wait for a chunk's scores; store each article in its own transaction."""
        with self.stages.time("score"):
            chunk.scoring.result()
        outcome = chunk.pending.outcome
        for article, statements in zip(chunk.articles, chunk.statements, strict=True):
            article.statements = [ScoredStatement(statement, self._scored(statement.text)) for statement in statements]
            with self.stages.time("store"):
                is_new, new_statements = self.store.save_article(article, extractor=self.extractor.name)
            outcome.new_articles += is_new
            outcome.updated_articles += not is_new
            outcome.new_statements += new_statements
            outcome.page_errors += article.page_error is not None

    def _scored(self, text: str) -> Score:
        score = self.memo.score(text)
        if score is None:  # forgotten by the bounded memo: score it again
            batch = _Ready(self.scorer.score([text]))
            self.memo.put(text, batch, 0)
            score = batch.result()[0]
        return score

    def _article(self, feed: FeedState, entry: Entry) -> Article:
        """Fetch the page of an entry; fall back to the entry's summary when that fails."""
        text: str | None = None
        page_error: str | None = None
        if entry.link:
            try:
                with self.stages.time("fetch_pages"):
                    page = self.fetcher.get(entry.link, max_bytes=self.options.max_page_bytes)
                with self.stages.time("page_text"):
                    text = main_text(page.body, url=page.url, title=entry.title)
                if text is None:
                    page_error = "no main text found on the page"
            except FetchError as e:
                page_error = str(e)
        else:
            page_error = "entry has no link"
        return Article(
            feed_id=feed.id,
            key=entry.key,
            title=entry.title,
            url=entry.link,
            published=iso_utc(entry.published or utc_now()),
            summary=entry.summary,
            text=text if text is not None else entry.summary,
            text_source="page" if text is not None else "summary",
            entry_hash=entry.content_hash,
            author=entry.author,
            page_error=page_error,
        )

def ingest(
    options: Options,
    *,
    progress: Progress | None = None,
    extractor: Extractor | None = None,
    scorer: Scorer | None = None,
) -> RunSummary:
    """Run the nightly job once over options.feeds into options.db.

    Raises ConfigError for a bad feeds.yaml, StoreError / LockedError when the
    database cannot be used; every per-feed problem ends up in the summary instead.
    """
    progress = progress or Progress()
    specs = load_feedlist(options.feeds)
    started = time.monotonic()
    lock = RunLock(options.db)
    with lock.held(), Store.open(options.db) as store:
        feeds = store.sync_feeds(specs)
        last_statement = store.db.execute("SELECT coalesce(max(id), 0) FROM statements").fetchone()[0]
        run_id = store.start_run()
        summary = RunSummary(run_id=run_id)
        log.info("run=%d started feeds=%d db=%s", run_id, len(feeds), options.db)
        progress.feeds_total(len(feeds))
        store.sync_officials(load_registry((options.officials,) if options.officials else ()).officials.values())
        with Fetcher(options) as fetcher:

            def feed_done(feed: FeedState, outcome: FeedOutcome) -> None:
                store.record_feed_outcome(run_id, feed.id, outcome)
                summary.outcomes.append(outcome)
                _log_outcome(outcome)
                progress.feed_done(outcome)

            processor = FeedProcessor(options, store, fetcher, extractor, scorer, on_done=feed_done)
            try:
                for feed in feeds:
                    progress.feed_started(feed.name)
                    processor.process(feed)
                processor.drain()
            finally:
                processor.close()
        with processor.stages.time("spikes"):
            spikes = refresh_spikes(store, options.spike_rule, since_statement_id=last_statement)
        summary.stages = {stage: round(seconds, 3) for stage, seconds in processor.stages.seconds.items()}
        summary.seconds = time.monotonic() - started
        store.finish_run(summary)
        log.info("run=%d spikes=%d (in the series that got new statements)", run_id, spikes)
        log.info(
            "run=%d statements extracted=%d scored=%d (a repeated text is scored once)",
            run_id, processor.statements_extracted, processor.statements_scored,
        )
        log.info("run=%d finished %s", run_id, summary.line())
        log.info("run=%d stages %s", run_id, " ".join(f"{k}={v:.2f}" for k, v in sorted(summary.stages.items())))
    return summary


def _log_outcome(outcome: FeedOutcome) -> None:
    level = logging.WARNING if outcome.status == "failed" else logging.INFO
    log.log(
        level,
        "feed=%r status=%s http=%s entries=%d new=%d updated=%d statements=%d page_errors=%d seconds=%.2f%s",
        outcome.feed,
        outcome.status,
        outcome.http_status,
        outcome.entries,
        outcome.new_articles,
        outcome.updated_articles,
        outcome.new_statements,
        outcome.page_errors,
        outcome.seconds,
        f" error={outcome.error!r}" if outcome.error else "",
    )
