"""Real processes for the reliability suite: `tracker` run with subprocess, killed with signals."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

TRACKER = [sys.executable, "-m", "tracker"]


def tracker_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1", **extra)
    env.setdefault("TRACKER_MODELS", str(Path(__file__).resolve().parents[2] / "models"))
    return env


def run_tracker(*args: str, cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(TRACKER + list(args), cwd=cwd, env=tracker_env(**env), capture_output=True, text=True, timeout=timeout)


# Runs the command given after the file name and writes the peak RSS (KiB) of its process tree there.
# getrusage(RUSAGE_CHILDREN) in the test process itself is the largest child the session ever waited
# for: in CI that is the from-scratch training run (about 1.5 GB), not the ingest being measured.
_PEAK_LAUNCHER = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); sys.exit(code)"
)


def run_tracker_peak(*args: str, cwd: Path, timeout: float = 300, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    """`run_tracker`, and the peak RSS in MB of that run alone (its largest process: main or a worker)."""
    peak_file = cwd / ".peak-rss"
    result = subprocess.run([sys.executable, "-c", _PEAK_LAUNCHER, str(peak_file), *TRACKER, *args], cwd=cwd,
                            env=tracker_env(**env), capture_output=True, text=True, timeout=timeout)
    return result, int(peak_file.read_text()) / 1024


def start_tracker(*args: str, cwd: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(TRACKER + list(args), cwd=cwd, env=tracker_env(**env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(condition, timeout: float = 120, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A working folder with a tracker.toml tuned for fault tests (short timeouts, small batches)."""
    (tmp_path / "tracker.toml").write_text(
        "[tracker]\nconnect_timeout = 2.0\nread_timeout = 1.5\ntotal_timeout = 4.0\n"
        "max_feed_bytes = 500000\nmax_page_bytes = 1000000\nbatch_size = 2\npage_workers = 1\n"
    )
    return tmp_path
