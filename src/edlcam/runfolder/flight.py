"""The flight stage's files: ``flight/events.json``, ``flight/trajectory.parquet``, ``flight/bodies.parquet``.

:func:`read_events` gives :class:`Events` (major and minor, each an :class:`Event`);
:func:`read_trajectory` the columns asked for, in time order; :func:`read_bodies` every body's
:class:`BodyTrack`, with the one pose interpolation of the project: position, velocity and the
``aux`` column linearly, attitude by quaternion slerp (Shoemake 1985, "Animating rotation with
quaternion curves", SIGGRAPH) through scipy. The cameras and the microphone both use it, so
they place a body in the same place at the same time. The writers are ``edlcam simulate``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edlcam.runfolder.files import BODIES, EVENTS, TRAJECTORY, corrupt, read_json, require, write_json

__all__ = [
    "Event",
    "Events",
    "read_events",
    "write_events",
    "Trajectory",
    "read_trajectory",
    "write_trajectory",
    "BodyPose",
    "BodyTrack",
    "BodyTracks",
    "BODY_COLUMNS",
    "read_bodies",
    "write_bodies",
]

BODY_COLUMNS = ("t_s", "body", "east_m", "north_m", "up_m", "ve_m_s", "vn_m_s", "vu_m_s", "qw", "qx", "qy", "qz", "aux")


# --------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Event:
    """One EDL event: its name, time [s after entry interface], whether it is a major one, and
    every field ``events.json`` gives it (``altitude_m``, ``utc``, … ; docs/run-folder.md)."""

    name: str
    t_s: float
    major: bool
    fields: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default=None):
        """A field of the event as written (``utc``, ``vertical_speed_m_s``, …), else ``default``."""
        return self.fields.get(key, default)

    def as_dict(self) -> dict:
        """The event as written, with its ``major`` flag added."""
        return {**self.fields, "name": self.name, "t_s": self.t_s, "major": self.major}


@dataclass(frozen=True)
class Events:
    """The events of a flight: ``major`` in flight order, ``minor`` in time order (docs/run-folder.md)."""

    path: Path
    major: tuple[Event, ...]
    minor: tuple[Event, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)  # other top-level fields (status, propellant)

    def all(self) -> list[Event]:
        """Major and minor events in time order (a major one first at the same time)."""
        return sorted(self.major + self.minor, key=lambda e: (e.t_s, not e.major))

    def times(self) -> dict[str, float]:
        """``{name: t_s}`` of every event, major and minor, in time order."""
        out: dict[str, float] = {}
        for e in self.all():
            out.setdefault(e.name, e.t_s)
        return out

    def get(self, name: str) -> Event | None:
        """The event called ``name`` (a major one before a minor one), or None."""
        for e in self.major + self.minor:
            if e.name == name:
                return e
        return None

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def time_of(self, name: str) -> float | None:
        """Time [s] of the event ``name``, None when the flight has no such event."""
        e = self.get(name)
        return None if e is None else e.t_s

    def require(self, name: str, why: str, *, field: str | None = None) -> Event:
        """The event ``name`` (with ``field`` if given), else RunFolderError saying ``why`` it is needed."""
        e = self.get(name)
        if e is None or (field is not None and field not in e.fields):
            what = f"no {name!r} event" + (f" with a {field!r}" if field else "")
            run = self.path.parent.parent
            raise corrupt(run, self.path, f"{what}, which {why}")
        return e


def _event(run: Path, path: Path, key: str, raw, major: bool) -> Event:
    if not isinstance(raw, dict) or "name" not in raw or "t_s" not in raw:
        raise corrupt(run, path, f"an entry of {key!r} lacks 'name' or 't_s'")
    try:
        if isinstance(raw["t_s"], (bool, str)):
            raise TypeError("not a number")
        t = float(raw["t_s"])
    except (TypeError, ValueError, OverflowError):
        raise corrupt(run, path, f"event {raw['name']!r} has t_s {raw['t_s']!r}, not a number") from None
    if not np.isfinite(t):
        raise corrupt(run, path, f"event {raw['name']!r} has t_s {t}, not a finite time")
    return Event(str(raw["name"]), t, major, dict(raw))


def read_events(run: str | Path) -> Events:
    """The events of RUN/flight/events.json."""
    run = Path(run)
    path = run / EVENTS
    data = read_json(run, path)
    if not isinstance(data.get("events"), list):
        raise corrupt(run, path, "no 'events' list")
    minor = data.get("minor_events", []) or []
    if not isinstance(minor, list):
        raise corrupt(run, path, "'minor_events' is not a list")
    major_events = tuple(_event(run, path, "events", e, True) for e in data["events"])
    minor_events = tuple(_event(run, path, "minor_events", e, False) for e in minor)
    extra = {k: v for k, v in data.items() if k not in ("events", "minor_events")}
    return Events(path, major_events, minor_events, extra)


def write_events(run: str | Path, major: Sequence[dict], minor: Sequence[dict], **extra) -> Path:
    """Write RUN/flight/events.json: ``{"events": major, "minor_events": minor, **extra}``."""
    return write_json(Path(run) / EVENTS, {"events": list(major), "minor_events": list(minor), **extra})


# ----------------------------------------------------------------------------------- trajectory


@dataclass(frozen=True)
class Trajectory:
    """Columns of ``flight/trajectory.parquet`` (one array per column, rows in time order)."""

    path: Path
    columns: Mapping[str, np.ndarray]
    rows: int

    def __getitem__(self, column: str) -> np.ndarray:
        return self.columns[column]

    def __contains__(self, column: str) -> bool:
        return column in self.columns

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(self.columns)


def _read_parquet(run: Path, path: Path, columns: Iterable[str] | None, required: Iterable[str] = ()):
    import pyarrow.parquet as pq

    require(run, path)
    try:
        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise corrupt(run, path, f"not a readable Parquet file ({type(exc).__name__})") from None
    wanted = list(names if columns is None else columns)
    missing = [c for c in (*wanted, *required) if c not in names]
    if missing:
        raise corrupt(run, path, f"no column {missing[0]!r} (docs/run-folder.md)")
    try:
        table = pf.read(columns=list(dict.fromkeys((*wanted, *required))))
    except Exception as exc:
        raise corrupt(run, path, f"not a readable Parquet file ({type(exc).__name__})") from None
    return table


def read_trajectory(run: str | Path, columns: Iterable[str] | None = None) -> Trajectory:
    """Columns of RUN/flight/trajectory.parquet (``None``: all), rows sorted by ``t_s``."""
    run = Path(run)
    path = run / TRAJECTORY
    table = _read_parquet(run, path, columns, required=("t_s",))
    cols = {c: table.column(c).to_numpy(zero_copy_only=False) for c in table.column_names}
    t = np.asarray(cols["t_s"], float)
    if t.size > 1 and np.any(np.diff(t) < 0):
        order = np.argsort(t, kind="stable")
        cols = {k: np.asarray(v)[order] for k, v in cols.items()}
    if columns is not None:
        cols = {c: cols[c] for c in columns}
    return Trajectory(path, cols, table.num_rows)


def write_trajectory(run: str | Path, table) -> Path:
    """Write RUN/flight/trajectory.parquet from a pyarrow table."""
    import pyarrow.parquet as pq

    path = Path(run) / TRAJECTORY
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


# --------------------------------------------------------------------------------------- bodies


@dataclass(frozen=True)
class BodyPose:
    """A body at one time: origin in ENU [m], rotation body→ENU, velocity [m/s], aux column."""

    name: str
    position_m: np.ndarray
    R: np.ndarray
    velocity_m_s: np.ndarray
    aux: float


class BodyTrack:
    """One body's rows of ``flight/bodies.parquet``, interpolated in time.

    Position, velocity and ``aux`` linearly, attitude by slerp; the array methods clamp times to
    the track's span (the body stays where it was first and last seen), :meth:`pose` does not.
    """

    def __init__(self, name: str, t_s, position_m, velocity_m_s, quaternion_wxyz, aux):
        from scipy.spatial.transform import Rotation, Slerp

        self.name = name
        self.t_s = np.asarray(t_s, float)
        self.position_m = np.asarray(position_m, float)  # (n, 3) ENU
        self.velocity_m_s = np.asarray(velocity_m_s, float)  # (n, 3)
        self.quaternion = np.asarray(quaternion_wxyz, float)  # (n, 4) w, x, y, z body → ENU
        self.aux = np.asarray(aux, float)
        self.rot = Rotation.from_quat(self.quaternion, scalar_first=True)
        self._slerp = Slerp(self.t_s, self.rot) if len(self.t_s) > 1 else None

    def _clamp(self, t_s) -> np.ndarray:
        return np.clip(np.asarray(t_s, float), self.t_s[0], self.t_s[-1])

    def position(self, t_s) -> np.ndarray:
        """Origin in ENU [m] at ``t_s`` (scalar → (3,), array → (n, 3))."""
        return np.stack([np.interp(t_s, self.t_s, self.position_m[:, k]) for k in range(3)], axis=-1)

    def velocity(self, t_s) -> np.ndarray:
        """Velocity in ENU [m/s] at ``t_s``."""
        return np.stack([np.interp(t_s, self.t_s, self.velocity_m_s[:, k]) for k in range(3)], axis=-1)

    def aux_at(self, t_s) -> np.ndarray:
        """The ``aux`` column at ``t_s`` (docs/run-folder.md)."""
        return np.interp(t_s, self.t_s, self.aux)

    def rotation(self, t_s):
        """scipy Rotation body → ENU at ``t_s`` (slerp between rows)."""
        t = self._clamp(t_s)
        if self._slerp is None:
            return self.rot[np.zeros(np.shape(t), int)] if np.ndim(t) else self.rot[0]
        return self._slerp(t)

    def attitude(self, t_s) -> np.ndarray:
        """Unit quaternion(s) (w, x, y, z) body → ENU at ``t_s``."""
        return self.rotation(t_s).as_quat(scalar_first=True)

    def point(self, t_s, body_point_m) -> np.ndarray:
        """ENU position [m] of a point fixed in the body frame at ``t_s``."""
        return self.position(t_s) + self.rotation(t_s).apply(np.asarray(body_point_m, float))

    def pose(self, t_s: float) -> BodyPose | None:
        """The pose at ``t_s``; None outside the track (e.g. the parachute before mortar fire)."""
        t = self.t_s
        if t_s < t[0] or t_s > t[-1]:
            return None
        if len(t) == 1:
            return BodyPose(self.name, self.position_m[0], self.rot[0].as_matrix(), self.velocity_m_s[0], float(self.aux[0]))
        pos = np.array([np.interp(t_s, t, self.position_m[:, k]) for k in range(3)])
        vel = np.array([np.interp(t_s, t, self.velocity_m_s[:, k]) for k in range(3)])
        aux = float(np.interp(t_s, t, self.aux))
        R = self._slerp([t_s]).as_matrix()[0]
        return BodyPose(self.name, pos, R, vel, aux)


class BodyTracks:
    """Every body of ``flight/bodies.parquet`` (a table of its columns), by name, in file order."""

    def __init__(self, table):
        import pandas as pd

        df = table.to_pandas() if hasattr(table, "to_pandas") else pd.DataFrame(table)
        self._tracks: dict[str, BodyTrack] = {}
        for name, g in df.groupby("body", sort=False):
            g = g.sort_values("t_s").drop_duplicates("t_s")
            self._tracks[str(name)] = BodyTrack(
                str(name), g["t_s"].to_numpy(float), g[["east_m", "north_m", "up_m"]].to_numpy(float),
                g[["ve_m_s", "vn_m_s", "vu_m_s"]].to_numpy(float), g[["qw", "qx", "qy", "qz"]].to_numpy(float),
                g["aux"].to_numpy(float),
            )
        if not self._tracks:
            raise ValueError("the bodies table is empty")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._tracks)

    @property
    def tracks(self) -> dict[str, BodyTrack]:
        """``{body name: BodyTrack}``."""
        return dict(self._tracks)

    def __getitem__(self, name: str) -> BodyTrack:
        return self._tracks[name]

    def __contains__(self, name: str) -> bool:
        return name in self._tracks

    def get(self, name: str) -> BodyTrack | None:
        return self._tracks.get(name)

    @property
    def t_range_s(self) -> tuple[float, float]:
        """The first and last time any body is known [s]."""
        return (min(tr.t_s[0] for tr in self._tracks.values()), max(tr.t_s[-1] for tr in self._tracks.values()))

    def pose(self, name: str, t_s: float) -> BodyPose | None:
        """The body's pose at ``t_s``, or None when it does not exist then (e.g. parachute before mortar fire)."""
        tr = self._tracks.get(name)
        return None if tr is None else tr.pose(t_s)

    def poses(self, t_s: float) -> dict[str, BodyPose]:
        """Every body that exists at ``t_s``."""
        out = {}
        for name, tr in self._tracks.items():
            p = tr.pose(t_s)
            if p is not None:
                out[name] = p
        return out


def read_bodies(run: str | Path) -> BodyTracks:
    """Every body's track from RUN/flight/bodies.parquet."""
    run = Path(run)
    path = run / BODIES
    table = _read_parquet(run, path, BODY_COLUMNS)
    if table.num_rows == 0:
        raise corrupt(run, path, "no rows")
    return BodyTracks(table)


def write_bodies(run: str | Path, table) -> Path:
    """Write RUN/flight/bodies.parquet from a pyarrow table of :data:`BODY_COLUMNS`."""
    import pyarrow.parquet as pq

    path = Path(run) / BODIES
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path
