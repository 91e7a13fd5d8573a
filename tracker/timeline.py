"""Reading the timeline back: the rows of the `timeline` view, oldest first."""

from __future__ import annotations

import json
from typing import Any

from .store import Store

TIMELINE_COLUMNS = (
    "published",
    "day",
    "speaker",
    "official_id",
    "official",
    "country",
    "role",
    "kind",
    "text",
    "level",
    "label",
    "escalation",
    "instruments",
    "title",
    "url",
    "feed",
)


def timeline(store: Store, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Timeline rows with instruments decoded to a list, oldest first."""
    sql = "SELECT * FROM timeline ORDER BY published, statement_id"
    params: list[Any] = []
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    rows = []
    for row in store.query(sql, params):
        row["instruments"] = json.loads(row["instruments"] or "[]")
        rows.append(row)
    return rows
