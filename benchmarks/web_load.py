"""Viewer load benchmark: 50 clients seeking the film and reading the API at once, on loopback.

Each client loops for the duration: 60 % of its requests ask for a random 64 KiB range of
``landing.mp4`` (what a <video> element does when a user scrubs; the body is checked byte for
byte against the file), 40 % read a JSON endpoint (run summary, trajectory, events, videos,
thumbnails; parsed). Every request must succeed (206 or 200). Reported: requests, failures,
requests/s, MB/s and latency percentiles (p50, p95, p99, max).

The server runs as its own process (uvicorn, one worker, as ``edlcam view`` runs it); the clients
(httpx, asyncio, one connection each) run in this one. Both share the machine's cores.

Run: .venv/bin/python benchmarks/web_load.py [--seconds 30] [--clients 50] [--run RUN]
(without --run a synthetic run folder is made, as in tests/web/webrun.py).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["LoadResult", "load", "main"]

RANGE_BYTES = 64 * 1024
RANGE_SHARE = 0.6
API_PATHS = ("", "/trajectory", "/events", "/videos", "/thumbnails?limit=50")


@dataclass
class LoadResult:
    """Latencies [s] of every request, and the failures (what went wrong), over ``seconds``."""

    seconds: float
    latencies_s: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    bytes_received: int = 0

    def percentile_s(self, q: float) -> float:
        return float(np.percentile(self.latencies_s, q)) if self.latencies_s else float("nan")

    def summary(self) -> dict:
        n = len(self.latencies_s)
        return {
            "requests": n,
            "failures": len(self.failures),
            "requests_per_s": n / self.seconds,
            "mb_per_s": self.bytes_received / self.seconds / 1e6,
            "p50_ms": 1e3 * self.percentile_s(50),
            "p95_ms": 1e3 * self.percentile_s(95),
            "p99_ms": 1e3 * self.percentile_s(99),
            "max_ms": 1e3 * max(self.latencies_s, default=float("nan")),
        }


async def _client(i: int, base_url: str, run_id: str, film: bytes, film_url: str, deadline: float, out: LoadResult) -> None:
    import httpx

    rng = random.Random(i)  # deterministic request mix per client
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as c:
        first_request = True
        while first_request or time.monotonic() < deadline:  # at least one request each, however loaded
            first_request = False
            t0 = time.perf_counter()
            if rng.random() < RANGE_SHARE:
                first = rng.randrange(0, max(len(film) - 1, 1))
                last = min(first + RANGE_BYTES - 1, len(film) - 1)
                try:
                    r = await c.get(film_url, headers={"Range": f"bytes={first}-{last}"})
                    ok = r.status_code == 206 and r.content == film[first : last + 1]
                    why = f"range {first}-{last}: HTTP {r.status_code}, {len(r.content)} bytes"
                except httpx.HTTPError as exc:
                    ok, why, r = False, f"range {first}-{last}: {exc!r}", None
            else:
                path = f"/api/runs/{run_id}{rng.choice(API_PATHS)}"
                try:
                    r = await c.get(path)
                    ok = r.status_code == 200 and r.json() is not None
                    why = f"{path}: HTTP {r.status_code}"
                except (httpx.HTTPError, ValueError) as exc:
                    ok, why, r = False, f"{path}: {exc!r}", None
            out.latencies_s.append(time.perf_counter() - t0)
            if r is not None:
                out.bytes_received += len(r.content)
            if not ok:
                out.failures.append(why)


def load(base_url: str, run_id: str, film: bytes, *, clients: int = 50, seconds: float = 30.0, film_name: str = "landing.mp4") -> LoadResult:
    """Drive ``clients`` concurrent clients against a running viewer for ``seconds``.

    Every client makes at least one request, even when a loaded machine lets the deadline pass
    before some client's first turn (so a test can count on one request per client).
    """
    out = LoadResult(seconds=seconds)
    film_url = f"/runs/{run_id}/files/{film_name}"

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_client(i, base_url, run_id, film, film_url, deadline, out) for i in range(clients)))

    t0 = time.monotonic()
    asyncio.run(main())
    out.seconds = time.monotonic() - t0  # the last requests finish after the deadline
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(run: Path, port: int) -> subprocess.Popen:
    code = (
        "import sys, uvicorn; from edlcam.ground.web import create_app; "
        "uvicorn.run(create_app([sys.argv[1]]), host='127.0.0.1', port=int(sys.argv[2]), "
        "log_level='warning', ws='none', lifespan='off', access_log=False)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(run), str(port)])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the viewer did not start in 20 s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--run", type=Path, default=None, help="run folder with ground/landing.mp4 (default: a synthetic one)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="edlcam-bench-web-") as tmp:
        run = args.run
        if run is None:
            tests = Path(__file__).resolve().parent.parent / "tests"
            sys.path[:0] = [str(tests / "web"), str(tests)]
            from webrun import make_run

            run = make_run(Path(tmp) / "run")
        film = (run / "ground" / "landing.mp4").read_bytes()
        port = _free_port()
        proc = _serve(run, port)
        try:
            result = load(f"http://127.0.0.1:{port}", run.resolve().name, film, clients=args.clients, seconds=args.seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    s = result.summary()
    print(f"{args.clients} clients for {result.seconds:.1f} s on loopback; film {len(film) / 1e3:.0f} kB, ranges of {RANGE_BYTES // 1024} KiB")
    print(f"requests   {s['requests']}   failures {s['failures']}")
    print(f"throughput {s['requests_per_s']:.0f} requests/s, {s['mb_per_s']:.1f} MB/s")
    print(f"latency    p50 {s['p50_ms']:.1f} ms   p95 {s['p95_ms']:.1f} ms   p99 {s['p99_ms']:.1f} ms   max {s['max_ms']:.1f} ms")
    print(f"ratio      p99 / p50 = {s['p99_ms'] / s['p50_ms']:.1f}")
    for why in result.failures[:5]:
        print("failure:", why)
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
