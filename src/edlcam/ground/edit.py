"""The film's edit: which cameras fill which panels of the frame, shot by shot.

The edit follows the film NASA released on 2021-02-22 (parachute inflation to touchdown, 3 min
25 s; REFERENCE.md): the parachute up-look cameras under the canopy, the rover's down-look
camera from heat-shield separation, and a split screen in the sky crane — the descent stage's
camera looking down at the rover on its bridles beside the rover's camera looking up at the
descent stage — to after the descent stage flies away. Each panel lists cameras in order of
preference (the mission's ``[cameras] film_*``); the compositor (:mod:`edlcam.ground.compose`)
shows the first one recording at that instant, and a panel with none recording gives its place
to the others. Split from :mod:`edlcam.ground.assemble`, which
encodes the film.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

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
              t_end_s: float, *, width: int = FILM_WIDTH_PX, height: int = FILM_HEIGHT_PX, film=None,
              min_span_s: float = 0.5) -> list[Shot]:
    """The film's shots between ``t_start_s`` and ``t_end_s`` for a flight's events and camera windows.

    Layouts: one camera large (5:4, full height) with two insets and the telemetry in a column
    beside it; in the sky crane two cameras side by side above a telemetry strip. Which cameras
    fill each panel is the mission's (``film``: its ``[cameras]`` ``film_*`` lists; default
    Mars 2020's). A panel none of whose cameras is recording gives its place to the next
    (:func:`_live_layouts`): the shot is cut where that changes, its insets move up and the
    telemetry takes the room left, or one side of the split screen takes the column layout; spells
    and gaps shorter than ``min_span_s`` [s] do not move the layout. Every edge is on an even
    pixel, so panels hold whole 4:2:0 chroma samples (at 1280×720 they are anyway).
    """
    chute, descent, crane_panels = _film_panels(film)
    main_w = min(width // 2 * 2, 2 * int(round(height * 5 / 8)))
    col_w = width - main_w
    inset_h = 2 * int(round(col_w * 2 / 5))

    def column(main, *insets) -> tuple[Panel, ...]:
        # An inset that names no camera is left out (MSL flew one camera: its telemetry takes the column).
        insets = [cams for cams in insets if cams][:2]
        return (Panel(tuple(main), 0, 0, main_w, height),
                *(Panel(tuple(cams), main_w, k * inset_h, col_w, inset_h) for k, cams in enumerate(insets)))

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

    def layout(name: str, lists: list, lo: float, hi: float) -> Shot:
        """The shot ``name`` over [lo, hi) with the panels of ``lists`` (camera lists, main first)."""
        if name == "sky crane" and len(lists) == 2:  # side by side above a telemetry strip
            return Shot(name, lo, hi, (Panel(tuple(lists[0]), 0, 0, half, split_h),
                                       Panel(tuple(lists[1]), half, 0, width - half, split_h)),
                        (0, split_h, width, height), width // 2, split_h)
        panels = column(*lists)  # one camera at the sky crane: it stays large, the telemetry beside it
        return Shot(name, lo, hi, panels, info_for(len(panels)), main_w // 2, height)

    # Which panels are live is decided over each shot's whole span, then cut to [t_start_s, t_end_s):
    # a film cut short shows the same layout at each instant as the whole film.
    plan = [("parachute", -math.inf, hs, chute), ("descent", hs, crane_t, descent),
            ("sky crane", crane_t, math.inf, [p for p in crane_panels if p] or crane_panels[:1])]
    out: list[Shot] = []
    for name, lo, hi, lists in plan:
        if hi <= lo:
            continue
        for a, b, live in _live_layouts([list(p) for p in lists if p] or [[]], windows, lo, hi, min_span_s):
            a, b = max(a, t_start_s), min(b, t_end_s)
            if b <= a:
                continue
            shot = layout(name, live, a, b)
            if out and out[-1].name == name and out[-1].panels == shot.panels and out[-1].t_end_s == a:
                out[-1] = replace(out[-1], t_end_s=b)
            else:
                out.append(shot)
    return out


def _live(cameras: list[str], windows: dict[str, tuple[float, float]], lo: float, hi: float,
          min_span_s: float) -> list[tuple[float, float]]:
    """Where over [lo, hi) [E+ s] a panel listing ``cameras`` shows one: each camera where it
    records and no camera before it does, less spells shorter than ``min_span_s`` (as
    :func:`last_shown` counts them; a spell that is all of [lo, hi) counts), with gaps shorter
    than it closed (a panel keeps its place over a dropped frame or two)."""
    shown: list[tuple[float, float]] = []
    for i, name in enumerate(cameras):
        if name not in windows:
            continue
        spans = [(max(lo, windows[name][0]), min(hi, windows[name][1]))]
        for before in cameras[:i]:
            if before in windows:
                spans = _minus(spans, windows[before])
        shown += [(a, b) for a, b in spans if b - a >= min_span_s or (a, b) == (lo, hi)]
    merged: list[list[float]] = []
    for a, b in sorted(shown):
        if merged and a - merged[-1][1] < min_span_s:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _live_layouts(lists: list[list[str]], windows: dict[str, tuple[float, float]], lo: float, hi: float,
                  min_span_s: float) -> list[tuple[float, float, list[list[str]]]]:
    """[(start, end, the panels' camera lists with a camera recording then)] over [lo, hi) [E+ s].

    A panel whose cameras have all stopped (or not yet started) gives its place to the panels
    after it, so no slot of the frame stays empty while a camera it could show is recording
    (Mars 2020: the parachute cameras stop at backshell separation; through powered descent the
    LCAM moves up beside the RDC). Where no panel has a camera recording, all are kept: their
    cards say so.
    """
    live = [_live(cams, windows, lo, hi, min_span_s) for cams in lists]
    cuts = sorted({lo, hi, *(t for spans in live for span in spans for t in span)})
    out: list[tuple[float, float, list[list[str]]]] = []
    for a, b in zip(cuts, cuts[1:]):
        on = [cams for cams, spans in zip(lists, live) if any(x <= a and b <= y for x, y in spans)] or lists
        if out and out[-1][2] == on:
            out[-1] = (out[-1][0], b, on)
        else:
            out.append((a, b, on))
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
    for shot in edit_list(events, windows, t0, t1, film=film, min_span_s=min_span_s):
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
