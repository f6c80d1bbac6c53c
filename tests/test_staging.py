"""edlcam.staging: the swap journal rolls forward after a kill, half-built outputs are dropped, and
provenance names the stage to rerun."""

from __future__ import annotations

import os

import pytest

from edlcam.errors import RunFolderError
from edlcam.staging import (
    building,
    check_inputs,
    commit,
    input_digests,
    protect_stores,
    read_provenance,
    recover,
    write_provenance,
)


def _old_output(run):
    (run / "out").mkdir(parents=True)
    (run / "out" / "a.txt").write_text("old")
    (run / "b.txt").write_text("old b")


def test_a_completed_build_replaces_the_old_output(tmp_path):
    _old_output(tmp_path)
    with building(tmp_path, "x") as new:
        (new / "out").mkdir()
        (new / "out" / "a.txt").write_text("new")
        (new / "b.txt").write_text("new b")
    commit(tmp_path, "x", [(new / "out", tmp_path / "out"), (new / "b.txt", tmp_path / "b.txt")])
    assert (tmp_path / "out" / "a.txt").read_text() == "new" and (tmp_path / "b.txt").read_text() == "new b"
    assert list((tmp_path / ".staging").iterdir()) == []


def test_a_failed_build_leaves_the_old_output_and_no_leftovers(tmp_path):
    _old_output(tmp_path)
    with pytest.raises(RuntimeError), building(tmp_path, "x") as new:
        (new / "a.txt").write_text("half")
        raise RuntimeError("late failure")
    assert (tmp_path / "out" / "a.txt").read_text() == "old"
    assert not new.exists()


def test_a_build_killed_before_its_swap_is_dropped_by_the_next_run(tmp_path):
    _old_output(tmp_path)
    half = tmp_path / ".staging" / "x.new"
    half.mkdir(parents=True)
    (half / "a.txt").write_text("half")  # what a SIGKILL mid-build leaves
    recover(tmp_path)  # another stage: it may be running inside this one (lvs re-flies simulate)
    assert half.exists()
    recover(tmp_path, "x")  # the same stage again
    assert not half.exists() and (tmp_path / "out" / "a.txt").read_text() == "old"


def test_a_stage_may_run_inside_another(tmp_path):
    _old_output(tmp_path)
    with building(tmp_path, "outer") as outer:
        (outer / "a.txt").write_text("outer")
        with building(tmp_path, "inner") as inner:
            (inner / "b.txt").write_text("inner")
        commit(tmp_path, "inner", [(inner / "b.txt", tmp_path / "b.txt")])
    commit(tmp_path, "outer", [(outer, tmp_path / "out")])
    assert (tmp_path / "b.txt").read_text() == "inner" and (tmp_path / "out" / "a.txt").read_text() == "outer"


def test_a_swap_killed_half_way_is_finished_by_the_next_run(tmp_path, monkeypatch):
    _old_output(tmp_path)
    with building(tmp_path, "x") as new:
        (new / "out").mkdir()
        (new / "out" / "a.txt").write_text("new")
        (new / "b.txt").write_text("new b")
    real_rename, calls = os.rename, []

    def dies_on_the_third_rename(src, dst):  # old out aside, new out in, then "killed"
        calls.append(src)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", dies_on_the_third_rename)
    with pytest.raises(KeyboardInterrupt):
        commit(tmp_path, "x", [(new / "out", tmp_path / "out"), (new / "b.txt", tmp_path / "b.txt")])
    monkeypatch.setattr(os, "rename", real_rename)
    assert (tmp_path / "out" / "a.txt").read_text() == "new" and (tmp_path / "b.txt").read_text() == "old b"
    recover(tmp_path)  # what every stage does first
    assert (tmp_path / "b.txt").read_text() == "new b"
    assert list((tmp_path / ".staging").iterdir()) == []


def _stage(run, folder, text, stage):
    (run / folder).mkdir(parents=True, exist_ok=True)
    (run / folder / "data.txt").write_text(text)
    return write_provenance(run / folder, stage=stage, inputs=input_digests(run, folder),
                            files={"data.txt": run / folder / "data.txt"})


def _flight(run, text):
    from edlcam.staging import sha256_file

    (run / "flight").mkdir(parents=True, exist_ok=True)
    (run / "flight" / "data.txt").write_text(text)
    return write_provenance(run / "flight", stage="simulate", inputs={"mission.toml": sha256_file(run / "mission.toml")},
                            files={"data.txt": run / "flight" / "data.txt"})


def test_a_later_stage_refuses_inputs_made_from_another_upstream_run(tmp_path):
    (tmp_path / "mission.toml").write_text("seed = 1\n")
    first = _flight(tmp_path, "flight 1")
    _stage(tmp_path, "onboard", "recorded", "film")
    _stage(tmp_path, "link", "relayed", "relay")
    assert read_provenance(tmp_path / "link")["inputs"] == {"flight": first,
                                                            "onboard": read_provenance(tmp_path / "onboard")["digest"]}
    check_inputs(tmp_path, ["flight", "onboard", "link"])  # one run: accepted

    assert _flight(tmp_path, "flight 2") != first  # simulate again, with another result
    with pytest.raises(RunFolderError) as exc:
        check_inputs(tmp_path, ["flight", "onboard", "link"])
    assert str(exc.value) == (f"{tmp_path / 'onboard'}: made from another flight/ than the one in this run "
                              f"(`edlcam simulate` ran again after `edlcam film`); rerun `edlcam film {tmp_path} "
                              f"--overwrite` and the stages after it")

    _stage(tmp_path, "onboard", "recorded again", "film")
    with pytest.raises(RunFolderError, match=r"link: made from another .*rerun `edlcam relay .* --overwrite`"):
        check_inputs(tmp_path, ["flight", "onboard", "link"])

    (tmp_path / "mission.toml").write_text("seed = 2\n")  # the mission changed under the flight
    with pytest.raises(RunFolderError, match=r"mission.toml: not the mission .* rerun `edlcam simulate --out "):
        check_inputs(tmp_path, ["flight"])


def test_an_lvs_from_another_flight_is_refused_naming_lvs_and_the_ground_records_it(tmp_path):
    (tmp_path / "mission.toml").write_text("seed = 1\n")
    _flight(tmp_path, "re-flown by lvs")
    lvs = _stage(tmp_path, "lvs", "fixes", "lvs")
    _stage(tmp_path, "onboard", "recorded", "film")
    _stage(tmp_path, "link", "relayed", "relay")
    assert input_digests(tmp_path, "ground")["lvs"] == lvs  # the film's LVS overlay is made from it
    check_inputs(tmp_path, ["flight", "lvs", "onboard", "link"])
    _flight(tmp_path, "simulated again")
    with pytest.raises(RunFolderError) as exc:
        check_inputs(tmp_path, ["flight", "lvs", "onboard", "link"])
    assert str(exc.value) == (f"{tmp_path / 'lvs'}: made from another flight/ than the one in this run (`edlcam "
                              f"simulate` ran again after `edlcam lvs`); rerun `edlcam lvs {tmp_path}` and the "
                              f"stages after it")


def test_folders_without_provenance_are_not_checked(tmp_path):
    (tmp_path / "onboard").mkdir()
    check_inputs(tmp_path, ["flight", "onboard"])
    assert input_digests(tmp_path, "onboard") == {}


def test_committed_stores_are_replaced_only_when_told(tmp_path):
    protect_stores(tmp_path, False)  # nothing there yet
    (tmp_path / "onboard" / "store" / "rover").mkdir(parents=True)
    with pytest.raises(RunFolderError, match=r"store: holds the DSUs' committed stores from an earlier `edlcam film`; "
                                             r".*rerun with --overwrite"):
        protect_stores(tmp_path, False)
    protect_stores(tmp_path, True)
