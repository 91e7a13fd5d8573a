"""Charts of escalation over time (matplotlib, no display needed)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

from .errors import TrackerError
from .store import Store
from .timeline import resolve_official, timeline

LEVEL_COLOURS = ("#2e7d32", "#757575", "#f9a825", "#c62828")


def _matplotlib():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot(
    store: Store,
    *,
    official: str | None = None,
    country: str | None = None,
    since: str | None = None,
    until: str | None = None,
    out: Path,
) -> Path:
    """Daily mean escalation as a line, each statement as a point coloured by level, spike days marked."""
    rows = timeline(store, official=official, country=country, since=since, until=until)
    rows = [r for r in rows if r["escalation"] is not None and (country is None or r["official"])]
    if not rows:
        raise TrackerError("nothing to plot: no scored statements match")
    if official:
        key, series = resolve_official(store, official), "official"
        title = f"{rows[-1]['speaker']}: escalation"
    elif country:
        key, series = country.upper(), "country"
        title = f"{key} officials: escalation"
    else:
        key, series, title = None, None, "All statements: escalation"
    by_day: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        by_day[row["day"]].append(row["escalation"])
    days = sorted(by_day)
    plt = _matplotlib()
    figure, axes = plt.subplots(figsize=(9, 4), dpi=110)
    axes.plot([date.fromisoformat(d) for d in days], [sum(by_day[d]) / len(by_day[d]) for d in days],
              color="#1f3a5f", linewidth=2, marker="o", markersize=3, label="daily mean", zorder=2)
    axes.scatter(
        [datetime.fromisoformat(r["published"].replace("Z", "+00:00")).replace(tzinfo=None) for r in rows],
        [r["escalation"] for r in rows], c=[LEVEL_COLOURS[r["level"]] for r in rows], s=14, alpha=0.6,
        label="statements", zorder=3,
    )
    if series is not None:
        spikes = list(store.query("SELECT day, escalation FROM spikes WHERE series = ? AND key = ?", [series, key]))
        spikes = [s for s in spikes if (not since or s["day"] >= since) and (not until or s["day"] <= until)]
        if spikes:
            axes.scatter([date.fromisoformat(s["day"]) for s in spikes], [s["escalation"] for s in spikes],
                         marker="^", s=120, facecolors="none", edgecolors="#c62828", linewidths=2, label="spike", zorder=4)
    axes.axhline(1 / 3, color="#9e9e9e", linestyle=":", linewidth=1)
    axes.set_ylim(-0.02, 1.02)
    axes.set_ylabel("escalation (0 calm, 1 threat)")
    axes.set_title(title)
    axes.grid(alpha=0.25)
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    figure.autofmt_xdate()
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, format="png")
    plt.close(figure)
    return out
