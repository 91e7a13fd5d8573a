"""What every worker process of ingest does at start (extraction and scoring workers alike)."""

from __future__ import annotations

import os
import threading
import time


def exit_with_parent(parent: int, poll_seconds: float = 1.0) -> None:
    """Exit when `parent` (the pid of the process that started this worker) dies, even by SIGKILL.

    A killed ingest (the OOM killer, a `kill -9`) would otherwise leave its workers behind,
    each holding its models in memory (a few hundred MB) until the machine restarts. The pid
    comes from the parent itself: one killed while this worker was starting is noticed too.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
