"""Reproducible: the same mission and seed give byte-identical flight outputs."""

from edlcam.flight.run import simulate
from edlcam.mission import load_mission


def test_same_mission_and_seed_byte_identical(nominal_run, tmp_path):
    simulate(load_mission(), tmp_path, plots=False)
    for name in ("trajectory.parquet", "bodies.parquet", "events.json"):
        assert (tmp_path / "flight" / name).read_bytes() == (nominal_run / "flight" / name).read_bytes(), name
    assert (tmp_path / "mission.toml").read_bytes() == (nominal_run / "mission.toml").read_bytes()
