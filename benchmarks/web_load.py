"""Viewer load benchmark: 50 clients seeking the film and reading the API at once, on loopback,
with 400 full-quality requests pending.

Before the clients start, ``--pending`` requests (default 400) are POSTed over spans no relay has
delivered, so they stay pending (issue 20: with 421 pending requests GET /requests took 10.8 s and
the whole server fell from 191 to 23 requests/s). Then each client loops for the duration: 60 % of
its requests ask for a random 64 KiB range of ``landing.mp4`` (what a <video> element does when a
user scrubs; the body is checked byte for byte against the file), 39 % read a JSON endpoint (run
summary, trajectory, events, videos, thumbnails, the requests list; parsed), 1 % POST one more
request (201, or 409 once the run holds the most pending requests it takes). Every request must
succeed. Reported: requests, failures, requests/s, MB/s, latency percentiles (p50, p95, p99, max)
and p99 against the 1.5 s limit of issue 20; the machine (AVX-512 flags) and the load average
before and after, since the machine is shared.

The server runs as its own process (uvicorn, one worker, as ``edlcam view`` runs it); the clients
(httpx, asyncio, one connection each) run in this one. Both share the machine's cores.

Run: .venv/bin/python benchmarks/web_load.py [--seconds 30] [--clients 50] [--pending 400] [--run RUN]
(without --run a synthetic run folder is made, as in tests/web/webrun.py; with --run the run's
link/requests.jsonl gets the requests, so --pending defaults to 0 there).
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
API_PATHS = ("", "/trajectory", "/events", "/videos", "/thumbnails?limit=50", "/requests")
P99_LIMIT_S = 1.5  # issue 20: 50 clients with 400 pending requests keep p99 ≤ 1.5 s


@dataclass
class LoadResult:
    """Latencies [s] of every request, and the failures (what went wrong), over ``seconds``."""

    seconds: float
    latencies_s: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # what each request was: "range", "POST requests", or the API path
    failures: list[str] = field(default_factory=list)
    bytes_received: int = 0

    def percentile_s(self, q: float) -> float:
        return float(np.percentile(self.latencies_s, q)) if self.latencies_s else float("nan")

    def by_kind(self) -> dict[str, tuple[int, float, float]]:
        """Per kind of request: (count, p50 [ms], p99 [ms])."""
        lat = np.asarray(self.latencies_s)
        kinds = np.asarray(self.kinds)
        return {k: (int((kinds == k).sum()), 1e3 * float(np.percentile(lat[kinds == k], 50)), 1e3 * float(np.percentile(lat[kinds == k], 99)))
                for k in sorted(set(self.kinds))}  # fmt: skip

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


def request_body(rng: random.Random, camera: str, t_lo_s: float, t_hi_s: float) -> dict:
    """A full-quality request over a random span of 0.5 to 5 s inside [t_lo_s, t_hi_s]."""
    a = rng.uniform(t_lo_s, t_hi_s - 0.5)
    return {"camera": camera, "t_start_s": round(a, 3), "t_end_s": round(min(a + rng.uniform(0.5, 5.0), t_hi_s), 3)}


async def _client(i: int, base_url: str, run_id: str, film: bytes, film_url: str, deadline: float, out: LoadResult,
                  post: tuple[float, str, float, float] | None) -> None:  # fmt: skip
    import httpx

    rng = random.Random(i)  # deterministic request mix per client
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as c:
        first_request = True
        while first_request or time.monotonic() < deadline:  # at least one request each, however loaded
            first_request = False
            t0 = time.perf_counter()
            if rng.random() < RANGE_SHARE:
                kind = "range"
                first = rng.randrange(0, max(len(film) - 1, 1))
                last = min(first + RANGE_BYTES - 1, len(film) - 1)
                try:
                    r = await c.get(film_url, headers={"Range": f"bytes={first}-{last}"})
                    ok = r.status_code == 206 and r.content == film[first : last + 1]
                    why = f"range {first}-{last}: HTTP {r.status_code}, {len(r.content)} bytes"
                except httpx.HTTPError as exc:
                    ok, why, r = False, f"range {first}-{last}: {exc!r}", None
            elif post is not None and rng.random() < post[0] / (1.0 - RANGE_SHARE):
                path = f"/api/runs/{run_id}/requests"
                kind = "POST /requests"
                try:
                    r = await c.post(path, json=request_body(rng, *post[1:]))
                    ok = r.status_code in (201, 409) and r.json() is not None
                    why = f"POST {path}: HTTP {r.status_code}"
                except (httpx.HTTPError, ValueError) as exc:
                    ok, why, r = False, f"POST {path}: {exc!r}", None
            else:
                tail = rng.choice(API_PATHS)
                path, kind = f"/api/runs/{run_id}{tail}", f"GET {tail.split('?')[0] or '/'}"
                try:
                    r = await c.get(path)
                    ok = r.status_code == 200 and r.json() is not None
                    why = f"{path}: HTTP {r.status_code}"
                except (httpx.HTTPError, ValueError) as exc:
                    ok, why, r = False, f"{path}: {exc!r}", None
            out.latencies_s.append(time.perf_counter() - t0)
            out.kinds.append(kind)
            if r is not None:
                out.bytes_received += len(r.content)
            if not ok:
                out.failures.append(why)


def load(base_url: str, run_id: str, film: bytes, *, clients: int = 50, seconds: float = 30.0, film_name: str = "landing.mp4",
         post: tuple[float, str, float, float] | None = None) -> LoadResult:  # fmt: skip
    """Drive ``clients`` concurrent clients against a running viewer for ``seconds``.

    Every client makes at least one request, even when a loaded machine lets the deadline pass
    before some client's first turn (so a test can count on one request per client). ``post``
    is ``(share, camera, t_lo_s, t_hi_s)``: that share of all requests POST a full-quality
    request (the run is written to); None (the default) only reads.
    """
    out = LoadResult(seconds=seconds)
    film_url = f"/runs/{run_id}/files/{film_name}"

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_client(i, base_url, run_id, film, film_url, deadline, out, post) for i in range(clients)))

    t0 = time.monotonic()
    asyncio.run(main())
    out.seconds = time.monotonic() - t0  # the last requests finish after the deadline
    return out


def _undelivered(run: Path) -> tuple[str, float, float]:
    """(camera, E+ span [s]) of the full-quality products no relay brought home (synthetic run:
    rdc-video-000001), so requests over it stay pending; else of every full-quality product."""
    import json

    manifest = json.loads((run / "onboard" / "products" / "manifest.json").read_text())["products"]
    summary = run / "link" / "summary.json"
    got = set(json.loads(summary.read_text()).get("received_ids", [])) if summary.exists() else set()
    full = [p for p in manifest if p.get("kind") == "video" and p.get("camera") != "microphone"]
    missing = [p for p in full if p["id"] not in got] or full
    camera = max(sorted({p["camera"] for p in missing}), key=lambda c: sum(p["camera"] == c for p in missing))
    mine = [p for p in missing if p["camera"] == camera]
    return camera, min(float(p["t_start_s"]) for p in mine), max(float(p["t_end_s"]) for p in mine)


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


def prefill(base_url: str, run_id: str, n: int, camera: str, t_lo_s: float, t_hi_s: float) -> tuple[float, int]:
    """POST ``n`` requests one after another; (seconds taken, requests pending after)."""
    import httpx

    rng = random.Random(400)
    t0 = time.perf_counter()
    with httpx.Client(base_url=base_url, timeout=60.0) as c:
        for _ in range(n):
            r = c.post(f"/api/runs/{run_id}/requests", json=request_body(rng, camera, t_lo_s, t_hi_s))
            if r.status_code != 201:
                raise RuntimeError(f"prefill: POST gave HTTP {r.status_code}: {r.text}")
        took = time.perf_counter() - t0
        pending = sum(s["status"] == "pending" for s in c.get(f"/api/runs/{run_id}/requests").json())
    return took, pending


def _machine() -> str:
    try:  # `grep -c avx512 /proc/cpuinfo`: lines naming AVX-512 (0: none of the cores has it)
        avx512 = sum("avx512" in line for line in Path("/proc/cpuinfo").read_text().splitlines())
        load1 = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return "machine: unknown (no /proc)"
    import os

    return f"machine: {os.cpu_count()} cores, `grep -c avx512 /proc/cpuinfo` = {avx512}, load average {' '.join(load1)}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--pending", type=int, default=None, help="requests POSTed before the load (default 400; 0 with --run)")
    ap.add_argument("--post-share", type=float, default=0.01, help="share of the load's requests that POST (default 0.01)")
    ap.add_argument("--run", type=Path, default=None, help="run folder with ground/landing.mp4 (default: a synthetic one)")
    args = ap.parse_args(argv)
    pending = args.pending if args.pending is not None else (0 if args.run else 400)
    print(_machine(), "(before)")
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
        base, run_id = f"http://127.0.0.1:{port}", run.resolve().name
        try:
            camera, *span = _undelivered(run)
            took, now_pending = prefill(base, run_id, pending, camera, *span)
            if pending:
                print(f"prefill    {pending} POSTs in {took:.1f} s ({1e3 * took / pending:.1f} ms each); {now_pending} requests pending")
            post = (args.post_share, camera, *span) if args.post_share > 0 and (pending or args.run is None) else None
            result = load(base, run_id, film, clients=args.clients, seconds=args.seconds, post=post)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    s = result.summary()
    print(f"{args.clients} clients for {result.seconds:.1f} s on loopback; film {len(film) / 1e3:.0f} kB, ranges of {RANGE_BYTES // 1024} KiB")
    print(f"requests   {s['requests']}   failures {s['failures']}")
    print(f"throughput {s['requests_per_s']:.0f} requests/s, {s['mb_per_s']:.1f} MB/s")
    print(f"latency    p50 {s['p50_ms']:.1f} ms   p95 {s['p95_ms']:.1f} ms   p99 {s['p99_ms']:.1f} ms   max {s['max_ms']:.1f} ms")
    print(f"ratio      p99 / p50 = {s['p99_ms'] / s['p50_ms']:.1f}; p99 / limit {P99_LIMIT_S:g} s = {s['p99_ms'] / 1e3 / P99_LIMIT_S:.2f}")
    for kind, (n, p50, p99) in result.by_kind().items():
        print(f"  {kind:<22} {n:6d} requests   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
    print(_machine(), "(after)")
    for why in result.failures[:5]:
        print("failure:", why)
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
