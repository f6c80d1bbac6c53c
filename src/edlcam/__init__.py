"""edlcam: record, relay and replay a planetary landing.

Stages, in the order data flows through a run folder: ``flight`` → ``cameras`` → ``onboard`` →
``link`` → ``ground``. Each stage is one library call (:mod:`edlcam.stages`) with a thin CLI
command on top (``edlcam``):

    import edlcam
    edlcam.simulate("run")                 # RUN/mission.toml, RUN/flight/
    edlcam.film("run", quality="preview")  # RUN/onboard/
    edlcam.relay("run", days=4)            # RUN/link/, RUN/ground/received/
    edlcam.assemble("run")                 # RUN/ground/landing.mp4 and the catalog
    edlcam.report("run")                   # RUN/ground/report.html
    edlcam.demo("run")                     # all of them

The stage names are resolved on first access (PEP 562 ``__getattr__``): ``import edlcam`` loads
only the exceptions, so the command line and ``edlcam montecarlo`` start without the stages'
libraries.
"""

from __future__ import annotations

from edlcam.errors import (
    EdlcamError,
    FlightError,
    LinkError,
    MissionError,
    RenderError,
    RunFolderError,
    StoreCorruptError,
    StoreError,
)

__version__ = "0.1.0"

_STAGE_API = (
    "simulate",
    "film",
    "relay",
    "assemble",
    "report",
    "demo",
    "Progress",
    "SimulateResult",
    "FilmResult",
    "RelayResult",
    "AssembleResult",
    "ReportResult",
    "DemoResult",
)

__all__ = [
    "__version__",
    *_STAGE_API,
    "EdlcamError",
    "FlightError",
    "LinkError",
    "MissionError",
    "RenderError",
    "RunFolderError",
    "StoreCorruptError",
    "StoreError",
]


def __getattr__(name: str):
    if name in _STAGE_API:
        from edlcam import stages

        return getattr(stages, name)
    raise AttributeError(f"module 'edlcam' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_STAGE_API))
