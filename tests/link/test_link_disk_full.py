"""A full disk during `edlcam relay`: one line, what had arrived, no partial transfers left."""

from __future__ import annotations

import errno
import os
import re

from edlcam.cli import main


def test_a_full_disk_stops_the_relay_with_one_line_and_removes_the_staging(product_run, tmp_path, monkeypatch, capsys):
    # Issue 20 item 9: on a full disk `relay` left 7.4 MB of staging files behind. ENOSPC is
    # injected at the ground's 8th file write (not by filling a real disk), with passes of 8 kB so
    # that it comes a few passes in, after some products have arrived.
    import edlcam.link.receiver as receiver

    mission = tmp_path / "slow.toml"
    mission.write_text('extends = "mars2020"\n[[link.passes]]\norbiter = "MRO"\nstart_s = 100.0\nduration_s = 1.0\nrate_bps = 64000.0\n')
    writes = []
    real_write = receiver.write_segment

    def write_segment(path, data, offset):  # every file segment the ground's CFDP entity writes
        writes.append(path)
        if len(writes) >= 8:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_write(path, data, offset)

    monkeypatch.setattr(receiver, "write_segment", write_segment)
    assert main(["relay", str(product_run), "--days", "10", "--mission", str(mission)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "internal error" not in err, err
    assert "disk full (No space left on device) — relay stopped in pass " in err, err
    # the thumbnails before the 8th write had arrived (each is one write), and the message says so
    assert re.search(r"after [1-7] products \(\d+\.\d kB\) had arrived verified", err), err
    assert "partial transfers in" in err and "were removed" in err
    assert not [f for f in product_run.rglob("*.part")]  # no partial transfer is left behind
