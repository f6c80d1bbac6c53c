"""The film's edit: which cameras fill which panels of the frame, shot by shot.

The edit follows the film NASA released on 2021-02-22 (parachute inflation to touchdown, 3 min
25 s; REFERENCE.md): the parachute up-look cameras under the canopy, the rover's down-look
camera from heat-shield separation, and a split screen in the sky crane — the descent stage's
camera looking down at the rover on its bridles beside the rover's camera looking up at the
descent stage — to after the descent stage flies away. Each panel lists cameras in order of
preference (the mission's ``[cameras] film_*``); the compositor (:mod:`edlcam.ground.compose`)
shows the first one recording at that instant. Split from :mod:`edlcam.ground.assemble`, which
encodes the film.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FILM_WIDTH_PX", "FILM_HEIGHT_PX", "Panel", "Shot", "film_span", "edit_list", "last_shown"]

FILM_WIDTH_PX = 1280
FILM_HEIGHT_PX = 720


@dataclass(frozen=True)
class Panel:
    """A rectangle of the film frame and the cameras that may fill it, preferred first."""

    cameras: tuple[str, ...]
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class Shot:
    """A stretch of the film with one layout."""

    name: str
    t_start_s: float
    t_end_s: float
    panels: tuple[Panel, ...]
    info: tuple[int, int, int, int]  # telemetry box (x0, y0, x1, y1)
    caption_x: int
    caption_bottom: int


def _film_panels(film) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """The panels' camera lists (parachute, descent, sky crane) of a mission's ``[cameras]``
    (``film_*``), or Mars 2020's when ``film`` is None."""
    if film is None:
        from edlcam.config.cameras import CamerasConfig

        film = CamerasConfig()
    return film.film_parachute, film.film_descent, film.film_skycrane


def film_span(events: dict[str, float], windows: dict[str, tuple[float, float]], film=None) -> tuple[float, float]:
    """(start, end) of the film [E+ s]: a second before parachute deploy (or before the first
    frame, where the cameras start later) to the last frame of the descent's and
    the sky crane's cameras (``film``: the mission's ``[cameras]``, default Mars 2020's).

    The end is at least 5 s after ``flyaway_start`` where the flight has one, so the flyaway is seen.
    """
    _chute, descent, crane = _film_panels(film)
    first = min((w[0] for w in windows.values()), default=0.0)
    start = max(events.get("parachute_deploy", first), first) - 1.0
    late = {c for panel in (descent[0], *crane) for c in panel}
    ends = [windows[c][1] for c in late if c in windows]
    end = max(ends) if ends else max((w[1] for w in windows.values()), default=start + 1.0)
    if "flyaway_start" in events:
        end = max(end, events["flyaway_start"] + 5.0)
    return start, end


def edit_list(events: dict[str, float], windows: dict[str, tuple[float, float]], t_start_s: float,
              t_end_s: float, *, width: int = FILM_WIDTH_PX, height: int = FILM_HEIGHT_PX, film=None) -> list[Shot]:
    """The film's shots between ``t_start_s`` and ``t_end_s`` for a flight's events and camera windows.

    Layouts: one camera large (5:4, full height) with two insets and the telemetry in a column
    beside it; in the sky crane two cameras side by side above a telemetry strip. Which cameras
    fill each panel is the mission's (``film``: its ``[cameras]`` ``film_*`` lists; default
    Mars 2020's). Every edge is on an even pixel, so panels hold whole 4:2:0 chroma samples (at
    1280×720 they are anyway).
    """
    chute, descent, crane_panels = _film_panels(film)
    main_w = min(width // 2 * 2, 2 * int(round(height * 5 / 8)))
    col_w = width - main_w
    inset_h = 2 * int(round(col_w * 2 / 5))

    def column(main, first, second) -> tuple[Panel, ...]:
        # An inset that names no camera is left out (MSL flew one camera: its telemetry takes the column).
        insets = [Panel(tuple(cams), main_w, y, col_w, inset_h) for cams, y in ((first, 0), (second, inset_h)) if cams]
        return (Panel(tuple(main), 0, 0, main_w, height), *insets)

    def info_for(n_panels: int) -> tuple[int, int, int, int]:
        """The telemetry's box in a column layout of ``n_panels`` (the main and its insets)."""
        return (main_w, min((n_panels - 1) * inset_h, height), width, height)

    hs = events.get("heatshield_separation", t_start_s)
    # The sky-crane shot starts where its panels' first cameras start recording after heat-shield
    # separation (Mars 2020: the DDC and the RUC, 2 s before the sky crane), else 2 s before it.
    crane = [windows[p[0]][0] for p in crane_panels if p and p[0] in windows and windows[p[0]][0] > hs]
    crane_t = min(crane) if crane else events.get("skycrane_start", t_end_s) - 2.0
    half = width // 4 * 2
    split_h = min(height - 100, 2 * int(round(half * 2 / 5))) // 2 * 2
    chute_panels, descent_panels = column(*chute), column(*descent)
    if crane_panels[1]:
        crane_shot = Shot("sky crane", crane_t, t_end_s,
                          (Panel(tuple(crane_panels[0]), 0, 0, half, split_h),
                           Panel(tuple(crane_panels[1]), half, 0, width - half, split_h)),
                          (0, split_h, width, height), width // 2, split_h)
    else:  # one camera at the sky crane: it stays large, the telemetry beside it
        crane_shot = Shot("sky crane", crane_t, t_end_s, column(crane_panels[0], [], []), info_for(1),
                          main_w // 2, height)
    shots = [
        Shot("parachute", t_start_s, hs, chute_panels, info_for(len(chute_panels)), main_w // 2, height),
        Shot("descent", hs, crane_t, descent_panels, info_for(len(descent_panels)), main_w // 2, height),
        crane_shot,
    ]
    out = []
    for s in shots:
        lo, hi = max(s.t_start_s, t_start_s), min(s.t_end_s, t_end_s)
        if hi > lo:
            out.append(Shot(s.name, lo, hi, s.panels, s.info, s.caption_x, s.caption_bottom))
    return out


def _minus(spans: list[tuple[float, float]], cut: tuple[float, float]) -> list[tuple[float, float]]:
    """``spans`` without the half-open interval ``cut``."""
    out = []
    for a, b in spans:
        if cut[1] <= a or cut[0] >= b:
            out.append((a, b))
            continue
        if a < cut[0]:
            out.append((a, cut[0]))
        if cut[1] < b:
            out.append((cut[1], b))
    return out


def last_shown(events: dict[str, float], windows: dict[str, tuple[float, float]], film=None,
               *, min_span_s: float = 0.5) -> dict[str, float]:
    """{camera: the last time [E+ s] the film shows it} for cameras recording over ``windows``
    (camera -> (first frame, end) [E+ s]); a camera the film never shows is left out.

    A panel shows the first of its cameras recording at that instant (:mod:`edlcam.ground.compose`),
    so a camera is on show over its shots ∩ its window, less the windows of the cameras before it.
    Spells shorter than ``min_span_s`` do not count: where cameras that stop together hand a
    panel over, the one whose last frame is a fraction of a period later is seen for a film frame
    or two.
    """
    t0, t1 = film_span(events, windows, film)
    last: dict[str, float] = {}
    for shot in edit_list(events, windows, t0, t1, film=film):
        for panel in shot.panels:
            for i, name in enumerate(panel.cameras):
                if name not in windows:
                    continue
                spans = [(max(shot.t_start_s, windows[name][0]), min(shot.t_end_s, windows[name][1]))]
                spans = [(a, b) for a, b in spans if b > a]
                for before in panel.cameras[:i]:
                    if before in windows:
                        spans = _minus(spans, windows[before])
                spans = [(a, b) for a, b in spans if b - a >= min_span_s]
                if spans:
                    last[name] = max(last.get(name, -float("inf")), max(b for _, b in spans))
    return last
