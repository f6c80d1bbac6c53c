"""The mission file: TOML, validated with pydantic, with errors that name the file and field.

A mission holds every input of a run: the planet, the vehicle, the guidance, the target, the
cameras, the onboard and link settings. ``missions/mars2020.toml`` ships as the default. A user's
file is either complete, or starts with ``extends = "mars2020"`` (any shipped mission by name, or
another mission file by its path relative to this one: ``extends = "base.toml"``) and holds only
the values that differ (tables merge key by key over the mission extended; chains of files are
followed, cycles refused).

Every value is checked when the mission loads, before any stage runs: every number is finite,
within the range its model can use (the reason is in the error), every table has matching
lengths and an increasing axis, every time is a real UTC date. A file with several problems
gets them all in one line.

>>> m = load_mission()
>>> round(m.target.latitude_deg, 4)
18.4447
"""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import Field, ValidationError, model_validator

from edlcam.config.base import Section
from edlcam.config.cameras import CamerasConfig
from edlcam.config.flight import (
    AtmosphereConfig,
    EntryConfig,
    GuidanceConfig,
    ParachuteConfig,
    PlanetConfig,
    PoweredDescentConfig,
    SimulationConfig,
    TargetConfig,
    VehicleConfig,
)
from edlcam.config.link import LinkConfig
from edlcam.config.lvs import LvsConfig
from edlcam.config.microphone import MicrophoneConfig
from edlcam.config.montecarlo import MontecarloConfig
from edlcam.config.onboard import OnboardConfig
from edlcam.config.sequence import SequenceConfig, check_sequence
from edlcam.config.terrain import TerrainConfig
from edlcam.errors import MissionError

__all__ = [
    "Mission", "MissionInfo", "load_mission", "default_mission_path", "mission_from_dict", "shipped_missions", "write_mission",
    "missing_from_resolved",
]


# Mars 2020's nominal landing timeline (NASA, published before landing; REFERENCE.md), E+ s.
MARS2020_TIMELINE_S = {
    "entry_interface": [0.0, 0.0], "peak_heating": [80.0, 80.0], "peak_deceleration": [90.0, 90.0],
    "parachute_deploy": [240.0, 240.0], "heatshield_separation": [260.0, 260.0], "backshell_separation": [330.0, 360.0],
    "powered_descent_start": [], "skycrane_start": [390.0, 390.0], "touchdown": [410.0, 410.0],
}  # fmt: skip


class MissionInfo(Section):
    name: str = "Mars 2020"
    seed: int = Field(default=2021, ge=0)
    # The published times the run's events are compared with (event tables, the report): per major
    # event [earliest, latest] E+ s, or [] where none was published (so a mission that extends
    # another can take one away: tables merge key by key).
    published_timeline_s: dict[str, list[float]] = Field(default_factory=lambda: dict(MARS2020_TIMELINE_S))

    @model_validator(mode="after")
    def _check_timeline(self):
        from edlcam.flight.events import EVENT_NAMES

        for name, span in self.published_timeline_s.items():
            if name not in EVENT_NAMES:
                raise ValueError(f"published_timeline_s names {name!r}, which is no major event; use one of {', '.join(EVENT_NAMES)}")
            if len(span) not in (0, 2) or (span and not 0.0 <= span[0] <= span[1] <= 3600.0):
                raise ValueError(
                    f"published_timeline_s.{name} is {span}; give [earliest, latest] E+ seconds (0 ≤ earliest ≤ latest ≤ 3600), "
                    "or [] where no time was published"
                )
        return self

    def published(self) -> dict[str, tuple[float, float] | None]:
        """Each major event's published (earliest, latest) E+ [s], None where none was published."""
        return {k: (tuple(v) if v else None) for k, v in self.published_timeline_s.items()}


class Mission(Section):
    """Every input of a run. Build with :func:`load_mission`."""

    mission: MissionInfo = MissionInfo()
    planet: PlanetConfig = PlanetConfig()
    atmosphere: AtmosphereConfig = AtmosphereConfig()
    target: TargetConfig = TargetConfig()
    entry: EntryConfig = EntryConfig()
    vehicle: VehicleConfig = VehicleConfig()
    sequence: SequenceConfig = SequenceConfig()
    guidance: GuidanceConfig = GuidanceConfig()
    parachute: ParachuteConfig = ParachuteConfig()
    powered_descent: PoweredDescentConfig = PoweredDescentConfig()
    simulation: SimulationConfig = SimulationConfig()
    terrain: TerrainConfig = TerrainConfig()
    cameras: CamerasConfig = CamerasConfig()
    microphone: MicrophoneConfig = MicrophoneConfig()
    onboard: OnboardConfig = OnboardConfig()
    link: LinkConfig = LinkConfig()
    montecarlo: MontecarloConfig = MontecarloConfig()
    lvs: LvsConfig = LvsConfig()

    @model_validator(mode="before")
    @classmethod
    def _drop_unflown(cls, data):
        return drop_unflown(data)

    @model_validator(mode="after")
    def _sequence_flyable(self):
        check_sequence(self)  # a sequence the vehicle cannot fly, refused naming its field
        return self

    def with_seed(self, seed: int | None) -> "Mission":
        """This mission with ``mission.seed`` replaced (unchanged when ``seed`` is None)."""
        if seed is None:
            return self
        if seed < 0:
            raise MissionError(f"--seed is {seed}; a seed must be a whole number ≥ 0")
        return self.model_copy(update={"mission": self.mission.model_copy(update={"seed": seed})})


def drop_unflown(data: Any) -> Any:
    """The mission data without the instruments that do not fly: where ``[cameras] flown`` lists
    the set (cameras by their view's name, and ``"microphone"``), every ``[cameras.views.<name>]``
    (merged from the missions extended, or the defaults) and ``[onboard.capture.<name>]`` of a
    source not in it is removed. Views merge table by table through ``extends``; this is how a
    mission removes a camera (or the microphone)."""
    if not isinstance(data, dict) or not isinstance(data.get("cameras"), dict):
        return data
    flown = data["cameras"].get("flown")
    if not isinstance(flown, list) or not all(isinstance(n, str) for n in flown):
        return data  # no set given, or a malformed one: the cameras' own validation names it
    from edlcam.config.cameras import DEFAULT_VIEWS
    from edlcam.config.onboard import DEFAULT_CAPTURE

    views = data["cameras"].get("views", DEFAULT_VIEWS)
    if not isinstance(views, dict):
        return data
    out = dict(data)
    out["cameras"] = dict(data["cameras"], views={k: v for k, v in views.items() if k in flown})
    onboard = data.get("onboard", {})
    if isinstance(onboard, dict):
        capture = onboard.get("capture", DEFAULT_CAPTURE)
        if isinstance(capture, dict):
            dropped = (set(views) | {"microphone"}) - set(flown)
            out["onboard"] = dict(onboard, capture={k: v for k, v in capture.items() if k not in dropped})
    return out


def default_mission_path() -> Path:
    """Path of the shipped Mars 2020 mission file."""
    return Path(str(resources.files("edlcam") / "missions" / "mars2020.toml"))


def shipped_missions() -> dict[str, Path]:
    """The missions that ship with edlcam, by name (``extends = "mars2020"``)."""
    folder = default_mission_path().parent
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict:
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise MissionError(f"{path}: no such mission file; give an existing TOML file to --mission") from None
    except IsADirectoryError:
        raise MissionError(f"{path}: a folder, not a mission file; give a TOML file to --mission") from None
    except OSError as exc:
        raise MissionError(f"{path}: cannot read the mission file ({exc.strerror})") from None
    try:
        return tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise MissionError(f"{path}: not UTF-8 text; a mission file is TOML") from None
    except tomllib.TOMLDecodeError as exc:
        raise MissionError(f"{path}: not valid TOML: {exc}") from None


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error["loc"])
    kind = error["type"]
    given = error.get("input")
    if kind == "extra_forbidden":
        return f"unknown key '{where}'; remove it or check its spelling against missions/mars2020.toml"
    if kind == "missing":
        return f"'{where}' is missing; add it"
    msg = error["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if msg.startswith("Input should be "):
        msg = "it should be " + msg[len("Input should be ") :]
    if not where:
        return msg
    if isinstance(given, (dict, list)) or given is None:
        return f"'{where}': {msg}"
    return f"'{where}' is {_short(given)}: {msg}"


_MAX_LISTED = 6  # problems spelled out in one error; the rest are counted


def _problem_list(source: str, problems: list[str]) -> MissionError:
    """One line: the file, then its problem, or its problems numbered (the first few, and a count)."""
    if len(problems) == 1:
        return MissionError(f"{source}: {problems[0]}")
    shown = "; ".join(f"({i}) {p}" for i, p in enumerate(problems[:_MAX_LISTED], 1))
    rest = len(problems) - _MAX_LISTED
    more = f"; and {rest} more" if rest > 0 else ""
    return MissionError(f"{source}: {len(problems)} problems: {shown}{more}")


def _validation_problems(data: Any) -> tuple[Mission | None, list[str]]:
    if not isinstance(data, dict):
        return None, ["a mission is a TOML document of tables"]
    try:
        return Mission.model_validate(data), []
    except ValidationError as exc:
        return None, [_describe(e) for e in exc.errors()]


def mission_from_dict(data: dict, *, source: str = "<mission>") -> Mission:
    """Validate a mission given as nested dicts; every problem is reported at once, naming
    ``source`` and each field."""
    mission, problems = _validation_problems(data)
    if problems:
        raise _problem_list(source, problems)
    return mission


def _extended(path: Path, chain: tuple[Path, ...]) -> tuple[dict, bool]:
    """The mission data of ``path`` with its ``extends`` chain merged under it, and whether the
    chain ends in a shipped mission (else the data must be complete)."""
    data = _read_toml(path)
    base = data.pop("extends", None)
    if base is None:
        return data, path.resolve() in {p.resolve() for p in shipped_missions().values()}
    names = shipped_missions()
    hint = f"give a shipped mission ({', '.join(repr(n) for n in names)}) or a mission file's path, relative to {path}"
    if not isinstance(base, str) or not base.strip():
        raise MissionError(f"{path}: 'extends' is {_short(base)}; {hint}")
    if base in names:
        base_path = names[base]
    elif base.endswith(".toml") or "/" in base or "\\" in base:
        base_path = (path.parent / Path(base).expanduser()) if not Path(base).expanduser().is_absolute() else Path(base).expanduser()
        if not base_path.is_file():
            raise MissionError(f"{path}: 'extends' is {base!r}, but {base_path} is not a file; {hint}")
    else:
        raise MissionError(f"{path}: 'extends' is {base!r}, which is no shipped mission; {hint}")
    seen = chain + (path.resolve(),)
    if base_path.resolve() in seen:
        loop = " → ".join(str(p) for p in seen + (base_path.resolve(),))
        raise MissionError(f"{path}: 'extends' makes a cycle ({loop}); one of these files must not extend another")
    below, rooted = _extended(base_path, seen)
    return _merge(below, data), rooted


def load_mission(path: str | Path | None = None, *, seed: int | None = None) -> Mission:
    """Load a mission file merged over the mission it ``extends`` (a shipped one by name, or a
    file by path relative to it; chains allowed, cycles refused), validated.

    ``path`` None loads the default; a shipped mission's name (``"msl"``) where no such file
    exists loads that mission (a folder of that name in the working directory is not a file). Raises :class:`MissionError` naming the file, then every
    problem found (unknown keys, missing keys, bad values) at once.
    """
    if path is None:
        default = _read_toml(default_mission_path())
        return mission_from_dict(default, source=str(default_mission_path())).with_seed(seed)
    path = Path(path)
    shipped = shipped_missions()
    if not path.is_file() and str(path) in shipped:  # a shipped mission by name: --mission msl
        path = shipped[str(path)]
    source = str(path)
    data, rooted = _extended(path, ())
    problems = []
    if not rooted:
        missing = _missing(_read_toml(default_mission_path()), data)
        if missing:
            listed = ", ".join(f"'{m}'" for m in missing[:_MAX_LISTED]) + (f" and {len(missing) - _MAX_LISTED} more" if len(missing) > _MAX_LISTED else "")
            problems.append(
                f"{listed} {'is' if len(missing) == 1 else 'are'} missing; add {'it' if len(missing) == 1 else 'them'}, "
                'or put extends = "mars2020" at the top of the file to take every value you leave out from the shipped Mars 2020 mission'
            )
    mission, more = _validation_problems(data)
    problems += more
    if problems:
        raise _problem_list(source, problems)
    return mission.with_seed(seed)


# Tables of named entries (cameras, capture sources): a complete file chooses its own names.
_NAMED_TABLES = ("cameras.views", "onboard.capture")


def _missing(reference: dict, given: dict, prefix: str = "", *, named: bool = False) -> list[str]:
    """Dotted names of the keys of ``reference`` absent from ``given`` (a whole missing table is
    named once, not key by key). ``named``: compare also the entries of the named tables that both
    have (a camera with the shipped camera of the same name)."""
    out = []
    for key, value in reference.items():
        name = f"{prefix}{key}"
        if key not in given:
            if not (named and prefix[:-1] in _NAMED_TABLES):  # a complete file chooses its own names
                out.append(name)
        elif isinstance(value, dict) and isinstance(given[key], dict) and (named or name not in _NAMED_TABLES):
            out += _missing(value, given[key], name + ".", named=named)
    return out


def missing_from_resolved(path: str | Path) -> list[str]:
    """Dotted names of the values the shipped mission has that the resolved mission file ``path`` lacks.

    A run's ``mission.toml`` holds every value its run used (:func:`write_mission`), so a value it
    lacks is one the edlcam that wrote it did not know yet. The named tables' entries are compared
    with the shipped entry of the same name (an older run's ``cameras.views.lcam`` has no
    ``linearity``, which would make its LCAM a pinhole again); entries of other names are its own.
    """
    given = _read_toml(Path(path))
    if "extends" in given:  # written by hand over a shipped mission, not resolved by edlcam: load_mission checks it
        return []
    shipped = _drop_none(load_mission().model_dump(mode="json"))
    return _missing(shipped, given, named=True)


def _drop_none(value):
    # TOML has no null: an optional value left unset is simply absent (its default is None).
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def write_mission(mission: Mission, path: str | Path) -> None:
    """Write the resolved mission (every value, defaults included) as TOML."""
    Path(path).write_text(
        "# Resolved inputs of this run: every value the stages used (written by edlcam).\n"
        + tomli_w.dumps(_drop_none(mission.model_dump(mode="json")))
    )
