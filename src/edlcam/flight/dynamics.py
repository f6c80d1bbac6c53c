"""The equations of motion relative to a rotating, oblate Mars, and the planet that sets them.

State: planet-fixed position ``r``, planet-relative velocity ``v`` and mass ``m``. In the
rotating frame (the transport theorem applied twice; e.g. Vinh, *Hypersonic and Planetary Entry
Flight Mechanics*, 1980, ch. 2)::

    dv/dt = g(r) + F/m − 2 ω × v − ω × (ω × r)

with ``g`` the J2 gravity of :mod:`edlcam.mars.gravity` and ``F`` the aerodynamic and thrust
forces. The flight kernel (:func:`edlcam.flight.kernel._derivative`) evaluates them, and
advances each trajectory with fixed-step classical Runge–Kutta (RK4); tests/mars/
test_gravity_frames.py checks them against closed forms.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Planet"]


@dataclass(frozen=True)
class Planet:
    """Gravity and rotation of the planet (from the mission's [planet] table)."""

    gm_m3_s2: float
    equatorial_radius_m: float
    polar_radius_m: float
    j2: float
    rotation_rate_rad_s: float

    @classmethod
    def from_mission(cls, mission) -> "Planet":
        p = mission.planet
        return cls(p.gm_m3_s2, p.equatorial_radius_m, p.polar_radius_m, p.j2, p.rotation_rate_rad_s)
