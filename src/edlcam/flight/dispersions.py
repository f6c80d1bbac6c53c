"""Dispersed inputs of a Monte Carlo: each case's :class:`CaseInputs`, drawn from the seed.

Case 0 is the nominal mission, undispersed. Case ``i ≥ 1`` draws every dispersed quantity from
its own generator, seeded by ``(mission seed, stream of the quantity, i)``: a case's inputs do not
depend on how many cases are drawn, on how they are batched, nor on which other dispersions the
mission declares (the stream is a CRC-32 of the quantity's name, so adding one leaves the others'
draws as they were).

The models behind the mission file's [montecarlo] defaults (sources beside each value there):

* entry delivery — zero-mean multivariate normal of (flight-path angle, speed, downrange,
  crossrange, heading) with the given standard deviations and correlation;
* atmosphere — density multiplied by ``density_scale_high`` above ≈ 40 km and by
  ``density_scale_low`` below (Karlgaard et al., MEDLI2: up to +150 % aloft, within 12 % below),
  and a constant wind;
* aerodynamics — drag and L/D multipliers; the radial centre-of-mass offset changes the trim
  angle and so the L/D: for the small trim angles of a 70° sphere-cone both are proportional to
  the offset, so L/D scales by ``1 + δy / y_trim`` (est., MSL heritage: the balance masses set
  ``y_trim``);
* mass, parachute drag, engine thrust and navigation (position knowledge) errors.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import fields, replace

import numpy as np

from edlcam.config.montecarlo import ENTRY_DELIVERY_AXES, Distribution
from edlcam.flight.sequencer import CaseInputs
from edlcam.mars.frames import destination_point

__all__ = ["sample", "stream_id", "draw_cases", "delivery_covariance", "INPUT_COLUMNS"]

# Quantities whose draw multiplies the mission's nominal value; the others add to it.
_MULTIPLIERS = ("density_scale_low", "density_scale_high", "drag_scale", "lift_to_drag_scale", "chute_drag_scale", "thrust_scale")
_OFFSETS = ("wind_east_m_s", "wind_north_m_s", "entry_mass_offset_kg", "nav_error_east_m", "nav_error_north_m", "nav_error_up_m")

#: Columns of cases.parquet that hold each case's inputs (``input_`` + the CaseInputs field).
INPUT_COLUMNS = tuple(f"input_{f.name}" for f in fields(CaseInputs)) + ("input_cg_radial_offset_m",)


def stream_id(name: str) -> int:
    """Random stream of a dispersed quantity: CRC-32 of its name (stable across versions)."""
    return zlib.crc32(name.encode("utf-8"))


def sample(dist: Distribution, rng: np.random.Generator, size: int | None = None):
    """Draw ``size`` values (one float when None) of ``dist`` from ``rng``."""
    if dist.kind == "normal":
        return rng.normal(dist.mean, dist.sigma, size)
    if dist.kind == "uniform":
        return rng.uniform(dist.low, dist.high, size)
    # lognormal: ln(value) ~ N(ln median, sigma²)
    return dist.median * np.exp(dist.sigma * rng.standard_normal(size))


def delivery_covariance(mission) -> np.ndarray:
    """Covariance (5×5) of the entry-delivery errors, axes in ``ENTRY_DELIVERY_AXES`` order."""
    d = mission.montecarlo.entry_delivery
    s = np.asarray(d.sigmas, float)
    return np.asarray(d.correlation, float) * np.outer(s, s)


def _sqrt_psd(cov: np.ndarray) -> np.ndarray:
    # Symmetric square root rather than Cholesky: it also accepts a singular covariance (an axis
    # with zero sigma, or correlations of ±1), which Cholesky refuses.
    w, v = np.linalg.eigh(cov)
    return (v * np.sqrt(np.maximum(w, 0.0))) @ v.T


def _rng(seed: int, name: str, case: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream_id(name), case])


def draw_cases(mission, case_indices) -> tuple[CaseInputs, np.ndarray]:
    """Inputs of the cases ``case_indices`` (case 0 = nominal) and their radial centre-of-mass
    offsets [m]; the mission's ``[mission] seed`` seeds every draw."""
    idx = np.asarray(case_indices, dtype=np.int64)
    n = idx.size
    base = CaseInputs.nominal(mission, n)
    mc = mission.montecarlo
    seed = int(mission.mission.seed)
    disp = mc.dispersions
    values = {f.name: np.array(getattr(base, f.name), dtype=float) for f in fields(CaseInputs)}
    cg = np.zeros(n)
    lod_from_cg = np.ones(n)
    root = _sqrt_psd(delivery_covariance(mission))
    e = mission.entry
    for k, case in enumerate(idx.tolist()):
        if case == 0:
            continue
        for name in _MULTIPLIERS + _OFFSETS:
            dist = getattr(disp, name)
            if dist is None:
                continue
            x = float(sample(dist, _rng(seed, name, case)))
            if name in _MULTIPLIERS:
                values[name][k] *= x
            else:
                values[name][k] += x
        if disp.cg_radial_offset_m is not None:
            cg[k] = float(sample(disp.cg_radial_offset_m, _rng(seed, "cg_radial_offset_m", case)))
            lod_from_cg[k] = 1.0 + cg[k] / mc.trim_cg_radial_offset_m
        dx = root @ _rng(seed, "entry_delivery", case).standard_normal(len(ENTRY_DELIVERY_AXES))
        d_fpa, d_speed, d_down, d_cross, d_heading = dx
        heading = math.radians(e.heading_deg)
        lat, lon = destination_point(e.latitude_deg, e.longitude_deg, heading, d_down)
        lat, lon = destination_point(lat, lon, heading + math.pi / 2.0, d_cross)
        values["entry_lat_deg"][k] = float(lat)
        values["entry_lon_deg"][k] = float(lon)
        values["entry_fpa_deg"][k] += d_fpa
        values["entry_speed_m_s"][k] += d_speed
        values["entry_heading_deg"][k] += d_heading
    values["lift_to_drag_scale"] = values["lift_to_drag_scale"] * lod_from_cg
    return replace(base, **values), cg
