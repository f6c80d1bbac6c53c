"""`edlcam relay`: products home by SHA-256, the plan order, requests, and the CLI's errors."""

from __future__ import annotations

import hashlib
import json

import pytest

from edlcam.cli import main
from edlcam.errors import LinkError
from edlcam.link.planner import plan_order, read_manifest, request_products, request_status
from edlcam.link.relay import run_relay
from edlcam.mission import load_mission


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_relay_brings_every_auto_product_byte_identical(product_run):
    summary = run_relay(product_run, mission=load_mission(), days=1)
    manifest = {p.id: p for p in read_manifest(product_run)}
    # video has priority 60 > auto_send_max_priority 50: it stays onboard until asked for
    assert summary["missing_ids"] == ["rdc-video-000000", "rdc-video-000001"]
    for pid in summary["received_ids"]:
        p = manifest[pid]
        assert sha(product_run / "ground" / "received" / p.path) == p.sha256
    assert summary["per_kind"]["thumbnail"] == {"received": 6, "missing": 0, "received_bytes": summary["per_kind"]["thumbnail"]["received_bytes"], "missing_bytes": 0}
    log = [json.loads(line) for line in (product_run / "link" / "log.jsonl").read_text().splitlines()]
    assert {r["type"] for r in log} == {"pass", "delivery", "transfer"}
    first = [r for r in log if r["type"] == "delivery"][0]
    assert first["id"].startswith("rdc-thumb")  # thumbnails first
    # every delivered product was started once, before its delivery line; nothing was abandoned
    started = [r["id"] for r in log if r["type"] == "transfer" and r["event"] == "start"]
    assert sorted(started) == sorted(summary["received_ids"])
    for pid in summary["received_ids"]:
        lines = [i for i, r in enumerate(log) if r.get("id") == pid]
        assert log[lines[0]]["event"] == "start" and log[lines[-1]]["type"] == "delivery"
    assert not [r for r in log if r["type"] == "transfer" and r["event"] == "abandon"]


def test_requests_are_pending_until_a_later_relay(product_run):
    run_relay(product_run, mission=load_mission(), days=1)
    r = request_products(product_run, "rdc", 300.0, 320.0, quality="full")
    assert r.requested_at_s == 86_400.0  # counted from the end of the last relay run
    assert request_status(product_run)[0]["status"] == "pending"
    summary = run_relay(product_run, mission=load_mission(), days=2, overwrite=True)
    assert "rdc-video-000000" in summary["received_ids"]  # covers 262–330 s
    assert "rdc-video-000001" in summary["missing_ids"]  # 330–410 s was not asked for
    status = request_status(product_run)[0]
    assert status["status"] == "delivered" and status["products"] == 1


def test_plan_order_thumbnails_then_priority_then_requests(product_run):
    products = read_manifest(product_run)
    request_products(product_run, "rdc", 0.0, 1000.0, quality="full")
    from edlcam.link.planner import read_requests

    order = plan_order(products, read_requests(product_run), auto_send_max_priority=50, at_s=1000.0, uplink_delay_s=682.0)
    kinds = [p.kind for p in order]
    assert kinds == ["thumbnail"] * 6 + ["browse", "audio", "video", "video"]
    early = plan_order(products, read_requests(product_run), auto_send_max_priority=50, at_s=100.0, uplink_delay_s=682.0)
    assert len(early) == 8  # the request has not reached Mars yet


def test_lossy_relay_never_reports_a_wrong_file(product_run):
    summary = run_relay(product_run, mission=load_mission(), loss=0.5, seed=3, days=0.1)
    manifest = {p.id: p for p in read_manifest(product_run)}
    received = product_run / "ground" / "received"
    on_disk = {p.relative_to(received).as_posix() for p in received.rglob("*") if p.is_file()}
    assert on_disk == {manifest[i].path for i in summary["received_ids"]}
    for pid in summary["received_ids"]:
        assert sha(received / manifest[pid].path) == manifest[pid].sha256
    assert summary["received"] + summary["missing"] == len(manifest)


def test_relay_is_deterministic_given_a_seed(product_run):
    a = run_relay(product_run, mission=load_mission(), loss=0.2, seed=5, days=1)
    b = run_relay(product_run, mission=load_mission(), loss=0.2, seed=5, days=1, overwrite=True)
    assert a == b


def test_loss_outside_range_is_one_line_and_exit_1(product_run, capsys):
    assert main(["relay", str(product_run), "--loss", "1.2", "--days", "1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: --loss is 1.2; a frame loss probability must lie in [0, 1): use e.g. --loss 0.1"
    with pytest.raises(LinkError):
        run_relay(product_run, mission=load_mission(), loss=-0.1)


def test_overlapping_passes_in_a_mission_file_exit_1(product_run, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'extends = "mars2020"\n'
        "[[link.passes]]\norbiter = 'MRO'\nstart_s = 100.0\nduration_s = 600.0\nrate_bps = 1e5\n"
        "[[link.passes]]\norbiter = 'TGO'\nstart_s = 200.0\nduration_s = 600.0\nrate_bps = 1e5\n"
    )
    assert main(["relay", str(product_run), "--mission", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [
        "error: mission [[link.passes]]: pass 1 (TGO) starts at 200 s, before pass 0 (MRO) ends at 700 s; "
        "the rover has one radio: move or shorten one of them"
    ]


def test_relay_cli_writes_outputs(product_run, capsys):
    assert main(["relay", str(product_run), "--days", "1", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "products received" in out
    assert (product_run / "link" / "summary.json").exists()
    assert (product_run / "link" / "telemetry.jsonl").exists()


def test_missing_manifest_names_the_fix(flight_run, capsys):
    assert main(["relay", str(flight_run), "--days", "1"]) == 1
    assert "onboard/products/manifest.json: missing; run `edlcam film" in capsys.readouterr().err
