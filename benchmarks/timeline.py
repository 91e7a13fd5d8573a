"""Query times over a year of history: a million generated statements in a real tracker database.

    python -m benchmarks.timeline [--statements 1000000] [--db /tmp/tracker-bench.db] [--keep]

Builds the database through the real migrations (indexes, views, FTS triggers and all),
fills it with generated statements spread over 365 days, 200 officials and 12
countries, then prints the median time of the reads people run every day.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from tracker.spikes import SpikeRule, daily_series, find_spikes, refresh_spikes
from tracker.store import Store
from tracker.timeline import search, timeline, top

COUNTRIES = ["US", "JP", "CN", "EU", "CA", "MX", "KR", "GB", "DE", "FR", "IN", "BR"]
WORDS = ["tariffs", "duties", "yen", "treasury", "holdings", "export", "controls", "rare", "earths", "sanctions", "talks", "agreement", "deal", "countermeasures", "retaliation", "market", "access", "energy", "investment", "currency", "intervention", "licences", "chips", "steel", "autos", "soybeans", "negotiations", "pressure", "concessions", "deadline"]
LABELS = ("deescalate", "neutral", "pressure", "threat")


def generate(store: Store, statements: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    db = store.db
    db.execute("INSERT INTO feeds (name, kind, config_url, url, created) VALUES ('bench', 'news', 'http://x/', 'http://x/', '2025-01-01T00:00:00Z')")
    officials = [(f"official-{i:03d}", f"Official Number{i:03d}", COUNTRIES[i % len(COUNTRIES)]) for i in range(200)]
    with db.atomic():
        db.conn.executemany("INSERT INTO officials (id, name, country, role) VALUES (?, ?, ?, 'Minister')", officials)
    start = date(2025, 1, 1)
    per_article = 4
    batch_articles, batch_statements, batch_scores, batch_sources = [], [], [], []
    statement_id = 0
    for article_id in range(1, statements // per_article + 1):
        day = start + timedelta(days=rng.randrange(365))
        published = f"{day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z"
        batch_articles.append((article_id, 1, f"k{article_id}", f"http://x/{article_id}", f"Article {article_id}", published,
                               "", "text", "page", "h", "bench", published, published))
        for _ in range(per_article):
            statement_id += 1
            oid, name, country = officials[min(199, int(rng.paretovariate(1.2)) - 1)]
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 25)))
            level = rng.randrange(4)
            escalation = min(1.0, max(0.0, level / 3 + rng.uniform(-0.15, 0.15)))
            batch_statements.append((statement_id, article_id, name, oid, 1, "Minister", country, "direct", text, 0,
                                     len(text), oid, f"f{statement_id}", published))
            batch_scores.append((statement_id, "bench", "1", level, LABELS[level], escalation,
                                 json.dumps({label: 0.25 for label in LABELS}),
                                 json.dumps(rng.sample(["tariffs", "currency", "energy"], rng.randrange(2))), published))
            batch_sources.append((statement_id, article_id, 0, len(text), text))
        if len(batch_statements) >= 50_000 or article_id == statements // per_article:
            with db.atomic():
                db.conn.executemany(
                    "INSERT INTO articles (id, feed_id, key, url, title, published, summary, text, text_source, entry_hash,"
                    " extractor, first_seen, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch_articles)
                db.conn.executemany(
                    "INSERT INTO statements (id, article_id, speaker, official_id, official, role, country, kind, text,"
                    " span_start, span_end, speaker_key, fingerprint, published) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    batch_statements)
                db.conn.executemany(
                    "INSERT INTO scores (statement_id, model, model_version, level, label, escalation, probs, instruments,"
                    " scored) VALUES (?,?,?,?,?,?,?,?,?)", batch_scores)
                db.conn.executemany(
                    "INSERT INTO statement_sources (statement_id, article_id, span_start, span_end, text) VALUES (?,?,?,?,?)",
                    batch_sources)
            batch_articles, batch_statements, batch_scores, batch_sources = [], [], [], []
            print(f"  generated {statement_id:,} statements", flush=True)
    db.execute("ANALYZE")
    db.commit()


def timed(label: str, action, repeat: int = 5) -> None:
    runs = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = action()
        runs.append(time.perf_counter() - t)
    size = len(result) if hasattr(result, "__len__") else result
    print(f"{label:58} {statistics.median(runs) * 1000:8.1f} ms   ({size} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/tracker-bench.db"))
    parser.add_argument("--keep", action="store_true", help="reuse the database if it exists")
    args = parser.parse_args()
    if not (args.keep and args.db.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(str(args.db) + suffix).unlink(missing_ok=True)
        t = time.perf_counter()
        with Store.open(args.db) as store:
            generate(store, args.statements)
        print(f"generated {args.statements:,} statements in {time.perf_counter() - t:.0f} s, "
              f"{args.db.stat().st_size / 1e6:.0f} MB")
    with Store.open(args.db) as store:
        q = store.query
        timed("timeline of one official (library, whole year)", lambda: timeline(store, official="official-005"))
        timed("timeline of one official, one month", lambda: timeline(store, official="official-005", since="2025-06-01", until="2025-06-30"))
        timed("top 10 of a day", lambda: top(store, date="2025-06-15", n=10)[1])
        timed("official_days: one official, whole year", lambda: list(q("SELECT * FROM official_days WHERE official_id = 'official-005'")))
        timed("official_days: every official, one day", lambda: list(q("SELECT * FROM official_days WHERE day = '2025-06-15'")))
        timed("country_days: one country, whole year", lambda: list(q("SELECT day, statements, mean_escalation FROM country_days WHERE country = 'JP'")))
        timed("instrument_days: one day", lambda: list(q("SELECT * FROM instrument_days WHERE day = '2025-06-15'")))
        timed("full-text search 'treasury holdings', top 20", lambda: search(store, "treasury holdings", limit=20))
        timed("spikes of one official's series", lambda: find_spikes(daily_series(store, "official", "official-005")[0], SpikeRule()))
        last = store.db.execute("SELECT max(id) FROM statements").fetchone()[0]
        per_day = args.statements // 365
        timed(f"spikes refreshed after a night's ingest ({per_day:,} new statements)",
              lambda: refresh_spikes(store, since_statement_id=last - per_day), repeat=1)


if __name__ == "__main__":
    main()
