"""One time line: SCLK → SCET for every frame and sample, checked end to end with a flash and a click."""

from __future__ import annotations

import numpy as np
import pytest
from ground_fixtures import CAMERA_FPS, ENTRY_UTC, FLASH_T_S, small_mission, synthetic_run

from edlcam.ground.assemble import assemble_film
from edlcam.ground.catalog import build_catalog, open_catalog
from edlcam.ground.timecorr import TimeLine
from edlcam.ground.video import open_cameras
from edlcam.link.clock import SclkCorrelation, utc_to_unix_s

MS = 1e-3


def test_the_correlation_puts_entry_interface_at_the_mission_utc_through_the_link_clock():
    m = small_mission()
    tl = TimeLine.from_mission(m)
    sclk0 = m.onboard.sclk_at_entry_interface_s
    entry = utc_to_unix_s(ENTRY_UTC)
    # the anchor goes through SclkCorrelation (TAI, leap seconds counted): same instant within 1 ms
    assert tl.correlation.scet_from_sclk(sclk0) == pytest.approx(entry, abs=1 * MS)
    assert tl.scet_utc(sclk0) == "2021-02-18T20:36:50.000Z"
    # linear inside the landing: E+410 s is 410 SI seconds later on both paths (no leap second in 2021)
    assert tl.correlation.scet_from_sclk(sclk0 + 410.0) == pytest.approx(float(tl.scet_unix_s(sclk0 + 410.0)), abs=1 * MS)
    # ERT = SCET + one-way light time: 682 s at landing (NASA, REFERENCE.md), ±1 s
    assert tl.ert_unix_s(entry) - entry == pytest.approx(682.0, abs=1.0)


def test_the_correlation_follows_the_onboard_clock_rate():
    m = small_mission()
    fast = m.model_copy(update={"link": m.link.model_copy(update={"sclk_rate": 1.0 + 1e-5})})
    tl = TimeLine.from_mission(fast)
    sclk0 = m.onboard.sclk_at_entry_interface_s
    # 10 ppm fast clock: 400 SCLK seconds are 400 / (1 + 1e-5) SI seconds, 4 ms less
    assert float(tl.t_s(sclk0 + 400.0)) == pytest.approx(400.0 / (1 + 1e-5), abs=1e-6)
    assert tl.correlation == SclkCorrelation(epoch_utc=tl.correlation.epoch_utc, rate=1.0 + 1e-5)


def _first_bright(frames) -> float:
    for i in range(len(frames)):
        if frames.picture(i).image.mean() > 120:
            return float(frames.t_s[i])
    raise AssertionError(f"{frames.camera} never sees the flash")


@pytest.fixture(scope="module")
def cameras():
    run = synthetic_run()
    build_catalog(run)
    con = open_catalog(run)
    return run, open_cameras(run, con, small_mission())


def test_two_cameras_agree_on_the_time_of_an_event_within_one_frame(cameras):
    """Heat-shield separation (the flash at E+12.03 s) seen by the RDC (10 fps, from E+11.0) and
    PUC A (15 fps, from E+9.0): each sees it first in the first frame exposed after it, placed on
    the ground's time line from the products that came home, by SCLK."""
    run, cams = cameras
    t_puc, t_rdc = _first_bright(cams["puc_a"]), _first_bright(cams["rdc"])
    period = {name: 1.0 / CAMERA_FPS[name] for name in ("puc_a", "rdc")}
    assert 0 <= t_puc - FLASH_T_S < period["puc_a"] + 1e-6
    assert 0 <= t_rdc - FLASH_T_S < period["rdc"] + 1e-6
    assert abs(t_puc - t_rdc) < max(period.values())
    # both are on the same UTC line as the flight's events (E+12.03 s = 20:37:02.030 SCET)
    tl = TimeLine.from_mission(small_mission())
    assert abs(float(tl.scet_unix_s(tl.sclk(t_rdc))) - (utc_to_unix_s(ENTRY_UTC) + FLASH_T_S)) < period["rdc"]


def test_in_the_film_the_flash_and_the_click_line_up_within_one_film_frame(tmp_path):
    import av

    run = synthetic_run()
    build_catalog(run)
    fps = 30
    out = tmp_path / "sync.mp4"
    t0 = 11.5
    assemble_film(run, width=320, height=180, fps=fps, t_start_s=t0, t_end_s=13.0, out=out)
    with av.open(str(out)) as c:
        vs = c.streams.video[0]
        flash = next(float(f.pts * vs.time_base) for f in c.decode(vs) if f.to_ndarray(format="gray")[:, :200].mean() > 90)
    with av.open(str(out)) as c:
        chunks = [(float(f.pts * f.time_base), f.to_ndarray()[0]) for f in c.decode(audio=0)]
    rate = 8000
    t_audio = np.concatenate([t + np.arange(len(x)) / rate for t, x in chunks])
    x = np.concatenate([x for _, x in chunks])
    click = float(t_audio[np.argmax(np.abs(x) > 0.3)])
    # the film's clock: both within one frame (33 ms) of where the event is (E+12.03 − 11.5 s)
    assert abs(click - (FLASH_T_S - t0)) < 1 / fps
    assert 0 <= flash - (FLASH_T_S - t0) < 1 / CAMERA_FPS["puc_a"] + 1 / fps
    assert abs(flash - click) < 1 / CAMERA_FPS["puc_a"] + 1 / fps
