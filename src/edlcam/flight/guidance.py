"""Entry guidance: the Apollo-derived Entry Terminal Point Controller (ETPC) of MSL and Mars 2020.

Port of the algorithm described by Mendeck & Craig, "Entry Guidance for the 2011 Mars Science
Laboratory Mission", AIAA Atmospheric Flight Mechanics 2011 (NTRS 20110013204), after Carman,
Ives & Geller, "Apollo-derived Mars precision lander guidance", AIAA 98-4570. Names follow them:

- a reference trajectory flown at constant bank down to ``heading_alignment_speed_m_s`` and lift up
  below it (heading alignment banks only against a heading error, none on the reference, so the
  reference flies as the vehicle will and the nominal deploys at the reference's end speed),
  tabulated against velocity V: range-to-go
  ``R_ref``, drag acceleration ``D_ref``, altitude rate ``hdot_ref``, vertical L/D ``LoD_ref``;
- influence coefficients from the adjoint equations of the linearised longitudinal dynamics,
  integrated backward from the reference's end: ``F1 = ∂R/∂D``, ``F2 = ∂R/∂ḣ``, ``F3 = ∂R/∂(L/D)``;
- the predicted range ``R_p = R_ref + F1 (D − D_ref) + F2 (ḣ − ḣ_ref)`` and the commanded vertical
  lift-to-drag ``(L/D)_c = (L/D)_ref + K3 (R_togo − R_p) / F3``, bank ``acos((L/D)_c / (L/D))``;
- phases: pre-bank until 0.2 g of sensed drag, range control, heading alignment below
  ``heading_alignment_speed_m_s``, then SUFR (lift up) before parachute deploy;
- bank reversals when the crossrange leaves a velocity-dependent deadband (quadratic in V).

Simplifications (said here, not hidden): the reference and the adjoint use planar longitudinal
dynamics over a spherical non-rotating Mars (as in the papers); the linearisation's Jacobian is
taken by central differences instead of the analytic partials; the drag's altitude sensitivity
uses the local density scale height of the mission atmosphere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from edlcam.errors import FlightError
from edlcam.flight.kernel.layout import HEADING_ALIGNMENT, PREBANK, RANGE_CONTROL, SUFR
from edlcam.flight.vehicle import Vehicle
from edlcam.mars.atmosphere import Atmosphere

__all__ = [
    "ReferenceTrajectory",
    "EntryGuidance",
    "PREBANK",
    "RANGE_CONTROL",
    "HEADING_ALIGNMENT",
    "SUFR",
]

# Entry guidance sub-phases: PREBANK, RANGE_CONTROL, HEADING_ALIGNMENT, SUFR (the kernel's codes,
# also the trajectory's entry_mode column).


@dataclass(frozen=True)
class ReferenceTrajectory:
    """The reference trajectory and its ETPC gains, tabulated on increasing velocity."""

    speed_m_s: np.ndarray
    range_to_go_m: np.ndarray
    drag_m_s2: np.ndarray
    hdot_m_s: np.ndarray
    lod_vertical: np.ndarray
    f1: np.ndarray
    f2: np.ndarray
    f3: np.ndarray
    altitude_m: np.ndarray
    time_s: np.ndarray
    total_range_m: float
    duration_s: float


def _longitudinal_rates(x, u, *, vehicle: Vehicle, atmosphere: Atmosphere, mass_kg, gm, radius_m):
    """d/dt of [s, h, V, γ] for planar entry over a sphere (Vinh, *Hypersonic and Planetary Entry
    Flight Mechanics*, 1980, eqs. 2.10 with no rotation); ``u`` is the vertical L/D. Returns
    (rates, drag acceleration)."""
    s, h, v, gam = x
    r = radius_m + h
    st = atmosphere.state(h)
    mach = v / st.speed_of_sound_m_s
    drag = 0.5 * st.density_kg_m3 * v * v * vehicle.reference_area_m2 * vehicle.capsule_cd(mach) / mass_kg
    g = gm / (r * r)
    rates = np.array(
        [
            v * math.cos(gam) * radius_m / r,
            v * math.sin(gam),
            -drag - g * math.sin(gam),
            u * drag / v + (v / r - g / v) * math.cos(gam),
        ]
    )
    return rates, float(drag)


def build_reference(mission, *, dt_s: float = 0.25) -> ReferenceTrajectory:
    """Fly the reference trajectory (constant bank, lift up below the heading-alignment speed) and
    derive the ETPC gains (adjoint method)."""
    vehicle = Vehicle.from_mission(mission)
    atmosphere = Atmosphere.from_mission(mission)
    gm = mission.planet.gm_m3_s2
    radius = mission.planet.equatorial_radius_m
    mass = vehicle.entry_mass_kg
    bank = math.radians(mission.guidance.reference_bank_deg)
    v_end = mission.guidance.reference_end_speed_m_s
    e = mission.entry

    v_heading = mission.guidance.heading_alignment_speed_m_s

    def lod_v(x):
        h, v = x[1], x[2]
        mach = v / float(atmosphere.speed_of_sound_m_s(h))
        # Below the heading-alignment speed the guidance banks only to null the heading error
        # (zero on the reference): the reference flies lift up there, as the vehicle will.
        return float(vehicle.capsule_lod(mach)) * (math.cos(bank) if v >= v_heading else 1.0)

    def f(x, u):
        return _longitudinal_rates(x, u, vehicle=vehicle, atmosphere=atmosphere, mass_kg=mass, gm=gm, radius_m=radius)

    x = np.array([0.0, e.altitude_m, e.speed_m_s, math.radians(e.flight_path_angle_deg)])
    xs, us, ds, ts = [], [], [], []
    t = 0.0
    for _ in range(int(2000 / dt_s)):
        u = lod_v(x)
        rates, drag = f(x, u)
        xs.append(x.copy()), us.append(u), ds.append(drag), ts.append(t)
        if x[2] <= v_end:
            break
        if x[1] < 0.0:
            raise FlightError(
                f"the entry is too steep: flown at the reference bank of {mission.guidance.reference_bank_deg:g}°, "
                f"the vehicle hits the ground at E+{t:.0f} s at {x[2]:.0f} m/s, before parachute deploy; "
                "make [entry] flight_path_angle_deg shallower or speed_m_s lower"
            )
        if t > 20.0 and x[1] > e.altitude_m + 1000.0:
            raise FlightError(
                f"the entry skips out: flown at the reference bank of {mission.guidance.reference_bank_deg:g}°, "
                f"the vehicle climbs back above {e.altitude_m / 1e3:.0f} km at E+{t:.0f} s at {x[2]:.0f} m/s; "
                "make [entry] flight_path_angle_deg steeper"
            )
        k1 = rates
        k2, _ = f(x + 0.5 * dt_s * k1, u)
        k3, _ = f(x + 0.5 * dt_s * k2, u)
        k4, _ = f(x + dt_s * k3, u)
        x = x + dt_s / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        t += dt_s
    else:
        raise FlightError(
            f"the reference trajectory is still at {x[2]:.0f} m/s after 2000 s; "
            "check [entry] flight_path_angle_deg and [guidance] reference_end_speed_m_s"
        )
    xs = np.array(xs)
    us = np.array(us)
    ds = np.array(ds)
    n = len(xs)

    # Adjoint (costate) equations integrated backward: dλ/dt = −Aᵀ λ, dλu/dt = −λᵀ B.
    # Terminal condition for "range when V reaches V_end": λ(tf) = [1, 0, −ṡ/V̇, 0].
    rates_f, _ = f(xs[-1], us[-1])
    lam = np.array([1.0, 0.0, -rates_f[0] / rates_f[2], 0.0])
    lam_u = 0.0
    lams = np.zeros((n, 4))
    lam_us = np.zeros(n)
    steps = np.array([1.0, 1.0, 0.01, 1e-5])  # finite-difference steps for s, h, V, γ
    for i in range(n - 1, -1, -1):
        lams[i], lam_us[i] = lam, lam_u
        if i == 0:
            break
        xi, ui = xs[i], us[i]
        jac = np.empty((4, 4))
        for j in range(4):
            dx = np.zeros(4)
            dx[j] = steps[j]
            jac[:, j] = (f(xi + dx, ui)[0] - f(xi - dx, ui)[0]) / (2 * steps[j])
        b = np.array([0.0, 0.0, 0.0, ds[i] / xi[2]])
        # Backward Euler-style step (explicit in reverse time); dt small compared to the dynamics.
        lam = lam + dt_s * (jac.T @ lam)
        lam_u = lam_u + dt_s * float(lam @ b)

    # Velocity is the table's independent variable, so keep only the monotonic part after the
    # speed peak (gravity still accelerates the vehicle for the first seconds after EI).
    start = int(np.argmax(xs[:, 2]))
    xs, us, ds, lams, lam_us, ts = xs[start:], us[start:], ds[start:], lams[start:], lam_us[start:], np.asarray(ts)[start:]
    h, v, gam = xs[:, 1], xs[:, 2], xs[:, 3]
    rho = atmosphere.density_kg_m3(h)
    drho = (atmosphere.density_kg_m3(h + 50.0) - atmosphere.density_kg_m3(h - 50.0)) / 100.0
    scale_height = -rho / drho
    f1 = -scale_height * lams[:, 1] / ds
    f2 = lams[:, 3] / (v * np.cos(gam))
    f3 = lam_us
    total = xs[-1, 0]
    order = np.argsort(v)
    return ReferenceTrajectory(
        speed_m_s=v[order],
        range_to_go_m=(total - xs[:, 0])[order],
        drag_m_s2=ds[order],
        hdot_m_s=(v * np.sin(gam))[order],
        lod_vertical=us[order],
        f1=f1[order],
        f2=f2[order],
        f3=f3[order],
        altitude_m=h[order],
        time_s=np.asarray(ts)[order],
        total_range_m=float(total),  # from EI, including the part before the speed peak
        duration_s=float(ts[-1]),
    )


@dataclass(frozen=True)
class EntryGuidance:
    """The ETPC's reference and gains from the mission; the flight kernel flies the law with
    them (:func:`edlcam.flight.kernel.entry.etpc_bank_command`, :func:`~edlcam.flight.kernel.entry.next_entry_mode`)."""

    reference: ReferenceTrajectory
    prebank_rad: float
    range_control_drag_m_s2: float
    overcontrol_gain: float
    heading_alignment_speed_m_s: float
    heading_alignment_gain: float
    heading_alignment_max_bank_rad: float
    deadband_low_m: float
    deadband_high_m: float
    deadband_reference_speed_m_s: float
    sufr_bank_rad: float

    @classmethod
    def from_mission(cls, mission, reference: ReferenceTrajectory | None = None) -> "EntryGuidance":
        g = mission.guidance
        return cls(
            reference=reference if reference is not None else build_reference(mission),
            prebank_rad=math.radians(g.prebank_deg),
            range_control_drag_m_s2=g.range_control_drag_g * 9.80665,
            overcontrol_gain=g.overcontrol_gain,
            heading_alignment_speed_m_s=g.heading_alignment_speed_m_s,
            heading_alignment_gain=g.heading_alignment_gain,
            heading_alignment_max_bank_rad=math.radians(g.heading_alignment_max_bank_deg),
            deadband_low_m=g.deadband_low_speed_km * 1e3,
            deadband_high_m=g.deadband_high_speed_km * 1e3,
            deadband_reference_speed_m_s=g.deadband_reference_speed_m_s,
            sufr_bank_rad=math.radians(g.sufr_bank_deg),
        )
