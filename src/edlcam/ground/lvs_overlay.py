"""The Lander Vision System drawn on the LCAM's frames in the film, as JPL's own LVS video showed
it: each landmark matched to the map (green: kept, red: rejected as an outlier), the fix's
numbers, and after the divert decision the target Safe Target Selection chose: a yellow ring where
it lies in the frame (``lvs/target.parquet``) and its numbers.

Reads ``RUN/lvs/`` (docs/run-folder.md); a run without it films the LCAM unmarked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edlcam import runfolder
from edlcam.errors import RunFolderError

__all__ = ["LvsOverlay"]

GREEN = (60, 230, 90)
RED = (235, 60, 50)
YELLOW = (250, 215, 40)
_SAME_FRAME_S = 0.05  # an LVS image and a film frame this close in time are the same exposure


@dataclass(frozen=True)
class LvsOverlay:
    """Per LVS image: its time, landmarks (x, y as fractions, inlier) and fix; the STS choice."""

    camera: str
    t_s: np.ndarray
    landmarks: dict  # image row → (x, y, inlier) arrays
    rows: list
    summary: dict
    target: dict | None = None  # t_s, x, y of the selected target in the image (lvs/target.parquet)

    @classmethod
    def load(cls, run: str | Path, camera: str) -> "LvsOverlay | None":
        """The overlay of ``run``, or None when the run has no ``lvs/``."""
        import pyarrow.parquet as pq

        run = Path(run)
        lvs = run / runfolder.LVS_DIR
        if not (run / runfolder.LVS_SUMMARY).exists():
            return None
        try:
            images = pq.read_table(run / runfolder.LVS_IMAGES).to_pylist()
            lm = pq.read_table(run / runfolder.LVS_LANDMARKS).to_pydict()
            summary = json.loads((run / runfolder.LVS_SUMMARY).read_text())
            target = None
            if (run / runfolder.LVS_TARGET).exists():  # lvs/ written before the target's track had none
                target = {k: np.asarray(v, float) for k, v in pq.read_table(run / runfolder.LVS_TARGET).to_pydict().items()}
        except Exception as exc:  # pyarrow and json raise several types for a damaged file
            raise RunFolderError(f"{lvs}: unreadable LVS output ({exc}); run `edlcam lvs {run}` again") from None
        img = np.asarray(lm.get("image", []), int)
        marks = {}
        for i in np.unique(img):
            sel = img == i
            marks[int(i)] = (np.asarray(lm["x"])[sel], np.asarray(lm["y"])[sel], np.asarray(lm["inlier"], bool)[sel])
        return cls(camera, np.array([r["t_s"] for r in images], float), marks, images, summary, target)

    def image_at(self, t_s: float) -> int | None:
        """The LVS image exposed at ``t_s`` (the same LCAM frame), or None."""
        if self.t_s.size == 0:
            return None
        i = int(np.argmin(np.abs(self.t_s - t_s)))
        return i if abs(self.t_s[i] - t_s) <= _SAME_FRAME_S else None

    def target_at(self, t_s: float) -> tuple[float, float] | None:
        """The selected target's (x, y) in the frame at ``t_s`` (fractions), or None when out of view."""
        tr = self.target
        if tr is None or tr["t_s"].size < 2 or not tr["t_s"][0] <= t_s <= tr["t_s"][-1]:
            return None
        k = min(int(np.searchsorted(tr["t_s"], t_s, side="right")), tr["t_s"].size - 1)
        a = (t_s - tr["t_s"][k - 1]) / max(tr["t_s"][k] - tr["t_s"][k - 1], 1e-9)
        x = (1 - a) * tr["x"][k - 1] + a * tr["x"][k]
        y = (1 - a) * tr["y"][k - 1] + a * tr["y"][k]
        return (float(x), float(y)) if np.isfinite(x) and np.isfinite(y) else None

    def draw(self, rgb: np.ndarray, t_s: float) -> np.ndarray | None:
        """A copy of the frame ``rgb`` with the LVS marks of time ``t_s``; None when there are none."""
        import cv2

        i = self.image_at(t_s)
        after = t_s >= float(self.summary.get("t_divert_s", np.inf)) - 1.0
        if i is None and not after:
            return None
        out = np.ascontiguousarray(rgb.copy())
        h, w = out.shape[:2]
        r = max(2, w // 120)
        lines = []
        if i is not None:
            x, y, inl = self.landmarks.get(i, (np.zeros(0), np.zeros(0), np.zeros(0, bool)))
            for xx, yy, ok in zip(x, y, inl):
                c = (int(round(xx * w)), int(round(yy * h)))
                if ok:
                    cv2.circle(out, c, r, GREEN, 1, cv2.LINE_AA)
                else:
                    cv2.drawMarker(out, c, RED, cv2.MARKER_TILTED_CROSS, 2 * r, 1, cv2.LINE_AA)
            row = self.rows[i]
            if row["fix_ok"]:
                lines.append(f"LVS {row['fix_stage']}: {row['inliers']} landmarks")
                lines.append(f"1-sigma {row['sigma_m']:.0f} m, error {row['error_m']:.0f} m")
            else:
                lines.append("LVS: no fix")
        if after:
            at = self.target_at(t_s)
            if at is not None:
                c = (int(round(at[0] * w)), int(round(at[1] * h)))
                cv2.circle(out, c, 3 * r, YELLOW, max(1, r // 2), cv2.LINE_AA)
                cv2.drawMarker(out, c, YELLOW, cv2.MARKER_CROSS, 2 * r, 1, cv2.LINE_AA)
            s = self.summary
            lines.append(f"STS target {s['target_east_m']:+.0f} E {s['target_north_m']:+.0f} N m")
            lines.append(f"p(safe) {s['target_probability']:.2f}, divert {s['divert_m']:.0f} m")
        # Lines a 22nd of the frame tall, narrowed to fit its width: legible in the film's LCAM panel
        # (≈ 300 px) whatever size the frame came home at.
        font = cv2.FONT_HERSHEY_SIMPLEX
        widest = max((cv2.getTextSize(text, font, 1.0, 1)[0][0] for text in lines), default=1)
        cap = cv2.getTextSize("A", font, 1.0, 1)[0][1]
        scale = min(h / 22.0 / cap, 0.94 * w / widest)
        step = int(round(1.5 * cap * scale))
        y0 = h - step * len(lines) - max(2, h // 80)
        for k, text in enumerate(lines):
            org = (max(2, w // 100), y0 + step * (k + 1))
            thick = max(1, int(round(h / 400)))
            for dx, dy in ((-1, -1), (1, -1), (-1, 1), (1, 1)):  # a dark edge (a thicker stroke would advance wider)
                cv2.putText(out, text, (org[0] + dx, org[1] + dy), font, scale, (0, 0, 0), thick, cv2.LINE_AA)
            cv2.putText(out, text, org, font, scale, YELLOW if "STS" in text or "p(safe)" in text else GREEN, thick, cv2.LINE_AA)
        return out
