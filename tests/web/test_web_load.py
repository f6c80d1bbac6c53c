"""A short load: 50 concurrent clients seeking the film and reading the API all succeed.

The 30 s version with its latency figures is benchmarks/web_load.py (RESULTS.md); no test
asserts a time.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from web_load import load  # noqa: E402


def test_fifty_clients_seeking_and_reading_all_succeed(server, web_run):
    film = (web_run / "ground" / "landing.mp4").read_bytes()
    result = load(server.url, "run", film, clients=50, seconds=3.0)
    assert result.failures == []
    assert len(result.latencies_s) >= 50  # every client completed at least one request
