"""The cameras stage: camera models, the scene, the renderer, and the frames of a run.

``frames(run_dir, camera)`` yields :class:`Frame` objects for the onboard stage; ``edlcam render``
and ``edlcam contact-sheet`` look at single moments. OpenGL is imported only when rendering.
Names are imported on first use, so that ``edlcam`` starts without loading this stage.
"""

from __future__ import annotations

import importlib

__all__ = ["Camera", "ExposureState", "FilmRun", "Frame", "camera_window", "frames", "open_run"]

_HOME = {
    "Camera": "camera", "ExposureState": "camera",
    "FilmRun": "frames", "Frame": "frames", "camera_window": "frames", "frames": "frames", "open_run": "frames",
}


def __getattr__(name: str):
    # ``frames`` is both a submodule and its function: import the function from the submodule
    # (``from edlcam.cameras.frames import frames``) where it matters.
    if name in _HOME:
        value = getattr(importlib.import_module(f"edlcam.cameras.{_HOME[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'edlcam.cameras' has no attribute {name!r}")
