"""Every file a run folder holds: its path pattern, the command that writes it, the stages that read it.

:data:`LAYOUT` is the index of docs/run-folder.md (a test checks that the two agree, and that every
file a demo run writes matches a pattern here). Patterns are globs relative to ``RUN``; ``**``
stands for any depth.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RunFile", "LAYOUT", "describe"]


@dataclass(frozen=True)
class RunFile:
    """One file (or family of files) of a run folder."""

    pattern: str  # glob relative to RUN
    writer: str  # the command that writes it
    readers: tuple[str, ...]  # who reads it (stages, commands, people)
    what: str


LAYOUT: tuple[RunFile, ...] = (
    RunFile("mission.toml", "simulate", ("every stage",), "the resolved mission: every value used"),
    RunFile("flight/trajectory.parquet", "simulate, lvs", ("cameras", "microphone", "lvs", "relay (telemetry)", "assemble", "report", "view"),
            "the guided vehicle, one row per output step"),
    RunFile("flight/bodies.parquet", "simulate, lvs", ("cameras", "microphone"), "every body's pose"),
    RunFile("flight/events.json", "simulate, lvs",
            ("cameras", "microphone", "lvs", "film (schedule)", "relay", "assemble", "report", "view"), "the EDL events"),
    RunFile("flight/*.png", "simulate, lvs", ("report",), "plots: timeline.png, ground_track.png"),
    RunFile("flight/provenance.json", "simulate, lvs", ("lvs", "film", "relay", "assemble", "report"),
            "the mission's SHA-256 and the flight files' (input check)"),
    RunFile("lvs/map.npz", "lvs", ("lvs",), "the onboard map"),
    RunFile("lvs/hazard.npz", "lvs", ("lvs",), "the safe-targets map"),
    RunFile("lvs/images.parquet", "lvs", ("assemble (LVS overlay)",), "one row per LVS image"),
    RunFile("lvs/landmarks.parquet", "lvs", ("assemble (LVS overlay)",), "one row per matched landmark"),
    RunFile("lvs/target.parquet", "lvs", ("assemble (LVS overlay)",), "where the selected target appears in the LCAM's image"),
    RunFile("lvs/summary.json", "lvs", ("assemble (LVS overlay)", "report"), "what the spacecraft believed, and the truth"),
    RunFile("lvs/*.png", "lvs", ("people",), "plots: error.png, map.png"),
    RunFile("lvs/provenance.json", "lvs", ("assemble", "report"), "the flight it re-flew (input check)"),
    RunFile("onboard/store/*/seg-*.edls", "film", ("film (products)", "store verify/export"), "a DSU's crash-safe store segments"),
    RunFile("onboard/store/*/checkpoint-*.edlc", "film", ("film (products)", "store verify/export"), "a DSU's two checkpoint copies"),
    RunFile("onboard/products/manifest.json", "film", ("relay", "assemble", "view"),
            "every downlink product, and the rate each source recorded at"),
    RunFile("onboard/products/*/thumb/*.jpg", "film", ("relay",), "1/8-size JPEG of every frame"),
    RunFile("onboard/products/*/browse/*.jpg", "film", ("relay",), "half-size JPEGs"),
    RunFile("onboard/products/*/video/*.mp4", "film", ("relay",), "H.264 segments"),
    RunFile("onboard/products/*/lossless/*.png", "film", ("relay",), "every frame, the sensor's pixels"),
    RunFile("onboard/products/microphone/audio/*.flac", "film", ("relay",), "the microphone, 24-bit FLAC"),
    RunFile("onboard/report.json", "film", ("store verify", "people"), "schedule, store contents, drops, umbilical, products"),
    RunFile("onboard/provenance.json", "film", ("relay", "assemble", "report"), "the flight it was filmed from (input check)"),
    RunFile("link/log.jsonl", "relay", ("assemble (catalog)",), "passes, deliveries, CFDP transaction steps"),
    RunFile("link/summary.json", "relay", ("assemble (catalog)", "relay (requests)", "view"), "what came home"),
    RunFile("link/requests.jsonl", "view, demo", ("relay", "assemble (catalog)", "view"), "ground requests"),
    RunFile("link/telemetry.jsonl", "relay, live", ("live", "view"), "live EDL telemetry as received on Earth"),
    RunFile("link/provenance.json", "relay", ("assemble", "report"),
            "the flight and recording relayed, for link/ and ground/received/ (input check)"),
    RunFile("ground/received/**", "relay", ("assemble", "view"), "each delivered product under its manifest path"),
    RunFile("ground/catalog.sqlite", "assemble", ("assemble", "report", "view"), "the catalog"),
    RunFile("ground/catalog.sqlite-*", "assemble", ("assemble", "report", "view"), "SQLite's WAL and shared-memory files"),
    RunFile("ground/*.mp4", "assemble", ("report", "view"), "landing.mp4 (the film) and one MP4 per camera"),
    RunFile("ground/assembly.json", "assemble", ("report", "view"), "what assemble made"),
    RunFile("ground/report.html", "report", ("view", "people"), "the self-contained report"),
    RunFile("ground/provenance.json", "assemble", ("report",), "what came home and was assembled (input check)"),
    RunFile(".staging/**", "every stage", ("every stage (recovery)",),
            "the output of the stage running now, and a swap's journal; empty between stages"),
)


def _match(rel: str, pattern: str) -> bool:
    if pattern.endswith("/**"):
        return rel.startswith(pattern[:-2])
    return fnmatch.fnmatchcase(rel, pattern) and rel.count("/") == pattern.count("/")


def describe(run: str | Path, path: str | Path) -> RunFile | None:
    """The :data:`LAYOUT` entry of ``path`` (a file of the run folder ``run``), None if it has none."""
    rel = Path(path).resolve().relative_to(Path(run).resolve()).as_posix()
    return next((f for f in LAYOUT if _match(rel, f.pattern)), None)
