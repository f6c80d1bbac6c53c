"""Flight stage speed: one nominal landing, a batch of 1,000 dispersed landings, and the same
physics integrated by scipy's solve_ivp, all in this one run.

The flight kernel (edlcam.flight.kernel, compiled by numba) flies each trajectory with fixed RK4
steps. The peer is scipy.integrate.solve_ivp (RK45, adaptive) on one trajectory of the same force
model (the kernel's own compiled right-hand side: the same gravity, rotating frame, atmosphere
and aerodynamics), replaying the nominal's bank-angle history over the guided entry,
from entry interface to parachute deploy — the part of the flight where a general-purpose ODE
solver is a fair peer (afterwards the flight is a chain of discrete control phases). The figure
of merit is wall time per simulated second of one trajectory. solve_ivp's state at deploy is
compared with edlcam's as an accuracy check.

Run: .venv/bin/python benchmarks/flight.py
"""

from __future__ import annotations

import math
import os
import time

import numpy as np
from scipy.integrate import solve_ivp

from edlcam.flight.dispersions import draw_cases
from edlcam.flight.guidance import build_reference
from edlcam.flight.kernel.dynamics import _derivative
from edlcam.flight.sequencer import ENTRY, CaseInputs, fly, kernel_inputs
from edlcam.flight.vehicle import Vehicle
from edlcam.mars.frames import Ellipsoid
from edlcam.mars.terrain import Terrain
from edlcam.mission import load_mission

BATCH = int(os.environ.get("EDLCAM_BENCH_BATCH", "1000"))


def _timed(fn, repeat=1):
    best = math.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    mission = load_mission()
    terrain = Terrain.from_mission(mission)
    t_ref, reference = _timed(lambda: build_reference(mission))

    t_one, nominal = _timed(lambda: fly(mission, terrain=terrain, reference=reference), repeat=3)
    landing_s = float(nominal.events["touchdown"]["t_s"][0])
    deploy_s = float(nominal.events["parachute_deploy"]["t_s"][0])

    cases, _cg = draw_cases(mission, np.arange(BATCH))
    t_batch, batch = _timed(lambda: fly(mission, cases=cases, terrain=terrain, reference=reference))
    landed = int(np.sum(batch.status == "landed"))
    flown_s = float(np.nansum(np.where(np.isfinite(batch.events["touchdown"]["t_s"]), batch.events["touchdown"]["t_s"], 0.0)))

    # --- scipy peer: the nominal's entry, the kernel's force model, bank replayed from the record ---
    rec = fly(mission, terrain=terrain, reference=reference, record=True).record
    t_rec = rec["t_s"][:, 0]
    in_entry = rec["phase_code"][:, 0] == ENTRY
    t_bank, bank_rad = t_rec[in_entry], np.unwrap(np.radians(rec["bank_deg"][in_entry, 0]))
    one = CaseInputs.nominal(mission)
    veh = Vehicle.from_mission(mission)
    params, aero, _ref, _tables = kernel_inputs(mission, terrain, reference)
    case = np.array([0.0, 0.0, 0.0, float(one.drag_scale[0]), float(one.lift_to_drag_scale[0]), float(one.chute_drag_scale[0]),
                     float(one.density_scale_low[0]), float(one.density_scale_high[0]), 0.0, 0.0, 0.0, 0.0, 0.0])  # wind (none), scales, no density profile  # fmt: skip
    sufr_s = float(nominal.events["sufr_start"]["t_s"][0])
    from edlcam.mars.frames import enu_basis, geodetic_to_cartesian

    ell = Ellipsoid(mission.planet.equatorial_radius_m, mission.planet.polar_radius_m)
    e = mission.entry
    r0 = geodetic_to_cartesian(e.latitude_deg, e.longitude_deg, e.altitude_m, ellipsoid=ell)
    loc = enu_basis(e.latitude_deg, e.longitude_deg)
    fpa, hdg = math.radians(e.flight_path_angle_deg), math.radians(e.heading_deg)
    v0 = e.speed_m_s * (np.array([math.cos(fpa) * math.sin(hdg), math.cos(fpa) * math.cos(hdg), math.sin(fpa)]) @ loc)
    m0 = veh.entry_mass_kg

    def rhs(t, y):
        # The recorded bank, which moves continuously (rate- and acceleration-limited).
        bank = float(np.interp(t, t_bank, bank_rad))
        sufr = t >= sufr_s
        ctx = np.array([ENTRY, np.nan, 1.0, 0.0 if sufr else 1.0, 0.0, 0.0, 0.0])
        m = m0 - (veh.balance_mass_kg if sufr else 0.0)
        ax, ay, az, _mdot = _derivative(t, y[0], y[1], y[2], y[3], y[4], y[5], m, math.cos(bank), math.sin(bank), ctx, case, params, aero)
        return np.array([y[3], y[4], y[5], ax, ay, az])

    y0 = np.concatenate([r0, v0])
    t_ivp, sol = _timed(lambda: solve_ivp(rhs, (0.0, deploy_s), y0, method="RK45", rtol=1e-8, atol=1e-3), repeat=1)
    i_dep = int(np.argmin(np.abs(t_rec - deploy_s)))
    from edlcam.mars.frames import cartesian_to_geodetic

    _lat, _lon, alt_ivp = cartesian_to_geodetic(sol.y[:3, -1], ellipsoid=ell)
    speed_ivp = float(np.linalg.norm(sol.y[3:, -1]))

    per_sim_s_ivp = t_ivp / deploy_s
    per_sim_s_one = t_one / landing_s
    per_sim_s_batch = t_batch / max(flown_s, 1e-9)
    print(f"reference trajectory + ETPC gains : {t_ref:.3f} s")
    print(f"edlcam, 1 nominal landing          : {t_one:.2f} s for {landing_s:.0f} s of flight ({per_sim_s_one * 1e3:.2f} ms per simulated s)")
    print(f"edlcam, batch of {BATCH} dispersed    : {t_batch:.2f} s, {landed} landed, {BATCH / t_batch:.1f} landings/s "
          f"({per_sim_s_batch * 1e6:.1f} µs per trajectory-simulated-s)")
    print(f"scipy solve_ivp RK45 (rtol 1e-8), 1 entry, EI → deploy: {t_ivp:.2f} s for {deploy_s:.0f} s "
          f"({per_sim_s_ivp * 1e3:.2f} ms per simulated s, {sol.nfev} evaluations)")
    print(f"  state at deploy, solve_ivp vs edlcam: altitude {alt_ivp - rec['altitude_m'][i_dep, 0]:+.1f} m, "
          f"speed {speed_ivp - rec['speed_m_s'][i_dep, 0]:+.2f} m/s")
    print(f"ratio per trajectory-simulated-second: solve_ivp / edlcam single = {per_sim_s_ivp / per_sim_s_one:.2f}x, "
          f"solve_ivp / edlcam batch of {BATCH} = {per_sim_s_ivp / per_sim_s_batch:.0f}x")


if __name__ == "__main__":
    main()
