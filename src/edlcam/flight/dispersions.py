"""Dispersed inputs of a Monte Carlo: each case's :class:`CaseInputs`, drawn from the seed.

Case 0 is the nominal mission, undispersed. Case ``i ≥ 1`` draws every dispersed quantity from
the Philox4x64-10 counter-based generator (Salmon et al. 2011, numpy's ``Philox``) at key
``(mission seed, stream of the quantity)`` and counter ``(i, block, 0, 0)``: a case's inputs do not
depend on how many cases are drawn, on how they are batched, nor on which other dispersions the
mission declares (the stream is a CRC-32 of the quantity's name, so adding one leaves the others'
draws as they were). Uniforms are the top 53 bits of a word, centred in their interval; normals
their inverse normal CDF.

The models behind the mission file's [montecarlo] defaults (sources beside each value there):

* entry delivery — zero-mean multivariate normal of (flight-path angle, speed, downrange,
  crossrange, heading) with the given standard deviations and correlation;
* atmosphere — density multiplied by ``density_scale_high`` above ≈ 40 km and by
  ``density_scale_low`` below (Karlgaard et al., MEDLI2: up to +150 % aloft, within 12 % below),
  both centred on the nominal; a constant wind plus a wind profile (``[montecarlo.wind]``): at each
  node height each component is a zero-mean normal, the nodes correlated as exp(−|Δh| / L), so
  that the wind turns and changes with height as Mars-GRAM's and the mesoscale models' do; and a
  relative density perturbation profile (``[montecarlo.density_profile]``), drawn the same way, whose
  standard deviation grows with height as Mars-GRAM's perturbations do: the structure in height that
  the entry guidance cannot sense before it stops controlling range;
* aerodynamics — drag and L/D multipliers; the radial centre-of-mass offset changes the trim
  angle and so the L/D: for the small trim angles of a 70° sphere-cone both are proportional to
  the offset, so L/D scales by ``1 + δy / y_trim`` (est., MSL heritage: the balance masses set
  ``y_trim``);
* entry navigation (``[montecarlo.entry_navigation]``): knowledge errors of the state at entry
  interface, along and across the entry heading, and the IMU's scale factor (along) and
  misalignment (across, vertical), which the guidance and the parachute's trigger fly on
  (:mod:`edlcam.flight.kernel.navigation`);
* mass, parachute drag, engine thrust, powered-descent navigation (position knowledge) errors,
  and the divert: with ``divert_from_navigated`` the target is picked near where the vehicle is
  at the divert (``divert_east_m``, ``divert_north_m`` from there), as the flight's Safe Target
  Selection did, rather than back at the ellipse's centre.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import fields, replace

import numpy as np

from scipy.special import ndtri

from edlcam.config.montecarlo import ENTRY_DELIVERY_AXES, Distribution
from edlcam.flight.sequencer import CaseInputs
from edlcam.mars.frames import destination_point

__all__ = ["sample", "stream_id", "philox4x64", "uniforms", "draw_cases", "delivery_covariance", "wind_profile_covariance",
           "density_profile_covariance", "INPUT_COLUMNS"]

# Quantities whose draw multiplies the mission's nominal value; the others add to it.
_MULTIPLIERS = ("density_scale_low", "density_scale_high", "drag_scale", "lift_to_drag_scale", "chute_drag_scale", "thrust_scale")
_OFFSETS = ("wind_east_m_s", "wind_north_m_s", "entry_mass_offset_kg", "nav_error_east_m", "nav_error_north_m", "nav_error_up_m")
# Offsets drawn into a CaseInputs field of another name.
_RENAMED = {"divert_east_m": "divert_target_east_m", "divert_north_m": "divert_target_north_m"}

#: Columns of cases.parquet that hold each case's inputs (``input_`` + the CaseInputs field).
INPUT_COLUMNS = tuple(f"input_{f.name}" for f in fields(CaseInputs)) + ("input_cg_radial_offset_m",)


def stream_id(name: str) -> int:
    """Random stream of a dispersed quantity: CRC-32 of its name (stable across versions)."""
    return zlib.crc32(name.encode("utf-8"))


def sample(dist: Distribution, u):
    """``dist`` at the uniforms ``u`` in (0, 1) (its inverse CDF)."""
    u = np.asarray(u, dtype=float)
    if dist.kind == "uniform":
        return dist.low + (dist.high - dist.low) * u
    z = ndtri(u)
    if dist.kind == "normal":
        return dist.mean + dist.sigma * z
    # lognormal: ln(value) ~ N(ln median, sigma²)
    return dist.median * np.exp(dist.sigma * z)


# Philox4x64-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3"),
# the generator behind numpy.random.Philox, written out over arrays of counters: numpy's
# generators draw one stream at a time, at several µs per stream set up, and a Monte Carlo needs
# a stream per case and quantity (14 a case, ≈ 0.1 ms a case with numpy's default_rng, half the
# time of flying it). A test checks these words against numpy.random.Philox.
_PHILOX_M = (np.uint64(0xD2E7470EE14C6C93), np.uint64(0xCA5A826395121157))
_PHILOX_W = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBB67AE8584CAA73B))
_LOW32, _SHIFT32 = np.uint64(0xFFFFFFFF), np.uint64(32)


def _mulhilo(a, b):
    """(high, low) 64-bit words of the 128-bit product a·b (uint64 arrays), from 32-bit halves."""
    a0, a1, b0, b1 = a & _LOW32, a >> _SHIFT32, b & _LOW32, b >> _SHIFT32
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    carry = ((p00 >> _SHIFT32) + (p01 & _LOW32) + (p10 & _LOW32)) >> _SHIFT32
    return p11 + (p01 >> _SHIFT32) + (p10 >> _SHIFT32) + carry, a * b


def philox4x64(counter, key):
    """The four 64-bit words of Philox4x64-10 at ``counter`` (4 uint64 arrays, broadcast) under
    ``key`` (2 uint64): the words numpy.random.Philox(counter=c − 1, key=key) gives first."""
    c0, c1, c2, c3 = (np.asarray(x, dtype=np.uint64) for x in counter)
    k0, k1 = (np.asarray(x, dtype=np.uint64) for x in key)
    with np.errstate(over="ignore"):
        for r in range(10):
            if r:
                k0, k1 = k0 + _PHILOX_W[0], k1 + _PHILOX_W[1]
            hi0, lo0 = _mulhilo(_PHILOX_M[0], c0)
            hi1, lo1 = _mulhilo(_PHILOX_M[1], c2)
            c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


def uniforms(seed: int, name: str, cases, count: int = 1) -> np.ndarray:
    """``count`` uniforms in (0, 1) of quantity ``name`` for each of ``cases`` (shape (n, count)):
    words of Philox4x64-10 at counter (case, block, 0, 0), key (seed, stream of the name)."""
    cases = np.asarray(cases, dtype=np.uint64)
    key = (np.uint64(int(seed) % 2**64), np.uint64(stream_id(name)))
    zero = np.zeros_like(cases)
    words = [w for block in range(-(-count // 4)) for w in philox4x64((cases, zero + np.uint64(block), zero, zero), key)]
    top = np.stack(words[:count], axis=-1) >> np.uint64(11)
    return (top.astype(float) + 0.5) * 2.0**-53


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
    dispersed = idx != 0
    cases = idx[dispersed]
    for name in _MULTIPLIERS + _OFFSETS:
        dist = getattr(disp, name)
        if dist is None:
            continue
        x = sample(dist, uniforms(seed, name, cases)[:, 0])
        if name in _MULTIPLIERS:
            values[name][dispersed] *= x
        else:
            values[name][dispersed] += x
    for name, field in _RENAMED.items():
        dist = getattr(disp, name)
        if dist is not None:
            values[field][dispersed] += sample(dist, uniforms(seed, name, cases)[:, 0])
    if mc.divert_from_navigated:
        values["divert_from_navigated"][dispersed] = 1.0
    _draw_wind_profile(mc.wind, seed, cases, dispersed, values)
    _draw_density_profile(mc.density_profile, seed, cases, dispersed, values)
    if disp.cg_radial_offset_m is not None:
        cg[dispersed] = sample(disp.cg_radial_offset_m, uniforms(seed, "cg_radial_offset_m", cases)[:, 0])
    values["lift_to_drag_scale"] = values["lift_to_drag_scale"] * (1.0 + cg / mc.trim_cg_radial_offset_m)
    root = _sqrt_psd(delivery_covariance(mission))
    z = ndtri(uniforms(seed, "entry_delivery", cases, len(ENTRY_DELIVERY_AXES)))
    e = mission.entry
    heading = math.radians(e.heading_deg)
    d_fpa, d_speed, d_down, d_cross, d_heading = (z @ root.T).T
    lat, lon = destination_point(e.latitude_deg, e.longitude_deg, heading, d_down)
    lat, lon = destination_point(lat, lon, heading + math.pi / 2.0, d_cross)
    values["entry_lat_deg"][dispersed] = lat
    values["entry_lon_deg"][dispersed] = lon
    values["entry_fpa_deg"][dispersed] += d_fpa
    values["entry_speed_m_s"][dispersed] += d_speed
    values["entry_heading_deg"][dispersed] += d_heading
    _draw_entry_navigation(mc.entry_navigation, heading, seed, cases, dispersed, values)
    return replace(base, **values), cg


def _profile_covariance(heights_m, sigma, correlation_length_m) -> np.ndarray:
    """Covariance of a profile's nodes (the wind's, the density's): σ_i σ_j exp(−|h_i − h_j| / L)."""
    h = np.asarray(heights_m, float)
    s = np.asarray(sigma, float)
    return np.outer(s, s) * np.exp(-np.abs(h[:, None] - h[None, :]) / correlation_length_m)


def _profile_nodes(covariance, seed, stream, cases) -> np.ndarray:
    """One draw of a profile's nodes per case (cases × nodes), from the named stream."""
    root = _sqrt_psd(covariance)
    k = covariance.shape[0]
    z = ndtri(uniforms(seed, stream, cases, k))
    # z · rootᵀ summed term by term: a matrix product's rounding would depend on the batch (BLAS)
    return sum(z[:, j : j + 1] * root[:, j] for j in range(k))


def wind_profile_covariance(wind) -> np.ndarray:
    """Covariance of one wind component at the profile's nodes: σ_i σ_j exp(−|h_i − h_j| / L)."""
    return _profile_covariance(wind.heights_m, wind.sigma_m_s, wind.correlation_length_m)


def _draw_wind_profile(wind, seed, cases, dispersed, values) -> None:
    cov = wind_profile_covariance(wind)
    for comp in ("e", "n"):
        nodes = _profile_nodes(cov, seed, f"wind_profile_{comp}", cases)
        for j in range(cov.shape[0]):
            values[f"wind_{comp}{j}_m_s"][dispersed] += nodes[:, j]


def density_profile_covariance(profile) -> np.ndarray:
    """Covariance of the relative density perturbation at the profile's nodes:
    σ_i σ_j exp(−|h_i − h_j| / L)."""
    return _profile_covariance(profile.heights_m, profile.sigma, profile.correlation_length_m)


def _draw_density_profile(profile, seed, cases, dispersed, values) -> None:
    if not any(profile.sigma):
        return  # off: the nodes stay zero
    nodes = _profile_nodes(density_profile_covariance(profile), seed, "density_profile", cases)
    for j in range(len(profile.heights_m)):
        values[f"density_d{j}"][dispersed] += nodes[:, j]


def _draw_entry_navigation(nav, heading_rad, seed, cases, dispersed, values) -> None:
    """Entry navigation errors, drawn along and across the entry heading and turned to east/north."""
    z = ndtri(uniforms(seed, "entry_navigation", cases, 7))
    sigmas = (nav.position_downrange_sigma_m, nav.position_crossrange_sigma_m, nav.velocity_downrange_sigma_m_s,
              nav.velocity_crossrange_sigma_m_s, nav.velocity_vertical_sigma_m_s, nav.accel_scale_factor_sigma_ppm * 1e-6,
              math.radians(nav.misalignment_sigma_deg))  # fmt: skip
    p_along, p_cross, v_along, v_cross, v_up, scale, tilt = (z * np.asarray(sigmas)).T
    # along: (sin h, cos h) east/north; across (to the right): (cos h, −sin h)
    sh, ch = math.sin(heading_rad), math.cos(heading_rad)
    values["nav_ei_east_m"][dispersed] += p_along * sh + p_cross * ch
    values["nav_ei_north_m"][dispersed] += p_along * ch - p_cross * sh
    values["nav_ei_ve_m_s"][dispersed] += v_along * sh + v_cross * ch
    values["nav_ei_vn_m_s"][dispersed] += v_along * ch - v_cross * sh
    values["nav_ei_vu_m_s"][dispersed] += v_up
    # The IMU: its scale factor along the track, a misalignment about the vertical across it and
    # one about the cross axis (the same σ) vertically.
    tilt_up = ndtri(uniforms(seed, "entry_navigation_tilt_up", cases, 1))[:, 0] * math.radians(nav.misalignment_sigma_deg)
    values["nav_imu_e"][dispersed] += scale * sh + tilt * ch
    values["nav_imu_n"][dispersed] += scale * ch - tilt * sh
    values["nav_imu_u"][dispersed] += tilt_up
