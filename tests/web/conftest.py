"""Fixtures of the viewer tests: a synthetic run folder and the viewer served on loopback.

The server is real (uvicorn on 127.0.0.1, in a thread of the test process), so the tests see
exactly what a browser sees: raw request paths, Host headers, byte ranges, streaming.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from webrun import LiveServer, make_run


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
