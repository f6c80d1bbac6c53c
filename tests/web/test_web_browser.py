"""The page in a real browser: Debian's chromium, headless, driven by Playwright.

No browser is downloaded (no ``playwright install``): Playwright launches /usr/bin/chromium
(``apt-get install chromium``). The tests skip, saying so, only when that binary is absent.
"""

from __future__ import annotations

import io
import time

import pytest
from webrun import CHROMIUM, open_page
from webrun import LANDING_T0_S, RDC_T0_S

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")

FRAME_S = 0.1  # the synthetic films run at 10 fps: a seek is exact to a frame


@pytest.fixture(scope="module")
def browser_page(writable_server):
    with open_page(writable_server.url) as page:
        yield page


def wait_js(page, expr: str, timeout_s: float = 10.0) -> None:
    """Poll a JS expression until truthy. (Playwright's wait_for_function evaluates its predicate
    with eval(), which the page's Content-Security-Policy rightly forbids; evaluate() is not.)"""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expr):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout_s} s: {expr}")
        time.sleep(0.03)


def replay_live(page, *, speed: int) -> None:
    """Open the live tab and start the telemetry replay at ``speed``× (a speed the menu may lack)."""
    page.click("[data-tab=live]")
    page.evaluate(f"document.getElementById('live-speed').add(new Option('{speed}×', '{speed}'))")
    page.select_option("#live-speed", str(speed))
    page.click("#live-start")


def check_screenshot(page, *, film_std_min: float) -> bytes:
    """Screenshot the page and check it is not blank; return the PNG."""
    import numpy as np
    from PIL import Image

    png = page.screenshot(full_page=False)
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    assert img.shape == (1000, 1400, 3)
    # a blank or single-colour page has no spread; the film, five charts and text have plenty
    assert img.std() > 25
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 1000
    # the film's frame is drawn: the video element's box is not the page background
    box = page.locator("#film").bounding_box()
    film = img[int(box["y"]) + 10 : int(box["y"] + box["height"]) - 60, int(box["x"]) + 10 : int(box["x"] + box["width"]) - 10]
    assert film.std() > film_std_min
    return png


def film_time(page) -> float:
    return page.evaluate("document.getElementById('film').currentTime")


def test_page_loads_without_console_errors(browser_page):
    page = browser_page
    assert page.locator("#events button").count() == 9
    assert page.locator("#cameras button").count() == 2
    assert page.evaluate("document.getElementById('charts').data.length") == 6  # five quantities + event markers
    assert page.problems == []


def test_h264_film_plays(browser_page):
    page = browser_page
    # Debian's chromium is built with the proprietary codecs: H.264 and AAC play, no WebM needed.
    assert page.evaluate("document.getElementById('film').canPlayType('video/mp4; codecs=\"avc1.42E01E, mp4a.40.2\"')") == "probably"
    page.click("#film")  # a user gesture, so play() with sound is allowed
    page.evaluate("document.getElementById('film').play()")
    wait_js(page, "document.getElementById('film').currentTime > 0.5", timeout_s=10)
    page.evaluate("document.getElementById('film').pause()")
    assert page.evaluate("document.getElementById('film').videoWidth") == 192
    assert page.problems == []


def test_parachute_event_seeks_the_film_and_the_cursor(browser_page):
    page = browser_page
    page.evaluate("document.getElementById('film').pause()")
    page.click("[data-event=parachute_deploy]")
    # E+240 is 8 s into landing.mp4, which starts at E+232 (catalog)
    wait_js(page, f"Math.abs(document.getElementById('film').currentTime - {240.0 - LANDING_T0_S}) < {FRAME_S}")
    wait_js(page, "Math.abs(document.getElementById('charts').layout.shapes[0].x0 - 240.0) < 0.1")
    assert page.inner_text("#clock") == "E+ 240.0 s"


def test_chart_cursor_follows_the_playing_film(browser_page):
    page = browser_page
    page.click("[data-event=parachute_deploy]")
    wait_js(page, "Math.abs(document.getElementById('charts').layout.shapes[0].x0 - 240.0) < 0.1")
    page.evaluate("document.getElementById('film').play()")
    wait_js(page, "document.getElementById('charts').layout.shapes[0].x0 > 240.5", timeout_s=10)
    page.evaluate("document.getElementById('film').pause()")
    cursor = page.evaluate("document.getElementById('charts').layout.shapes[0].x0")
    t = film_time(page)
    # the cursor shows the film's E+ time: start + currentTime (one animation frame behind at most)
    assert cursor == pytest.approx(LANDING_T0_S + t, abs=FRAME_S)


def test_camera_switch_keeps_the_time(browser_page):
    page = browser_page
    page.click("[data-event=parachute_deploy]")
    page.click("[data-video=rdc]")
    wait_js(page, "document.getElementById('film').src.endsWith('/rdc.mp4') && document.getElementById('film').readyState >= 1")
    # E+240 is before the RDC film (E+262): the film shows its first frame, the cursor says so
    wait_js(page, f"Math.abs(document.getElementById('charts').layout.shapes[0].x0 - {RDC_T0_S}) < 0.1")
    page.click("[data-event=heatshield_separation]")  # E+260: still before → clamped
    page.click("[data-video=landing]")
    wait_js(page, "document.getElementById('film').src.endsWith('/landing.mp4') && document.getElementById('film').readyState >= 1")
    assert page.problems == []


def test_thumbnail_range_request_shows_pending(browser_page):
    page = browser_page
    page.select_option("#thumb-camera", "rdc")
    page.wait_for_selector("#gallery figure >> nth=9")
    page.locator("#gallery figure").nth(6).click()  # E+274
    page.locator("#gallery figure").nth(8).click()  # E+278
    assert "E+ 274.0 – 278.0 s" in page.inner_text("#selection")
    page.click("#request")
    row = page.locator("#requests tbody tr").last
    row.wait_for()
    assert row.locator("td").nth(5).inner_text() == "pending"  # rdc-video-000001 not received yet


def test_report_tab_shows_the_ground_report(browser_page):
    page = browser_page
    page.click("[data-tab=report]")
    frame = page.frame_locator("#report")
    assert frame.locator("#touchdown").inner_text() == "Touchdown at E+ 410.0 s"
    page.click("[data-tab=film]")


def test_live_mode_calls_out_events_and_confirms_touchdown(browser_page):
    page = browser_page
    replay_live(page, speed=5000)
    page.wait_for_selector("#touchdown:not([hidden])", timeout=15_000)
    assert page.inner_text("#touchdown") == "TOUCHDOWN CONFIRMED"
    events = page.eval_on_selector_all("#callouts li", "els => els.map(e => e.dataset.event)")
    assert events[0] == "entry_interface" and events[-1] == "touchdown" and len(events) == 9
    page.click("[data-tab=film]")
    assert page.problems == []


def test_screenshot_is_not_blank(browser_page, tmp_path):
    page = browser_page
    page.click("[data-event=parachute_deploy]")
    wait_js(page, "Math.abs(document.getElementById('charts').layout.shapes[0].x0 - 240.0) < 0.1")
    check_screenshot(page, film_std_min=30)
