"""The viewer over real HTTP: byte ranges byte for byte, the JSON API against the run folder."""

from __future__ import annotations

import json
import math

import httpx
import pyarrow.parquet as pq
import pytest
from webrun import EVENTS, LANDING_DURATION_S, LANDING_T0_S, RDC_T0_S, make_film

from edlcam.ground.web import runfolder


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60.0) as c:
        yield c


@pytest.fixture(scope="module")
def film(web_run) -> bytes:
    return (web_run / "ground" / "landing.mp4").read_bytes()


FILM = "/runs/run/files/landing.mp4"


def test_whole_film_is_served_with_accept_ranges(client, film):
    r = client.get(FILM)
    assert r.status_code == 200
    assert r.headers["content-type"] == "video/mp4"
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["content-length"] == str(len(film))
    assert r.content == film


@pytest.mark.parametrize(
    "header, first, last",
    [("bytes=0-0", 0, 0), ("bytes=0-1023", 0, 1023), ("bytes=1000-", 1000, None), ("bytes=-777", None, None), ("bytes=5000-999999999", 5000, None)],
)
def test_range_is_206_with_exact_bytes_and_headers(client, film, header, first, last):
    size = len(film)
    if first is None:  # suffix: the final 777 bytes
        first, last = size - 777, size - 1
    if last is None:
        last = size - 1
    r = client.get(FILM, headers={"Range": header})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes {first}-{last}/{size}"
    assert r.headers["content-length"] == str(last - first + 1)
    assert r.content == film[first : last + 1]


def test_unsatisfiable_range_is_416_with_the_size(client, film):
    r = client.get(FILM, headers={"Range": f"bytes={len(film)}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(film)}"
    err = r.json()["error"]
    assert err["status"] == 416 and str(len(film)) in err["detail"]


@pytest.mark.parametrize("header", ["items=0-5", "bytes=abc", "bytes=9-3", "bytes=0-5,10-15"])
def test_ignored_ranges_send_the_whole_film(client, film, header):
    r = client.get(FILM, headers={"Range": header})
    assert r.status_code == 200 and r.content == film and "content-range" not in r.headers


def test_if_range_and_if_none_match(client, film):
    etag = client.head(FILM).headers["etag"]
    assert client.get(FILM, headers={"Range": "bytes=0-9", "If-Range": etag}).status_code == 206
    stale = client.get(FILM, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == film  # RFC 9110 §13.1.5: changed → all of it
    r = client.get(FILM, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b""


def test_head_sends_headers_only(client, film):
    r = client.head(FILM, headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.headers["content-length"] == "10" and r.content == b""


def test_page_and_plotly_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # no CDN: every script and stylesheet the page loads is on this server
    assert "http" not in page.text.split("<body>")[0].replace('href="/openapi.json"', "")
    js = client.get("/static/vendor/plotly.min.js")
    assert js.status_code == 200 and js.content.startswith(b"/**") and b"plotly.js" in js.content[:400]
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_runs_and_trajectory_match_the_parquet(client, web_run):
    runs = client.get("/api/runs").json()
    assert [r["id"] for r in runs] == ["run"]
    assert runs[0]["flight"] and runs[0]["telemetry"] and runs[0]["films"] == 2
    assert runs[0]["report_url"] == "/runs/run/files/report.html"
    table = pq.read_table(web_run / "flight" / "trajectory.parquet").to_pydict()
    traj = client.get("/api/runs/run/trajectory", params={"max_points": 100}).json()
    assert traj["rows"] == len(table["t_s"])
    assert len(traj["t_s"]) == 100
    for col in runfolder.TRAJECTORY_COLUMNS:  # thinning keeps the first and the last row exactly
        assert traj[col][0] == table[col][0] and traj[col][-1] == table[col][-1]
    assert traj["phase"][0] == "entry" and traj["phase"][-1] == "landed"


def test_events_in_flight_order_with_labels(client):
    events = client.get("/api/runs/run/events").json()
    assert [(e["name"], e["t_s"]) for e in events] == EVENTS
    assert events[3]["label"] == "Parachute deploy"


def test_videos_with_their_start_times(client):
    videos = {v["name"]: v for v in client.get("/api/runs/run/videos").json()}
    assert list(videos) == ["landing", "rdc"]  # the composite first
    landing = videos["landing"]
    assert (landing["t_start_s"], landing["t_start_source"]) == (LANDING_T0_S, "catalog")
    assert landing["duration_s"] == pytest.approx(LANDING_DURATION_S, abs=0.1)  # one frame at 10 fps
    assert (landing["video_codec"], landing["audio_codec"]) == ("h264", "aac")
    assert (videos["rdc"]["t_start_s"], videos["rdc"]["t_start_source"]) == (RDC_T0_S, "products")


def test_film_start_from_the_mp4_metadata_tag(run_copy):
    make_film(run_copy / "ground" / "puc_a.mp4", seconds=1.0, hue=90, audio=False, t_start_tag=239.5)
    run = runfolder.run_id_for([run_copy])[0]
    v = {x["name"]: x for x in runfolder.list_videos(run)}["puc_a"]
    assert (v["t_start_s"], v["t_start_source"]) == (239.5, "metadata")


def test_film_start_from_the_ground_assembly_json(run_copy):
    # edlcam.ground.assemble writes ground/assembly.json with the composite's span
    (run_copy / "ground" / "assembly.json").write_text(json.dumps({"film": {"path": "landing.mp4", "t_start_s": 239.0}}))
    run = runfolder.run_id_for([run_copy])[0]
    v = {x["name"]: x for x in runfolder.list_videos(run)}["landing"]
    assert (v["t_start_s"], v["t_start_source"]) == (239.0, "assembly")


def test_thumbnails_only_the_received_ones(client, web_run):
    page = client.get("/api/runs/run/thumbnails", params={"camera": "rdc", "limit": 500}).json()
    assert page["total"] == 10  # 12 made onboard, 10 received
    assert [t["t_s"] for t in page["items"]] == [RDC_T0_S + 2.0 * i for i in range(10)]
    first = client.get(page["items"][0]["url"])
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    assert first.content == (web_run / "ground" / "received" / "rdc" / "thumb" / "000000.jpg").read_bytes()
    thin = client.get("/api/runs/run/thumbnails", params={"camera": "rdc", "limit": 4}).json()
    assert thin["total"] == 10 and len(thin["items"]) == 4
    window = client.get("/api/runs/run/thumbnails", params={"t_start_s": 240.0, "t_end_s": 264.0}).json()
    assert {t["camera"] for t in window["items"]} == {"puc_a", "rdc"} and window["total"] == 5


def test_request_is_pending_until_a_relay_brings_it(writable_server):
    run = writable_server.run
    with httpx.Client(base_url=writable_server.url) as c:
        made = c.post("/api/runs/run/requests", json={"camera": "rdc", "t_start_s": 275.0, "t_end_s": 280.0})
        assert made.status_code == 201
        body = made.json()
        assert (body["status"], body["quality"], body["products"], body["received"]) == ("pending", "full", 1, 0)
        line = json.loads((run / "link" / "requests.jsonl").read_text().splitlines()[-1])
        assert (line["camera"], line["t_start_s"], line["t_end_s"]) == ("rdc", 275.0, 280.0)
        # A later relay brings rdc-video-000001 (E+ 272–282): the same request is now delivered.
        summary = json.loads((run / "link" / "summary.json").read_text())
        summary["received_ids"].append("rdc-video-000001")
        src = run / "onboard" / "products" / "rdc" / "video" / "000001.mp4"
        (run / "ground" / "received" / "rdc" / "video").mkdir(parents=True, exist_ok=True)
        (run / "ground" / "received" / "rdc" / "video" / "000001.mp4").write_bytes(src.read_bytes())
        (run / "link" / "summary.json").write_text(json.dumps(summary))
        rows = {r["id"]: r for r in c.get("/api/runs/run/requests").json()}
        assert rows[body["id"]]["status"] == "delivered" and rows[body["id"]]["received"] == 1


def test_openapi_documents_every_endpoint_and_the_error_shape(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in ("/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/trajectory", "/api/runs/{run_id}/events",
              "/api/runs/{run_id}/videos", "/api/runs/{run_id}/thumbnails", "/api/runs/{run_id}/requests",
              "/api/runs/{run_id}/telemetry", "/api/runs/{run_id}/live", "/runs/{run_id}/files/{path}"):  # fmt: skip
        assert p in paths, p
    assert set(paths["/api/runs/{run_id}/requests"]) == {"get", "post"}
    assert all(set(ops) <= {"get", "head", "post"} for ops in paths.values())
    err = paths["/api/runs/{run_id}/requests"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert err == {"$ref": "#/components/schemas/ErrorResponse"}
    assert "/docs" not in paths and client.get("/docs").status_code == 404  # Swagger UI would load from a CDN
    # issue 20: every status and media type the server sends is declared (schemathesis checks them)
    post = paths["/api/runs/{run_id}/requests"]["post"]["responses"]
    assert {"201", "400", "404", "409", "411", "413", "415", "422", "500"} <= set(post)
    files = paths["/runs/{run_id}/files/{path}"]["get"]["responses"]
    assert {"video/mp4", "text/html", "image/jpeg", "application/octet-stream"} <= set(files["200"]["content"])
    assert set(files["206"]["content"]) == set(files["200"]["content"])
    live = paths["/api/runs/{run_id}/live"]["get"]["responses"]
    assert set(live["200"]["content"]) == {"text/event-stream"}
    assert all(set(live[code]["content"]) == {"application/json"} for code in ("404", "422", "500"))


def test_telemetry_light_time_matches_nasa(client):
    info = client.get("/api/runs/run/telemetry").json()
    # REFERENCE.md: one-way light time at landing 11 min 22 s = 682 s (NASA); ±2 s over 7 minutes of EDL
    assert info["light_time_s"] == pytest.approx(682.0, abs=2.0)
    # REFERENCE.md: Earth-received entry ≈ 20:48 UTC
    assert info["entry_ert_utc"].startswith("2021-02-18T20:48:0")
    assert info["start_s"] == pytest.approx(-info["light_time_s"])
    assert all(math.isfinite(r["ert_offset_s"]) for r in info["records"])
