"""The channel seam: perfect and lossy, seeded, with the statistics it promises."""

from __future__ import annotations

import pytest

from edlcam.errors import LinkError
from edlcam.link.channel import LossyChannel, PerfectChannel
from edlcam.link.packets import APID_TELEMETRY, deframe, pack_packet


def frames(n):
    return [pack_packet(APID_TELEMETRY, i, i.to_bytes(4, "big")) for i in range(n)]


def run(channel, items):
    out = []
    for f in items:
        out.extend(channel.transmit(f))
    return out + channel.flush()


def test_perfect_channel_is_identity():
    items = frames(50)
    assert run(PerfectChannel(), items) == items


def test_loss_rate_matches_probability():
    ch = LossyChannel(loss=0.1, seed=3)
    out = run(ch, frames(20_000))
    # binomial: σ = √(n p (1−p)) = 42 frames; 5σ tolerance
    assert len(out) == pytest.approx(18_000, abs=5 * 42)


def test_gilbert_elliott_bursts_have_mean_length_one_over_exit():
    ch = LossyChannel(loss=0.0, burst_enter=0.01, burst_exit=0.25, burst_loss=1.0, seed=5)
    kept = {int.from_bytes(f[6:10], "big") for f in run(ch, frames(50_000))}
    lost = [i not in kept for i in range(50_000)]
    runs, n = [], 0
    for x in lost + [False]:
        if x:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    mean = sum(runs) / len(runs)
    # geometric burst length with exit 0.25 → mean 4 frames (Gilbert 1960); ±10 % for ~120 bursts
    assert mean == pytest.approx(4.0, rel=0.2)


def test_reorder_and_duplicate_keep_every_frame():
    ch = LossyChannel(reorder=0.2, duplicate=0.1, seed=1)
    items = frames(2000)
    out = run(ch, items)
    assert sorted(set(out)) == sorted(items)
    assert len(out) == 2000 + ch.stats.duplicated
    assert out != items  # some came out of order


def test_bit_errors_are_detected_by_the_crc():
    ch = LossyChannel(bit_error_rate=1e-3, seed=2)
    items = frames(3000)
    out = run(ch, items)
    packets, _, discarded = deframe(b"".join(out), final=True)
    good = [p.data for p in packets]
    assert ch.stats.corrupted > 100 and discarded
    assert all(int.from_bytes(d, "big") < 3000 for d in good)
    # every packet that passed the CRC is one that was sent, intact
    assert set(good) <= {i.to_bytes(4, "big") for i in range(3000)}
    assert len(good) >= 3000 - ch.stats.corrupted


def test_same_seed_same_impairments():
    a = run(LossyChannel(loss=0.2, reorder=0.1, duplicate=0.1, bit_error_rate=1e-4, seed=9), frames(500))
    b = run(LossyChannel(loss=0.2, reorder=0.1, duplicate=0.1, bit_error_rate=1e-4, seed=9), frames(500))
    assert a == b


def test_invalid_probability_message():
    with pytest.raises(LinkError, match=r"channel loss is 1\.5; it must lie in \[0, 1\)"):
        LossyChannel(loss=1.5)
