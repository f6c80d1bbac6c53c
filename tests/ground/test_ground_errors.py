"""Bad run folders: one line naming the file and the command that makes it; exit code 1."""

from __future__ import annotations

import pytest
from ground_fixtures import copy_run

from edlcam.cli import main
from edlcam.errors import RunFolderError
from edlcam.ground.catalog import build_catalog


@pytest.fixture
def run(tmp_path):
    return copy_run(tmp_path)


def test_a_missing_manifest_names_the_file_and_edlcam_film(run):
    (run / "onboard" / "products" / "manifest.json").unlink()
    with pytest.raises(RunFolderError) as exc:
        build_catalog(run)
    assert str(exc.value) == (f"{run}/onboard/products/manifest.json: missing; run `edlcam film {run}` to make it")


def test_a_corrupt_events_file_names_the_file_and_edlcam_simulate(run):
    (run / "flight" / "events.json").write_text('{"events": [')
    with pytest.raises(RunFolderError) as exc:
        build_catalog(run)
    assert str(exc.value) == (f"{run}/flight/events.json: not valid JSON (Expecting value); "
                              f"run `edlcam simulate --out {run}` again to rewrite it")


def test_a_missing_relay_log_names_edlcam_relay(run):
    (run / "link" / "log.jsonl").unlink()
    with pytest.raises(RunFolderError, match=r"link/log.jsonl: missing; run `edlcam relay .*` to make it$"):
        build_catalog(run)


def test_a_manifest_entry_without_its_sclk_is_refused(run):
    path = run / "onboard" / "products" / "manifest.json"
    path.write_text(path.read_text().replace('"sclk_start"', '"sclk_begin"', 1))
    with pytest.raises(RunFolderError) as exc:
        build_catalog(run)
    assert str(exc.value).endswith("lacks or mistypes 'sclk_start'; run `edlcam film " + str(run) + "` again to rewrite it")


def test_the_cli_prints_one_red_line_and_exits_1(run, capsys):
    (run / "link" / "summary.json").unlink()
    assert main(["assemble", str(run)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"error: {run}/link/summary.json: missing; run `edlcam relay {run}` to make it"


def test_report_from_the_cli_embeds_images_and_the_film(run, capsys):
    (run / "ground" / "catalog.sqlite").unlink(missing_ok=True)
    assert main(["report", str(run)]) == 1  # no catalog yet
    assert "ground/catalog.sqlite: missing; run `edlcam assemble" in capsys.readouterr().err
    from edlcam.ground.assemble import assemble

    assemble(run, cameras=False, width=320, height=180, fps=10)  # a small film: the CLI path is tested above
    assert main(["report", str(run)]) == 0
    page = (run / "ground" / "report.html").read_text()
    assert '<video controls preload="metadata" src="landing.mp4">' in page
    assert page.count("data:image/png;base64,") >= 2 and "heatshield_separation" in page
