"""CFDP class 2 over Space Packets through the channel: byte-identical or reported missing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edlcam.config.link import CfdpConfig
from edlcam.link.channel import LossyChannel, PerfectChannel
from edlcam.link.clock import SimClock
from edlcam.link.passes import Pass
from edlcam.link.cfdp_handlers import countdown_class as _countdown_class
from edlcam.link.transfer import FileJob, TransferEngine, sha256_file


def make_jobs(root: Path, sizes, seed=0):
    rng = np.random.default_rng(seed)
    (root / "src").mkdir(parents=True, exist_ok=True)
    jobs = []
    for i, size in enumerate(sizes):
        p = root / "src" / f"f{i}.bin"
        p.write_bytes(rng.bytes(size))
        jobs.append(FileJob(f"p{i}", p, f"cam/f{i}.bin", size, sha256_file(p)))
    return jobs


def run_passes(engine, jobs, passes):
    def next_job(_t):
        for j in jobs:
            if j.product_id not in engine.in_flight and not engine.done(j.product_id):
                return j
        return None

    return [engine.run_pass(p, next_job) for p in passes]


def check_received(root: Path, jobs, engine):
    """Every file marked received is byte-identical; nothing else is in received/."""
    by_id = {j.product_id: j for j in jobs}
    for pid, d in engine.delivered.items():
        assert sha256_file(root / "rx" / d.rel_path) == by_id[pid].sha256
    on_disk = {p.relative_to(root / "rx").as_posix() for p in (root / "rx").rglob("*") if p.is_file()}
    assert on_disk == {d.rel_path for d in engine.delivered.values()}


def test_perfect_channel_delivers_everything(tmp_path):
    jobs = make_jobs(tmp_path, [1, 100, 8192, 8193, 50_000])
    cfg = CfdpConfig(segment_bytes=4096)
    eng = TransferEngine(cfg=cfg, staging_dir=tmp_path / "st", received_dir=tmp_path / "rx",
                         forward=PerfectChannel(), back=PerfectChannel())  # fmt: skip
    (report,) = run_passes(eng, jobs, [Pass(0, "MRO", 0.0, 60.0, 256_000.0)])
    assert len(eng.delivered) == 5 and all(eng.done(j.product_id) for j in jobs)
    check_received(tmp_path, jobs, eng)
    # all 59 kB fit in 60 s at 256 kbit/s with headers: bits sent ≥ file bits
    assert report.bits_sent >= 8 * sum(j.size_bytes for j in jobs)


def test_transfer_is_suspended_between_passes_and_resumed(tmp_path):
    # 120 kB needs ≈ 3.8 s at 256 kbit/s: three 1.5 s passes are needed, one transaction spans them
    jobs = make_jobs(tmp_path, [120_000])
    eng = TransferEngine(cfg=CfdpConfig(segment_bytes=2048), staging_dir=tmp_path / "st",
                         received_dir=tmp_path / "rx", forward=PerfectChannel(), back=PerfectChannel())  # fmt: skip
    reports = run_passes(eng, jobs, [Pass(i, "TGO", 1000.0 * i, 1.5, 256_000.0) for i in range(4)])
    assert [len(r.deliveries) for r in reports][:2] == [0, 0]
    assert len(eng.delivered) == 1
    d = eng.delivered["p0"]
    assert d.pass_index >= 2 and 2000.0 <= d.scet_s <= 3001.5
    check_received(tmp_path, jobs, eng)


def test_cfdp_timers_follow_the_simulated_clock():
    clock = SimClock()
    Countdown = _countdown_class(clock)
    c = Countdown(timedelta(seconds=5))
    assert not c.timed_out()
    clock.advance_to(4.999)
    assert not c.timed_out()
    clock.advance_to(5.0)
    assert c.timed_out()
    c.reset()
    assert c.remaining_time() == timedelta(seconds=5)


def test_library_timers_are_restored_after_a_pass(tmp_path):
    import cfdppy.handler.source as source_mod
    from spacepackets.countdown import Countdown

    jobs = make_jobs(tmp_path, [10])
    eng = TransferEngine(cfg=CfdpConfig(), staging_dir=tmp_path / "st", received_dir=tmp_path / "rx",
                         forward=PerfectChannel(), back=PerfectChannel())  # fmt: skip
    run_passes(eng, jobs, [Pass(0, "MRO", 0.0, 5.0, 1e5)])
    assert source_mod.Countdown is Countdown


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    loss=st.floats(0.0, 0.4),
    burst=st.floats(0.0, 0.05),
    reorder=st.floats(0.0, 0.3),
    duplicate=st.floats(0.0, 0.3),
    ber=st.sampled_from([0.0, 1e-5, 1e-4]),
    seed=st.integers(0, 2**31),
    n_passes=st.integers(1, 3),
)
def test_received_is_byte_identical_and_the_rest_is_missing(tmp_path_factory, loss, burst, reorder, duplicate, ber, seed, n_passes):
    root = tmp_path_factory.mktemp("prop")
    jobs = make_jobs(root, [1, 700, 3000, 9000, 20_000], seed=seed % 1000)
    ch = dict(loss=loss, burst_enter=burst, reorder=reorder, duplicate=duplicate, bit_error_rate=ber)
    eng = TransferEngine(
        cfg=CfdpConfig(segment_bytes=1024, ack_timer_s=1.0, nak_timer_s=1.0, ack_limit=10, nak_limit=10),
        staging_dir=root / "st",
        received_dir=root / "rx",
        forward=LossyChannel(**ch, seed=seed),
        back=LossyChannel(**ch, seed=seed + 1),
    )
    run_passes(eng, jobs, [Pass(i, "MRO", 100.0 * i, 6.0, 64_000.0) for i in range(n_passes)])
    check_received(root, jobs, eng)
    # the rover never believes a product arrived that the ground did not verify
    assert {j.product_id for j in jobs if eng.done(j.product_id)} <= set(eng.delivered)


def test_heavy_impairments_still_deliver_everything_eventually(tmp_path):
    jobs = make_jobs(tmp_path, [5_000, 30_000, 60_000, 1, 12_345])
    ch = dict(loss=0.3, burst_enter=0.02, reorder=0.2, duplicate=0.1, bit_error_rate=1e-5)
    eng = TransferEngine(
        cfg=CfdpConfig(segment_bytes=1024, ack_timer_s=1.0, nak_timer_s=1.0),
        staging_dir=tmp_path / "st",
        received_dir=tmp_path / "rx",
        forward=LossyChannel(**ch, seed=11),
        back=LossyChannel(**ch, seed=12),
    )
    run_passes(eng, jobs, [Pass(i, "MRO", 100.0 * i, 10.0, 64_000.0) for i in range(8)])
    assert set(eng.delivered) == {j.product_id for j in jobs}
    check_received(tmp_path, jobs, eng)
    assert eng.forward.stats.lost > 0 and eng.forward.stats.corrupted > 0 and eng.forward.stats.reordered > 0


# --- products larger than a pass: suspend at the pass end, resume, never restart -------------------

# Inactivity limit = max(ack_timer_s·ack_limit, nak_timer_s·nak_limit) + 1 s = 4 s of pass time,
# shorter than one 6 s pass: a sender that streamed a whole pass without hearing a PDU back used to
# be abandoned and restarted from zero every pass (the demo's 19.5 MB audio never came home).
_SHORT_TIMERS = CfdpConfig(segment_bytes=2048, ack_timer_s=1.0, ack_limit=3, nak_timer_s=1.0, nak_limit=3)
_PASS_S, _RATE_BPS = 6.0, 64_000.0
_PASS_BYTES = int(_PASS_S * _RATE_BPS / 8)  # 48,000 B of raw link per pass


def _passes(n):
    # 1000 s gaps ≫ the 4 s inactivity limit: the CFDP clock must not run between passes
    return [Pass(i, "MRO", 1000.0 * i, _PASS_S, _RATE_BPS) for i in range(n)]


def _engine(root, events):
    return TransferEngine(cfg=_SHORT_TIMERS, staging_dir=root / "st", received_dir=root / "rx",
                          forward=PerfectChannel(), back=PerfectChannel(), on_event=events.append)  # fmt: skip


def test_product_five_passes_long_is_suspended_resumed_and_arrives_byte_identical(tmp_path):
    jobs = make_jobs(tmp_path, [5 * _PASS_BYTES])  # 240 kB: five passes of raw link, plus headers
    events = []
    eng = _engine(tmp_path, events)
    reports = run_passes(eng, jobs, _passes(8))
    check_received(tmp_path, jobs, eng)
    assert set(eng.delivered) == {"p0"} and eng.done("p0")
    # 5 passes of raw capacity carry the file bytes but not the PDU and packet headers → pass ≥ 5
    assert eng.delivered["p0"].pass_index == 5
    assert [len(r.deliveries) for r in reports[:5]] == [0] * 5
    mine = [e for e in events if e["id"] == "p0"]
    kinds = [e["event"] for e in mine]
    # one transaction from start to delivery: suspended at the end of passes 0–4, resumed in 1–5
    assert kinds == ["start"] + ["suspend", "resume"] * 5
    assert len({e["transaction"] for e in mine}) == 1
    suspends = [e for e in mine if e["event"] == "suspend"]
    resumes = [e for e in mine if e["event"] == "resume"]
    assert [e["pass"] for e in suspends] == [0, 1, 2, 3, 4] and [e["pass"] for e in resumes] == [1, 2, 3, 4, 5]
    # progress (file bytes put into PDUs) is kept across each gap; a pass adds at most its raw
    # capacity plus the one segment cut off when the orbiter sets, and at least 85 % of it
    # (PDU + packet headers ≈ 4 % at 2 kB segments, plus the NAKed segment sent again)
    assert [s["progress_bytes"] for s in suspends] == [r["progress_bytes"] for r in resumes]
    steps = [b["progress_bytes"] - a["progress_bytes"] for a, b in zip(suspends, suspends[1:])]
    assert all(0.85 * _PASS_BYTES < s <= _PASS_BYTES + 2048 for s in steps), steps
    assert suspends[0]["t_after_touchdown_s"] == _PASS_S and resumes[0]["t_after_touchdown_s"] == 1000.0
    assert not list((tmp_path / "st").glob("*.part"))  # the one partial file became the product


def test_product_larger_than_the_relay_window_is_missing_and_stays_suspended(tmp_path):
    jobs = make_jobs(tmp_path, [10 * _PASS_BYTES, 900])  # 480 kB through 3 passes of 48 kB
    events = []
    eng = _engine(tmp_path, events)
    run_passes(eng, jobs, _passes(3))
    check_received(tmp_path, jobs, eng)
    # the oldest transaction has the link while it has data to send (module doc, "Link
    # scheduling"): the small one behind it never got a transaction
    assert set(eng.delivered) == set() and not eng.done("p0")
    assert eng.in_flight == {"p0"}  # suspended, to resume at the next pass
    kinds = [e["event"] for e in events if e["id"] == "p0"]
    assert kinds == ["start", "suspend", "resume", "suspend", "resume", "suspend"]
    last = [e for e in events if e["id"] == "p0"][-1]
    # three passes' worth (less headers; plus the segment cut at the last pass end and the next one
    # read into the outbox): it was never restarted from zero
    assert 2.85 * _PASS_BYTES < last["progress_bytes"] <= 3 * _PASS_BYTES + 2 * 2048


def test_a_file_is_finished_before_the_next_one_gets_the_link(tmp_path):
    # 3 × 35 kB through 2 passes of 48 kB: served in turn, two arrive and one is partial; shared
    # round-robin, all three would be partial (issue 21: nothing big arrived under loss)
    jobs = make_jobs(tmp_path, [35_000, 35_000, 35_000])
    eng = _engine(tmp_path, [])
    run_passes(eng, jobs, _passes(2))
    check_received(tmp_path, jobs, eng)
    assert set(eng.delivered) == {"p0", "p1"} and eng.in_flight == {"p2"}


def test_a_transaction_nobody_answers_is_abandoned_and_logged(tmp_path):
    jobs = make_jobs(tmp_path, [900])
    events = []
    eng = TransferEngine(cfg=_SHORT_TIMERS, staging_dir=tmp_path / "st", received_dir=tmp_path / "rx",
                         forward=PerfectChannel(), back=LossyChannel(loss=0.999_999, seed=1),
                         on_event=events.append)  # fmt: skip
    run_passes(eng, jobs, _passes(1))
    # the ground has the file, but its Finished PDU never reaches the rover, which must not count it
    assert set(eng.delivered) == {"p0"} and not eng.done("p0")
    rover = [e for e in events if e["side"] == "rover"]
    assert [e["event"] for e in rover][:2] == ["start", "abandon"]
    # the EOF is never acknowledged: abandoned after the positive-ACK limit (3 × 1 s) at the latest
    # the 4 s inactivity limit, well inside the 6 s pass
    assert rover[1]["t_after_touchdown_s"] <= 4.0 + 0.5


# --- goodput under loss with the mission's own link settings -------------------------------------

# A small stand-in for the demo's products: many thumbnail-sized files, then larger ones, more than
# the passes can carry, sent with CfdpConfig() — the mission's [link.cfdp] — over passes at the
# default schedule's rate. Issue 21: with 8 transactions served round-robin and 5 s timers the demo
# relay carried 8.5 % of the link at 10 % frame loss; the goal is ≥ 0.85 × capacity × (1 − loss) at
# 10 % and ≥ 0.7 × at 30 % (tolerance: none; these are the goal's own bounds).
# The passes are 30 s, still 16-30x shorter than the mission's 480-900 s: what is in flight when the
# last pass ends is lost to the count, a cost a few timer rounds (2 s each) long that a 12 s pass
# inflated to a third of the pass (0.70 of the goal at 30 % loss with 12 s passes, 0.93 with 30 s).
_GOODPUT_PASSES = [Pass(i, "MRO", 1000.0 * i, 30.0, 500_000.0) for i in range(2)]


def _goodput_sizes() -> list[int]:
    rng = np.random.default_rng(3)
    return [int(s) for s in rng.integers(300, 3_000, 200)] + [40_000] * 100


@pytest.mark.parametrize("loss, goal", [(0.10, 0.85), (0.30, 0.70)])
def test_mission_settings_carry_most_of_the_link_through_loss(tmp_path, loss, goal):
    sizes = _goodput_sizes()
    jobs = make_jobs(tmp_path, sizes, seed=3)
    eng = TransferEngine(cfg=CfdpConfig(), staging_dir=tmp_path / "st", received_dir=tmp_path / "rx",
                         forward=LossyChannel(loss=loss, seed=5), back=LossyChannel(loss=loss, seed=6))  # fmt: skip
    run_passes(eng, jobs, _GOODPUT_PASSES)
    check_received(tmp_path, jobs, eng)
    capacity_bits = sum(p.capacity_bits for p in _GOODPUT_PASSES)
    assert 8 * sum(j.size_bytes for j in jobs) > capacity_bits  # the link, not the products, is the limit
    delivered_bits = 8 * sum(d.size_bytes for d in eng.delivered.values())
    assert delivered_bits >= goal * capacity_bits * (1 - loss), delivered_bits / (capacity_bits * (1 - loss))


def test_what_is_sent_does_not_depend_on_where_the_run_folder_lies(tmp_path):
    # The Metadata PDU names the source file: it once carried the host's absolute path, so the bytes
    # on the wire, and what a lossy pass delivered, changed with the folder's name (the goodput test
    # above passed or failed with the length of pytest's temporary folder).
    def transfer(folder: Path) -> list[tuple]:
        jobs = make_jobs(folder, _goodput_sizes()[:60], seed=3)
        rows: list[dict] = []
        eng = TransferEngine(cfg=CfdpConfig(), staging_dir=folder / "st", received_dir=folder / "rx",
                             forward=LossyChannel(loss=0.3, seed=5), back=LossyChannel(loss=0.3, seed=6),
                             on_event=rows.append)  # fmt: skip
        run_passes(eng, jobs, [Pass(0, "MRO", 0.0, 3.0, 500_000.0)])
        check_received(folder, jobs, eng)
        return [(r["event"], r["id"], r["t_after_touchdown_s"], r["progress_bytes"]) for r in rows]

    short, long = transfer(tmp_path / "a"), transfer(tmp_path / ("a" * 120))
    assert short == long and any(r[0] == "start" for r in short)


def test_the_link_benchmarks_synthetic_run_is_a_run_folder_the_relay_reads(tmp_path):
    # benchmarks/link.py built its demo-shaped run by hand and fell behind the run-folder contract
    # (the manifest lacked frame_first and the SCLK fields): the benchmark died at its first relay.
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import link as bench

    from edlcam.runfolder import read_events, read_manifest

    shape = (("thumbnail", 6, 300, 900, (1, 2)), ("lossless", 2, 5_000, 9_000, (8,)))
    run = bench.synthetic_run(tmp_path, shape=shape)
    assert [p.kind for p in read_manifest(run).products] == ["thumbnail"] * 6 + ["lossless"] * 2
    assert read_events(run).get("touchdown").t_s == 403.1
    summary = bench.relay_once(run, tmp_path / "out", 0.0, 0.1)
    assert summary["received_ids"] == sorted(p.id for p in read_manifest(run).products)
