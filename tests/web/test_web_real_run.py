"""The viewer in a real browser on a run made by the real stages (not the synthetic run folder).

The run is built once per session by :func:`realrun.build_real_run`: the real Mars 2020 flight,
cameras and microphone rendered small, the onboard store and products, the relay, ``assemble``
(the 1280×720 ``landing.mp4`` and one MP4 per camera) and the report. Every expected value below
is read from that run (``flight/events.json``, ``ground/assembly.json``, the manifest, the
films), never written in: the tests check that the page shows what the stages made.
"""

from __future__ import annotations

import io
import json
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from realrun import build_real_run
from test_web_browser import check_screenshot, replay_live, wait_js
from webrun import CHROMIUM, LiveServer, open_page

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
)

FILM = "document.getElementById('film')"
CURSOR = "document.getElementById('charts').layout.shapes[0].x0"


@pytest.fixture(scope="session")
def real_run(tmp_path_factory) -> Path:
    """A run folder made by every real stage (built once; read-only for the tests)."""
    run = tmp_path_factory.mktemp("web-real") / "run"
    result = build_real_run(run)
    assert result.film.exists() and result.report.exists()
    return run


@pytest.fixture(scope="session")
def facts(real_run) -> dict:
    """What the stages wrote, as the tests compare it: events, film time lines, thumbnails."""
    from edlcam.ground.assemble import probe

    events = {e["name"]: float(e["t_s"]) for e in json.loads((real_run / "flight" / "events.json").read_text())["events"]}
    assembly = json.loads((real_run / "ground" / "assembly.json").read_text())
    manifest = json.loads((real_run / "onboard" / "products" / "manifest.json").read_text())["products"]
    received = set(json.loads((real_run / "link" / "summary.json").read_text())["received_ids"])
    films = {"landing": {"t_start_s": float(assembly["film"]["t_start_s"]), "fps": float(assembly["film"]["fps"]),
                         "duration_s": assembly["film"]["frames"] / assembly["film"]["fps"]}}  # fmt: skip
    for name, cam in assembly["cameras"].items():
        films[name] = {"t_start_s": float(cam["t_start_s"]), "fps": float(cam["fps"]), "duration_s": cam["frames"] / cam["fps"]}
    for name, film in films.items():
        v = next(s for s in probe(real_run / "ground" / f"{name}.mp4")["streams"] if s["type"] == "video")
        film["size_px"] = (v["width"], v["height"])
    thumbs = {}
    for p in manifest:
        if p["kind"] == "thumbnail" and p["id"] in received:
            thumbs.setdefault(p["camera"], []).append(p)
    return {"events": events, "films": films, "thumbs": thumbs}


@pytest.fixture(scope="session")
def real_server(real_run):
    from edlcam.ground.web import create_app

    with LiveServer(create_app([real_run])) as s:
        yield s


@pytest.fixture(scope="module")
def page(real_server):
    with open_page(real_server.url) as page:
        yield page


def film_t(page) -> float:
    return page.evaluate(f"{FILM}.currentTime")


def use_film(page, name: str) -> None:
    page.click(f"[data-video={name}]")
    wait_js(page, f"{FILM}.src.endsWith('/{name}.mp4') && {FILM}.readyState >= 2")
    page.evaluate(f"{FILM}.pause()")


def test_real_run_page_loads_without_console_errors(page, facts):
    assert page.problems == []
    # every real event is a button, every film a camera choice, five charts plus the event markers
    assert page.eval_on_selector_all("#events button", "bs => bs.map(b => b.dataset.event)") == list(facts["events"])
    assert set(page.eval_on_selector_all("#cameras button", "bs => bs.map(b => b.dataset.video)")) == set(facts["films"])
    assert page.evaluate("document.getElementById('charts').data.length") == 6
    # the film served is the assembler's 1280×720 composite, announced at its real start
    wait_js(page, f"{FILM}.readyState >= 1")
    assert page.evaluate(f"[{FILM}.videoWidth, {FILM}.videoHeight]") == list(facts["films"]["landing"]["size_px"])
    assert page.inner_text("#film-note") == f"landing.mp4: starts at E+ {facts['films']['landing']['t_start_s']:.1f} s"


def test_real_film_plays(page, facts):
    page.click("#film")  # a user gesture, so play() with sound is allowed
    t0 = film_t(page)
    page.evaluate(f"{FILM}.play()")
    wait_js(page, f"{FILM}.currentTime > {t0 + 0.5}", timeout_s=15)
    page.evaluate(f"{FILM}.pause()")
    assert page.evaluate(f"{FILM}.duration") == pytest.approx(facts["films"]["landing"]["duration_s"], abs=0.1)
    assert page.problems == []


def test_parachute_button_seeks_the_real_film_to_the_event(page, facts):
    film = facts["films"]["landing"]
    t_event = facts["events"]["parachute_deploy"]
    assert film["t_start_s"] <= t_event <= film["t_start_s"] + film["duration_s"]  # the film spans the deploy
    page.evaluate(f"{FILM}.pause()")
    page.click("[data-event=parachute_deploy]")
    # the film's time line: frame k at t_start + k/fps (ground/assembly.json), so the deploy is at t − t_start
    wait_js(page, f"Math.abs({FILM}.currentTime - {t_event - film['t_start_s']}) < {1 / film['fps']}")
    wait_js(page, f"Math.abs({CURSOR} - {t_event}) < 0.01")
    assert page.inner_text("#clock") == f"E+ {t_event:.1f} s"


def test_parachute_marker_on_the_chart_seeks_the_real_film(page, facts):
    """The diamond on the height chart is the event marker: a mouse click on it seeks to the event."""
    film = facts["films"]["landing"]
    t_event = facts["events"]["parachute_deploy"]
    page.click("[data-event=backshell_separation]")  # start away from the deploy
    wait_js(page, f"Math.abs({FILM}.currentTime - {t_event - film['t_start_s']}) > 10")
    page.locator("#charts").scroll_into_view_if_needed()
    i = list(facts["events"]).index("parachute_deploy")
    # the marker's screen position from Plotly's own axes (data → pixels)
    x, y = page.evaluate(f"""(() => {{
        const gd = document.getElementById('charts'), fl = gd._fullLayout, tr = gd.data[gd.data.length - 1];
        const box = gd.getBoundingClientRect();
        return [box.left + fl.xaxis._offset + fl.xaxis.l2p(tr.x[{i}]), box.top + fl.yaxis._offset + fl.yaxis.l2p(tr.y[{i}])];
    }})()""")
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    wait_js(page, f"Math.abs({FILM}.currentTime - {t_event - film['t_start_s']}) < {1 / film['fps']}")
    wait_js(page, f"Math.abs({CURSOR} - {t_event}) < 0.01")
    assert page.inner_text("#clock") == f"E+ {t_event:.1f} s"


def test_chart_cursor_follows_the_real_film(page, facts):
    film = facts["films"]["landing"]
    page.click("[data-event=heatshield_separation]")
    t_event = facts["events"]["heatshield_separation"]
    wait_js(page, f"Math.abs({CURSOR} - {t_event}) < 0.01")
    page.evaluate(f"{FILM}.play()")
    wait_js(page, f"{CURSOR} > {t_event + 0.5}", timeout_s=15)
    page.evaluate(f"{FILM}.pause()")
    # after the pause the cursor settles on the film's E+ time: start + currentTime
    wait_js(page, f"Math.abs({CURSOR} - ({film['t_start_s']} + {FILM}.currentTime)) < 1e-6")
    assert page.inner_text("#clock") == f"E+ {film['t_start_s'] + film_t(page):.1f} s"


def test_camera_switch_to_a_real_camera_film_keeps_the_time(page, facts, real_run):
    """RDC's own film: the switch keeps the E+ time, and the browser shows the frame PyAV decodes there."""
    import av
    import numpy as np

    rdc = facts["films"]["rdc"]
    # two seconds after heat-shield separation, in the middle of an RDC frame (inside the composite too)
    k = int((facts["events"]["heatshield_separation"] + 2.0 - rdc["t_start_s"]) * rdc["fps"])
    t = rdc["t_start_s"] + (k + 0.5) / rdc["fps"]
    assert 0 <= k < rdc["duration_s"] * rdc["fps"]
    use_film(page, "landing")
    page.evaluate(f"{FILM}.currentTime = {t - facts['films']['landing']['t_start_s']}")
    wait_js(page, f"Math.abs({CURSOR} - {t}) < 0.01")
    use_film(page, "rdc")
    wait_js(page, f"Math.abs({FILM}.currentTime - {t - rdc['t_start_s']}) < 1e-3 && !{FILM}.seeking && {FILM}.readyState >= 2")
    wait_js(page, f"Math.abs({CURSOR} - {t}) < 0.01")
    assert page.evaluate(f"[{FILM}.videoWidth, {FILM}.videoHeight]") == list(rdc["size_px"])
    assert page.inner_text("#film-note") == f"rdc.mp4: starts at E+ {rdc['t_start_s']:.1f} s"
    # the picture: the browser's decoded frame drawn to a canvas, against PyAV's frame k
    w, h = rdc["size_px"]
    shown = np.array(page.evaluate(f"""(() => {{
        const c = document.createElement('canvas'); c.width = {w}; c.height = {h};
        const g = c.getContext('2d'); g.drawImage({FILM}, 0, 0, {w}, {h});
        return Array.from(g.getImageData(0, 0, {w}, {h}).data);
    }})()"""), dtype=float).reshape(h, w, 4)[..., :3]
    with av.open(str(real_run / "ground" / "rdc.mp4")) as c:
        decoded = [f.to_ndarray(format="rgb24").astype(float) for f in c.decode(video=0)]
    assert shown.std() > 5  # a real picture of the ground, not a blank frame
    errors = [np.abs(shown - d).mean() for d in decoded]
    assert errors[k] < 4  # the two decoders' colour conversions differ by a level or two
    assert int(np.argmin(errors)) == k  # and it is that frame, not a neighbour (the descent moves the view)
    use_film(page, "landing")
    assert page.problems == []


def test_every_real_camera_film_decodes_in_chromium(page, facts):
    """Each per-camera MP4 the assembler wrote (including LCAM's mono frames) is one chromium can show."""
    for name, film in facts["films"].items():
        use_film(page, name)
        assert page.evaluate(f"{FILM}.error") is None, name
        assert page.evaluate(f"[{FILM}.videoWidth, {FILM}.videoHeight]") == list(film["size_px"]), name
        assert page.evaluate(f"{FILM}.duration") == pytest.approx(film["duration_s"], abs=0.6), name
    use_film(page, "landing")
    assert page.problems == []


def test_gallery_shows_the_real_received_thumbnails(page, facts, real_run):
    import numpy as np
    from PIL import Image

    camera = "rdc"
    thumbs = sorted(facts["thumbs"][camera], key=lambda p: p["t_start_s"])
    page.select_option("#thumb-camera", camera)
    shown = min(len(thumbs), 120)  # the page asks for at most 120, thinned evenly
    page.wait_for_selector(f"#gallery figure >> nth={shown - 1}")
    assert page.locator("#gallery figure").count() == shown
    count = page.inner_text("#thumb-count")
    assert count == (f"({shown} of {len(thumbs)} shown)" if len(thumbs) > shown else f"({len(thumbs)})")
    page.locator("#gallery").scroll_into_view_if_needed()
    first = page.locator("#gallery figure img").first
    first.wait_for()
    wait_js(page, "(() => { const i = document.querySelector('#gallery img'); return i.complete && i.naturalWidth > 0; })()")
    # the first thumbnail is the first received RDC thumbnail, pixel for pixel the file that came home
    src = first.get_attribute("src")
    assert src.endswith("/received/" + thumbs[0]["path"])
    with Image.open(real_run / "ground" / "received" / thumbs[0]["path"]) as on_disk:
        expected = np.asarray(on_disk.convert("RGB"), dtype=float)
    h, w = expected.shape[:2]
    assert page.evaluate("(i => [i.naturalWidth, i.naturalHeight])(document.querySelector('#gallery img'))") == [w, h]
    shown = np.array(page.evaluate(f"""(() => {{
        const c = document.createElement('canvas'); c.width = {w}; c.height = {h};
        const g = c.getContext('2d'); g.drawImage(document.querySelector('#gallery img'), 0, 0);
        return Array.from(g.getImageData(0, 0, {w}, {h}).data);
    }})()"""), dtype=float).reshape(h, w, 4)[..., :3]
    assert np.abs(shown - expected).mean() < 2  # the same JPEG, decoded by chromium and by Pillow
    assert float(page.locator("#gallery figure").first.get_attribute("data-t")) == pytest.approx(thumbs[0]["t_start_s"])
    # clicking it seeks the film to that frame's time
    page.locator("#gallery figure").first.click()
    wait_js(page, f"Math.abs({CURSOR} - {thumbs[0]['t_start_s']}) < 0.01")
    assert page.problems == []


def test_report_tab_shows_the_real_report_and_its_film(page, facts):
    page.click("[data-tab=report]")
    frame = page.frame_locator("#report")
    assert "landing report" in frame.locator("h1").inner_text()
    row = frame.locator("tr", has=frame.locator("td", has_text="touchdown E+"))
    assert row.locator("td").nth(1).inner_text() == f"{facts['events']['touchdown']:.1f} s"
    # the report's own <video src="landing.mp4"> loads through the viewer, inside the report's CSP
    iframe = page.frame(url=lambda u: u.endswith("/report.html"))
    deadline = time.monotonic() + 10
    while not iframe.evaluate("document.querySelector('video').readyState >= 1"):
        assert time.monotonic() < deadline, "the report's film did not load"
        time.sleep(0.05)
    duration_s = iframe.evaluate("document.querySelector('video').duration")
    assert duration_s == pytest.approx(facts["films"]["landing"]["duration_s"], abs=0.1)
    page.click("[data-tab=film]")
    assert page.problems == []


def _js_fixed1(x: float) -> str:
    """``x.toFixed(1)`` as the viewer's JavaScript writes it: the exact binary value rounded half
    up (385.25 → "385.3", where Python's format rounds half to even, "385.2")."""
    return str(Decimal(x).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def test_live_replay_of_the_real_telemetry_calls_out_every_event(page, facts):
    replay_live(page, speed=5000)
    page.wait_for_selector("#touchdown:not([hidden])", timeout=30_000)
    assert page.inner_text("#touchdown") == "TOUCHDOWN CONFIRMED"
    wait_js(page, "document.getElementById('live-status').textContent === 'replay finished'", timeout_s=30)
    # every event of the flight comes home (an X-band tone each), in flight order, at its flight time
    called = page.eval_on_selector_all("#callouts li", "els => els.map(e => [e.dataset.event, e.textContent])")
    assert [name for name, _ in called] == list(facts["events"])
    for name, text in called:
        assert f"(E+ {_js_fixed1(facts['events'][name])} s)" in text
    page.click("[data-tab=film]")
    assert page.problems == []


def test_real_run_screenshot_is_not_blank(page, facts, tmp_path):
    page.evaluate("window.scrollTo(0, 0)")
    page.click("[data-event=parachute_deploy]")
    t_event = facts["events"]["parachute_deploy"]
    wait_js(page, f"Math.abs({CURSOR} - {t_event}) < 0.01 && !{FILM}.seeking && {FILM}.readyState >= 2")
    png = check_screenshot(page, film_std_min=20)  # the composite's panels and telemetry, not a black box
    (tmp_path / "viewer-real-run.png").write_bytes(png)  # kept by pytest's temp-dir retention, to look at


def test_every_file_the_demo_writes_is_described_in_the_run_folder_doc(real_run):
    """docs/run-folder.md's file table (edlcam.runfolder.LAYOUT) covers what every real stage wrote."""
    from edlcam import runfolder

    files = [p for p in real_run.rglob("*") if p.is_file()]
    assert {p.relative_to(real_run).parts[0] for p in files} >= {"mission.toml", "flight", "onboard", "link", "ground"}
    assert sorted(str(p.relative_to(real_run)) for p in files if runfolder.describe(real_run, p) is None) == []
