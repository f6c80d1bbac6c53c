"""The run folder, the contract between the stages: every file's path, typed reader and writer.

Each stage reads what the stages before it wrote and adds its own sub-folder
(docs/run-folder.md). This package is the one place that opens those files by name; stages call
its readers and writers and never build a run-folder path themselves. Every reader raises
:class:`~edlcam.errors.RunFolderError` with one line naming the file, what is wrong and the
command that makes it.

A package rather than one module: the readers and writers of the four stages' files together
pass 600 lines, so they are split by the stage that writes them —
:mod:`~edlcam.runfolder.files` (paths, makers, errors, JSON), :mod:`~edlcam.runfolder.flight`
(events, trajectory, bodies with the project's one pose interpolation),
:mod:`~edlcam.runfolder.onboard` (the capture rates, the product manifest, the stores' folders),
:mod:`~edlcam.runfolder.link` (the relay's log and summary, the received telemetry and products).
The ground stage's own outputs (catalog, films, report) are paths in ``files``: their readers
are SQLite, PyAV and a browser. :mod:`~edlcam.runfolder.layout` indexes every file with the
command that writes it and the stages that read it.
"""

from __future__ import annotations

from edlcam.runfolder.files import (
    ASSEMBLY,
    BODIES,
    CATALOG,
    EVENTS,
    FLIGHT_DIR,
    GROUND_DIR,
    LANDING_FILM,
    LINK_DIR,
    LINK_LOG,
    LINK_REQUESTS,
    LINK_STAGING,
    LINK_SUMMARY,
    LINK_TELEMETRY,
    LVS_DIR,
    LVS_HAZARD,
    LVS_IMAGES,
    LVS_LANDMARKS,
    LVS_MAP,
    LVS_SUMMARY,
    LVS_TARGET,
    MAKERS,
    MANIFEST,
    MISSION,
    ONBOARD_DIR,
    ONBOARD_REPORT,
    PRODUCTS_DIR,
    PROVENANCE,
    RECEIVED_DIR,
    REPORT_HTML,
    STAGE_FOLDERS,
    STAGING_DIR,
    STORE_DIR,
    SWAP_JOURNAL_SUFFIX,
    TRAJECTORY,
    camera_film,
    corrupt,
    ground_outputs,
    load_run_mission,
    maker,
    provenance_path,
    read_json,
    read_jsonl,
    require,
    staging_path,
    write_json,
    write_jsonl,
    write_text,
)
from edlcam.runfolder.flight import (
    BODY_COLUMNS,
    BodyPose,
    BodyTrack,
    BodyTracks,
    Event,
    Events,
    Trajectory,
    read_bodies,
    read_events,
    read_trajectory,
    write_bodies,
    write_events,
    write_trajectory,
)
from edlcam.runfolder.layout import LAYOUT, RunFile, describe
from edlcam.runfolder.link import read_link, read_telemetry, received_path
from edlcam.runfolder.onboard import (
    PRODUCT_KINDS,
    CaptureRate,
    Manifest,
    Product,
    capture_rates,
    read_manifest,
    store_dir,
    write_manifest,
)

__all__ = [
    # paths (relative to the run folder)
    "MISSION", "FLIGHT_DIR", "TRAJECTORY", "BODIES", "EVENTS", "LVS_DIR", "LVS_MAP", "LVS_HAZARD", "LVS_IMAGES",
    "LVS_LANDMARKS", "LVS_SUMMARY", "LVS_TARGET", "ONBOARD_DIR", "STORE_DIR", "PRODUCTS_DIR",
    "MANIFEST", "ONBOARD_REPORT", "LINK_DIR", "LINK_LOG", "LINK_SUMMARY", "LINK_REQUESTS", "LINK_TELEMETRY",
    "LINK_STAGING", "GROUND_DIR", "RECEIVED_DIR", "CATALOG", "ASSEMBLY", "LANDING_FILM", "REPORT_HTML",
    # safe reruns (edlcam.staging): provenance records, the staging folder and its swap journal
    "PROVENANCE", "STAGING_DIR", "SWAP_JOURNAL_SUFFIX", "STAGE_FOLDERS", "provenance_path", "staging_path",
    "ground_outputs",
    # errors and plain files
    "MAKERS", "maker", "require", "corrupt", "read_json", "read_jsonl", "write_text", "write_json", "write_jsonl",
    "load_run_mission", "camera_film",
    # flight/
    "Event", "Events", "read_events", "write_events", "Trajectory", "read_trajectory", "write_trajectory",
    "BodyPose", "BodyTrack", "BodyTracks", "BODY_COLUMNS", "read_bodies", "write_bodies",
    # onboard/
    "CaptureRate", "capture_rates", "PRODUCT_KINDS", "Product", "Manifest", "read_manifest", "write_manifest",
    "store_dir",
    # link/ and ground/received/
    "read_link", "read_telemetry", "received_path",
    # the index of every file (docs/run-folder.md)
    "RunFile", "LAYOUT", "describe",
]  # fmt: skip
