"""3-D models of the Mars 2020 EDL hardware, as triangle meshes for the renderer.

Each body is built in its own frame (docs/run-folder.md "Body frames"): ``heatshield_mesh`` and
``backshell_mesh`` in the aeroshell frame, ``parachute_mesh`` in the parachute frame,
``descent_stage_mesh`` and ``plume_meshes`` in the descent-stage frame, ``rover_mesh`` in the rover
frame; ``bridles_mesh`` in whatever frame its end points are given. Pure numpy, deterministic;
the static bodies are cached (meshes are immutable).
"""

from edlcam.cameras.models.aeroshell import backshell_mesh, heatshield_mesh
from edlcam.cameras.models.descent_stage import (
    BRIDLE_TOP_POINTS_M,
    bridles_mesh,
    descent_stage_mesh,
    engine_exhaust_directions,
    engine_exit_points_m,
    plume_meshes,
)
from edlcam.cameras.models.mesh import Mesh
from edlcam.cameras.models.parachute import parachute_gore_bits, parachute_mesh
from edlcam.cameras.models.preview import preview_png
from edlcam.cameras.models.rover import BRIDLE_BOTTOM_POINTS_M, rover_mesh

__all__ = [
    "Mesh",
    "heatshield_mesh",
    "backshell_mesh",
    "parachute_mesh",
    "parachute_gore_bits",
    "descent_stage_mesh",
    "plume_meshes",
    "engine_exit_points_m",
    "engine_exhaust_directions",
    "rover_mesh",
    "bridles_mesh",
    "BRIDLE_TOP_POINTS_M",
    "BRIDLE_BOTTOM_POINTS_M",
    "preview_png",
]
