"""The spacecraft clock is one clock: the onboard stage's SCLK at entry interface must be what
the link stage's SCLK ↔ UTC correlation gives for the entry UTC (to 1 ms)."""

import pytest

from edlcam.link.clock import SclkCorrelation, utc_to_unix_s
from edlcam.mission import load_mission


def test_onboard_and_link_agree_on_sclk_at_entry():
    m = load_mission()
    corr = SclkCorrelation(m.link.sclk_epoch_utc, m.link.sclk_rate)
    assert m.onboard.sclk_at_entry_interface_s == pytest.approx(corr.sclk_from_scet(utc_to_unix_s(m.entry.utc)), abs=1e-3)
