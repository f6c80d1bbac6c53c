"""Terrain benchmark: construction time, point-query cost (flight), heightmap and rock costs (cameras).

Run: .venv/bin/python benchmarks/terrain.py   — prints each figure and its ratio to the budget.
Budgets (from the terrain brief): construction ≲ 2 s; 1,000 altitude_m points ≲ 1 ms.
"""

from __future__ import annotations

import time

import numpy as np

from edlcam.mars.terrain import Terrain
from edlcam.mission import load_mission


def _best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    mission = load_mission()
    t0 = time.perf_counter()
    terrain = Terrain.from_mission(mission)
    build_s = time.perf_counter() - t0
    print(f"construction                      {build_s * 1e3:8.1f} ms   ({build_s / 2.0:.2f} × the 2 s budget)")
    rng = np.random.default_rng(0)
    for n in (1, 10, 1000, 10_000):
        e, nn = rng.uniform(-8000, 8000, n), rng.uniform(-8000, 8000, n)
        dt = _best_of(lambda: terrain.altitude_m(e, nn), 50 if n <= 1000 else 10)
        ratio = f"({dt / (1e-3 * n / 1000.0):.2f} × 1 ms per 1,000 points)" if n >= 1000 else "(per call: numpy overhead)"
        print(f"altitude_m, {n:6d} points          {dt * 1e3:8.3f} ms   {ratio}")
    e, nn = rng.uniform(-50, 50, 1000), rng.uniform(-50, 50, 1000)
    terrain.altitude_m(e, nn, include_rocks=True)  # fill the rock tiles once
    dt = _best_of(lambda: terrain.altitude_m(e, nn, include_rocks=True), 10)
    print(f"altitude_m + rocks, 1000 points   {dt * 1e3:8.3f} ms   (touchdown path, tiles cached)")
    for size, samples in ((22_000.0, 513), (2_000.0, 1025), (20.0, 513)):
        dt = _best_of(lambda: terrain.heightmap(center_east_m=0.0, center_north_m=0.0, size_m=size, samples=samples), 3)
        print(f"heightmap {size:8.0f} m × {samples:4d}²     {dt * 1e3:8.1f} ms   ({dt / samples**2 * 1e9:.0f} ns per node)")
    fresh = Terrain.from_mission(mission)
    t0 = time.perf_counter()
    r = fresh.rocks(east_min_m=-50, east_max_m=50, north_min_m=-50, north_max_m=50)
    dt = time.perf_counter() - t0
    print(f"rocks 100 m × 100 m ≥ 5 cm        {dt * 1e3:8.1f} ms   ({len(r['east_m'])} rocks, tiles generated)")


if __name__ == "__main__":
    main()
