"""The ground a flight reads, shared: built once and mapped by every process that flies.

The flight kernel reads two things of a terrain (:func:`edlcam.flight.sequencer.kernel_inputs`):
the ground's height at the target and the kernel's tables (≈ 70 MB of arrays). Building the
terrain takes ≈ 2.4 s of CPU; a Monte Carlo's workers each did it before their first case. Here
the client builds it once and saves those tables (:class:`FlightGround`), and workers on the same
machine map them read-only (the pages are shared). The folder is kept between runs in a small
cache (:func:`shared_ground`) keyed on every input of the terrain and the source of
:mod:`edlcam.mars` and its data, so a change to any of them builds afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["FlightGround", "shared_ground", "cache_root", "cached_folder"]

log = logging.getLogger(__name__)

_GROUND_CACHE_ENTRIES = 4  # terrains kept (≈ 70 MB each), least recently used dropped first
_EDLCAM = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class FlightGround:
    """What the flight kernel reads of a terrain (:func:`edlcam.flight.sequencer.kernel_inputs`):
    the ground's height at the target and the kernel's tables. The Monte Carlo's client builds the
    terrain once and saves this to a folder (:meth:`save`); workers on the same machine map it
    (:meth:`load`: read-only pages shared by every worker) instead of each building the terrain."""

    target_up_m: float
    tables: tuple

    @classmethod
    def of(cls, terrain) -> "FlightGround":
        return cls(float(terrain.surface_up_m(0.0, 0.0)), terrain.kernel_tables())

    def surface_up_m(self, east_m: float, north_m: float) -> float:
        if (east_m, north_m) != (0.0, 0.0):
            raise ValueError("a FlightGround knows the ground's height at the target only")
        return self.target_up_m

    def kernel_tables(self) -> tuple:
        return self.tables

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        scalars = []
        for i, item in enumerate(self.tables):
            if isinstance(item, np.ndarray):
                np.save(folder / f"{i}.npy", item, allow_pickle=False)
                scalars.append(None)
            else:
                scalars.append([type(item).__name__, item])
        (folder / "ground.json").write_text(json.dumps({"target_up_m": self.target_up_m, "scalars": scalars}))
        return folder

    @classmethod
    def load(cls, folder: Path) -> "FlightGround":
        meta = json.loads((Path(folder) / "ground.json").read_text())
        kinds = {"float": float, "int": int}
        tables = tuple(
            np.asarray(np.load(Path(folder) / f"{i}.npy", mmap_mode="r")) if s is None else kinds[s[0]](s[1])
            for i, s in enumerate(meta["scalars"])
        )  # fmt: skip
        return cls(float(meta["target_up_m"]), tables)


def cache_root() -> Path:
    """edlcam's cache folder: $EDLCAM_CACHE, else $XDG_CACHE_HOME/edlcam, else ~/.cache/edlcam."""
    if os.environ.get("EDLCAM_CACHE"):
        return Path(os.environ["EDLCAM_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "edlcam"


def _ground_key(mission) -> str:
    h = hashlib.sha256()
    inputs = {"terrain": mission.terrain.model_dump(mode="json"), "seed": mission.mission.seed,
              "target": mission.target.model_dump(mode="json"),
              "radii_m": [mission.planet.equatorial_radius_m, mission.planet.polar_radius_m], "numpy": np.__version__}  # fmt: skip
    h.update(json.dumps(inputs, sort_keys=True).encode())
    for path in sorted((_EDLCAM / "mars").glob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
    for path in sorted((_EDLCAM / "data").rglob("*")):
        if path.is_file():
            st = path.stat()
            h.update(f"{path.relative_to(_EDLCAM)} {st.st_size} {st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]


def shared_ground(mission) -> tuple[Path, bool]:
    """A folder holding ``mission``'s :class:`FlightGround` for workers on this machine: from the
    cache, else built now and stored there; and whether the caller must delete it (a temporary
    folder, where the cache cannot be written)."""

    def build() -> FlightGround:
        from edlcam.mars.terrain import Terrain  # scipy and the terrain's modules: only to build one

        return FlightGround.of(Terrain.from_mission(mission))

    return cached_folder("flight-ground", _ground_key(mission), "ground.json", build)


def cached_folder(kind: str, key: str, marker: str, build) -> tuple[Path, bool]:
    """The cache folder ``kind/key`` (whole once ``marker`` is in it), else ``build().save(folder)``
    stored there atomically, the least recently used beyond :data:`_GROUND_CACHE_ENTRIES` of that
    kind dropped; and whether the caller must delete it (a temporary folder, where the cache
    cannot be written)."""
    root = cache_root() / kind
    folder = root / key
    if (folder / marker).is_file():
        os.utime(folder / marker)  # most recently used
        return folder, False
    made = build()
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
        made.save(tmp)
        try:
            os.replace(tmp, folder)  # atomic: a reader sees the whole folder or none
        except OSError:  # another run stored it first
            shutil.rmtree(tmp, ignore_errors=True)
        entries = sorted((p for p in root.iterdir() if (p / marker).is_file()), key=lambda p: (p / marker).stat().st_mtime)
        for old in entries[:-_GROUND_CACHE_ENTRIES]:
            shutil.rmtree(old, ignore_errors=True)
        if (folder / marker).is_file():
            return folder, False
    except OSError as exc:  # a read-only or full home: this run's own copy
        log.info("%s not cached in %s (%s)", kind, root, exc)
    tmp = Path(tempfile.mkdtemp(prefix=f"edlcam-{kind}-"))
    made.save(tmp)
    return tmp, True
