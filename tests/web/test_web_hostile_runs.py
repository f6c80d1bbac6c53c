"""Run folders and headers a hostile or careless user makes: a symlinked ``ground``, non-ASCII
range digits, absurd live speeds, runs without telemetry, corrupt stage outputs; and HEAD."""

from __future__ import annotations

import json
import os
import shutil

import httpx
import pytest
from test_web_security import TRAVERSALS, _OPENED, _RECORDING, assert_error_shape, raw
from webrun import LiveServer

from edlcam.ground.web import create_app, parse_range
from edlcam.ground.web.media import ByteRange


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """A folder outside every run, holding files a traversal would like to read."""
    out = tmp_path_factory.mktemp("host")
    (out / "passwd").write_text("root:x:0:0:CANARY")
    (out / "landing.mp4").write_bytes(b"CANARY-FILM")
    (out / "report.html").write_text("<p>CANARY</p>")
    return out


@pytest.fixture(scope="module")
def symlinked(web_run, outside, tmp_path_factory):
    """A run whose ``ground`` is a symlink out of it (`ln -s /etc RUN/ground`, with a canary)."""
    run = tmp_path_factory.mktemp("symlinked") / "run"
    shutil.copytree(web_run, run, symlinks=True)
    shutil.rmtree(run / "ground")
    os.symlink(outside, run / "ground")
    with LiveServer(create_app([run])) as s:
        s.run = run
        yield s


@pytest.mark.parametrize("target", ["/runs/run/files/passwd", "/runs/run/files/landing.mp4", "/runs/run/files/report.html"])
def test_a_ground_symlinked_out_of_the_run_serves_nothing(symlinked, target):
    for method in ("GET", "HEAD"):
        _OPENED.clear()
        _RECORDING.set()
        try:
            status, headers, data = raw(symlinked, method, target)
        finally:
            _RECORDING.clear()
        assert status == 404 and b"CANARY" not in data
        assert _OPENED == [], f"{method} {target} opened {_OPENED}"


@pytest.mark.parametrize("target", [t for t in TRAVERSALS if t.startswith("/runs/")] + ["/runs/run/files/../ground/passwd"])
def test_traversal_spellings_on_the_symlinked_run(symlinked, target):
    status, headers, data = raw(symlinked, "GET", target)
    assert_error_shape(status, headers, data, 404)
    assert b"CANARY" not in data


def test_the_api_lists_nothing_from_a_symlinked_ground(symlinked):
    with httpx.Client(base_url=symlinked.url) as c:
        summary = c.get("/api/runs/run").json()
        assert summary["films"] == 0 and summary["report_url"] is None
        assert c.get("/api/runs/run/videos").json() == []
        assert c.get("/api/runs/run/thumbnails").json()["items"] == []


def test_etc_passwd_through_a_symlinked_ground(web_run, tmp_path):
    """The probe's exact attack: `ln -s /etc RUN/ground`, then GET /runs/RUN/files/passwd."""
    if not os.path.isfile("/etc/passwd"):
        pytest.skip("no /etc/passwd on this host")
    run = tmp_path / "run"
    shutil.copytree(web_run, run, symlinks=True, ignore=shutil.ignore_patterns("ground"))
    os.symlink("/etc", run / "ground")
    with LiveServer(create_app([run])) as s:
        for name in ("passwd", "shadow", "hostname"):
            status, headers, data = raw(s, "GET", f"/runs/run/files/{name}")
            assert_error_shape(status, headers, data, 404)


def test_a_ground_symlinked_inside_the_run_is_still_served(web_run, tmp_path):
    # Containment is against the run folder the user named: RUN/ground -> RUN/ground-v2 is the run's own.
    run = tmp_path / "run"
    shutil.copytree(web_run, run, symlinks=True)
    (run / "ground").rename(run / "ground-v2")
    os.symlink("ground-v2", run / "ground")
    with LiveServer(create_app([run])) as s:
        status, _, data = raw(s, "GET", "/runs/run/files/report.html")
        assert status == 200 and data == (run / "ground-v2" / "report.html").read_bytes()


def test_a_run_folder_swapped_for_a_symlink_after_the_start_serves_nothing(web_run, outside, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(web_run, run, symlinks=True)
    with LiveServer(create_app([run])) as s:
        assert raw(s, "GET", "/runs/run/files/report.html")[0] == 200
        run.rename(tmp_path / "moved")
        (outside / "ground").mkdir(exist_ok=True)
        (outside / "ground" / "report.html").write_text("CANARY")
        os.symlink(outside, run)
        status, _, data = raw(s, "GET", "/runs/run/files/report.html")
        assert status == 404 and b"CANARY" not in data


# ---- ranges: ASCII digits only ----------------------------------------------------------------

@pytest.mark.parametrize("header", ["bytes=\xb2-", "bytes=-\xb2", "bytes=0-\xb9", "bytes=\u0661-", "bytes=\uff10-5", "bytes=1_0-", "bytes=+5-", "bytes=0x10-"])
def test_non_ascii_or_non_decimal_digits_are_invalid_and_ignored(header):
    assert parse_range(header, 1000) is None  # RFC 9110 §14.2: an invalid range is ignored: 200, whole file


def test_positions_longer_than_int_parses_are_clamped():
    huge = "9" * 5000  # int("9" * 5000) raises ValueError (Python's 4300-digit limit)
    assert parse_range(f"bytes={huge}-", 1000) == "unsatisfiable"
    assert parse_range(f"bytes=0-{huge}", 1000) == ByteRange(0, 999, 1000)
    assert parse_range(f"bytes=-{huge}", 1000) == ByteRange(0, 999, 1000)
    assert parse_range(f"bytes={'0' * 5000}7-9", 1000) == ByteRange(7, 9, 1000)
    assert parse_range(f"bytes=1{'0' * 30}-1{'0' * 29}", 1000) is None  # last < first, exactly


@pytest.mark.parametrize("header", ["bytes=\xb2-", "bytes=-\xb2\xb2", "bytes=0-\xb9", "bytes=" + "7" * 5000 + "-"])
def test_odd_range_headers_over_http_are_never_a_500(server, web_run, header):
    film = (web_run / "ground" / "landing.mp4").read_bytes()
    status, headers, data = raw(server, "GET", "/runs/run/files/landing.mp4", headers={"Range": header})
    if status == 416:
        assert headers["content-range"] == f"bytes */{len(film)}"
    else:
        assert status == 200 and data == film


@pytest.mark.parametrize("length", ["\xb2", "1\xb9", "9" * 5000, "-1", "+5"])
def test_odd_content_lengths_are_refused_not_a_500(server, length):
    try:
        status, headers, data = raw(server, "POST", "/api/runs/run/requests", body=b"{}",
                                    headers={"Content-Type": "application/json", "Content-Length": length}, length=False)  # fmt: skip
    except ConnectionResetError:
        # The server answered 400 and closed without reading the body we had already sent; the
        # kernel then resets the connection and may drop the 400 before we read it. Refused, not a 500.
        return
    assert status in (400, 411, 413), data


# ---- live: bounded, and a 404 before any stream -----------------------------------------------

def get_no_stream(server, target: str):
    """(status, headers, body) of a GET, without reading a text/event-stream body (it may be endless)."""
    with httpx.stream("GET", server.url + target, timeout=60.0) as r:
        headers = {k.lower(): v for k, v in r.headers.items()}
        data = b"" if headers.get("content-type", "").startswith("text/event-stream") else r.read()
        return r.status_code, headers, data


@pytest.mark.parametrize("query, words", [
    ("speed=1e-300", "speed"), ("speed=0.5", "speed"), ("speed=1e9", "speed"),
    ("speed=1&start_s=-86400", "3600 s"), ("speed=1&start_s=-86400&tick_s=0.05", "raise speed"),
])  # fmt: skip
def test_live_refuses_absurd_speeds_and_endless_streams(server, query, words):
    status, headers, data = get_no_stream(server, f"/api/runs/run/live?{query}")
    err = assert_error_shape(status, headers, data, 422)
    assert words in err["detail"]


def test_live_of_an_unknown_run_is_a_404_not_a_stream(server):
    status, headers, data = get_no_stream(server, "/api/runs/nope/live?speed=1000")
    assert_error_shape(status, headers, data, 404)


def test_live_of_a_run_without_telemetry_is_a_404_not_a_stream(run_copy):
    (run_copy / "link" / "telemetry.jsonl").unlink()
    with LiveServer(create_app([run_copy])) as s:
        status, headers, data = get_no_stream(s, "/api/runs/run/live?speed=1000")
        err = assert_error_shape(status, headers, data, 404)
        assert "edlcam relay" in err["detail"]


# ---- corrupt stage outputs: the documented error, not a generic 500 ---------------------------

def _events_with_text_time(run):
    doc = json.loads((run / "flight" / "events.json").read_text())
    doc["events"][2]["t_s"] = "about four minutes"
    (run / "flight" / "events.json").write_text(json.dumps(doc))


def _telemetry_edit(field, value):
    def edit(run):
        path = run / "link" / "telemetry.jsonl"
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        for r in rows:
            if r["kind"] == "tone" or field == "ert_offset_s":
                r[field] = value
                break
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))

    return edit


@pytest.mark.parametrize("corrupt, targets, words", [
    (_events_with_text_time, ["/api/runs/run/events"], "events.json"),
    (_telemetry_edit("ert", "yesterday"), ["/api/runs/run/telemetry", "/api/runs/run/live?speed=1000"], "ISO 8601"),
    (_telemetry_edit("ert", 12), ["/api/runs/run/telemetry"], "ISO 8601"),
    (_telemetry_edit("scet", "2021-02-18T99:00:00Z"), ["/api/runs/run/telemetry"], "ISO 8601"),
    (_telemetry_edit("ert", "1021-02-18T20:55:00Z"), ["/api/runs/run/telemetry"], "light time"),
    (_telemetry_edit("ert_offset_s", "soon"), ["/api/runs/run/telemetry", "/api/runs/run/live?speed=1000"], "ert_offset_s"),
    (_telemetry_edit("ert_offset_s", 1e300), ["/api/runs/run/telemetry"], "ert_offset_s"),
])  # fmt: skip
def test_corrupt_stage_outputs_are_the_documented_corrupt_run_error(run_copy, corrupt, targets, words):
    corrupt(run_copy)
    with LiveServer(create_app([run_copy])) as s:
        for target in targets:
            status, headers, data = get_no_stream(s, target)
            err = assert_error_shape(status, headers, data, 500)
            assert err["detail"].startswith("corrupt run folder: ") and words in err["detail"], err


def test_nan_in_telemetry_is_served_as_null(run_copy):
    path = run_copy / "link" / "telemetry.jsonl"
    lines = path.read_text().splitlines()
    row = json.loads(lines[-1])
    row["nan_field"] = float("nan")  # json.dumps writes NaN, which JSON (RFC 8259) does not allow
    lines[-1] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    with LiveServer(create_app([run_copy])) as s:
        info = httpx.get(f"{s.url}/api/runs/run/telemetry").json()
        assert info["records"][-1]["nan_field"] is None


# ---- HEAD on every GET route ------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/", "/api/runs", "/api/runs/run", "/api/runs/run/trajectory?max_points=50", "/api/runs/run/events",
                                    "/api/runs/run/requests", "/openapi.json", "/static/app.js", "/runs/run/files/report.html",
                                    "/api/runs/nope"])  # fmt: skip
def test_head_answers_as_get_without_a_body(server, target):
    g_status, g_headers, g_data = raw(server, "GET", target)
    h_status, h_headers, h_data = raw(server, "HEAD", target)
    assert h_status == g_status and h_data == b""
    assert h_headers["content-type"] == g_headers["content-type"]
    assert h_headers.get("content-length") == g_headers.get("content-length") == str(len(g_data))


def test_head_on_the_live_stream_ends_with_the_headers(server):
    # The replay at speed 1 lasts 18 min; raw() reads to the end of the body (10 s socket timeout),
    # so this returns only if HEAD ends the stream after its headers.
    status, headers, data = raw(server, "HEAD", "/api/runs/run/live?speed=1")
    assert status == 200 and headers["content-type"].startswith("text/event-stream") and data == b""
