"""Entry guidance (ETPC): the reference trajectory, the adjoint gains and the bank logic."""

import math

import numpy as np
import pytest

from edlcam.flight.guidance import EntryGuidance, build_reference, deadband_m, HEADING_ALIGNMENT, PREBANK, RANGE_CONTROL, SUFR
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


def test_deadband_is_quadratic_in_velocity():
    db = deadband_m(np.array([0.0, 2500.0, 5000.0]), low_m=2000.0, high_m=8000.0, reference_speed_m_s=5000.0)
    assert db.tolist() == pytest.approx([2000.0, 3500.0, 8000.0])


def test_bank_logic_phases_and_reversal(mission, reference):
    g = EntryGuidance.from_mission(mission, reference)
    v = np.array([5000.0, 5000.0, 900.0, 500.0, 5000.0])
    mode = np.array([PREBANK, RANGE_CONTROL, HEADING_ALIGNMENT, SUFR, RANGE_CONTROL])
    rr, dd, hh, *_ = reference.at(v)
    bank, sign = g.bank_command(
        mode,
        np.ones(5),
        speed_m_s=v,
        drag_m_s2=dd,
        hdot_m_s=hh,
        range_to_go_m=rr,
        crossrange_m=np.array([0.0, 0.0, 0.0, 0.0, -20_000.0]),
        heading_error_rad=np.array([0.0, 0.0, math.radians(2.0), 0.0, 0.0]),
        lod=np.full(5, 0.24),
    )
    assert bank[0] == pytest.approx(math.radians(mission.guidance.prebank_deg))
    # On the reference, range control flies the reference bank.
    assert bank[1] == pytest.approx(math.radians(mission.guidance.reference_bank_deg), abs=math.radians(1.0))
    # Heading alignment banks toward the target (right, positive) in proportion to the error.
    assert bank[2] == pytest.approx(math.radians(2.0) * mission.guidance.heading_alignment_gain)
    assert bank[3] == 0.0  # SUFR: lift up
    # Target 20 km to the left, beyond the deadband: reverse to a left (negative) bank.
    assert sign[4] == -1.0 and bank[4] < 0
    # Update of the phase at 0.2 g and at the heading-alignment speed.
    new = g.update_mode(np.array([PREBANK, PREBANK, RANGE_CONTROL]), speed_m_s=np.array([5400.0, 5400.0, 1000.0]), drag_m_s2=np.array([1.0, 2.0, 5.0]))
    assert new.tolist() == [PREBANK, RANGE_CONTROL, HEADING_ALIGNMENT]
