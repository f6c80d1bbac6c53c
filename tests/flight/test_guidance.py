"""Entry guidance (ETPC): the reference trajectory, the adjoint gains and the bank logic."""

import math

import numpy as np
import pytest

from edlcam.flight.guidance import build_reference, HEADING_ALIGNMENT, PREBANK, RANGE_CONTROL, SUFR
from edlcam.flight.kernel import etpc_bank_command, next_entry_mode
from edlcam.flight.sequencer import kernel_inputs
from edlcam.mars.terrain import Terrain
from edlcam.mission import load_mission


@pytest.fixture(scope="module")
def mission():
    return load_mission()


@pytest.fixture(scope="module")
def reference(mission):
    return build_reference(mission)


def test_reference_is_tabulated_on_velocity(reference):
    assert np.all(np.diff(reference.speed_m_s) > 0)
    assert reference.range_to_go_m[0] < 2_000.0  # ends at the deploy speed
    assert np.all(np.diff(reference.range_to_go_m) >= -1e-6)  # more speed, more range to go


def test_gain_signs_follow_the_physics(reference):
    # Mendeck & Craig 2011: more drag than the reference → shorter range (F1 < 0); a shallower
    # descent (larger ḣ) → longer range (F2 > 0); more vertical lift → longer range (F3 > 0).
    mid = (reference.speed_m_s > 1200) & (reference.speed_m_s < 5000)
    assert np.all(reference.f1[mid] < 0)
    assert np.all(reference.f2[mid] > 0)
    assert np.all(reference.f3[mid] > 0)


def test_f3_predicts_the_range_of_a_perturbed_reference(mission, reference):
    # The adjoint gain F3 = ∂R/∂(L/D) must predict the range change of a reference flown with a
    # slightly different constant bank from EI (linear regime): within 15 %.
    lod_hyp = 0.24
    db = 1.0
    d = mission.model_dump()
    d["guidance"]["reference_bank_deg"] = mission.guidance.reference_bank_deg - db
    from edlcam.mission import mission_from_dict

    other = build_reference(mission_from_dict(d))
    bank = math.radians(mission.guidance.reference_bank_deg)
    delta_lod = lod_hyp * (math.cos(bank - math.radians(db)) - math.cos(bank))
    predicted = float(reference.f3[-1]) * delta_lod  # F3 at the table's top speed (≈ the start)
    actual = other.total_range_m - reference.total_range_m
    assert actual == pytest.approx(predicted, rel=0.15)


def test_reference_flies_lift_up_below_the_heading_alignment_speed(mission, reference):
    # Below heading_alignment_speed_m_s the ETPC banks only against a heading error (Mendeck &
    # Craig 2011; etpc_bank_command), none on the reference: the reference flies there as the
    # vehicle does, lift up (vertical L/D = the capsule's whole L/D), and at the reference bank above.
    from edlcam.flight.vehicle import Vehicle
    from edlcam.mars.atmosphere import Atmosphere

    vehicle, atmosphere = Vehicle.from_mission(mission), Atmosphere.from_mission(mission)
    lod = np.array([float(vehicle.capsule_lod(v / float(atmosphere.speed_of_sound_m_s(h))))
                    for v, h in zip(reference.speed_m_s, reference.altitude_m)])
    below = reference.speed_m_s < mission.guidance.heading_alignment_speed_m_s
    cos_bank = math.cos(math.radians(mission.guidance.reference_bank_deg))
    assert below.sum() > 10 and (~below).sum() > 10
    assert np.allclose(reference.lod_vertical[below], lod[below], rtol=1e-9)
    assert np.allclose(reference.lod_vertical[~below], lod[~below] * cos_bank, rtol=1e-9)


def test_nominal_deploys_at_the_reference_end_speed(mission):
    # The reference trajectory ends at parachute deploy ([guidance] reference_end_speed_m_s), so
    # the nominal, flown on it by the ETPC with perfect navigation, deploys at that speed: ±5 m/s
    # for SUFR's lift-off seconds before the Range Trigger (before the reference flew lift up
    # below the heading-alignment speed, the nominal deployed 17 m/s fast: 467 against 450 m/s).
    from edlcam.flight.sequencer import fly

    deploy = fly(mission).events["parachute_deploy"]["speed_m_s"][0]
    assert deploy == pytest.approx(mission.guidance.reference_end_speed_m_s, abs=5.0)


@pytest.fixture(scope="module")
def kernel(mission, reference):
    params, _aero, ref, _tables = kernel_inputs(mission, Terrain.from_mission(mission), reference)
    return params, ref


def _command(kernel, mode, speed, *, crossrange=0.0, heading_error=0.0, sign=1.0, off_reference_drag=0.0):
    """The kernel's ETPC command for a vehicle exactly on the reference at ``speed`` (drag offset
    by ``off_reference_drag``), with L/D 0.24."""
    params, ref = kernel
    r, d, hdot = (float(np.interp(speed, ref[0], ref[k])) for k in (1, 2, 3))
    return etpc_bank_command(mode, sign, speed, d + off_reference_drag, hdot, r, crossrange, heading_error, 0.24, ref, params)


def test_crossrange_deadband_is_quadratic_in_velocity(mission, kernel):
    # Mendeck & Craig 2011: the reversal deadband grows with V²; just inside it the sign holds,
    # just outside it reverses toward the target.
    g = mission.guidance
    for speed in (2500.0, 5000.0):
        db = g.deadband_low_speed_km * 1e3 + (g.deadband_high_speed_km - g.deadband_low_speed_km) * 1e3 * (speed / g.deadband_reference_speed_m_s) ** 2
        assert _command(kernel, RANGE_CONTROL, speed, crossrange=-0.99 * db)[1] == 1.0
        assert _command(kernel, RANGE_CONTROL, speed, crossrange=-1.01 * db)[1] == -1.0
        assert _command(kernel, RANGE_CONTROL, speed, crossrange=1.01 * db, sign=-1.0)[1] == 1.0


def test_bank_logic_phases_and_reversal(mission, kernel):
    assert _command(kernel, PREBANK, 5000.0)[0] == pytest.approx(math.radians(mission.guidance.prebank_deg))
    # On the reference, range control flies the reference bank.
    assert _command(kernel, RANGE_CONTROL, 5000.0)[0] == pytest.approx(math.radians(mission.guidance.reference_bank_deg), abs=math.radians(1.0))
    # More drag than the reference predicts a short range: fly more lift up (a smaller bank).
    assert _command(kernel, RANGE_CONTROL, 5000.0, off_reference_drag=2.0)[0] < _command(kernel, RANGE_CONTROL, 5000.0)[0]
    # Heading alignment banks toward the target (right, positive) in proportion to the error.
    assert _command(kernel, HEADING_ALIGNMENT, 900.0, heading_error=math.radians(2.0))[0] == pytest.approx(
        math.radians(2.0) * mission.guidance.heading_alignment_gain
    )
    assert _command(kernel, SUFR, 500.0)[0] == 0.0  # SUFR: lift up
    # Target 20 km to the left, beyond the deadband: reverse to a left (negative) bank.
    bank, sign = _command(kernel, RANGE_CONTROL, 5000.0, crossrange=-20_000.0)
    assert sign == -1.0 and bank < 0
    # Update of the phase at 0.2 g and at the heading-alignment speed.
    params, _ref = kernel
    assert next_entry_mode(PREBANK, 5400.0, 1.0, params) == PREBANK
    assert next_entry_mode(PREBANK, 5400.0, 2.0, params) == RANGE_CONTROL
    assert next_entry_mode(RANGE_CONTROL, 1000.0, 5.0, params) == HEADING_ALIGNMENT
