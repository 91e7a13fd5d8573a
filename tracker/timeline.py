"""Reading the timeline back: the few reads people want every day, over the `timeline` view.

Each function takes a Store and keyword filters and returns plain rows (dicts);
the CLI commands of the same names only format them.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from .errors import QueryError, TrackerError  # noqa: F401  (QueryError: raised here, defined there)
from .store import Store
from .text import fold

TIMELINE_COLUMNS = (
    "published", "day", "speaker", "official_id", "official", "country", "role", "kind", "text",
    "level", "label", "escalation", "instruments", "title", "url", "feed",
)


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    if isinstance(row.get("instruments"), str):
        row["instruments"] = json.loads(row["instruments"] or "[]")
    return row


def _check_day(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as e:
        raise QueryError(f"{what} must be a date as YYYY-MM-DD, got {value!r}") from e


def resolve_official(store: Store, official: str) -> str:
    """An official's id from an id, a full name, an alias or a surname ("kato"); QueryError otherwise."""
    wanted = fold(official)
    rows = list(store.query("SELECT id, name, aliases FROM officials"))
    exact = [r["id"] for r in rows if r["id"] == official or fold(r["name"]) == wanted]
    if exact:
        return exact[0]
    matches = [
        r for r in rows
        if wanted in {fold(a) for a in json.loads(r["aliases"] or "[]")}
        or wanted == fold(r["name"].split()[-1]) or wanted == fold(r["name"].split()[0])
    ]
    if len(matches) == 1:
        return matches[0]["id"]
    if len(matches) > 1:
        spoken = [m for m in matches if next(store.query("SELECT count(*) AS n FROM statements WHERE official_id = ?", [m["id"]]))["n"]]
        if len(spoken) == 1:
            return spoken[0]["id"]
        names = ", ".join(f"{m['name']} ({m['id']})" for m in matches)
        raise QueryError(f"{official!r} could be any of: {names}; give the id")
    raise QueryError(f"no official matches {official!r}; `tracker officials` lists them")


def timeline(
    store: Store,
    *,
    official: str | None = None,
    country: str | None = None,
    since: str | None = None,
    until: str | None = None,
    min_level: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Timeline rows, oldest first, filtered; instruments decoded to a list."""
    where, params = [], []
    if official:
        where.append("official_id = ?")
        params.append(resolve_official(store, official))
    if country:
        where.append("country = ?")
        params.append(country.upper())
    if since:
        where.append("day >= ?")
        params.append(_check_day(since, "--since"))
    if until:
        where.append("day <= ?")
        params.append(_check_day(until, "--until"))
    if min_level is not None:
        where.append("level >= ?")
        params.append(min_level)
    sql = "SELECT * FROM timeline" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY published, statement_id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_decode(row) for row in store.query(sql, params)]


def latest_day(store: Store) -> str | None:
    row = next(store.query("SELECT max(day) AS day FROM statements"))
    return row["day"]


def top(store: Store, *, date: str | None = None, n: int = 10) -> tuple[str | None, list[dict[str, Any]]]:
    """The n most escalatory statements of a day (default: the latest day with statements)."""
    day = _check_day(date, "--date") or latest_day(store)
    if day is None:
        return None, []
    rows = store.query(
        "SELECT * FROM timeline WHERE day = ? ORDER BY escalation DESC, statement_id LIMIT ?", [day, n]
    )
    return day, [_decode(r) for r in rows]


def officials(store: Store) -> list[dict[str, Any]]:
    """The registry with each official's statement count and last day on record."""
    rows = store.query(
        """SELECT o.id, o.name, o.country, o.role, count(s.id) AS statements, max(s.day) AS last_day,
                  round(avg(sc.escalation), 3) AS mean_escalation
           FROM officials o
           LEFT JOIN statements s ON s.official_id = o.id
           LEFT JOIN scores sc ON sc.statement_id = s.id AND sc.current = 1
           GROUP BY o.id ORDER BY statements DESC, o.name"""
    )
    return list(rows)


def search(store: Store, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Statements matching an FTS5 query ("treasury holdings", "tariff*", "yen NOT intervention"), best first."""
    try:
        rows = list(
            store.query(
                """SELECT t.*, bm25(statements_fts) AS rank FROM statements_fts
                   JOIN timeline t ON t.statement_id = statements_fts.rowid
                   WHERE statements_fts MATCH ? ORDER BY rank LIMIT ?""",
                [query, limit],
            )
        )
    except Exception as e:  # sqlite3.OperationalError: fts5 syntax error
        raise QueryError(f"cannot search for {query!r}: {e}") from e
    return [_decode(r) for r in rows]


def spikes(store: Store, *, since: str | None = None, series: str | None = None) -> list[dict[str, Any]]:
    """Stored spikes, newest first."""
    where, params = [], []
    if since:
        where.append("day >= ?")
        params.append(_check_day(since, "--since"))
    if series:
        where.append("series = ?")
        params.append(series)
    sql = "SELECT * FROM spikes" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY day DESC, z DESC"
    return list(store.query(sql, params))
