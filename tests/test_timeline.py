"""Reading the timeline: views, full-text search, spikes, the CLI reads and the charts."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from tracker.cli import EXIT_USAGE, cli
from tracker.spikes import DayPoint, SpikeRule, find_spikes


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_timeline_of_an_official_by_surname(demo_db):
    result = run("timeline", "--official", "kato", "--format", "json", "--db", str(demo_db))
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) >= 20
    assert {r["speaker"] for r in rows} == {"Katsunobu Kato"} and {r["official_id"] for r in rows} == {"katsunobu-kato"}
    assert all(0 <= r["escalation"] <= 1 and r["label"] for r in rows)
    assert [r["day"] for r in rows] == sorted(r["day"] for r in rows)
    table = run("timeline", "--official", "katsunobu-kato", "--limit", "3", "--db", str(demo_db))
    assert "Katsunobu Kato" in table.stdout and "timeline (3 statements)" in table.stdout


def test_timeline_filters_and_csv(demo_db):
    result = run("timeline", "--country", "jp", "--since", "2025-05-09", "--until", "2025-05-09", "--min-level", "2",
                 "--format", "csv", "--db", str(demo_db))
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and {r["day"] for r in rows} == {"2025-05-09"} and {r["country"] for r in rows} == {"JP"}
    assert all(r["label"] in ("pressure", "threat") for r in rows)


def test_unknown_official_and_bad_dates_are_one_line_errors(demo_db):
    unknown = run("timeline", "--official", "nobody", "--db", str(demo_db))
    bad_day = run("timeline", "--since", "May 9", "--db", str(demo_db))
    assert unknown.exit_code == EXIT_USAGE and "no official matches 'nobody'" in unknown.stderr
    assert bad_day.exit_code == EXIT_USAGE and "YYYY-MM-DD" in bad_day.stderr


def test_top_statements_of_a_day(demo_db):
    result = run("top", "--date", "2025-05-09", "--n", "5", "--format", "json", "--db", str(demo_db))
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 5
    assert [r["escalation"] for r in rows] == sorted((r["escalation"] for r in rows), reverse=True)
    latest = run("top", "--format", "json", "--db", str(demo_db))
    assert latest.exit_code == 0 and latest.stdout.strip()


def test_officials_with_counts(demo_db):
    rows = [json.loads(line) for line in run("officials", "--format", "json", "--db", str(demo_db)).stdout.splitlines()]
    kato = next(r for r in rows if r["id"] == "katsunobu-kato")
    assert kato["statements"] >= 20 and len(rows) >= 60


def test_full_text_search_from_the_cli_and_sql(demo_db):
    result = run("search", "treasury holdings", "--format", "json", "--db", str(demo_db))
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all("treasur" in r["text"].lower() and "hold" in r["text"].lower() for r in rows)  # porter stems
    with sqlite3.connect(demo_db) as conn:
        n = conn.execute("SELECT count(*) FROM statements_fts WHERE statements_fts MATCH 'treasury holdings'").fetchone()[0]
    assert n == len(rows) or len(rows) == 20
    bad = run("search", '"unbalanced', "--db", str(demo_db))
    assert bad.exit_code == EXIT_USAGE and "cannot search" in bad.stderr


def test_search_index_follows_inserts_updates_and_deletes(demo_db, tmp_path):
    db = tmp_path / "copy.db"
    shutil.copy(demo_db, db)
    with sqlite3.connect(db) as conn:
        statement_id = conn.execute("SELECT id FROM statements LIMIT 1").fetchone()[0]
        conn.execute("UPDATE statements SET text = 'zeppelin diplomacy resumes' WHERE id = ?", [statement_id])
        assert conn.execute("SELECT rowid FROM statements_fts WHERE statements_fts MATCH 'zeppelin'").fetchall() == [(statement_id,)]
        conn.execute("DELETE FROM statements WHERE id = ?", [statement_id])
        assert conn.execute("SELECT count(*) FROM statements_fts WHERE statements_fts MATCH 'zeppelin'").fetchone()[0] == 0


def test_the_sample_corpus_spike_is_found(demo_db):
    with sqlite3.connect(demo_db) as conn:
        spikes = conn.execute("SELECT key, day, highest_in_window FROM spikes WHERE series = 'official'").fetchall()
    assert ("katsunobu-kato", "2025-05-09", 1) in spikes
    result = run("spikes", "--series", "official", "--format", "json", "--db", str(demo_db))
    assert any(json.loads(line)["name"] == "Katsunobu Kato" for line in result.stdout.splitlines())


def test_spike_rule():
    calm = [DayPoint(f"2025-05-{d:02d}", 0.3 + 0.01 * (d % 3), 3) for d in range(1, 11)]
    rule = SpikeRule(window=30, min_days=4, z=3.0, min_rise=0.15)
    assert find_spikes(calm, rule) == []
    spike = find_spikes(calm + [DayPoint("2025-05-12", 0.7, 2)], rule)
    assert [s["day"] for s in spike] == ["2025-05-12"] and spike[0]["baseline_days"] == 10
    too_early = find_spikes(calm[:3] + [DayPoint("2025-05-04", 0.9, 1)], rule)
    assert too_early == []  # three days of history are not a baseline
    stale = find_spikes(calm[:5] + [DayPoint("2025-07-30", 0.9, 1)], rule)
    assert stale == []  # the calm days fell out of the 30-day window


def test_views_a_user_reaches_for(demo_db):
    with sqlite3.connect(demo_db) as conn:
        kato = conn.execute(
            "SELECT day, statements, mean_escalation, max_escalation, top_statement FROM official_days "
            "WHERE official_id = 'katsunobu-kato' ORDER BY day"
        ).fetchall()
        countries = conn.execute("SELECT count(*) FROM country_days WHERE country = 'JP'").fetchone()[0]
        instruments = dict(conn.execute("SELECT instrument, sum(statements) FROM instrument_days GROUP BY instrument").fetchall())
    assert len(kato) >= 8 and all(n > 0 and 0 <= mean <= top <= 1 and text for _, n, mean, top, text in kato)
    assert countries >= 8 and instruments.get("treasury_holdings", 0) > 0


@pytest.mark.parametrize("selector", [["--official", "kato"], ["--country", "US"]])
def test_plot_draws_a_png(demo_db, tmp_path, selector):
    out = tmp_path / "chart.png"
    result = run("plot", *selector, "--out", str(out), "--db", str(demo_db))
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_reads_on_a_missing_database_say_so(workdir):
    result = run("timeline", "--db", "nowhere.db")
    assert result.exit_code != 0 and "no database at nowhere.db" in result.stderr
