"""Full-quality requests: bounded, indexed, crash-safe in link/requests.jsonl, checked before saving.

Each test serves its own copy of the synthetic run (the journal is written), through the real
HTTP server.
"""

from __future__ import annotations

import json
import random
import threading

import httpx
import pytest
from webrun import LiveServer

from edlcam.ground.web import api, create_app
from edlcam.link.planner import Product, Request, products_for_request, read_requests, request_products, request_status

ASK = {"camera": "rdc", "t_start_s": 275.0, "t_end_s": 280.0}


@pytest.fixture
def served(run_copy):
    # The session's run may hold requests another test made (the browser tests ask for frames).
    (run_copy / "link" / "requests.jsonl").unlink(missing_ok=True)
    with LiveServer(create_app([run_copy])) as s, httpx.Client(base_url=s.url, timeout=30.0) as c:
        c.run = run_copy
        c.journal = run_copy / "link" / "requests.jsonl"
        yield c


def _post(c, **over):
    return c.post("/api/runs/run/requests", json={**ASK, **over})


def test_pending_requests_are_bounded_with_a_409(served, monkeypatch):
    monkeypatch.setattr(api, "MAX_PENDING_REQUESTS", 3)
    assert [_post(served).status_code for _ in range(3)] == [201, 201, 201]
    refused = _post(served)
    assert refused.status_code == 409
    err = refused.json()["error"]
    assert "3 requests pending" in err["detail"] and "edlcam relay" in err["detail"]
    assert len(served.journal.read_text().splitlines()) == 3  # the refused one was not saved
    assert len(served.get("/api/runs/run/requests").json()) == 3


@pytest.mark.parametrize("damaged", [0, 1, 2])
def test_a_damaged_line_never_makes_a_post_reuse_an_id(served, damaged):
    made = [_post(served, t_start_s=270.0 + i, t_end_s=271.0 + i).json() for i in range(3)]
    assert [m["id"] for m in made] == [1, 2, 3]
    lines = served.journal.read_bytes().split(b"\n")
    lines[damaged] = lines[damaged][:17] + b"\xff\x00garbage"  # a flipped, half-overwritten line
    served.journal.write_bytes(b"\n".join(lines))
    new = _post(served, t_start_s=281.5, t_end_s=282.5)
    assert new.status_code == 201
    body = new.json()
    # Before the fix the id was "requests read + 1" = 3, and the answer was request 3's data.
    assert body["id"] == 4
    assert (body["camera"], body["t_start_s"], body["t_end_s"]) == ("rdc", 281.5, 282.5)
    listed = {r["id"]: r for r in served.get("/api/runs/run/requests").json()}
    assert sorted(listed) == sorted({1, 2, 3, 4} - {damaged + 1})
    assert listed[4]["t_start_s"] == 281.5


def test_a_torn_last_line_does_not_swallow_the_next_request(served):
    _post(served)
    with open(served.journal, "ab") as f:  # a crash in the middle of writing request 2
        f.write(b'{"id": 2, "camera": "rd')
    body = _post(served, t_start_s=262.0, t_end_s=263.0).json()
    assert body["id"] == 3  # the torn line keeps its place
    assert [r.id for r in read_requests(served.run)] == [1, 3]
    assert served.journal.read_bytes().endswith(b"\n")


@pytest.mark.parametrize(
    "corrupt, words",
    [
        (lambda run: (run / "link" / "summary.json").write_text("[1, 2]"), "AttributeError"),
        (lambda run: (run / "onboard" / "products" / "manifest.json").write_text(
            json.dumps({"products": [{"id": "x", "kind": "video", "camera": "rdc", "path": "a", "size_bytes": 1,
                                      "sha256": "", "priority": 1, "t_start_s": "soon", "t_end_s": 1}]})), "ValueError"),  # fmt: skip
        (lambda run: (run / "onboard" / "products" / "manifest.json").write_text("{"), "manifest.json"),
    ],
)
def test_a_corrupt_run_folder_is_the_documented_error_and_nothing_is_saved(served, corrupt, words):
    _post(served)
    before = served.journal.read_bytes()
    corrupt(served.run)
    r = _post(served)
    assert r.status_code == 500
    err = r.json()["error"]
    assert err["detail"].startswith("corrupt run folder: ") and words in err["detail"], err
    assert served.journal.read_bytes() == before


def test_concurrent_posts_get_distinct_ids(served):
    ids, lock = [], threading.Lock()

    def ask(i):
        r = _post(served, t_start_s=262.0 + i, t_end_s=263.0 + i)
        assert r.status_code == 201
        with lock:
            ids.append(r.json()["id"])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ids) == list(range(1, 17))
    assert sorted(r.id for r in read_requests(served.run)) == list(range(1, 17))


def test_journal_ids_are_unique_across_writers(tmp_path):
    # request_products itself (the CLI and the demo call it too) locks the journal: two threads,
    # each with its own file descriptor, never read the same count.
    (tmp_path / "link").mkdir()
    threads = [threading.Thread(target=request_products, args=(tmp_path, "rdc", 1.0 * i, 2.0 * i)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.id for r in read_requests(tmp_path)) == list(range(1, 21))


def test_indexed_status_equals_the_plain_scan(tmp_path):
    """The bisection index finds exactly the products a scan of every product finds."""
    rng = random.Random(20)
    products = []
    for i in range(400):
        cam, kind = rng.choice(["rdc", "puc_a", "ddc"]), rng.choice(["video", "audio", "thumbnail", "browse", "lossless"])
        t0 = rng.uniform(0.0, 400.0)
        products.append(Product(f"p{i}", kind, cam, f"{cam}/{i}.bin", 10, "", 50, t0, t0 + rng.choice([0.0, 0.5, 10.0, 120.0])))
    manifest = {"products": [p.__dict__ for p in products]}
    (tmp_path / "onboard" / "products").mkdir(parents=True)
    (tmp_path / "onboard" / "products" / "manifest.json").write_text(json.dumps(manifest))
    requests = []
    for i in range(300):
        a = rng.uniform(-10.0, 410.0)
        b = a + rng.choice([0.0, 0.1, 5.0, 60.0, 500.0])
        requests.append(Request(i + 1, rng.choice(["rdc", "puc_a", "ddc", "lcam"]), a, b, rng.choice(["full", "thumbnail", "lossless"]), 0.0))
    statuses = request_status(tmp_path, requests)
    assert [s["products"] for s in statuses] == [len(products_for_request(products, r)) for r in requests]
    assert sum(s["products"] for s in statuses) > 100  # the case exercises coverage, not only misses


def test_the_answer_is_the_request_made_even_after_a_relay_delivered_its_span(served):
    # A relay delivered rdc-video-000000 (E+262–272): a new request over it is delivered at once.
    body = _post(served, t_start_s=262.0, t_end_s=265.0).json()
    assert (body["status"], body["products"], body["received"]) == ("delivered", 1, 1)
    assert body == next(r for r in served.get("/api/runs/run/requests").json() if r["id"] == body["id"])
