"""``RUN/ground/report.html``: one self-contained page about a landing.

Images are embedded as data URIs (the page can be mailed alone); the film is referenced
relatively (``landing.mp4`` beside the page) and embedded with ``<video>``. Sections: the
mission, the event table against the mission's published timeline, the flight plots, a contact sheet of
what came home, downlink progress (data home against time, per camera; matplotlib), the Monte
Carlo landing ellipse when a Monte Carlo folder is given or found, and the film.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
from pathlib import Path

import numpy as np

from edlcam import runfolder
from edlcam.ground.overlays import TRAJECTORY_COLUMNS
from edlcam.ground.timeline import event_table
from edlcam.staging import check_inputs

__all__ = ["write_report", "downlink_plot", "ground_contact_sheet", "data_uri"]

log = logging.getLogger(__name__)

CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.92em} td,th{padding:.25em .7em;border-bottom:1px solid #e4e4e4;text-align:right}
td:first-child,th:first-child{text-align:left} img{max-width:100%} video{width:100%;background:#000}
.note{color:#666;font-size:.9em} .bad{color:#b00}
"""


def data_uri(data: bytes, mime: str) -> str:
    """``data:`` URI of some bytes."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _jpeg(image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def downlink_plot(con) -> bytes | None:
    """PNG: cumulative megabytes received against Earth-received time, one line per camera."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from edlcam.link.clock import utc_to_unix_s

    rows = con.execute("SELECT camera, size_bytes, ert FROM products WHERE status = 'received' AND ert IS NOT NULL").fetchall()
    touchdown = con.execute("SELECT scet FROM events WHERE name = 'touchdown'").fetchone()
    if not rows or touchdown is None:
        return None
    t0 = utc_to_unix_s(touchdown[0])
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=100)
    for camera in sorted({r[0] for r in rows}):
        sel = sorted((utc_to_unix_s(r[2]) - t0, r[1]) for r in rows if r[0] == camera)
        hours = np.array([s[0] for s in sel]) / 3600.0
        mb = np.cumsum([s[1] for s in sel]) / 1e6
        ax.step(np.r_[0.0, hours], np.r_[0.0, mb], where="post", label=camera)
    ax.set_xlabel("Earth-received time, hours after touchdown (SCET)")
    ax.set_ylabel("data home [MB]")
    ax.set_title("Downlink progress per camera")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def ground_contact_sheet(run: Path, con, mission, events: dict[str, float], trajectory) -> bytes | None:
    """PNG: every camera at the landing's key moments, from the products that came home."""
    from PIL import Image, ImageDraw

    from edlcam.cameras.contact_sheet import key_moments
    from edlcam.ground.overlays import font
    from edlcam.ground.video import open_cameras

    cams = open_cameras(run, con, mission)
    moments = key_moments(events, trajectory)
    if not cams or not moments:
        return None
    cell_w, cell_h, label_w, head = 220, 176, 70, 22
    sheet = Image.new("RGB", (label_w + cell_w * len(moments), head + (cell_h + 2) * len(cams)), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    f = font(12)
    for c, m in enumerate(moments):
        draw.text((label_w + c * cell_w + 4, 5), f"{m.label}  E+{m.t_s:.1f}", fill=(230, 230, 230), font=f)
    for r, (name, frames) in enumerate(sorted(cams.items())):
        y = head + r * (cell_h + 2)
        draw.text((6, y + cell_h // 2 - 6), name.upper(), fill=(230, 230, 230), font=f)
        for c, m in enumerate(moments):
            x = label_w + c * cell_w
            pos = frames.position_at(m.t_s)
            kind = None if pos is None else frames.kind_at(pos)
            if kind is None:
                draw.rectangle((x, y, x + cell_w - 2, y + cell_h), fill=(48, 48, 48))
                text = "not recording" if pos is None else "not received"
                draw.text((x + 60, y + cell_h // 2 - 6), text, fill=(140, 140, 140), font=f)
                continue
            pic = Image.fromarray(frames.picture(pos).image)
            pic.thumbnail((cell_w - 2, cell_h), Image.Resampling.LANCZOS)
            sheet.paste(pic, (x, y))
            if kind in ("thumbnail", "browse"):
                draw.text((x + 4, y + 4), kind, fill=(255, 196, 64), font=f)
        frames.close()
    return _png(sheet)


def _montecarlo(run: Path, montecarlo: Path | None) -> tuple[dict, list[bytes]] | None:
    folder = montecarlo if montecarlo is not None else run / "montecarlo"
    summary = folder / "summary.json"
    if not summary.exists():
        if montecarlo is not None:
            from edlcam.errors import RunFolderError

            raise RunFolderError(f"{summary}: missing; run `edlcam montecarlo` with --out {folder} first")
        return None
    try:
        data = json.loads(summary.read_text())
    except json.JSONDecodeError as exc:
        from edlcam.errors import RunFolderError

        raise RunFolderError(f"{summary}: not valid JSON ({exc.msg}); run `edlcam montecarlo` again") from None
    return data, [p.read_bytes() for p in sorted(folder.glob("*.png"))]


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def write_report(run: str | Path, *, montecarlo: str | Path | None = None, stills: int = 4) -> Path:
    """Write RUN/ground/report.html (catalog and film first: ``edlcam assemble``)."""
    from PIL import Image

    from edlcam.ground.assemble import snapshots
    from edlcam.ground.catalog import open_catalog

    run = Path(run)
    check_inputs(run, ["flight", "lvs", "onboard", "link", "ground"])
    mission = runfolder.load_run_mission(run)
    flight_events = runfolder.read_events(run)
    events_list = [e.as_dict() for e in flight_events.all()]
    events = flight_events.times()
    trajectory = runfolder.read_trajectory(run, TRAJECTORY_COLUMNS).as_dict()
    con = open_catalog(run)
    parts = [f"<h1>{html.escape(mission.mission.name)} — landing report</h1>"]
    try:
        td = next((e for e in events_list if e["name"] == "touchdown"), None)
        facts = [["mission seed", mission.mission.seed], ["entry interface (SCET)", mission.entry.utc],
                 ["target", f"{mission.target.latitude_deg:.4f}° N, {mission.target.longitude_deg:.4f}° E"]]
        if td is not None:
            facts += [["touchdown (SCET)", td.get("utc", "")], ["touchdown E+", f"{float(td['t_s']):.1f} s"],
                      ["vertical speed", f"{float(td.get('vertical_speed_m_s', float('nan'))):.2f} m/s"],
                      ["miss distance", f"{float(td.get('miss_distance_m', float('nan'))):.1f} m"]]
        parts.append("<h2>Mission</h2>" + _table(["", ""], facts))

        rows = [[r.name, f"{r.t_s:.1f}", "—" if r.nominal is None else
                 (f"{r.nominal[0]:.0f}" if r.nominal[0] == r.nominal[1] else f"{r.nominal[0]:.0f}–{r.nominal[1]:.0f}"),
                 "—" if r.difference_s is None else f"{r.difference_s:+.1f}",
                 "—" if r.height_agl_m is None else f"{r.height_agl_m:,.0f}",
                 "—" if r.speed_m_s is None else f"{r.speed_m_s:.1f}", r.utc] for r in event_table(events_list, mission.mission.published())]
        parts.append("<h2>Events</h2><p class=note>Simulated against the mission's published timeline "
                     "([mission.published_timeline_s]); difference 0 inside a published range.</p>"
                     + _table(["event", "E+ s", "NASA E+ s", "diff s", "height m", "speed m/s", "UTC (SCET)"], rows))

        film = run / runfolder.LANDING_FILM
        assembly = run / runfolder.ASSEMBLY
        parts.append("<h2>The film</h2>")
        if film.exists():
            parts.append('<video controls preload="metadata" src="landing.mp4"></video>')
            note = ""
            if assembly.exists():
                a = json.loads(assembly.read_text()).get("film", {})
                kinds = a.get("panel_kinds", {})
                total = sum(kinds.values()) or 1
                shares = ", ".join(f"{k} {100 * v / total:.0f} %" for k, v in sorted(kinds.items()))
                note = (f"{a.get('width')}×{a.get('height')} at {a.get('fps')} fps, E+{a.get('t_start_s', 0):.1f} "
                        f"to E+{a.get('t_end_s', 0):.1f} s. Panel frames by source: {shares}. "
                        f"{a.get('sound') or 'No sound received.'} The raw microphone track is physical pressure "
                        "(entry at −60…−90 dBFS); the film's sound is compressed for listening.")
            parts.append(f"<p class=note>{html.escape(note)}</p>")
            d = json.loads(assembly.read_text()).get("film", {}) if assembly.exists() else {}
            length = float(d.get("t_end_s", 0)) - float(d.get("t_start_s", 0))
            if stills and length > 0:
                times = [length * (k + 0.5) / stills for k in range(stills)]
                imgs = "".join(f'<img style="width:49%" src="{data_uri(_jpeg(Image.fromarray(im)), "image/jpeg")}" '
                               f'alt="film at {t:.1f} s">' for t, im in snapshots(film, times))
                parts.append(f"<p>{imgs}</p>")
        else:
            parts.append(f"<p class=bad>landing.mp4 is not made yet: run <code>edlcam assemble {html.escape(str(run))}</code>.</p>")

        parts.append("<h2>Flight</h2>")
        for png in sorted((run / runfolder.FLIGHT_DIR).glob("*.png")):
            parts.append(f'<p><img src="{data_uri(png.read_bytes(), "image/png")}" alt="{html.escape(png.stem)}"></p>')

        if (run / runfolder.LVS_SUMMARY).exists():
            s = json.loads((run / runfolder.LVS_SUMMARY).read_text())
            facts = [["images / fixes", f"{s['images']} / {s['fixes_accepted']}"],
                     ["dead-reckoned error at the first image", f"{float(np.hypot(s['initial_error_east_m'], s['initial_error_north_m'])):.0f} m"],
                     ["position error at the divert", f"{s['final_error_m']:.1f} m (requirement < 40 m)"],
                     ["selected target", f"{s['target_east_m']:+.0f} m E, {s['target_north_m']:+.0f} m N (p(safe) {s['target_probability']:.2f}, divert {s['divert_m']:.0f} m)"],
                     ["touchdown to the target", f"{s['touchdown_to_target_m']:.1f} m (requirement 60 m), {'safe' if s['touchdown_safe'] else 'unsafe'} ground"],
                     ["localization CPU per image", f"{1e3 * s['cpu_s_per_image']:.0f} ms"]]
            parts.append("<h2>Terrain-relative navigation (LVS)</h2><p class=note>The Lander Vision System on the LCAM's "
                         "frames along the true descent, fused with the IMU; Safe Target Selection on the hazard map "
                         "(Johnson et al. 2017, 2022).</p>" + _table(["", ""], facts))
            lvs = run / runfolder.LVS_DIR
            for png in ("error.png", "map.png"):
                if (lvs / png).exists():
                    parts.append(f'<p><img src="{data_uri((lvs / png).read_bytes(), "image/png")}" alt="LVS {png[:-4]}"></p>')

        sheet = ground_contact_sheet(run, con, mission, events, trajectory)
        if sheet is not None:
            parts.append("<h2>Contact sheet</h2><p class=note>Every camera at the key moments, from the products "
                         "that came home (amber: a reduced product upscaled).</p>"
                         f'<img src="{data_uri(sheet, "image/png")}" alt="contact sheet">')

        parts.append("<h2>Downlink</h2>")
        plot = downlink_plot(con)
        if plot is not None:
            parts.append(f'<img src="{data_uri(plot, "image/png")}" alt="downlink progress">')
        kinds = con.execute("SELECT kind, status, COUNT(*), SUM(size_bytes) FROM products GROUP BY kind, status "
                            "ORDER BY kind, status").fetchall()
        parts.append(_table(["kind", "status", "products", "MB"], [[k, s, n, f"{b / 1e6:.1f}"] for k, s, n, b in kinds]))
        passes = con.execute("SELECT pass, orbiter, start_scet, bits_sent, bytes_delivered FROM passes ORDER BY pass").fetchall()
        parts.append(_table(["pass", "orbiter", "start (SCET)", "Mbit sent", "MB delivered"],
                            [[p, o, s, f"{b / 1e6:.0f}", f"{d / 1e6:.1f}"] for p, o, s, b, d in passes]))

        mc = _montecarlo(run, Path(montecarlo) if montecarlo is not None else None)
        if mc is not None:
            data, pngs = mc
            scalars = [[k, v] for k, v in data.items() if isinstance(v, (int, float, str))]
            parts.append("<h2>Monte Carlo</h2>" + _table(["", ""], scalars))
            parts.extend(f'<p><img src="{data_uri(p, "image/png")}" alt="Monte Carlo"></p>' for p in pngs)
    finally:
        con.close()
    page = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(mission.mission.name)} "
            f"landing report</title><style>{CSS}</style></head><body>{''.join(parts)}</body></html>\n")
    # written whole, then renamed (runfolder's writers): a reader never sees half a page
    return runfolder.write_text(run / runfolder.REPORT_HTML, page)
