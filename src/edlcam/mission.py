"""The mission file: TOML, validated with pydantic, with errors that name the file and field.

A mission holds every input of a run: the planet, the vehicle, the guidance, the target, the
cameras, the onboard and link settings. ``missions/mars2020.toml`` ships as the default. A user's
file is either complete, or starts with ``extends = "mars2020"`` and holds only the values that
differ (tables merge key by key over the shipped mission).

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
from pydantic import Field, ValidationError

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
from edlcam.config.terrain import TerrainConfig
from edlcam.errors import MissionError

__all__ = ["Mission", "MissionInfo", "load_mission", "default_mission_path", "mission_from_dict", "write_mission"]


class MissionInfo(Section):
    name: str = "Mars 2020"
    seed: int = Field(default=2021, ge=0)


class Mission(Section):
    """Every input of a run. Build with :func:`load_mission`."""

    mission: MissionInfo = MissionInfo()
    planet: PlanetConfig = PlanetConfig()
    atmosphere: AtmosphereConfig = AtmosphereConfig()
    target: TargetConfig = TargetConfig()
    entry: EntryConfig = EntryConfig()
    vehicle: VehicleConfig = VehicleConfig()
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

    def with_seed(self, seed: int | None) -> "Mission":
        """This mission with ``mission.seed`` replaced (unchanged when ``seed`` is None)."""
        if seed is None:
            return self
        if seed < 0:
            raise MissionError(f"--seed is {seed}; a seed must be a whole number ≥ 0")
        return self.model_copy(update={"mission": self.mission.model_copy(update={"seed": seed})})


def default_mission_path() -> Path:
    """Path of the shipped Mars 2020 mission file."""
    return Path(str(resources.files("edlcam") / "missions" / "mars2020.toml"))


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
    except OSError as exc:
        raise MissionError(f"{path}: cannot read the mission file ({exc.strerror})") from None
    try:
        return tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise MissionError(f"{path}: not UTF-8 text; a mission file is TOML") from None
    except tomllib.TOMLDecodeError as exc:
        raise MissionError(f"{path}: not valid TOML: {exc}") from None


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
    if isinstance(given, (dict, list)) or given is None:
        return f"'{where}': {msg}"
    return f"'{where}' is {given!r}: {msg}"


def mission_from_dict(data: dict, *, source: str = "<mission>") -> Mission:
    """Validate a mission given as nested dicts; errors name ``source`` and the field."""
    try:
        return Mission.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = len(exc.errors()) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise MissionError(f"{source}: {_describe(first)}{extra}") from None


def load_mission(path: str | Path | None = None, *, seed: int | None = None) -> Mission:
    """Load a mission file merged over the Mars 2020 default, validated.

    ``path`` None loads the default. Raises :class:`MissionError` naming the file and field.
    """
    default = _read_toml(default_mission_path())
    if path is None:
        return mission_from_dict(default, source=str(default_mission_path())).with_seed(seed)
    path = Path(path)
    source = str(path)
    user = _read_toml(path)
    base = user.pop("extends", None)
    if base is None:
        missing = _first_missing(default, user)
        if missing:
            raise MissionError(
                f"{source}: '{missing}' is missing; add it, or put extends = \"mars2020\" at the top of the file "
                "to take every value you leave out from the shipped Mars 2020 mission"
            )
        data = user
    elif base == "mars2020":
        data = _merge(default, user)
    else:
        raise MissionError(f"{source}: 'extends' is {base!r}; the only mission to extend is \"mars2020\"")
    return mission_from_dict(data, source=source).with_seed(seed)


def _first_missing(reference: dict, given: dict, prefix: str = "") -> str | None:
    """Dotted name of the first key of ``reference`` absent from ``given`` (None if complete)."""
    for key, value in reference.items():
        name = f"{prefix}{key}"
        if key not in given:
            return name
        if isinstance(value, dict) and isinstance(given[key], dict):
            deeper = _first_missing(value, given[key], name + ".")
            if deeper:
                return deeper
    return None


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
