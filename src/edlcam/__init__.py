"""edlcam: record, relay and replay a planetary landing.

Stages, in the order data flows through a run folder: ``flight`` → ``cameras`` → ``onboard`` →
``link`` → ``ground``. Each stage is a library call with a thin CLI command on top (``edlcam``).
"""

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

__all__ = [
    "__version__",
    "EdlcamError",
    "FlightError",
    "LinkError",
    "MissionError",
    "RenderError",
    "RunFolderError",
    "StoreCorruptError",
    "StoreError",
]
