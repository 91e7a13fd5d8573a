"""`tracker serve`: the database in Datasette, with titles, column descriptions and canned queries.

Datasette is an optional extra (`pip install -e '.[serve]'`); the database is opened
read-only (immutable is not used: ingest may be writing to it).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

from .errors import TrackerError

COLUMNS = {
    "published": "When the statement was first published (UTC, ISO-8601)",
    "day": "published's date, YYYY-MM-DD",
    "speaker": "The speaker's full canonical name",
    "official_id": "Id in the officials registry, or empty",
    "official": "1 for a person speaking in a government or central-bank office",
    "country": "ISO 3166 alpha-2 code of the official's country",
    "role": "The speaker's role on that day",
    "kind": "direct (quote), reported (reported speech) or speech (speech feed)",
    "text": "The statement, exactly as in the article",
    "level": "0 deescalate, 1 neutral, 2 pressure, 3 threat",
    "label": "The level's name",
    "escalation": "(p1 + 2 p2 + 3 p3) / 3 from calibrated probabilities: 0 calm, 1 open threat",
    "instruments": "JSON array of the levers the statement names",
    "title": "The article's title",
    "url": "The article's link",
    "feed": "The feed it came from",
    "sources": "How many articles carried the statement",
}

QUERIES = {
    "top_statements": {
        "title": "Top statements of a day",
        "description": "The most escalatory statements of a day (default: the latest day).",
        "sql": (
            "SELECT day, speaker, country, label, round(escalation, 3) AS escalation, instruments, text, url "
            "FROM timeline WHERE day = coalesce(nullif(:day, ''), (SELECT max(day) FROM statements)) "
            "ORDER BY escalation DESC LIMIT 20"
        ),
        "params": ["day"],
    },
    "official_timeline": {
        "title": "An official's timeline",
        "description": "Every statement of one official (by registry id, e.g. katsunobu-kato), newest first.",
        "sql": (
            "SELECT day, label, round(escalation, 3) AS escalation, kind, text, title, url FROM timeline "
            "WHERE official_id = :official_id ORDER BY published DESC"
        ),
        "params": ["official_id"],
    },
    "spikes": {
        "title": "Spikes",
        "description": "Days whose escalation stood well above the series' own 30-day baseline.",
        "sql": "SELECT day, series, name, escalation, baseline, z, statements FROM spikes ORDER BY day DESC, z DESC",
    },
}


def metadata(db_name: str) -> dict[str, Any]:
    return {
        "title": "tracker: officials' escalation",
        "description": "Which officials escalated and which calmed things down: statements by officials, scored for "
        "escalation (LABELS.md), from the nightly ingest.",
        "databases": {
            db_name: {
                "tables": {
                    "timeline": {"title": "Timeline", "description": "One row per statement with its current score.", "columns": COLUMNS},
                    "official_days": {"title": "Per official per day", "description": "Count, mean and max escalation, top statement."},
                    "country_days": {"title": "Per country per day", "description": "Officials of one country, per day."},
                    "instrument_days": {"title": "Instruments per day", "description": "How often each lever was named."},
                    "spikes": {"title": "Spikes", "description": "Days well above a series' trailing 30-day baseline."},
                    "officials": {"title": "Officials registry"},
                },
                "queries": QUERIES,
            }
        },
    }


def serve(db: Path, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run Datasette in the foreground until interrupted."""
    try:
        import datasette  # noqa: F401
    except ImportError as e:
        raise TrackerError("Datasette is not installed: pip install -e '.[serve]'") from e
    if not db.exists():
        raise TrackerError(f"no database at {db}")
    with tempfile.TemporaryDirectory() as folder:
        meta = Path(folder) / "metadata.json"
        meta.write_text(json.dumps(metadata(db.stem), indent=2), encoding="utf-8")
        from datasette.cli import cli as datasette_cli

        args = ["serve", str(db), "--metadata", str(meta), "--host", host, "--port", str(port),
                "--setting", "sql_time_limit_ms", "5000"]
        # in this process, so that stopping tracker stops Datasette too
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            datasette_cli.main(args=args, prog_name="datasette", standalone_mode=False)
