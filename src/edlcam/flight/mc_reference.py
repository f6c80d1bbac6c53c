"""The entry-guidance reference a Monte Carlo flies with, kept between runs.

:func:`edlcam.flight.guidance.build_reference` flies the reference trajectory and derives the
ETPC's gains: ≈ 0.6 s of CPU before the first case, the same for every run of a mission (issue 21:
the Monte Carlo's fixed start-up). :func:`shared_reference` keeps it in edlcam's cache
(:func:`edlcam.flight.ground.cached_folder`, beside the flight ground) keyed on every value of the
mission, numpy's version and the source of every ``edlcam`` module and data file, so a change to
any of them builds it afresh. Stored as an ``.npz`` of float64 arrays (read back bit for bit).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from edlcam.flight.ground import cached_folder

__all__ = ["shared_reference"]

_EDLCAM = Path(__file__).resolve().parents[1]
_MARKER = "reference.npz"


def _reference_key(mission) -> str:
    h = hashlib.sha256(mission.model_dump_json().encode() + np.__version__.encode())
    for path in sorted(_EDLCAM.rglob("*.py")):  # ≈ 1.3 MB: 5 ms
        h.update(str(path.relative_to(_EDLCAM)).encode() + b"\0" + path.read_bytes())
    for path in sorted((_EDLCAM / "data").rglob("*")):
        if path.is_file():
            st = path.stat()
            h.update(f"{path.relative_to(_EDLCAM)} {st.st_size} {st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]


@dataclass(frozen=True)
class _Stored:
    reference: object  # ReferenceTrajectory

    def save(self, folder: Path) -> None:
        columns = {f.name: np.asarray(getattr(self.reference, f.name), np.float64) for f in fields(self.reference)}
        np.savez(folder / _MARKER, **columns)


def _load(folder: Path):
    from edlcam.flight.guidance import ReferenceTrajectory

    with np.load(folder / _MARKER, allow_pickle=False) as z:
        values = {f.name: z[f.name] for f in fields(ReferenceTrajectory)}
    return ReferenceTrajectory(**{k: float(v) if v.ndim == 0 else v for k, v in values.items()})


def shared_reference(mission):
    """``build_reference(mission)``, from the cache when an earlier run built it."""
    from edlcam.flight.guidance import build_reference

    folder, temporary = cached_folder("guidance-reference", _reference_key(mission), _MARKER,
                                      lambda: _Stored(build_reference(mission)))  # fmt: skip
    try:
        return _load(folder)
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
