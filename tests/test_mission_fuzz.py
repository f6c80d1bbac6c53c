"""A hypothesis fuzz over mission values (issue 21): whatever a user writes into any field (finite
numbers of any size, nan and inf, values out of range, the wrong type, empty tables), loading the
mission either succeeds or raises one MissionError line naming the file; a mission that loads
builds its models (vehicle, atmosphere, gravity, terrain-free guidance reference) without an
internal error. ``make test`` runs a short fuzz; the slow suite runs ≥ 500 examples."""

import copy
import math
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edlcam.errors import EdlcamError, MissionError
from edlcam.mission import default_mission_path, mission_from_dict

DEFAULT = tomllib.loads(default_mission_path().read_text())
SOURCE = "fuzz.toml"


def _leaves(node, path=()):
    """Every place a value can be written: each key, each list as a whole and each list item."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(node, list):
        yield path, node
        for i, value in enumerate(node):
            yield from _leaves(value, path + (i,))
    else:
        yield path, node


LEAVES = [p for p, _ in _leaves(DEFAULT) if p]


def _near(default):
    """Values a model cannot use, built from the default: its sign flipped, zero, tiny, huge."""
    if isinstance(default, bool) or not isinstance(default, (int, float)):
        return st.nothing()
    return st.sampled_from([-1.0, 0.0, 1e-12, 1e6, 1e300]).map(lambda k: default * k if default else k)


NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
)
WRONG_TYPES = st.one_of(
    st.text(max_size=12),
    st.booleans(),
    st.lists(NUMBERS, max_size=4),  # includes the empty table
    st.dictionaries(st.text(min_size=1, max_size=6), st.integers(), max_size=2),
)


@st.composite
def mutations(draw):
    data = copy.deepcopy(DEFAULT)
    changed = []
    for path in draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=3)):
        node = data
        try:
            for key in path[:-1]:
                node = node[key]
            old = node[path[-1]]
        except (KeyError, IndexError, TypeError):  # an earlier mutation replaced a parent
            continue
        value = draw(st.one_of(NUMBERS, WRONG_TYPES, _near(old)))
        node[path[-1]] = value
        changed.append((path, value))
    return data, changed


_FLIGHT_SECTIONS = ("planet", "atmosphere", "target", "entry", "vehicle", "guidance", "parachute", "powered_descent", "simulation")
_REFERENCES: set[str] = set()  # flight inputs whose guidance reference was built already


def _preflight(mission):
    """The models every stage builds from a mission, without flying: the vehicle, the atmosphere
    and (once per distinct set of flight inputs: it takes ≈ 0.3 s) the entry guidance's
    reference trajectory."""
    from edlcam.flight.guidance import build_reference
    from edlcam.flight.vehicle import Vehicle
    from edlcam.mars.atmosphere import Atmosphere

    Vehicle.from_mission(mission)
    Atmosphere.from_mission(mission)
    key = repr([getattr(mission, s) for s in _FLIGHT_SECTIONS])
    if key not in _REFERENCES:
        build_reference(mission)
        _REFERENCES.add(key)


def _check(case):
    data, changed = case
    try:
        mission = mission_from_dict(data, source=SOURCE)
    except MissionError as exc:
        msg = str(exc)
        assert msg.startswith(f"{SOURCE}: ") and "\n" not in msg, (changed, msg)
        return
    try:
        _preflight(mission)
    except EdlcamError:
        pass  # a reported error (a plan that cannot be flown), not an internal one


_FAST = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
_SLOW = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FAST
@given(mutations())
def test_mission_fuzz_fast(case):
    _check(case)


@pytest.mark.slow
@_SLOW
@given(mutations())
def test_mission_fuzz_600_examples(case):
    _check(case)
