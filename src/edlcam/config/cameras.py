"""Mission-file section of the cameras stage (owned by that stage; declarations only).

``[cameras]`` holds the renderer's settings and ``[cameras.views.<name>]`` one table per camera.
Defaults equal missions/mars2020.toml, where each value's source is given (Maki et al. 2020,
Space Sci. Rev. 216:137 for the EDLCAM suite; "est." elsewhere).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from edlcam.config.base import Section

__all__ = ["CameraConfig", "CamerasConfig", "DEFAULT_VIEWS"]

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Vector3 = Annotated[list[float], Field(min_length=3, max_length=3)]

MOUNT_BODIES = ("heatshield", "backshell", "parachute", "descent_stage", "rover")


class CameraConfig(Section):
    """One camera: where it sits on which body, what it sees, when it runs, how its sensor behaves."""

    mount: Literal["heatshield", "backshell", "parachute", "descent_stage", "rover"]
    position_m: Vector3  # in the mount body's frame (docs/run-folder.md)
    look: Vector3  # optical axis in the mount body's frame (normalised on use)
    up: Vector3  # a direction in the body frame that appears toward the top of the image
    width_px: Annotated[int, Field(ge=16, le=8192)]
    height_px: Annotated[int, Field(ge=16, le=8192)]
    hfov_deg: Annotated[float, Field(gt=1.0, lt=170.0)]  # horizontal field of view of the pinhole part
    vfov_deg: Annotated[float, Field(gt=1.0, lt=170.0)]
    k1: float = 0.0  # radial distortion: CAHVOR rho1 (Gennery 2006), x_d = x (1 + k1 r^2 + k2 r^4)
    k2: float = 0.0  # CAHVOR rho2
    # CAHVORE linearity L (Gennery 2006): given, the lens is a fish-eye whose edge midpoints see
    # hfov/2 and vfov/2 from the axis (0: equidistant f-theta; 1: pinhole); None: the CAHVOR pinhole.
    linearity: Annotated[float, Field(ge=-1.0, le=1.0)] | None = None
    fps: Annotated[float, Field(gt=0, le=1000)]
    preview_rate_divisor: Annotated[int, Field(ge=1, le=100)] = 1  # preview keeps every n-th frame
    preview_scale: Annotated[int, Field(ge=1, le=8)] = 2  # preview renders at 1/n of the native width and height
    colour: Literal["bayer", "mono"] = "bayer"
    start_event: str
    start_offset_s: float = 0.0
    end_event: str
    end_offset_s: float = 0.0
    min_exposure_s: Positive = 20e-6
    max_exposure_s: Positive = 0.03
    max_gain: Annotated[float, Field(ge=1.0, le=1000.0)] = 16.0
    ae_target: Annotated[float, Field(gt=0, lt=1)] = 0.18  # mean linear signal / full well the AE aims for
    ae_speed: Annotated[float, Field(gt=0, le=1)] = 0.25  # fraction of the log-exposure error corrected per frame
    sensitivity_e_per_s: Positive = 1.0e7  # electrons/s from radiance 1 (white Lambertian, Sun overhead)
    full_well_e: Positive = 10_500.0
    read_noise_e: NonNegative = 12.0
    bit_depth: Annotated[int, Field(ge=8, le=16)] = 12
    # Output LUT, linear DN → 8-bit values: V = 255 (DN / full scale)^(1/display_gamma). 2.2: the
    # sRGB-like video encoding of the colour cameras (est.); 1.0: linear 8-bit (the LCAM).
    display_gamma: Annotated[float, Field(ge=1.0, le=3.0)] = 2.2
    max_blur_subframes: Annotated[int, Field(ge=1, le=64)] = 8
    # σ [native px] of the Gaussian by which the lens (and an optical low-pass filter, if any) spreads
    # a point over the photosites, applied to the radiance before the sensor samples it. A colour
    # sensor needs it ≳ 1 px: a point that lit one photosite alone would be demosaicked into a
    # false-colour dot (the preview, one sample a pixel, shows it on every sub-pixel rock). 0: none.
    optics_blur_px: NonNegative = 0.0

    @model_validator(mode="after")
    def _check(self):
        if self.min_exposure_s > self.max_exposure_s:
            raise ValueError(
                f"min_exposure_s {self.min_exposure_s:g} exceeds max_exposure_s {self.max_exposure_s:g}; swap them"
            )
        if self.max_exposure_s >= 1.0 / self.fps:
            raise ValueError(
                f"max_exposure_s {self.max_exposure_s:g} s does not fit in one frame at {self.fps:g} fps; "
                f"make it shorter than {1.0 / self.fps:g} s"
            )
        dot = sum(a * b for a, b in zip(self.look, self.up))
        n_look = sum(a * a for a in self.look) ** 0.5
        n_up = sum(a * a for a in self.up) ** 0.5
        if n_look == 0 or n_up == 0 or abs(dot) > 0.999 * n_look * n_up:
            raise ValueError("look and up must be non-zero and not parallel; give an up direction across the look")
        return self


def _view(**kw) -> CameraConfig:
    return CameraConfig(**kw)


# The PUCs sit at the backshell's apex (mesh top 2.57 m) at 120° spacing, tilted toward the canopy that flies
# ≈ 36 m above on the symmetry axis (+z); their fields (est.) frame the 21.5 m canopy (≈ 33° wide).
_PUC = dict(
    mount="backshell", width_px=1280, height_px=1024, hfov_deg=50.0, vfov_deg=41.0, fps=75.0,
    preview_rate_divisor=7, start_event="parachute_deploy", start_offset_s=-1.0,
    end_event="backshell_separation", end_offset_s=0.0, max_exposure_s=0.012, optics_blur_px=1.5,
)

DEFAULT_VIEWS: dict[str, CameraConfig] = {
    "puc_a": _view(**_PUC, position_m=[0.7, 0.0, 2.6], look=[-0.1, 0.0, 1.0], up=[1.0, 0.0, 0.0]),
    "puc_b": _view(**{**_PUC, "preview_rate_divisor": 14}, position_m=[-0.35, 0.606, 2.6], look=[0.05, -0.0866, 1.0], up=[-0.5, 0.866, 0.0], preview_scale=3),
    "puc_c": _view(**{**_PUC, "preview_rate_divisor": 14}, position_m=[-0.35, -0.606, 2.6], look=[0.05, 0.0866, 1.0], up=[-0.5, -0.866, 0.0], preview_scale=3),
    "rdc": _view(
        mount="rover", position_m=[0.6, 0.0, 0.55], look=[0.0, 0.0, -1.0], up=[1.0, 0.0, 0.0],
        width_px=1280, height_px=1024, hfov_deg=35.0, vfov_deg=30.0, fps=30.0, preview_rate_divisor=3,
        start_event="heatshield_separation", start_offset_s=-1.0, end_event="touchdown", end_offset_s=5.0,
        optics_blur_px=1.5,
    ),
    "ddc": _view(
        mount="descent_stage", position_m=[0.2, 0.95, -0.03], look=[-0.02, -0.1, -1.0], up=[1.0, 0.0, 0.0],
        width_px=2048, height_px=1536, hfov_deg=45.0, vfov_deg=34.5, fps=30.0, preview_rate_divisor=3, preview_scale=3,
        start_event="skycrane_start", start_offset_s=-2.0, end_event="touchdown", end_offset_s=10.0,
        optics_blur_px=1.5,
    ),
    "ruc": _view(
        mount="rover", position_m=[0.55, 0.75, 1.40], look=[0.0, 0.0, 1.0], up=[1.0, 0.0, 0.0],
        width_px=1280, height_px=1024, hfov_deg=50.0, vfov_deg=41.0, fps=30.0, preview_rate_divisor=3,
        start_event="skycrane_start", start_offset_s=-2.0, end_event="touchdown", end_offset_s=10.0,
        optics_blur_px=1.5,
    ),
    "lcam": _view(
        mount="rover", position_m=[0.9, -0.3, 0.55], look=[0.0, 0.0, -1.0], up=[1.0, 0.0, 0.0],
        width_px=1024, height_px=1024, hfov_deg=90.0, vfov_deg=90.0, linearity=0.0, fps=1.0, preview_scale=4,
        colour="mono", start_event="heatshield_separation", start_offset_s=5.0,
        end_event="touchdown", end_offset_s=0.0, min_exposure_s=150e-6, max_exposure_s=150e-6, max_gain=1.0,
        sensitivity_e_per_s=1.47e8, display_gamma=1.0,
    ),
}


class CamerasConfig(Section):
    """[cameras] table of the mission file: renderer settings and one [cameras.views.<name>] per camera."""

    msaa_samples: Annotated[int, Field(ge=0, le=16)] = 4  # full quality; preview renders without MSAA
    terrain_samples: Annotated[int, Field(ge=17, le=1025)] = 257  # vertices per side of each terrain ring
    preview_terrain_samples: Annotated[int, Field(ge=17, le=1025)] = 129
    max_rocks: Annotated[int, Field(ge=0, le=1_000_000)] = 40_000
    preview_max_rocks: Annotated[int, Field(ge=0, le=1_000_000)] = 8_000
    workers: Annotated[int, Field(ge=0, le=256)] = 2  # render processes (0: render in the calling process)
    dust_particles: Annotated[int, Field(ge=0, le=100_000)] = 4000
    dust_height_m: Positive = 20.0  # engines lift dust when the descent stage is below this height
    haze_distance_m: Positive = 24_700.0  # e-folding path of the dust haze at the surface: scale height / dust optical depth
    shadow_map_px: Annotated[int, Field(ge=256, le=8192)] = 2048
    views: dict[str, CameraConfig] = Field(default_factory=lambda: dict(DEFAULT_VIEWS))
    # The instruments that record EDL (None: every [cameras.views.<name>] and the microphone): a
    # mission that extends another lists its own set here, cameras by name and "microphone"; the
    # views and [onboard.capture] entries of those not listed are dropped
    # (edlcam.mission.drop_unflown), as views merge table by table otherwise.
    flown: list[str] | None = None
    # The film's panels, each a list of cameras preferred first (edlcam.ground.assemble): under the
    # parachute a main picture and two insets, in the descent the same, at the sky crane two side by
    # side. A panel whose cameras are none of the mission's shows that no camera recorded.
    film_parachute: list[list[str]] = [["puc_a", "puc_b", "puc_c"], ["puc_b"], ["puc_c"]]
    film_descent: list[list[str]] = [["rdc", "lcam"], ["puc_b", "puc_a", "puc_c"], ["lcam"]]
    film_skycrane: list[list[str]] = [["ddc"], ["ruc", "rdc"]]
    # Previews record each camera the film shows only until the film last shows it
    # (edlcam.onboard.schedule); False records every window whole, as full quality does.
    preview_to_film: bool = True

    @model_validator(mode="after")
    def _check(self):
        if self.flown is not None:
            if not self.flown:
                raise ValueError("flown is empty; list at least one camera (a [cameras.views.<name>] table) that flies")
            missing = [n for n in self.flown if n not in self.views and n != "microphone"]
            if missing:
                raise ValueError(
                    f"flown names {', '.join(repr(n) for n in missing)} but there is no [cameras.views.{missing[0]}] table; "
                    "add the camera's table or remove the name"
                )
            extra = [n for n in self.views if n not in self.flown]
            if extra:  # drop_unflown removes them as the mission loads; a model built by hand must not keep them
                raise ValueError(f"views holds {', '.join(repr(n) for n in extra)}, not in flown; remove it or list it in flown")
        for field, want in (("film_parachute", 3), ("film_descent", 3), ("film_skycrane", 2)):
            panels = getattr(self, field)
            if len(panels) != want:
                raise ValueError(f"{field} has {len(panels)} panels; it takes {want} lists of camera names (main first)")
        named = {n for f in (self.film_parachute, self.film_descent, self.film_skycrane) for panel in f for n in panel}
        if not named & set(self.views):
            raise ValueError(
                f"film_parachute, film_descent and film_skycrane name none of the mission's cameras ({', '.join(self.views)}); "
                "put at least one in their panels"
            )
        if not self.views:
            raise ValueError("views is empty; define at least one [cameras.views.<name>] table")
        for name in self.views:
            if not name.replace("_", "").isalnum() or name != name.lower():
                raise ValueError(f"camera name {name!r} must be lower-case letters, digits and underscores")
        return self
