"""The cameras stage: camera models, the scene, the renderer, and the frames of a run.

``frames(run_dir, camera)`` yields :class:`Frame` objects for the onboard stage; ``edlcam render``
and ``edlcam contact-sheet`` look at single moments. OpenGL is imported only when rendering.
"""

from edlcam.cameras.camera import Camera, ExposureState
from edlcam.cameras.frames import FilmRun, Frame, camera_window, frames, open_run

__all__ = ["Camera", "ExposureState", "FilmRun", "Frame", "camera_window", "frames", "open_run"]
