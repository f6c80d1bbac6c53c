"""The Monte Carlo run: nominal case = `edlcam simulate`, batch-independent cases, outputs."""

import json
from dataclasses import fields

import numpy as np
import pyarrow.parquet as pq
import pytest

from edlcam.flight import montecarlo as MC
from edlcam.flight.dispersions import INPUT_COLUMNS, draw_cases
from edlcam.flight.sequencer import CaseInputs, FlightResult, fly
from edlcam.mission import load_mission


@pytest.fixture(scope="module")
def mc_run(tmp_path_factory):
    """Two cases flown as one batch in this process: the nominal and dispersed case 1."""
    out = tmp_path_factory.mktemp("mc")
    outputs = MC.run_montecarlo(load_mission(), out, n=2, workers=0, batch_cases=2)
    return outputs, pq.read_table(outputs.cases).to_pydict()


def test_nominal_case_equals_edlcam_simulate(mc_run, nominal_run):
    _, rows = mc_run
    events = json.loads((nominal_run / "flight" / "events.json").read_text())["events"]
    assert rows["case"][0] == 0 and rows["status"][0] == "landed"
    for ev in events:
        for key in ("t_s", "altitude_m", "height_agl_m", "speed_m_s", "mach", "dynamic_pressure_pa"):
            # events.json rounds to 6 decimals (flight/run.py); identical after the same rounding.
            assert round(rows[f"{ev['name']}_{key}"][0], 6) == ev[key], (ev["name"], key)
    td = events[-1]
    assert round(rows["touchdown_vertical_speed_m_s"][0], 6) == td["vertical_speed_m_s"]
    assert round(rows["touchdown_horizontal_speed_m_s"][0], 6) == td["horizontal_speed_m_s"]
    assert round(rows["miss_distance_m"][0], 6) == td["miss_distance_m"]


def test_a_case_alone_is_bit_identical_to_the_same_case_in_a_batch(mc_run):
    _, rows = mc_run
    m = load_mission()
    cases, _ = draw_cases(m, [1])
    alone = fly(m, cases=cases, terrain=MC._context(m)[0], reference=MC._context(m)[1])
    for name, ev in alone.events.items():
        for key, val in ev.items():
            a, b = rows[f"{name}_{key}"][1], val[0]
            assert (a == b) or (np.isnan(a) and np.isnan(b)), (name, key, a, b)
    assert rows["status"][1] == alone.status[0]
    assert rows["propellant_used_kg"][1] == alone.propellant_used_kg[0]


def test_outputs_hold_inputs_events_and_summary(mc_run):
    outputs, rows = mc_run
    assert set(INPUT_COLUMNS) <= set(rows)
    for col in ("touchdown_lat_deg", "touchdown_lon_deg", "touchdown_east_m", "touchdown_north_m", "miss_distance_m", "status", "reason"):
        assert len(rows[col]) == 2
    s = json.loads(outputs.summary.read_text())
    assert s["cases"] == 2 and sum(s["status_counts"].values()) == 2
    assert s["failures"] == 2 - s["status_counts"]["landed"]
    assert s["events"]["parachute_deploy"]["mach"]["count"] == 2
    assert s["events"]["touchdown"]["t_s"]["p50"] == pytest.approx(np.median(rows["touchdown_t_s"]), rel=1e-12)
    for png in outputs.plots:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_case_that_raises_is_isolated_and_the_rest_of_its_batch_kept(monkeypatch):
    # A case whose inputs make the simulation itself raise (not a failed landing, which is a
    # status) gets status "error"; its batch-mates are flown again alone and keep their result.
    import edlcam.flight.sequencer as S

    m = load_mission()
    cases, cg = draw_cases(m, [0, 1, 2])
    poisoned = CaseInputs(**{f.name: np.array(getattr(cases, f.name)) for f in fields(CaseInputs)})
    poisoned.entry_speed_m_s[1] = -1.0

    def fake_fly(mission, *, cases, terrain, reference, progress=None, record=False):
        if np.any(cases.entry_speed_m_s < 0):
            raise FloatingPointError("negative speed")
        n = cases.n
        ev = {name: {k: np.asarray(cases.entry_speed_m_s, float).copy() for k in MC._EVENT_FIELDS} for name in S.EVENT_NAMES + S.MINOR_EVENT_NAMES}
        nan = np.full(n, np.nan)
        return FlightResult(n, np.array(["landed"] * n), [""] * n, ev, nan, nan, nan, nan, np.ones(n, bool))

    monkeypatch.setattr(S, "fly", fake_fly)
    monkeypatch.setattr(MC, "_context", lambda mission, reference=None: (None, None))
    cols = MC.fly_batch(m, np.array([0, 1, 2]), poisoned, cg)
    assert cols["status"] == ["landed", "error", "landed"]
    assert cols["reason"][1] == "the simulation raised FloatingPointError: negative speed"
    assert list(cols["case"]) == [0, 1, 2]
    assert cols["touchdown_t_s"][2] == poisoned.entry_speed_m_s[2]


@pytest.mark.slow
def test_same_cases_parquet_for_one_and_two_dask_workers(tmp_path):
    m = load_mission()
    one = MC.run_montecarlo(m, tmp_path / "w1", n=4, workers=1, batch_cases=2, plots=False)
    two = MC.run_montecarlo(m, tmp_path / "w2", n=4, workers=2, batch_cases=2, plots=False)
    assert one.cases.read_bytes() == two.cases.read_bytes()
    assert one.summary.read_bytes() == two.summary.read_bytes()
