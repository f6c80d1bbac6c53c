"""The compiled flight kernel: converged in its steps, events on the output grid and exact where
the ground was not read, one trajectory never touching another."""

import math

import numpy as np
import pytest

from edlcam.flight.dispersions import draw_cases
from edlcam.flight.events import EVENT_NAMES, MINOR_EVENT_NAMES
from edlcam.flight.guidance import build_reference
from edlcam.flight.sequencer import fly
from edlcam.mars.terrain import Terrain
from edlcam.mission import load_mission, mission_from_dict


@pytest.fixture(scope="module")
def mission():
    return load_mission()


@pytest.fixture(scope="module")
def terrain(mission):
    return Terrain.from_mission(mission)


@pytest.fixture(scope="module")
def nominal(mission, terrain):
    return fly(mission, terrain=terrain)


def _scaled_steps(mission, factor):
    d = mission.model_dump()
    for key in ("entry_step_s", "parachute_step_s", "powered_step_s"):
        d["simulation"][key] *= factor
    return mission_from_dict(d)


def test_halving_every_step_changes_the_landing_little(mission, terrain, nominal):
    # The shipped steps are converged: with every integration step halved (the powered control
    # cycle too; the 1 Hz entry guidance, the 20 Hz bank controller and the output step stay:
    # they are the flight software's and the output's, not the integration's) the nominal lands
    # at the same point, within 0.5 s, parachute deploy within 0.3 s, the backshell separates
    # within 30 m of where it did and the propellant used within 1 kg. (Measured: 0.05 s, 0.0 s,
    # 6.9 m, 0.18 kg.)
    fine = fly(_scaled_steps(mission, 0.5), terrain=terrain)
    assert fine.status[0] == nominal.status[0] == "landed"
    ev, ev0 = fine.events, nominal.events
    assert ev["touchdown"]["t_s"][0] == pytest.approx(ev0["touchdown"]["t_s"][0], abs=0.5)
    assert math.hypot(ev["touchdown"]["east_m"][0] - ev0["touchdown"]["east_m"][0], ev["touchdown"]["north_m"][0] - ev0["touchdown"]["north_m"][0]) < 1.0
    assert ev["parachute_deploy"]["t_s"][0] == pytest.approx(ev0["parachute_deploy"]["t_s"][0], abs=0.3)
    bs, bs0 = ev["backshell_separation"], ev0["backshell_separation"]
    assert math.hypot(bs["east_m"][0] - bs0["east_m"][0], bs["north_m"][0] - bs0["north_m"][0]) < 30.0
    assert fine.propellant_used_kg[0] == pytest.approx(nominal.propellant_used_kg[0], abs=1.0)
    # A coarse step must actually change something, or this test could not fail.
    assert ev["touchdown"]["t_s"][0] != ev0["touchdown"]["t_s"][0]


def _with(mission, **simulation):
    d = mission.model_dump()
    d["simulation"].update(simulation)
    return mission_from_dict(d)


def test_entry_step_changes_the_guided_entry_little(mission, terrain):
    # The entry guidance and the bank controller run on their own clocks (1 Hz, 20 Hz), so the
    # entry's RK4 step is numerics only: 1 s steps (shipped) and 0.05 s steps fly the same guided
    # entry. The deploy trigger falls on the 0.05 s output grid (≈ 22 m at deploy speed), so a
    # metre of range can move deploy by a grid step or two, and the landing follows it (the divert
    # goes to a target picked where the vehicle is, not back to the same point). Measured on these
    # 12 dispersed cases (wind and density profiles, entry navigation errors): deploy median 2.6 m,
    # max 106 m (case 6: its fourth bank reversal comes at 146 s with 1 s steps, 147.6 s with
    # 0.05 s ones, the deadband crossed a guidance cycle apart; 53 m before the density profile,
    # converged to 0.2 m from 0.5 s steps on); touchdown median 1.5 m, max 82 m (135 m before: a deploy a grid
    # step later drifts under the canopy through a wind that changes with height).
    cases, _cg = draw_cases(mission, np.arange(12))
    coarse = fly(mission, cases=cases, terrain=terrain)
    fine = fly(_with(mission, entry_step_s=0.05), cases=cases, terrain=terrain)
    assert coarse.status.tolist() == fine.status.tolist()
    for name, median_m, limit_m in (("parachute_deploy", 10.0, 140.0), ("touchdown", 5.0, 200.0)):
        a, b = coarse.events[name], fine.events[name]
        miss = np.hypot(a["east_m"] - b["east_m"], a["north_m"] - b["north_m"])
        assert np.median(miss) < median_m and np.all(miss < limit_m), (name, miss)
    assert np.any(coarse.events["touchdown"]["east_m"] != fine.events["touchdown"]["east_m"])


def test_entry_guidance_acts_once_per_cycle(mission, terrain):
    # With 0.05 s steps the guidance's mode changes still happen once per 1 s cycle (on whole
    # seconds), and the bank — the 20 Hz attitude controller tracking the command held over a
    # cycle — follows the same course as with the shipped 1 s steps: at every time both record,
    # the same mode and the bank within 1° (measured: max 0.58°, median 0.02°).
    cycle = mission.simulation.entry_guidance_cycle_s
    coarse = fly(mission, terrain=terrain, record=True).record
    fine = fly(_with(mission, entry_step_s=0.05), terrain=terrain, record=True).record
    t, mode, phase = fine["t_s"][:, 0], fine["entry_mode"][:, 0], fine["phase_code"][:, 0]
    entry = np.flatnonzero((phase == 0) & (mode < 3))  # before SUFR
    assert np.allclose(np.diff(t[entry]), 0.05)
    changes = entry[1:][np.diff(mode[entry]) != 0]
    assert changes.size == 2  # pre-bank → range control → heading alignment
    assert np.allclose(t[changes] / cycle, np.round(t[changes] / cycle), atol=1e-6)
    tc = coarse["t_s"][:, 0]
    both = np.intersect1d(np.round(tc[coarse["phase_code"][:, 0] == 0], 6), np.round(t[phase == 0], 6))
    assert both.size > 200
    ic, jf = np.searchsorted(np.round(tc, 6), both), np.searchsorted(np.round(t, 6), both)
    assert np.array_equal(coarse["entry_mode"][ic, 0], fine["entry_mode"][jf, 0])
    gap = np.abs(coarse["bank_deg"][ic, 0] - fine["bank_deg"][jf, 0])
    assert gap.max() < 1.0 and np.median(gap) < 0.1
    assert np.ptp(fine["bank_deg"][entry, 0]) > 90.0  # the bank does move, or this could not fail


# The events Mars 2020's sequence flies: all but a lander's legs (tests/flight/test_insight.py has those).
FLOWN = [name for name in EVENT_NAMES + MINOR_EVENT_NAMES if name != "leg_deployment"]


def test_events_fall_on_the_output_grid(mission, nominal):
    # Steps shorten near events in whole output steps, so every event is an output sample.
    step = mission.simulation.step_s
    assert math.isnan(nominal.events["leg_deployment"]["t_s"][0])  # a rover: no legs
    for name in FLOWN:
        t = nominal.events[name]["t_s"][0]
        assert math.isfinite(t), name
        assert abs(t / step - round(t / step)) < 1e-6, (name, t)


def test_event_heights_above_ground_are_exact(mission, terrain, nominal):
    # High above the ground the kernel does not read it; the events marked there get their
    # height above ground after the flight. Every event's height must be the terrain's.
    for name in FLOWN:
        ev = nominal.events[name]
        ground = terrain.altitude_m(ev["east_m"][0], ev["north_m"][0])
        assert ev["height_agl_m"][0] == pytest.approx(ev["altitude_m"][0] - ground, abs=1e-6), name


def test_radar_locks_at_the_mission_height(mission, terrain, nominal):
    # [powered_descent] radar_acquisition_height_m reaches the kernel (it was a 6 km constant):
    # the lock is located within one fine step of descent (|vu| × step_s) of the mission's height.
    # 4.2 km: where LVS imaging begins (REFERENCE.md, Johnson et al.), below the 6 km default.
    step = mission.simulation.step_s
    for m, res in ((mission, nominal), (_with_powered(mission, radar_acquisition_height_m=4200.0), None)):
        ev = (res or fly(m, terrain=terrain)).events["radar_lock"]
        want = m.powered_descent.radar_acquisition_height_m
        assert abs(ev["height_agl_m"][0] - want) <= abs(ev["vu_m_s"][0]) * step + 1e-6, (want, ev["height_agl_m"][0])


def _with_powered(mission, **values):
    d = mission.model_dump()
    d["powered_descent"].update(values)
    return mission_from_dict(d)


def test_range_trigger_is_located_within_a_fine_step(mission, nominal):
    # The entry step shrinks as the trigger range closes: deploy happens within one fine step's
    # flight of the range trigger (Range Trigger: deploy_range_to_target_km from the target).
    dep = nominal.events["parachute_deploy"]
    r = mission.planet.equatorial_radius_m
    from edlcam.mars.frames import great_circle_range_m

    rng = float(great_circle_range_m(dep["lat_deg"][0], dep["lon_deg"][0], mission.target.latitude_deg, mission.target.longitude_deg, radius_m=r))
    trigger = mission.parachute.deploy_range_to_target_km * 1e3
    assert trigger - dep["speed_m_s"][0] * mission.simulation.step_s <= rng <= trigger


def test_record_has_the_flight_columns_and_ends_at_touchdown(mission, terrain):
    res = fly(mission, terrain=terrain, record=True)
    rec = res.record
    t = rec["t_s"][:, 0]
    assert t[0] == 0.0 and t[-1] == pytest.approx(res.events["touchdown"]["t_s"][0])
    assert np.all(np.diff(t) > 0)
    assert rec["height_agl_m"][-1, 0] <= 0.0 < rec["height_agl_m"][-2, 0]
    # Every row's height above ground is the terrain's, also where the kernel only bounded it.
    ground = terrain.altitude_m(rec["east_m"][:, 0], rec["north_m"][:, 0])
    np.testing.assert_allclose(rec["height_agl_m"][:, 0], rec["altitude_m"][:, 0] - ground, rtol=0, atol=1e-6)
    # The steps the record shows: the guidance cycle in entry, the control cycle in powered flight.
    steps = np.round(np.diff(t), 9)
    phase = rec["phase_code"][:-1, 0]
    assert np.max(steps[phase == 0]) == pytest.approx(mission.simulation.entry_step_s)
    assert np.max(steps[phase >= 3]) == pytest.approx(mission.simulation.powered_step_s)
    with pytest.raises(ValueError, match="records one trajectory"):
        fly(mission, cases=draw_cases(mission, [0, 1])[0], terrain=terrain, record=True)


def test_a_case_flies_the_same_alone_in_any_order(mission, terrain):
    reference = build_reference(mission)
    # 11 cases: more than the kernel's lanes, so lanes are refilled, and each case flies beside
    # other cases (in another lane) in the two runs.
    cases, _cg = draw_cases(mission, np.arange(11))
    together = fly(mission, cases=cases, terrain=terrain, reference=reference)
    order = np.array([5, 3, 10, 1, 0, 8, 4, 2, 9, 7, 6])
    from dataclasses import fields, replace

    shuffled = replace(cases, **{f.name: np.asarray(getattr(cases, f.name))[order] for f in fields(cases)})
    again = fly(mission, cases=shuffled, terrain=terrain, reference=reference)
    for name in EVENT_NAMES:
        for field in ("t_s", "east_m", "north_m", "mass_kg"):
            a, b = together.events[name][field][order], again.events[name][field]
            assert np.array_equal(a, b, equal_nan=True), (name, field)
    assert together.status[order].tolist() == again.status.tolist()


def test_kernel_atmosphere_is_the_mission_atmosphere(mission, terrain):
    # The kernel carries its own compiled copy of edlcam.mars.atmosphere; both must give the same
    # state through the Glenn fit, its 7 km break, the dispersion split at 40 km and the tail.
    from edlcam.flight.kernel.dynamics import _atmosphere
    from edlcam.flight.sequencer import kernel_inputs
    from edlcam.mars.atmosphere import Atmosphere

    params = kernel_inputs(mission, terrain)[0]
    for low, high in ((1.0, 1.0), (0.9, 2.5)):
        atm = Atmosphere.from_mission(mission, density_scale_low=low, density_scale_high=high)
        for h in (-4000.0, 0.0, 6999.0, 7001.0, 25e3, 40e3, 44_999.0, 45_001.0, 80e3, 125e3):
            st = atm.state(h)
            rho, p, t_k, a = _atmosphere(h, low, high, np.zeros(5), 0, 1, params)  # no density profile
            assert rho == pytest.approx(float(st.density_kg_m3), rel=1e-12), (h, low)
            assert p == pytest.approx(float(st.pressure_pa), rel=1e-12), (h, low)
            assert t_k == pytest.approx(float(st.temperature_k), rel=1e-12), h
            assert a == pytest.approx(float(st.speed_of_sound_m_s), rel=1e-12), h


def test_the_lanes_integrate_in_vector_instructions(mission, terrain):
    # The Monte Carlo's speed rests on LLVM compiling each stage's loop over the lanes to packed
    # (vector) arithmetic; an opaque call or a branch in the force model would silently undo it.
    # numba shows the machine code only of what it compiled itself, so compile a fresh copy.
    from numba import njit

    from edlcam.flight.kernel.integrate import _integrate
    from edlcam.flight.kernel.layout import N_BLOCK
    from edlcam.flight.sequencer import kernel_inputs

    params, aero = kernel_inputs(mission, terrain)[:2]
    fresh = njit(error_model="numpy")(_integrate.py_func)
    fresh(np.ones(N_BLOCK), 4, params, aero)
    asm = fresh.inspect_asm(fresh.signatures[0])
    # Packed double square roots and divisions (SSE2 … AVX-512). (Scalar ones remain in the
    # remainder loops LLVM adds to loops of a run-time length, unused for whole vectors.)
    assert "sqrtpd" in asm and "divpd" in asm



def test_kernel_exp_and_cos_sin_within_an_ulp_or_two_of_libm():
    # The kernel's own exp and cos/sin (vectorizable; see kernel.vecmath) against numpy's libm.
    from numba import njit

    from edlcam.flight.kernel.vecmath import _cos_sin, _exp

    @njit
    def both(xs):
        e, c, s = np.empty_like(xs), np.empty_like(xs), np.empty_like(xs)
        for i in range(xs.size):
            e[i] = _exp(xs[i])
            c[i], s[i] = _cos_sin(xs[i])
        return e, c, s

    rng = np.random.default_rng(3)
    xs = np.concatenate([rng.uniform(-700.0, 700.0, 100_000), rng.uniform(-1.0, 1.0, 100_000)])
    e = both(xs)[0]
    assert np.max(np.abs(e - np.exp(xs)) / np.spacing(np.exp(xs))) <= 1.0
    angles = rng.uniform(-3.0 * math.pi, 3.0 * math.pi, 200_000)
    _e, c, s = both(angles)
    assert np.max(np.abs(c - np.cos(angles))) <= 2.0 * np.spacing(1.0)
    assert np.max(np.abs(s - np.sin(angles))) <= 2.0 * np.spacing(1.0)
