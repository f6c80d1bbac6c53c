"""Hostile requests: path traversal, other methods, malformed input, foreign hosts; and a fuzz.

Requests go out through http.client, which sends the request target exactly as written (httpx
and browsers would normalise ``..`` away before sending). While they are served, a Python audit
hook (PEP 578) records every file the process opens: a refused request must open nothing.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading

import pytest

_OPENED: list[str] = []
_RECORDING = threading.Event()


def _audit(event: str, args) -> None:
    if event == "open" and _RECORDING.is_set() and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if not path.endswith((".py", ".pyc")):  # the interpreter reading code (linecache, lazy imports) is not data
            _OPENED.append(path)


sys.addaudithook(_audit)  # process-wide and permanent (PEP 578): it records only while the flag is set


def raw(server, method: str, target: str, body: bytes | None = None, headers: dict | None = None, length: bool = True):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)  # generous: the suite runs on loaded 2-core machines
    try:
        conn.putrequest(method, target, skip_host="Host" in (headers or {}), skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None and length:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def assert_error_shape(status: int, headers: dict, data: bytes, expected: int) -> dict:
    assert status == expected, data
    assert headers["content-type"] == "application/json"
    err = json.loads(data)["error"]
    assert set(err) <= {"status", "title", "detail", "errors"} and err["status"] == expected and err["detail"]
    return err


@pytest.fixture(scope="module")
def hostile(server, web_run, tmp_path_factory):
    """Symlinks out of the run folder, and a canary file outside it."""
    outside = tmp_path_factory.mktemp("outside")
    canary = outside / "canary.txt"
    canary.write_text("CANARY")
    ground = web_run / "ground"
    os.symlink(canary, ground / "link_out.txt")
    os.symlink(outside, ground / "dir_out")
    yield canary
    (ground / "link_out.txt").unlink()
    (ground / "dir_out").unlink()


TRAVERSALS = [
    "/runs/run/files/../flight/events.json",
    "/runs/run/files/../../run/flight/events.json",
    "/runs/run/files/received/../../flight/events.json",
    "/runs/run/files/%2e%2e/flight/events.json",
    "/runs/run/files/%2E%2E%2Fflight%2Fevents.json",
    "/runs/run/files/..%2fflight%2fevents.json",
    "/runs/run/files/%252e%252e%252fflight%252fevents.json",
    "/runs/run/files/..%5cflight%5cevents.json",
    "/runs/run/files/%c0%ae%c0%ae/flight/events.json",
    "/runs/run/files//etc/passwd",
    "/runs/run/files/%2fetc%2fpasswd",
    "/runs/run/files/%2Fetc/passwd",
    "/runs/run/files/landing.mp4%00.jpg",
    "/runs/run/files/....//....//etc/passwd",
    "/runs/run/files/./landing.mp4",
    "/runs/run/files/link_out.txt",
    "/runs/run/files/dir_out/canary.txt",
    "/runs/run/files/received",
    "/runs/..%2f..%2fetc/files/passwd",
    "/runs/%2e%2e/files/run/flight/events.json",
    "/runs/run/files/C:%5cWindows%5cwin.ini",
    "/static/../app.py",
    "/static/%2e%2e/app.py",
    "/static/vendor/../../app.py",
    "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_is_404_and_opens_nothing(server, web_run, hostile, target):
    _OPENED.clear()
    _RECORDING.set()
    try:
        status, headers, data = raw(server, "GET", target)
    finally:
        _RECORDING.clear()
    assert_error_shape(status, headers, data, 404)
    assert b"CANARY" not in data and b"root:" not in data and b"events" not in data.split(b'"detail"')[0]
    assert _OPENED == [], f"{target} opened {_OPENED}"


def test_a_file_inside_is_still_served(server, web_run):
    status, _, data = raw(server, "GET", "/runs/run/files/report.html")
    assert status == 200 and data == (web_run / "ground" / "report.html").read_bytes()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "POST"])
@pytest.mark.parametrize("target", ["/", "/api/runs", "/api/runs/run", "/runs/run/files/landing.mp4", "/static/app.js", "/openapi.json"])
def test_only_get_and_the_request_endpoint(server, method, target):
    status, headers, data = raw(server, method, target, body=b"{}", headers={"Content-Type": "application/json"})
    assert_error_shape(status, headers, data, 405)
    assert headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_request_endpoint_takes_get_and_post_only(server, method):
    status, headers, data = raw(server, method, "/api/runs/run/requests", body=b"{}", headers={"Content-Type": "application/json"})
    assert_error_shape(status, headers, data, 405)
    assert headers["allow"] == "GET, HEAD, POST"


REQ = "/api/runs/run/requests"
MALFORMED = [
    # (target, body, headers, expected status, words the detail must contain)
    (REQ, b"{not json", {"Content-Type": "application/json"}, 422, "JSON"),
    (REQ, b"[]", {"Content-Type": "application/json"}, 422, "body"),
    (REQ, b'{"camera": "rdc"}', {"Content-Type": "application/json"}, 422, "t_start_s"),
    (REQ, b'{"camera": "rdc", "t_start_s": NaN, "t_end_s": 1}', {"Content-Type": "application/json"}, 422, "t_start_s"),
    (REQ, b'{"camera": "rdc", "t_start_s": 1e999, "t_end_s": 1}', {"Content-Type": "application/json"}, 422, "t_start_s"),
    (REQ, b'{"camera": "rdc", "t_start_s": 5, "t_end_s": 1}', {"Content-Type": "application/json"}, 422, "before t_start_s"),
    (REQ, b'{"camera": "../x", "t_start_s": 1, "t_end_s": 2}', {"Content-Type": "application/json"}, 422, "camera"),
    (REQ, b'{"camera": "nope", "t_start_s": 1, "t_end_s": 2}', {"Content-Type": "application/json"}, 422, "puc_a, rdc"),
    (REQ, b'{"camera": "rdc", "t_start_s": 1, "t_end_s": 2, "x": 1}', {"Content-Type": "application/json"}, 422, "x"),
    (REQ, b'{"camera": "rdc", "t_start_s": 1, "t_end_s": 2}', {"Content-Type": "text/plain"}, 415, "application/json"),
    (REQ, b'{"camera": "rdc", "t_start_s": 1, "t_end_s": 2}', {"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"),
    (REQ, b"x" * 20_000, {"Content-Type": "application/json"}, 413, "16384"),
    ("/api/runs/nope/requests", b'{"camera": "rdc", "t_start_s": 1, "t_end_s": 2}', {"Content-Type": "application/json"}, 404, "nope"),
    ("/api/runs/run/trajectory?max_points=abc", None, {}, 422, "max_points"),
    ("/api/runs/run/trajectory?max_points=99999999999999999999999", None, {}, 422, "max_points"),
    ("/api/runs/run/live?speed=0", None, {}, 422, "speed"),
    ("/api/runs/run/live?speed=nan", None, {}, 422, "speed"),
    ("/api/runs/run/thumbnails?limit=-1", None, {}, 422, "limit"),
    ("/api/runs/run/thumbnails?t_start_s=inf", None, {}, 422, "t_start_s"),
    ("/api/runs/run%20x", None, {}, 422, "run_id"),
    ("/api/runs/nope/events", None, {}, 404, "runs served: run"),
    ("/api/nothing", None, {}, 404, "/openapi.json"),
]  # fmt: skip


@pytest.mark.parametrize("target, body, headers, expected, words", MALFORMED)
def test_malformed_requests_are_4xx_with_the_json_shape(server, target, body, headers, expected, words):
    method = "POST" if body is not None else "GET"
    status, h, data = raw(server, method, target, body=body, headers=headers)
    err = assert_error_shape(status, h, data, expected)
    assert words in err["detail"], err


def test_post_without_length_is_411(server):
    chunked = b'c\r\n{"camera":1}\r\n0\r\n\r\n'
    status, h, data = raw(server, "POST", REQ, body=chunked, headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, length=False)
    assert_error_shape(status, h, data, 411)


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.nip.io:8000", "192.168.1.5", ""])
def test_foreign_host_header_is_refused(server, host):
    # A page elsewhere reaching the viewer by DNS rebinding sends its own host name.
    status, h, data = raw(server, "GET", "/api/runs", headers={"Host": host} if host else {"Host": ""})
    err = assert_error_shape(status, h, data, 421)
    assert "--allow-remote" in err["detail"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:8000", "[::1]:8000"])
def test_loopback_host_names_are_served(server, host):
    status, _, _ = raw(server, "GET", "/api/runs", headers={"Host": host})
    assert status == 200


# issue 20: "0 server errors, 0 schema mismatches": every response's status, media type, headers
# and body must be the ones /openapi.json documents for the operation.
CONFORMANCE = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
               "response_headers_conformance", "response_schema_conformance")  # fmt: skip


def _fuzz(op, base_url: str, max_examples: int, allowed: tuple[int, ...] | None = None, run_id: str | None = None,
          timeout_s: float = 10.0) -> None:  # fmt: skip
    """Run ``max_examples`` schemathesis cases of one operation; a 5xx or a schema mismatch fails (with the case).

    An event stream is read for at most ``timeout_s`` or 20 events (schemathesis' own cut).
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import checks

    conformance = [getattr(checks, name) for name in CONFORMANCE]

    @settings(max_examples=max_examples, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=True)  # fmt: skip
    @given(case=op.as_strategy())
    def fuzz(case):
        if run_id is not None:  # fuzz the body against a run that exists
            case.path_parameters = {"run_id": run_id}
        response = case.call(base_url=base_url, timeout=timeout_s)
        case.validate_response(response, checks=conformance)
        if allowed is not None:
            assert response.status_code in allowed, (case.path, case.body, response.status_code, response.text)

    fuzz()


def test_schemathesis_finds_no_server_error_or_schema_mismatch(server):
    """Property-based fuzz of every documented GET operation, the live stream included (bounded
    examples; the full run over every phase is the slow test below)."""
    import schemathesis

    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    ops = [r.ok() for r in schema.get_all_operations()]
    assert len(ops) == 11  # ten GETs and the POST
    for op in ops:
        if op.method.upper() == "POST":
            continue  # POST writes: fuzzed on its own run below
        if op.path.endswith("/live"):
            _fuzz(op, server.url, 8, timeout_s=2.0)  # a stream is cut after 2 s or 20 events
        else:
            _fuzz(op, server.url, 25)


def test_schemathesis_on_the_request_endpoint(writable_server):
    import schemathesis

    schema = schemathesis.openapi.from_url(f"{writable_server.url}/openapi.json")
    _fuzz(schema["/api/runs/{run_id}/requests"]["POST"], writable_server.url, 60,
          allowed=(201, 400, 409, 413, 415, 422), run_id="run")  # fmt: skip
    # and the endpoint still works after the fuzz
    status, _, data = raw(writable_server, "POST", REQ, body=b'{"camera": "rdc", "t_start_s": 262, "t_end_s": 263}',
                          headers={"Content-Type": "application/json"})  # fmt: skip
    assert status == 201, data


@pytest.mark.slow
def test_schemathesis_cli_every_phase_finds_nothing(run_copy, tmp_path):
    """The full run (issue 20): the schemathesis CLI over every operation and every phase
    (examples, coverage, fuzzing, stateful), on a writable run: 0 server errors, 0 mismatches."""
    import subprocess
    import sys
    from pathlib import Path

    from webrun import LiveServer

    from edlcam.ground.web import create_app

    st = Path(sys.executable).parent / "st"
    with LiveServer(create_app([run_copy])) as s:
        done = subprocess.run(
            [str(st), "run", f"{s.url}/openapi.json", "--checks", ",".join(CONFORMANCE), "--max-examples", "100",
             "--request-timeout", "5", "--workers", "1", "--seed", "20", "--continue-on-failure",
             "--phases", "examples,coverage,fuzzing,stateful"],
            capture_output=True, text=True, cwd=tmp_path, timeout=3000,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Tested: 11" in done.stdout
