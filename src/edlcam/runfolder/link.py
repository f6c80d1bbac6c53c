"""The link stage's files: ``link/log.jsonl``, ``link/summary.json``, ``link/telemetry.jsonl``, ``ground/received/``.

``edlcam relay`` writes them (the log, the summary and each verified product under its manifest
path in ``ground/received/``); the ground stage and the viewer read them.
"""

from __future__ import annotations

from pathlib import Path

from edlcam.runfolder.files import LINK_LOG, LINK_SUMMARY, LINK_TELEMETRY, RECEIVED_DIR, corrupt, read_json, read_jsonl

__all__ = ["read_link", "read_telemetry", "received_path"]


def read_link(run: str | Path) -> tuple[list[dict], dict]:
    """(RUN/link/log.jsonl lines, RUN/link/summary.json) of the last relay run."""
    run = Path(run)
    return read_jsonl(run, run / LINK_LOG), read_json(run, run / LINK_SUMMARY)


def read_telemetry(run: str | Path) -> list[dict]:
    """The EDL telemetry records the ground received (RUN/link/telemetry.jsonl), in Earth-received order."""
    run = Path(run)
    path = run / LINK_TELEMETRY
    records = read_jsonl(run, path, allow_torn_tail=False)
    try:
        return sorted(records, key=lambda r: r["ert_offset_s"])
    except (KeyError, TypeError):  # what each record holds is the reader's to check (edlcam live, the viewer)
        raise corrupt(run, path, "a record is not an object with a number 'ert_offset_s'") from None


def received_path(run: str | Path, product_path: str) -> Path:
    """Where a product delivered home lies: RUN/ground/received/<its manifest path>."""
    return Path(run) / RECEIVED_DIR / product_path
