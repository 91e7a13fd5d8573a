"""Operating the nightly job: feed health, a doctor for monitoring, and online backups."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .errors import LockedError, StoreError
from .models import iso_utc, utc_now
from .store import RunLock, Store
from .store.schema import LATEST_VERSION


def feed_health(store: Store) -> list[dict[str, Any]]:
    """Every feed with its state: ok, failing, backing off, disabled, inactive or new."""
    now = iso_utc(utc_now())
    rows = []
    for row in store.query("SELECT * FROM feeds ORDER BY active DESC, consecutive_failures DESC, name"):
        if not row["active"]:
            state = "inactive"
        elif row["disabled"]:
            state = "disabled"
        elif row["next_check"] and row["next_check"] > now:
            state = "backing off"
        elif row["consecutive_failures"]:
            state = "failing"
        elif row["last_success"]:
            state = "ok"
        else:
            state = "new"
        rows.append(
            {
                "name": row["name"], "state": state, "last_success": row["last_success"], "last_error": row["last_error"],
                "errors_in_a_row": row["consecutive_failures"], "errors_total": row["total_failures"],
                "next_check": row["next_check"] or ("next run" if state in ("ok", "failing", "new") else None),
                "url": row["url"],
            }
        )
    return rows


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False  # worth reading, not worth failing the check for


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(c.ok or c.warning for c in self.checks)


def doctor(db: Path, *, max_age_hours: float = 36.0) -> DoctorReport:
    """Schema version, SQLite integrity, feeds in trouble and the age of the last successful run."""
    report = DoctorReport()
    if not db.exists():
        report.checks.append(Check("database", False, f"no database at {db}"))
        return report
    try:
        store = Store.open(db, migrate=False)
    except StoreError as e:
        report.checks.append(Check("database", False, str(e)))
        return report
    with store:
        version = store.schema_version
        if version > LATEST_VERSION:
            report.checks.append(Check("schema", False, f"version {version} is newer than this tracker ({LATEST_VERSION})"))
        elif version < LATEST_VERSION:
            report.checks.append(Check("schema", False, f"version {version}; the next ingest migrates it to {LATEST_VERSION}", warning=True))
        else:
            report.checks.append(Check("schema", True, f"version {version} (current)"))
        integrity = [r[0] for r in store.db.execute("PRAGMA integrity_check").fetchall()]
        report.checks.append(Check("integrity", integrity == ["ok"], "ok" if integrity == ["ok"] else "; ".join(integrity[:5])))
        if version < 1:
            return report
        troubled = [f for f in feed_health(store) if f["state"] in ("failing", "backing off", "disabled")]
        report.checks.append(
            Check("feeds", not troubled, "all feeds healthy" if not troubled else
                  "; ".join(f"{f['name']}: {f['state']} ({f['errors_in_a_row']} in a row: {f['last_error']})" for f in troubled),
                  warning=bool(troubled))
        )
        last = next(store.query(
            """SELECT finished, status FROM runs WHERE finished IS NOT NULL AND (feeds_ok + feeds_not_modified) > 0
               ORDER BY finished DESC LIMIT 1"""
        ), None)
        if last is None:
            report.checks.append(Check("last run", False, "no successful ingest on record"))
        else:
            age = utc_now() - datetime.fromisoformat(last["finished"].replace("Z", "+00:00"))
            hours = age.total_seconds() / 3600
            report.checks.append(Check(
                "last run", age <= timedelta(hours=max_age_hours),
                f"last successful ingest finished {last['finished']} ({hours:.1f} h ago; limit {max_age_hours:g} h)",
            ))
    lock = RunLock(db)
    try:
        lock.acquire()
        lock.release()
        report.checks.append(Check("lock", True, "no run in progress"))
    except LockedError:
        report.checks.append(Check("lock", True, "a run is in progress"))
    return report


def backup(db: Path, destination: Path) -> Path:
    """A consistent online copy (SQLite's backup API), safe while ingest writes; checked before it is kept."""
    if not db.exists():
        raise StoreError(f"no database at {db}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        source = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(partial)
        with target:
            source.backup(target)  # one step, under one read transaction: a single consistent snapshot
        check = target.execute("PRAGMA quick_check").fetchone()[0]
        target.close()
        source.close()
    except sqlite3.Error as e:
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup of {db} failed: {e}") from e
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup of {db} failed its integrity check: {check}")
    os.replace(partial, destination)
    return destination
