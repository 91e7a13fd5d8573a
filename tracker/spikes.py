"""Spikes: a day whose escalation stands well above that official's (or country's) own recent baseline.

For each series (an official, or the officials of one country) the daily mean
escalation of day d is compared with the days that have statements in the
trailing window [d - window, d - 1]: median m and median absolute deviation.
A day is a spike when the window holds at least `min_days` days, the robust
z-score (x - m) / max(1.4826 MAD, floor) reaches `z`, and x rises at least
`min_rise` above m. Spikes are stored in the `spikes` table, refreshed after
every ingest for the series that received new statements.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta

from .models import iso_utc, utc_now
from .store import Store

SCALE_FLOOR = 0.05


@dataclass(frozen=True)
class SpikeRule:
    window: int = 30
    min_days: int = 4
    z: float = 3.0
    min_rise: float = 0.15


@dataclass(frozen=True)
class DayPoint:
    day: str
    mean: float
    statements: int


def find_spikes(points: list[DayPoint], rule: SpikeRule) -> list[dict]:
    """Spike days of one series (points sorted by day), with their baseline figures."""
    found = []
    for i, point in enumerate(points):
        today = date.fromisoformat(point.day)
        start = (today - timedelta(days=rule.window)).isoformat()
        baseline = [p.mean for p in points[:i] if p.day >= start]
        if len(baseline) < rule.min_days:
            continue
        median = statistics.median(baseline)
        mad = statistics.median(abs(v - median) for v in baseline)
        z = (point.mean - median) / max(1.4826 * mad, SCALE_FLOOR)
        if z >= rule.z and point.mean - median >= rule.min_rise:
            found.append(
                {
                    "day": point.day, "statements": point.statements, "escalation": round(point.mean, 4),
                    "baseline": round(median, 4), "mad": round(mad, 4), "z": round(z, 2),
                    "baseline_days": len(baseline), "highest_in_window": int(point.mean > max(baseline)),
                }
            )
    return found


_SERIES = {
    "official": ("official_id", "official_id IS NOT NULL"),
    "country": ("country", "official = 1"),
}


def daily_series(store: Store, series: str, key: str) -> tuple[list[DayPoint], str]:
    """The daily mean escalation of one series, oldest first, and its display name."""
    column, where = _SERIES[series]
    rows = list(
        store.query(
            f"""SELECT st.day AS day, avg(sc.escalation) AS mean, count(*) AS n, max(st.speaker) AS speaker
                FROM statements st JOIN scores sc ON sc.statement_id = st.id AND sc.current = 1
                WHERE st.{column} = ? AND st.{where}
                GROUP BY st.day ORDER BY st.day""",
            [key],
        )
    )
    name = rows[-1]["speaker"] if rows and series == "official" else key
    return [DayPoint(r["day"], float(r["mean"]), int(r["n"])) for r in rows], name


def refresh_spikes(store: Store, rule: SpikeRule | None = None, *, since_statement_id: int = 0) -> int:
    """Recompute the spikes of every series that has statements with id > since_statement_id; returns spikes stored."""
    rule = rule or SpikeRule()
    total = 0
    now = iso_utc(utc_now())
    for series, (column, where) in _SERIES.items():
        keys = [
            r["key"]
            for r in store.query(f"SELECT DISTINCT {column} AS key FROM statements WHERE id > ? AND {where}", [since_statement_id])
        ]
        for key in keys:
            points, name = daily_series(store, series, key)
            spikes = find_spikes(points, rule)
            with store.db.atomic():
                store.db.execute("DELETE FROM spikes WHERE series = ? AND key = ?", [series, key])
                for spike in spikes:
                    store.db["spikes"].insert({"series": series, "key": key, "name": name, "computed": now, **spike})
            total += len(spikes)
    return total
