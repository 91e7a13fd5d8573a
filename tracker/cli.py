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
from .errors import ConfigError, LockedError, QueryError, StoreError, TrackerError
from .jsonl import InputError, dumps, extract_objects, read_objects, score_objects
from .logs import setup_logging
from .models import FeedOutcome, RunSummary
from .options import Options, build_options
from .progress import Progress

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
    if isinstance(error, (ConfigError, InputError, QueryError)):
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


def _start_logging(options: Options, digest_settings=None) -> None:
    password = digest_settings.password if digest_settings is not None else None
    setup_logging(
        options.resolved_log_file,
        quiet_stderr=_interactive(),
        max_bytes=options.log_max_bytes,
        backups=options.log_backups,
        secrets=[password] if password else None,
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
@click.option("--digest", "with_digest", is_flag=True, help="Then send yesterday's digest (as `tracker digest`).")
@click.pass_context
def ingest(ctx: click.Context, feeds: Path | None, db: Path | None, with_digest: bool) -> None:
    """The nightly job: fetch feeds and articles, extract and score statements, store them."""
    from .ingest import ingest as run_ingest

    options = _options(ctx, feeds=feeds, db=db)
    settings = _digest_settings(ctx) if with_digest else None
    _start_logging(options, settings)
    with _progress() as progress:
        summary = run_ingest(options, progress=progress)
    _report(summary)
    digest_failed = False
    if settings is not None:
        digest_failed = not _send_digest(options, settings, day=None, force=False)
    if summary.failed or digest_failed:
        ctx.exit(EXIT_FEEDS_FAILED)


def _digest_settings(ctx: click.Context):
    from .digest.settings import digest_table, load_digest_settings

    return load_digest_settings(digest_table(ctx.obj["config"]))


def _send_digest(options: Options, settings, *, day: str | None, force: bool) -> bool:
    """Send (and retry) digests; one line per day on stderr; False when any send failed."""
    from .digest import send_digests, yesterday
    from .store import RunLock, Store
    from .timeline import _check_day

    day = _check_day(day, "--date") or yesterday(settings)
    with RunLock(options.db).held(), Store.open(options.db) as store:
        outcomes = send_digests(store, settings, day, force=force)
    for outcome in outcomes:
        prefix = "tracker: error: " if outcome.status == "failed" else ""
        click.echo(f"{prefix}digest {outcome.day}: {outcome.status}: {outcome.detail}", err=True)
    return all(o.status != "failed" for o in outcomes)


@cli.command()
@click.option("--date", "day", help="The day, YYYY-MM-DD (default: yesterday in the digest's time zone).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite database (default: db/tracker.db).")
@click.option("--dry-run", is_flag=True, help="Write the message to a file instead of sending it.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="With --dry-run: the .eml file (default: digest-DAY.eml).")
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the HTML for a browser (and do not send).")
@click.option("--force", is_flag=True, help="Send even if this day's digest was already sent.")
@click.pass_context
def digest(ctx: click.Context, day: str | None, db: Path | None, dry_run: bool, out: Path | None, html: Path | None,
           force: bool) -> None:
    """Compose the daily digest and send it by SMTP (or write it to a file)."""
    from .digest import write_digest, yesterday
    from .timeline import _check_day

    options = _options(ctx, db=db)
    settings = _digest_settings(ctx)
    _start_logging(options, settings)
    if dry_run or html:
        day = _check_day(day, "--date") or yesterday(settings)
        eml = (out or Path(f"digest-{day}.eml")) if dry_run else None
        with _open_store(ctx, db) as store:
            data = write_digest(store, settings, day, eml=eml, html=html)
        for path in (eml, html):
            if path is not None:
                click.echo(f"wrote {path} ({'quiet day' if data.quiet else f'{len(data.top)} top statements'})", err=True)
        return
    _open_store(ctx, db).close()  # the one-line "no database" error before any SMTP
    if not _send_digest(options, settings, day=day, force=force):
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
    from .demo import DEMO_DB, demo_digest
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
        day, eml, html = demo_digest(store, _digest_settings(ctx), result.db)
    _report(result.summary)
    click.echo(f"demo database: {result.db} (query it: sqlite3 {result.db} 'SELECT * FROM timeline')", err=True)
    click.echo(f"demo digest for {day}: {html} (open it in a browser) and {eml} (the email)", err=True)
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
    for scored in score_objects(objects, load_scorer(quantize=options.quantize_scorer, precision=options.scorer_precision), max(64, options.batch_size)):
        click.echo(dumps(scored))


@cli.command()
@click.option("--epochs", type=int, default=None, help="Training epochs (default 8, TrainConfig.epochs).")
@click.option("--seed", type=int, default=None, help="Random seed (default 1, TrainConfig.seed).")
@click.option("--lexical-weight", type=click.FloatRange(0.0, 1.0, max_open=True), default=None,
              help="Weight of the TF-IDF model mixed into the transformer's probabilities "
                   "(default: chosen on the validation split; 0: the transformer alone).")
@click.option("--distill-weight", type=click.FloatRange(0.0, 1.0), default=None,
              help="Share of the loss taught by two cross-fitted teachers (default 0.5; 0: no teachers).")
@click.option("--teachers", type=click.Choice(["lexical", "transformer"]), default=None,
              help="The teachers' kind: TF-IDF + logistic regression (default, seconds) or the transformer "
                   "fine-tuned on each half (about 40 % more training time).")
@click.option("--lexicon-instruments", "lexicon_instruments", is_flag=True, default=False,
              help="Tag instruments with the lexicon alone (tracker/data/instruments.yaml), not the learned tagger.")
@click.pass_context
def train(ctx: click.Context, epochs: int | None, seed: int | None, lexical_weight: float | None, distill_weight: float | None,
          teachers: str | None, lexicon_instruments: bool) -> None:
    """Fine-tune the escalation classifier on models/data and write it to models/escalation."""
    from dataclasses import replace

    from .score.train import TrainConfig
    from .score.train import train as run_train

    config = TrainConfig()
    config = replace(config, **{k: v for k, v in {"epochs": epochs, "seed": seed, "lexical_weight": lexical_weight,
                                       "distill_weight": distill_weight, "teachers": teachers}.items() if v is not None})
    if lexicon_instruments:
        config = replace(config, learned_instruments=False)
    folder = run_train(config, progress=True, report=lambda line: click.echo(line, err=True))
    card = (folder / "card.json").read_text(encoding="utf-8")
    click.echo(f"model written to {folder}")
    click.echo(card)


@cli.group(name="eval", invoke_without_command=True)
@click.pass_context
def eval_(ctx: click.Context) -> None:
    """Held-out metrics of the classifier beside the TF-IDF baseline; `tracker eval extraction` for the extractor."""
    if ctx.invoked_subcommand is not None:
        return
    from .evaluate.classifier import evaluate_classifier, report

    models, tags, n = evaluate_classifier()
    click.echo(report(models, tags, n))


@cli.command()
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite database (default: db/tracker.db).")
@click.pass_context
def rescore(ctx: click.Context, db: Path | None) -> None:
    """Re-score stored statements with the current model (the timeline shows the newest score)."""
    from .rescore import rescore as run_rescore

    options = _options(ctx, db=db)
    _start_logging(options)
    done = run_rescore(options)
    click.echo(f"rescored {done} statements", err=True)


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


FORMATS = click.Choice(["table", "csv", "json"])
READ_COLUMNS = ("day", "speaker", "official_id", "country", "kind", "label", "escalation", "instruments", "text", "feed")


def _open_store(ctx: click.Context, db: Path | None):
    from .errors import StoreError
    from .store import Store

    options = _options(ctx, db=db)
    if not options.db.exists():
        raise StoreError(f"no database at {options.db} (run `tracker ingest` or `tracker demo` first)")
    return Store.open(options.db)


DB_OPTION = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                         help="SQLite database (default: db/tracker.db).")


@cli.command(name="timeline")
@click.option("--official", help="Official id, name or surname (kato, katsunobu-kato).")
@click.option("--country", help="ISO country code (JP, US, EU, ...).")
@click.option("--since", help="First day, YYYY-MM-DD.")
@click.option("--until", help="Last day, YYYY-MM-DD.")
@click.option("--min-level", type=click.IntRange(0, 3), help="Only statements at this level or above.")
@click.option("--limit", type=int, help="At most this many rows.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@DB_OPTION
@click.pass_context
def timeline_cmd(ctx, official, country, since, until, min_level, limit, fmt, db) -> None:
    """Statements with their scores, oldest first, filtered."""
    from .timeline import timeline

    with _open_store(ctx, db) as store:
        rows = timeline(store, official=official, country=country, since=since, until=until, min_level=min_level, limit=limit)
    _write(rows, READ_COLUMNS, fmt, f"timeline ({len(rows)} statements)")


@cli.command(name="top")
@click.option("--date", help="The day, YYYY-MM-DD (default: the latest day with statements).")
@click.option("--n", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@DB_OPTION
@click.pass_context
def top_cmd(ctx, date, n, fmt, db) -> None:
    """The day's most escalatory statements."""
    from .timeline import top

    with _open_store(ctx, db) as store:
        day, rows = top(store, date=date, n=n)
    _write(rows, ("escalation", "label", "speaker", "country", "instruments", "text", "url"), fmt, f"top {n} on {day}")


@cli.command(name="officials")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@DB_OPTION
@click.pass_context
def officials_cmd(ctx, fmt, db) -> None:
    """The officials registry with each official's statement count."""
    from .timeline import officials

    with _open_store(ctx, db) as store:
        rows = officials(store)
    _write(rows, ("id", "name", "country", "role", "statements", "last_day", "mean_escalation"), fmt, "officials")


@cli.command(name="search")
@click.argument("query")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@DB_OPTION
@click.pass_context
def search_cmd(ctx, query, limit, fmt, db) -> None:
    """Full-text search of statements (SQLite FTS5 syntax: "treasury holdings", tariff*, yen NOT bank)."""
    from .timeline import search

    with _open_store(ctx, db) as store:
        rows = search(store, query, limit=limit)
    _write(rows, READ_COLUMNS, fmt, f"{len(rows)} statements matching {query!r}")


@cli.command(name="spikes")
@click.option("--since", help="First day, YYYY-MM-DD.")
@click.option("--series", type=click.Choice(["official", "country"]))
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@DB_OPTION
@click.pass_context
def spikes_cmd(ctx, since, series, fmt, db) -> None:
    """Days whose escalation stood well above the series' own 30-day baseline."""
    from .timeline import spikes

    with _open_store(ctx, db) as store:
        rows = spikes(store, since=since, series=series)
    _write(rows, ("day", "series", "name", "escalation", "baseline", "z", "statements", "highest_in_window"), fmt, "spikes")


@cli.command(name="plot")
@click.option("--official", help="Official id, name or surname.")
@click.option("--country", help="ISO country code.")
@click.option("--since", help="First day, YYYY-MM-DD.")
@click.option("--until", help="Last day, YYYY-MM-DD.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="PNG file to write.")
@DB_OPTION
@click.pass_context
def plot_cmd(ctx, official, country, since, until, out, db) -> None:
    """Draw escalation over time: daily mean, each statement as a point, spikes marked."""
    from .plot import plot

    with _open_store(ctx, db) as store:
        written = plot(store, official=official, country=country, since=since, until=until, out=out)
    click.echo(f"wrote {written}", err=True)


@cli.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8001, show_default=True)
@DB_OPTION
@click.pass_context
def serve_cmd(ctx, host, port, db) -> None:
    """Open the database in Datasette, with titles, descriptions and canned queries (needs tracker[serve])."""
    from .serve import serve

    options = _options(ctx, db=db)
    serve(options.db, host=host, port=port)


@cli.command(name="feeds")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@DB_OPTION
@click.pass_context
def feeds_cmd(ctx, fmt, db) -> None:
    """Each feed's state: last success, last error, errors in a row, next check."""
    from .operations import feed_health

    with _open_store(ctx, db) as store:
        rows = feed_health(store)
    _write(rows, ("name", "state", "last_success", "errors_in_a_row", "next_check", "last_error"), fmt, "feeds")


@cli.command(name="doctor")
@click.option("--max-age-hours", type=float, default=36.0, show_default=True,
              help="Fail when the last successful ingest is older than this.")
@DB_OPTION
@click.pass_context
def doctor_cmd(ctx, max_age_hours, db) -> None:
    """Check the database for monitoring: schema, integrity, feeds in trouble, age of the last run."""
    from .operations import doctor

    options = _options(ctx, db=db)
    report = doctor(options.db, max_age_hours=max_age_hours)
    for check in report.checks:
        mark = "ok  " if check.ok else ("warn" if check.warning else "FAIL")
        click.echo(f"{mark} {check.name:10} {check.detail}")
    if not report.healthy:
        ctx.exit(EXIT_FEEDS_FAILED)


@cli.command(name="backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@DB_OPTION
@click.pass_context
def backup_cmd(ctx, destination, db) -> None:
    """A consistent online copy of the database to DESTINATION (safe while ingest runs)."""
    from .operations import backup

    options = _options(ctx, db=db)
    written = backup(options.db, destination)
    click.echo(f"backed up {options.db} to {written} ({written.stat().st_size / 1e6:.1f} MB)", err=True)


def _write(rows, columns, fmt, title) -> None:
    from .render import write_rows

    write_rows(rows, columns, fmt, title=title)


def main() -> None:
    cli(prog_name="tracker")
