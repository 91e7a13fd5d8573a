"""`tracker serve`: Datasette on loopback, with the canned queries answering JSON."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_a_canned_query_and_describes_the_columns(demo_db):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker", "serve", "--db", str(demo_db), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "datasette did not start"
            time.sleep(0.3)
        top = httpx.get(base + "/demo/top_statements.json", params={"day": "2025-05-09", "_shape": "array"}, timeout=10)
        assert top.status_code == 200
        rows = top.json()
        assert rows and rows[0]["day"] == "2025-05-09"
        assert [r["escalation"] for r in rows] == sorted((r["escalation"] for r in rows), reverse=True)
        kato = httpx.get(base + "/demo/official_timeline.json",
                         params={"official_id": "katsunobu-kato", "_shape": "array"}, timeout=10).json()
        assert len(kato) >= 20
        meta = httpx.get(base + "/-/metadata.json", timeout=10).json()
        columns = meta["databases"]["demo"]["tables"]["timeline"]["columns"]
        assert "escalation" in columns and "spikes" in meta["databases"]["demo"]["queries"]
    finally:
        process.terminate()
        process.wait(timeout=10)
