"""The options object: built once (defaults, then config file, then CLI) and passed explicitly."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ConfigError

CONFIG_ENV = "TRACKER_CONFIG"
DEFAULT_CONFIG = Path("tracker.toml")
SCORER_PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass(frozen=True)
class Options:
    """Every knob of a run. Sizes are bytes, times are seconds."""

    db: Path = Path("db/tracker.db")
    feeds: Path = Path("feeds.yaml")
    # HTTP
    user_agent: str = f"tracker/{__version__} (nightly news and speech signal tracker)"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0  # silence between two chunks
    total_timeout: float = 60.0  # wall-clock deadline for one whole request
    max_redirects: int = 5
    max_feed_bytes: int = 10 * 1024 * 1024
    max_page_bytes: int = 5 * 1024 * 1024
    page_workers: int = 4
    extract_workers: int = 2  # processes parsing articles (0: in the ingest process itself)
    # pipeline
    officials: Path | None = None  # a user's officials file, merged over the bundled registry
    batch_size: int = 32
    quantize_scorer: bool = False  # int8 scoring: twice as fast, a few points less accurate
    scorer_precision: str = "auto"  # auto (bfloat16 where the CPU has it natively), float32 or bfloat16
    score_worker: bool = True  # score in a process of its own (torch then runs free of ingest's threads)
    score_threads: int = 2  # torch threads for scoring in ingest
    max_entries_per_feed: int = 500
    backoff_after_failures: int = 3  # then the feed is tried every 2nd, 4th, then 7th night
    # spikes: a day's escalation against the series' trailing baseline (docs/schema.md)
    spike_window_days: int = 30
    spike_min_days: int = 4
    spike_z: float = 3.0
    spike_min_rise: float = 0.15
    # logs: None means "tracker.log beside the database"
    log_file: Path | None = None
    log_max_bytes: int = 5 * 1024 * 1024
    log_backups: int = 5

    @property
    def resolved_log_file(self) -> Path:
        return self.log_file if self.log_file is not None else self.db.parent / "tracker.log"

    @property
    def spike_rule(self):  # -> SpikeRule (imported late: spikes imports the store)
        from .spikes import SpikeRule

        return SpikeRule(self.spike_window_days, self.spike_min_days, self.spike_z, self.spike_min_rise)

    def replace(self, **changes: Any) -> Options:
        return dataclasses.replace(self, **changes)


def _coerce(name: str, value: Any, default: Any, source: str) -> Any:
    if isinstance(default, Path) or name in ("log_file", "officials"):
        if not isinstance(value, str):
            raise ConfigError(f"{source}: '{name}' must be a path string")
        return Path(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{source}: '{name}' must be true or false")
        return value
    if isinstance(default, int):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{source}: '{name}' must be a whole number >= 0")
        return value
    if isinstance(default, float):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{source}: '{name}' must be a number > 0")
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{source}: '{name}' must be a string")
    if name == "scorer_precision" and value not in SCORER_PRECISIONS:
        raise ConfigError(f"{source}: 'scorer_precision' must be one of {', '.join(SCORER_PRECISIONS)}")
    return value


def read_config_file(path: Path) -> dict[str, Any]:
    """The [tracker] table of a TOML config file, checked against Options' fields."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: config file not found") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    table = data.get("tracker", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tracker] must be a table")
    return {key: value for key, value in table.items()}


def build_options(config: Path | None = None, **cli: Any) -> Options:
    """Defaults, then the config file (--config, $TRACKER_CONFIG or ./tracker.toml), then CLI values.

    CLI values that are None were not given and do not override anything.
    """
    defaults = Options()
    known = {f.name: getattr(defaults, f.name) for f in fields(Options)}
    values: dict[str, Any] = {}

    path = config or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    if path is not None:
        for key, value in read_config_file(path).items():
            if key not in known:
                close = ", ".join(sorted(k for k in known if k[:3] == key[:3])) or "see the Configuration section of the README"
                raise ConfigError(f"{path}: unknown option '{key}' (did you mean: {close})")
            values[key] = _coerce(key, value, known[key], str(path))

    for key, value in cli.items():
        if value is None:
            continue
        if key not in known:
            raise TypeError(f"unknown option {key!r}")
        values[key] = Path(value) if isinstance(known[key], Path) and not isinstance(value, Path) else value
    return dataclasses.replace(defaults, **values)
