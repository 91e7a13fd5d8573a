"""What a day's digest says: plain values gathered from the database, ready for the templates."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..store import Store

BASELINE_DAYS = 30
CALMER_BY = 0.05  # a fall of the day's mean below the official's own 30-day mean that counts as calming down


@dataclass(frozen=True)
class DigestStatement:
    speaker: str
    kind: str
    role: str | None
    country: str | None
    official: bool
    level: int
    label: str
    escalation: float
    instruments: list[str]
    text: str
    title: str
    url: str | None
    feed: str
    sources: int


@dataclass(frozen=True)
class Mover:
    """An official whose day stood apart from their own recent days."""

    name: str
    country: str | None
    mean: float
    baseline: float | None
    statements: int
    statement: DigestStatement | None

    @property
    def change(self) -> float | None:
        return None if self.baseline is None else self.mean - self.baseline


@dataclass(frozen=True)
class Figures:
    statements: int
    officials: int
    mean_escalation: float | None
    threats: int


@dataclass
class DigestData:
    day: str
    top: list[DigestStatement] = field(default_factory=list)
    spikes: list[dict[str, Any]] = field(default_factory=list)
    calmer: list[Mover] = field(default_factory=list)
    today: Figures | None = None
    previous_day: Figures | None = None
    week: Figures | None = None  # daily averages over the seven days before
    chart_png: bytes | None = None

    @property
    def quiet(self) -> bool:
        return not self.top

    @property
    def headline(self) -> str:
        if self.quiet:
            return "a quiet day"
        if self.spikes:
            spike = self.spikes[0]
            return f"{spike['name']}: highest escalation in 30 days" if spike["highest_in_window"] else f"{spike['name']} escalated"
        first = self.top[0]
        return f"{first.speaker} ({first.label})"


def _statement(row: dict[str, Any]) -> DigestStatement:
    return DigestStatement(
        speaker=row["speaker"], kind=row["kind"], role=row["role"], country=row["country"], official=bool(row["official"]),
        level=int(row["level"]), label=row["label"], escalation=float(row["escalation"]),
        instruments=json.loads(row["instruments"] or "[]"), text=row["text"], title=row["title"], url=row["url"],
        feed=row["feed"], sources=int(row["sources"]),
    )


def _figures(store: Store, first: str, last: str, days: int) -> Figures:
    row = next(
        store.query(
            """SELECT count(*) AS n, count(DISTINCT official_id) AS officials, avg(escalation) AS mean,
                      sum(level = 3) AS threats
               FROM timeline WHERE day BETWEEN ? AND ? AND escalation IS NOT NULL""",
            [first, last],
        )
    )
    return Figures(
        statements=round((row["n"] or 0) / days), officials=round((row["officials"] or 0) / days),
        mean_escalation=None if row["mean"] is None else round(float(row["mean"]), 3),
        threats=round((row["threats"] or 0) / days),
    )


def _calmer(store: Store, day: str, limit: int = 5) -> list[Mover]:
    start = (date.fromisoformat(day) - timedelta(days=BASELINE_DAYS)).isoformat()
    movers = []
    for row in store.query(
        """SELECT d.official_id, d.speaker, d.country, d.mean_escalation AS mean, d.statements,
                  (SELECT avg(b.mean_escalation) FROM official_days b
                   WHERE b.official_id = d.official_id AND b.day >= ? AND b.day < d.day) AS baseline,
                  (SELECT count(*) FROM official_days b
                   WHERE b.official_id = d.official_id AND b.day >= ? AND b.day < d.day) AS baseline_days
           FROM official_days d WHERE d.day = ?""",
        [start, start, day],
    ):
        baseline = row["baseline"] if row["baseline_days"] >= 2 else None
        calmer = (baseline is not None and row["mean"] <= baseline - CALMER_BY) or (baseline is None and row["mean"] < 0.2)
        if not calmer:
            continue
        softest = next(
            store.query(
                "SELECT * FROM timeline WHERE official_id = ? AND day = ? ORDER BY escalation, statement_id LIMIT 1",
                [row["official_id"], day],
            ),
            None,
        )
        movers.append(
            Mover(name=row["speaker"], country=row["country"], mean=float(row["mean"]),
                  baseline=None if baseline is None else float(baseline), statements=int(row["statements"]),
                  statement=_statement(softest) if softest else None)
        )
    return sorted(movers, key=lambda m: (m.change if m.change is not None else m.mean - 1 / 3))[:limit]


def week_chart(store: Store, day: str, countries: int = 6) -> bytes | None:
    """PNG: the daily mean escalation of officials per country over the week ending on `day`."""
    first = (date.fromisoformat(day) - timedelta(days=6)).isoformat()
    rows = list(store.query(
        "SELECT country, day, mean_escalation, statements FROM country_days WHERE day BETWEEN ? AND ? ORDER BY day",
        [first, day],
    ))
    if not rows:
        return None
    weight: dict[str, int] = {}
    for r in rows:
        weight[r["country"]] = weight.get(r["country"], 0) + r["statements"]
    shown = sorted(weight, key=weight.get, reverse=True)[:countries]  # type: ignore[arg-type]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = [(date.fromisoformat(first) + timedelta(days=i)) for i in range(7)]
    figure, axes = plt.subplots(figsize=(6.4, 2.8), dpi=110)
    for country in shown:
        points = {r["day"]: r["mean_escalation"] for r in rows if r["country"] == country}
        axes.plot([d for d in days if d.isoformat() in points], [points[d.isoformat()] for d in days if d.isoformat() in points],
                  marker="o", markersize=3, linewidth=1.8, label=country)
    axes.axhline(1 / 3, color="#9e9e9e", linestyle=":", linewidth=1)
    axes.set_ylim(0, 1)
    axes.set_xticks(days, [d.strftime("%a %d") for d in days], fontsize=8)
    axes.set_ylabel("mean escalation", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    axes.grid(alpha=0.25)
    axes.legend(fontsize=7, ncol=min(6, len(shown)), loc="upper left", frameon=False)
    axes.set_title("Officials' escalation by country, last 7 days", fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def compose(store: Store, day: str, *, top: int = 10, chart: bool = True) -> DigestData:
    """Everything the digest of `day` shows; an empty `top` means a quiet day."""
    data = DigestData(day=day)
    data.top = [
        _statement(r)
        for r in store.query(
            "SELECT * FROM timeline WHERE day = ? AND official = 1 AND escalation IS NOT NULL "
            "ORDER BY escalation DESC, statement_id LIMIT ?",
            [day, top],
        )
    ]
    data.spikes = list(store.query("SELECT * FROM spikes WHERE day = ? ORDER BY z DESC", [day]))
    data.calmer = _calmer(store, day)
    previous = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    week_start = (date.fromisoformat(day) - timedelta(days=7)).isoformat()
    data.today = _figures(store, day, day, 1)
    data.previous_day = _figures(store, previous, previous, 1)
    data.week = _figures(store, week_start, previous, 7)
    if chart and not data.quiet:
        data.chart_png = week_chart(store, day)
    return data
