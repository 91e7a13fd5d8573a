"""Terminal rendering of timeline rows (rich tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

LEVEL_STYLES = {0: "green", 1: "white", 2: "yellow", 3: "bold red"}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def timeline_table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(title=f"timeline ({len(rows)} statements)", show_lines=False)
    table.add_column("published", no_wrap=True)
    table.add_column("speaker", max_width=24)
    table.add_column("off.", justify="center")
    table.add_column("label", no_wrap=True)
    table.add_column("esc.", justify="right")
    table.add_column("statement", min_width=40)
    table.add_column("instruments", max_width=20)
    for row in rows:
        level = row.get("level")
        table.add_row(
            (row["published"] or "")[:16].replace("T", " "),
            row["speaker"] + (f" ({row['country']})" if row.get("country") else ""),
            "yes" if row.get("official") else "",
            Text(row.get("label") or "-", style=LEVEL_STYLES.get(level, "")),
            f"{row['escalation']:.2f}" if row.get("escalation") is not None else "-",
            _clip(row["text"], 200),
            ", ".join(row.get("instruments") or []),
        )
    return table


def print_timeline(rows: Sequence[dict[str, Any]], console: Console | None = None) -> None:
    """Print rows as a table; a pipe or a file gets a 160-column table rather than rich's 80."""
    console = console or Console()
    if not console.is_terminal:
        console = Console(width=160, file=console.file)
    console.print(timeline_table(rows))


def write_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, *, title: str = "",
               console: Console | None = None) -> None:
    """Rows as a terminal table, CSV or JSON lines, with the given columns in order."""
    import csv
    import json
    import sys

    if fmt == "json":
        for row in rows:
            sys.stdout.write(json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([json.dumps(v) if isinstance(v, (list, dict)) else v for v in (row.get(c) for c in columns)])
        return
    console = console or Console()
    if not console.is_terminal:
        console = Console(width=160, file=console.file)
    table = Table(title=title or None)
    for column in columns:
        wide = column in ("text", "top_statement")
        table.add_column(column, overflow="fold", min_width=40 if wide else None, max_width=90 if wide else 24)
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            if isinstance(value, list):
                value = ", ".join(map(str, value))
            elif isinstance(value, float):
                value = f"{value:.3f}"
            cells.append("" if value is None else str(value))
        table.add_row(*cells)
    console.print(table)
