"""The `tracker` command: thin wrappers over the library, and the only place errors become exit codes.

Exit codes (docs/operations in the README):
0 ok; 1 one or more feeds failed; 2 usage or configuration error; 3 another run
holds the lock; 4 database error; 5 internal error (traceback in the log file).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import ConfigError, LockedError, StoreError, TrackerError
from .ingest import Progress
from .jsonl import InputError, dumps, extract_objects, read_objects, score_objects
from .logs import setup_logging
from .models import FeedOutcome, RunSummary
from .options import Options, build_options

EXIT_FEEDS_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_STORE = 4
EXIT_INTERNAL = 5

log = logging.getLogger(__name__)


def _exit_code(error: TrackerError) -> int:
    if isinstance(error, LockedError):
        return EXIT_LOCKED
    if isinstance(error, StoreError):
        return EXIT_STORE
    if isinstance(error, (ConfigError, InputError)):
        return EXIT_USAGE
    return EXIT_FEEDS_FAILED


class TrackerGroup(click.Group):
    """Turns library exceptions into one-line errors and distinct exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrackerError as e:
            click.echo(f"tracker: error: {e}", err=True)
            ctx.exit(_exit_code(e))
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(0)
        except Exception as e:
            log.exception("internal error")
            click.echo(f"tracker: internal error: {type(e).__name__}: {e} (traceback in the log file)", err=True)
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=TrackerGroup)
@click.version_option(__version__, prog_name="tracker")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML config file (default: $TRACKER_CONFIG, else ./tracker.toml if present).",
)
@click.pass_context
def cli(ctx: click.Context, config: Path | None) -> None:
    """tracker: which officials escalated and which calmed things down."""
    ctx.obj = {"config": config}


def _options(ctx: click.Context, **cli_values: Any) -> Options:
    return build_options(ctx.obj["config"], **cli_values)


def _interactive() -> bool:
    return sys.stderr.isatty()


def _start_logging(options: Options) -> None:
    setup_logging(
        options.resolved_log_file,
        quiet_stderr=_interactive(),
        max_bytes=options.log_max_bytes,
        backups=options.log_backups,
    )


@contextmanager
def _progress() -> Iterator[Progress]:
    """A progress bar on a terminal; under cron the per-feed log lines say the same."""
    if not _interactive():
        yield Progress()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn("[bold]ingest[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def done(outcome: FeedOutcome) -> None:
            bar.advance(task)
            if outcome.status == "failed":
                bar.console.print(f"[red]failed[/] {outcome.feed}: {outcome.error}")

        yield Progress(
            feeds_total=lambda n: bar.update(task, total=n),
            feed_started=lambda name: bar.update(task, description=name),
            feed_done=done,
        )


def _report(summary: RunSummary) -> None:
    click.echo(summary.line(), err=True)
    failed = summary.failed
    if failed:
        first = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        click.echo(
            f"tracker: error: {len(failed)} of {len(summary.outcomes)} feeds failed: {first.feed}: {first.error}{more}",
            err=True,
        )


@cli.command()
@click.option(
    "--feeds", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Feed list (default: feeds.yaml)."
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite database (default: db/tracker.db).",
)
@click.pass_context
def ingest(ctx: click.Context, feeds: Path | None, db: Path | None) -> None:
    """The nightly job: fetch feeds and articles, extract and score statements, store them."""
    from .ingest import ingest as run_ingest

    options = _options(ctx, feeds=feeds, db=db)
    _start_logging(options)
    with _progress() as progress:
        summary = run_ingest(options, progress=progress)
    _report(summary)
    if summary.failed:
        ctx.exit(EXIT_FEEDS_FAILED)


@cli.command()
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Demo database, rebuilt on every run (default: db/demo.db).",
)
@click.option("--limit", type=int, default=None, help="Print at most this many timeline rows.")
@click.pass_context
def demo(ctx: click.Context, db: Path | None, limit: int | None) -> None:
    """The whole pipeline, offline, on the bundled sample corpus served from 127.0.0.1."""
    from .demo import DEMO_DB
    from .demo import demo as run_demo
    from .render import print_timeline
    from .store import Store
    from .timeline import timeline

    options = _options(ctx)
    db = db or DEMO_DB
    _start_logging(options.replace(log_file=db.parent / "demo.log"))
    with _progress() as progress:
        result = run_demo(options, db=db, progress=progress)
    with Store.open(result.db) as store:
        print_timeline(timeline(store, limit=limit))
    _report(result.summary)
    click.echo(f"demo database: {result.db} (query it: sqlite3 {result.db} 'SELECT * FROM timeline')", err=True)
    if result.summary.failed:
        ctx.exit(EXIT_FEEDS_FAILED)


@cli.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.pass_context
def extract(ctx: click.Context, file: Any) -> None:
    """JSON lines of articles in (FILE or stdin), JSON lines of statements out."""
    from .extract import load_extractor

    options = _options(ctx)
    objects = (obj for _, obj in read_objects(file, file.name))
    for statement in extract_objects(objects, load_extractor(options.officials), options.batch_size):
        click.echo(dumps(statement))


@cli.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.pass_context
def score(ctx: click.Context, file: Any) -> None:
    """JSON lines with a `text` field in, the same objects out with the score fields added."""
    from .score import load_scorer

    options = _options(ctx)
    objects = (obj for _, obj in read_objects(file, file.name))
    for scored in score_objects(objects, load_scorer(), options.batch_size):
        click.echo(dumps(scored))


@cli.group(name="eval", invoke_without_command=True)
@click.pass_context
def eval_(ctx: click.Context) -> None:
    """Print held-out metrics: `tracker eval extraction` for the statement extractor."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@eval_.command(name="extraction")
@click.option(
    "--split",
    type=click.Choice(["test", "dev"]),
    default="test",
    show_default=True,
    help="test is the held-out part; dev is for development.",
)
@click.option(
    "--gold",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Gold folder (default: models/extraction/gold).",
)
@click.option("--verbose", is_flag=True, help="List misses, false alarms and wrong speakers.")
@click.pass_context
def eval_extraction(ctx: click.Context, split: str, gold: Path | None, verbose: bool) -> None:
    """Precision, recall, F1 and speaker accuracy of the extractor on the gold articles."""
    from .evaluate.extraction import evaluate_extraction, load_gold, report
    from .extract import load_extractor
    from .paths import extraction_gold_dir

    options = _options(ctx)
    articles = load_gold(gold or extraction_gold_dir(), split)
    if not articles:
        raise ConfigError(f"no gold articles in the {split} split")
    scores = evaluate_extraction(load_extractor(options.officials), articles)
    click.echo(report(scores, split, len(articles), verbose=verbose))


def main() -> None:
    cli(prog_name="tracker")
