"""Fixtures of the viewer tests: a synthetic run folder and the viewer served on loopback.

The server is real (uvicorn on 127.0.0.1, in a thread of the test process), so the tests see
exactly what a browser sees: raw request paths, Host headers, byte ranges, streaming.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from webrun import make_run

from webrun import CHROMIUM  # noqa: E402


class LiveServer:
    """The viewer app under uvicorn in a background thread; ``url`` is its base URL."""

    def __init__(self, app) -> None:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="off", access_log=False, timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self._sock = sock
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10.0
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the viewer did not start within 10 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10.0)
        self._sock.close()


@pytest.fixture(scope="session")
def web_run(tmp_path_factory) -> Path:
    """The synthetic run folder (read-only for tests: copy it before changing anything)."""
    return make_run(tmp_path_factory.mktemp("web") / "run")


@pytest.fixture
def run_copy(web_run, tmp_path) -> Path:
    """A private copy of the synthetic run, for tests that write (requests, relays)."""
    dest = tmp_path / "run"
    shutil.copytree(web_run, dest, symlinks=True)
    return dest


@pytest.fixture(scope="session")
def server(web_run):
    """The viewer serving the synthetic run on 127.0.0.1 (loopback only, as by default)."""
    from edlcam.ground.web import create_app

    with LiveServer(create_app([web_run])) as s:
        yield s


@pytest.fixture(scope="session")
def writable_server(tmp_path_factory):
    """The viewer serving its own run copy, for tests that POST requests."""
    from edlcam.ground.web import create_app

    run = make_run(tmp_path_factory.mktemp("web-w") / "run")
    with LiveServer(create_app([run])) as s:
        s.run = run
        yield s
