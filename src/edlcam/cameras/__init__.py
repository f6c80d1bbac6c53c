"""The cameras stage: camera models, the scene, the renderer, and the frames of a run.

``edlcam.cameras.frames.frames(run_dir, camera)`` yields :class:`Frame` objects for the onboard
stage (not re-exported here, where ``frames`` is that module); ``edlcam render``
and ``edlcam contact-sheet`` look at single moments. OpenGL is imported only when rendering.
Names are imported on first use, so that ``edlcam`` starts without loading this stage.
"""

from __future__ import annotations

from edlcam.lazy import lazy_names

__all__ = ["Camera", "ExposureState", "FilmRun", "Frame", "camera_window", "open_run"]

# ``frames`` is a submodule; its function is imported from it (``from edlcam.cameras.frames import frames``).
__getattr__ = lazy_names(__name__, {
    "Camera": "camera", "ExposureState": "camera",
    "FilmRun": "frames", "Frame": "frames", "camera_window": "frames", "open_run": "frames",
})  # fmt: skip
