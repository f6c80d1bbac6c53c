"""``edlcam view``: its checks and error messages (the server itself is tested over HTTP)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from edlcam.errors import EdlcamError, RunFolderError
from edlcam.ground.web.commands import check_host, check_runs, register


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost", "LOCALHOST"])
def test_loopback_hosts_need_no_flag(host):
    assert check_host(host, allow_remote=False) is True


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.org"])
def test_a_non_local_host_needs_allow_remote(host):
    with pytest.raises(EdlcamError) as exc:
        check_host(host, allow_remote=False)
    assert str(exc.value) == (
        f"--host is {host!r}, not a loopback address: the viewer would be reachable from other machines "
        "and has no login; add --allow-remote to do that on purpose, or use --host 127.0.0.1"
    )
    assert check_host(host, allow_remote=True) is False


def test_run_folder_checks(tmp_path):
    with pytest.raises(RunFolderError, match=r"no such run folder; give a folder made by `edlcam simulate --out"):
        check_runs([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunFolderError, match=r"not a run folder \(no flight/, onboard/, link/ or ground/\)"):
        check_runs([tmp_path / "empty"])
    (tmp_path / "empty" / "flight").mkdir()
    check_runs([tmp_path / "empty"])


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("other")
    def other() -> None:  # a second command so typer keeps "view" as a sub-command
        """Unused."""

    return app


def test_view_command_refuses_a_remote_host_without_the_flag(web_run):
    result = CliRunner().invoke(_app(), ["view", str(web_run), "--host", "0.0.0.0"])
    assert result.exit_code == 1 and isinstance(result.exception, EdlcamError)
    assert "--allow-remote" in str(result.exception)


def test_view_command_help_names_the_options():
    result = CliRunner().invoke(_app(), ["view", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--allow-remote"):
        assert option in result.output
