"""The LVS plots of a run: position error and its 3σ against time; the map with the estimates and
the chosen target (matplotlib, Agg)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["plot_lvs"]


def plot_lvs(lvs_dir, onboard_map, hazard) -> tuple[Path, Path]:
    """Write ``error.png`` and ``map.png`` into ``lvs_dir`` (a run's lvs/ or the one being built) from its
    images and summary (:mod:`edlcam.runfolder`'s names)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pyarrow.parquet as pq

    from edlcam import runfolder

    lvs_dir = Path(lvs_dir)
    root = lvs_dir.parent  # the run folder, or the staging folder shaped like it
    im = pq.read_table(root / runfolder.LVS_IMAGES).to_pandas()
    summary = json.loads((root / runfolder.LVS_SUMMARY).read_text())

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    t = im.t_s.to_numpy()
    for comp, colour in (("east", "tab:blue"), ("north", "tab:orange")):
        err = im[f"error_{comp}_m"].to_numpy()
        sig = np.sqrt(im[f"cov_{comp[0]}{comp[0]}_m2"].to_numpy())
        ax.plot(t, err, "o-", color=colour, ms=3, label=f"{comp} error")
        ax.fill_between(t, -3 * sig, 3 * sig, color=colour, alpha=0.15, label=f"{comp} ±3σ")
    ax.axhline(40.0, color="k", ls=":", lw=1)
    ax.axhline(-40.0, color="k", ls=":", lw=1, label="40 m requirement")
    # Scaled to the errors once LVS has a fix (the dead-reckoned kilometres before it would hide them).
    fixed = im[im.fix_accepted]
    after = im[im.t_s >= fixed.t_s.iloc[0]] if len(fixed) else im
    lim = max(100.0, 1.3 * float(np.nanmax(np.abs(after[["error_east_m", "error_north_m"]].to_numpy()))))
    ax.set_ylim(-lim, lim)
    ax.set_xlabel("time since entry interface [s]")
    ax.set_ylabel("position error [m]")
    ax.set_title(f"LVS: {summary['images']} images, error at the divert {summary['final_error_m']:.1f} m")
    ax.legend(fontsize=7, ncol=3, loc="upper right")
    ax.grid(alpha=0.3)
    err_path = lvs_dir / "error.png"
    fig.tight_layout()
    fig.savefig(err_path)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 7), dpi=100)
    half = 0.5 * hazard.probability.shape[0] * hazard.cell_m
    ce, cn = hazard.center_east_m, hazard.center_north_m
    extent_m = (ce - half, ce + half, cn - half, cn + half)
    col0, row0 = onboard_map.en_to_px(extent_m[0], extent_m[3])
    col1, row1 = onboard_map.en_to_px(extent_m[1], extent_m[2])
    c0, r0 = int(max(np.floor(col0), 0)), int(max(np.floor(row0), 0))
    crop = onboard_map.appearance[r0 : int(np.ceil(row1)) + 1, c0 : int(np.ceil(col1)) + 1]
    e0, n1 = onboard_map.px_to_en(c0 - 0.5, r0 - 0.5)
    e1, n0 = onboard_map.px_to_en(c0 + crop.shape[1] - 0.5, r0 + crop.shape[0] - 0.5)
    ax.imshow(crop, cmap="gray", extent=(e0, e1, n0, n1), origin="upper")
    ax.imshow(np.ma.masked_greater(hazard.probability, 0.9), cmap="Reds_r", vmin=0, vmax=1, alpha=0.35, extent=extent_m, origin="upper")
    ax.plot(im.true_east_m, im.true_north_m, "-", color="lime", lw=1.5, label="true track")
    ax.plot(im.est_east_m, im.est_north_m, "x", color="cyan", ms=5, label="LVS estimates")
    ax.plot(summary["target_east_m"], summary["target_north_m"], "*", color="yellow", ms=16, mec="k", label="selected target")
    ax.add_patch(matplotlib.patches.Circle((summary["estimate_east_m"], summary["estimate_north_m"]),
                                           summary["divert_m"] if summary["divert_m"] > 0 else 1.0, fill=False, ls="--", color="w"))  # fmt: skip
    ax.plot(summary["touchdown_east_m"], summary["touchdown_north_m"], "o", mfc="none", mec="magenta", ms=10, label="touchdown")
    ax.plot(0, 0, "+", color="w", ms=12, label="mission target")
    ax.set_xlim(extent_m[0], extent_m[1])
    ax.set_ylim(extent_m[2], extent_m[3])
    ax.set_xlabel("east of the target [m]")
    ax.set_ylabel("north of the target [m]")
    ax.set_title("onboard map, hazards (red), LVS estimates and Safe Target Selection")
    ax.legend(fontsize=7, loc="lower right")
    map_path = lvs_dir / "map.png"
    fig.tight_layout()
    fig.savefig(map_path)
    plt.close(fig)
    return err_path, map_path
