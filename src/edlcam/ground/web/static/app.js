// edlcam viewer: the film, charts that follow it, events that seek it, thumbnails, requests, live.
// Plain ES2020, no build step; Plotly is the only library (served from the Python package).
"use strict";

const $ = (id) => document.getElementById(id);
const SERIES = [
  // [column, axis title, factor from SI to the display unit]
  ["height_agl_m", "height [km]", 1e-3],
  ["speed_m_s", "speed [m/s]", 1],
  ["mach", "Mach", 1],
  ["decel_g", "decel [g]", 1],
  ["dynamic_pressure_pa", "q [kPa]", 1e-3],
];
const VALUE_ROWS = [
  ["height_agl_m", "height", (v) => `${(v / 1000).toFixed(2)} km`],
  ["speed_m_s", "speed", (v) => `${v.toFixed(1)} m/s`],
  ["mach", "Mach", (v) => v.toFixed(2)],
  ["decel_g", "decel", (v) => `${v.toFixed(2)} g`],
  ["dynamic_pressure_pa", "q", (v) => `${v.toFixed(0)} Pa`],
];

const state = {
  run: null, traj: null, events: [], videos: [], video: null,
  selection: [], thumbs: [], cursorT: null, cursorPending: false, live: null, pollTimer: null,
};

async function getJSON(url, options) {
  const r = await fetch(url, options);
  let body = null;
  try { body = await r.json(); } catch (_) { /* not JSON */ }
  if (!r.ok) throw new Error((body && body.error && body.error.detail) || `${url}: HTTP ${r.status}`);
  return body;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
}

function fmtE(t) { return t == null ? "E+ —" : `E+ ${t.toFixed(1)} s`; }

// ---- run ------------------------------------------------------------------------------------

async function init() {
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  const runs = await getJSON("/api/runs");
  const sel = $("run");
  for (const r of runs) sel.append(el("option", { value: r.id, textContent: r.name }));
  sel.addEventListener("change", () => loadRun(sel.value));
  wireFilm();
  wireGallery();
  wireLive();
  if (runs.length) await loadRun(runs[0].id);
  document.body.dataset.ready = "1";
}

function showTab(name) {
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of document.querySelectorAll(".tab")) s.classList.toggle("active", s.id === `tab-${name}`);
  if (name === "report") showReport();
  if (name === "film" && state.traj) Plotly.Plots.resize($("charts"));
}

async function loadRun(id) {
  const base = `/api/runs/${encodeURIComponent(id)}`;
  const [run, events, videos] = await Promise.all([getJSON(base), getJSON(`${base}/events`), getJSON(`${base}/videos`)]);
  state.run = run; state.events = events; state.videos = videos; state.selection = [];
  state.traj = run.flight ? await getJSON(`${base}/trajectory`) : null;
  drawCharts();
  drawCameras();
  selectVideo(videos.length ? videos[0] : null, null);
  drawEvents();
  fillThumbCameras();
  await Promise.all([loadThumbs(), loadRequests()]);
  $("report").removeAttribute("src");
}

// ---- film -----------------------------------------------------------------------------------

function wireFilm() {
  const v = $("film");
  v.addEventListener("timeupdate", onFilmTime);
  v.addEventListener("seeked", onFilmTime);
  v.addEventListener("play", () => requestAnimationFrame(followPlayback));
  v.addEventListener("error", () => {
    const err = v.error;
    if (err && state.video) $("film-note").textContent = `${state.video.file}: the browser cannot play it (code ${err.code})`;
  });
}

function filmT() {
  const v = $("film");
  return state.video ? state.video.t_start_s + v.currentTime : null;
}

function onFilmTime() {
  const t = filmT();
  if (t == null) return;
  $("clock").textContent = fmtE(t);
  showValues(t);
  setCursor(t);
}

function followPlayback() {
  const v = $("film");
  onFilmTime();
  if (!v.paused && !v.ended) requestAnimationFrame(followPlayback);
}

function drawCameras() {
  const box = $("cameras");
  box.replaceChildren();
  for (const vid of state.videos) {
    const b = el("button", { textContent: vid.name === "landing" ? "landing (all views)" : vid.name.toUpperCase(), "data-video": vid.name });
    b.addEventListener("click", () => selectVideo(vid, filmT()));
    box.append(b);
  }
  if (!state.videos.length) $("film-note").textContent = "no film yet in RUN/ground/ (run `edlcam assemble`)";
}

function selectVideo(vid, keepT) {
  const v = $("film");
  const wasPlaying = !v.paused && !v.ended;
  state.video = vid;
  for (const b of $("cameras").children) b.classList.toggle("active", vid && b.dataset.video === vid.name);
  if (!vid) { v.removeAttribute("src"); v.load(); return; }
  $("film-note").textContent = vid.t_start_source === "assumed"
    ? `${vid.file}: its start time is unknown; assumed E+ 0`
    : `${vid.file}: starts at E+ ${vid.t_start_s.toFixed(1)} s`;
  v.src = vid.url;
  v.addEventListener("loadedmetadata", () => {
    if (keepT != null) seekTo(keepT);
    else onFilmTime();
    if (wasPlaying) v.play().catch(() => {});
  }, { once: true });
  drawFilmSpan();
}

function seekTo(t) {
  const v = $("film");
  if (!state.video) return;
  const dur = Number.isFinite(v.duration) ? v.duration : (state.video.duration_s || 0);
  const x = Math.min(Math.max(t - state.video.t_start_s, 0), Math.max(dur - 0.001, 0));
  v.currentTime = x;
  setCursor(state.video.t_start_s + x);
  $("clock").textContent = fmtE(state.video.t_start_s + x);
  showValues(state.video.t_start_s + x);
}

function drawEvents() {
  const box = $("events");
  box.replaceChildren();
  for (const e of state.events) {
    const b = el("button", { title: `${e.label} at E+ ${e.t_s.toFixed(1)} s — click to seek the film`, "data-event": e.name },
      e.label, el("span", { class: "t", textContent: e.t_s.toFixed(0) }));
    b.addEventListener("click", () => seekTo(e.t_s));
    box.append(b);
  }
  markOutside();
}

function markOutside() {
  const v = state.video;
  for (const b of $("events").children) {
    const e = state.events.find((x) => x.name === b.dataset.event);
    const end = v && v.duration_s != null ? v.t_start_s + v.duration_s : Infinity;
    b.classList.toggle("outside", !v || e.t_s < v.t_start_s || e.t_s > end);
  }
}

// ---- charts ---------------------------------------------------------------------------------

function interp(xs, ys, x) {
  let lo = 0, hi = xs.length - 1;
  if (hi < 0 || x < xs[0] || x > xs[hi]) return null;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (xs[mid] <= x) lo = mid; else hi = mid; }
  const a = ys[lo], b = ys[hi];
  if (a == null || b == null) return null;
  const f = xs[hi] === xs[lo] ? 0 : (x - xs[lo]) / (xs[hi] - xs[lo]);
  return a + f * (b - a);
}

function showValues(t) {
  const body = $("values").tBodies[0];
  body.replaceChildren();
  if (!state.traj) return;
  for (const [col, label, fmt] of VALUE_ROWS) {
    const v = interp(state.traj.t_s, state.traj[col], t);
    body.append(el("tr", {}, el("th", { textContent: label }), el("td", { textContent: v == null ? "—" : fmt(v) })));
  }
}

function drawCharts() {
  const box = $("charts");
  if (!state.traj) { Plotly.purge(box); box.textContent = "no flight/trajectory.parquet in this run"; return; }
  box.textContent = "";
  const tr = state.traj;
  const n = SERIES.length, gap = 0.03, h = (1 - gap * (n - 1)) / n;
  const traces = SERIES.map(([col, title, k], i) => ({
    x: tr.t_s, y: tr[col].map((v) => (v == null ? null : v * k)), name: title, yaxis: i ? `y${i + 1}` : "y",
    type: "scatter", mode: "lines", line: { width: 1.6, color: ["#59b3ff", "#ff8a3d", "#c38bff", "#ff5c7a", "#4cd37a"][i] },
    hovertemplate: `E+ %{x:.1f} s<br>${title} %{y:.3g}<extra></extra>`,
  }));
  // Event markers on the top chart: click one to seek the film.
  const h0 = state.events.map((e) => interp(tr.t_s, tr.height_agl_m, e.t_s));
  traces.push({
    x: state.events.map((e) => e.t_s), y: h0.map((v) => (v == null ? null : v / 1000)), yaxis: "y",
    type: "scatter", mode: "markers", name: "events", marker: { size: 9, color: "#ffcc4d", symbol: "diamond" },
    text: state.events.map((e) => e.label), customdata: state.events.map((e) => e.name),
    hovertemplate: "%{text}<br>E+ %{x:.1f} s — click to seek<extra></extra>",
  });
  const layout = {
    height: 640, margin: { l: 60, r: 12, t: 8, b: 36 }, showlegend: false,
    paper_bgcolor: "#1d2026", plot_bgcolor: "#1d2026", font: { color: "#e6e6e6", size: 11 },
    xaxis: { title: { text: "E+ [s]" }, gridcolor: "#2e333b", anchor: `y${n}` },
    shapes: [
      { type: "line", xref: "x", yref: "paper", x0: 0, x1: 0, y0: 0, y1: 1, line: { color: "#ff8a3d", width: 2 }, name: "cursor" },
      { type: "rect", xref: "x", yref: "paper", x0: 0, x1: 0, y0: 0, y1: 1, fillcolor: "rgba(255,255,255,0.05)", line: { width: 0 }, name: "film", layer: "below" },
      ...state.events.map((e) => ({ type: "line", xref: "x", yref: "paper", x0: e.t_s, x1: e.t_s, y0: 0, y1: 1, line: { color: "#555c66", width: 1, dash: "dot" } })),
    ],
  };
  SERIES.forEach(([, title], i) => {
    const top = 1 - i * (h + gap);
    // Every row hangs on the one x axis, so one cursor line spans them all.
    layout[i ? `yaxis${i + 1}` : "yaxis"] = { domain: [top - h, top], anchor: "x", title: { text: title, font: { size: 10 } }, gridcolor: "#2e333b", zeroline: false };
  });
  Plotly.newPlot(box, traces, layout, { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] });
  box.on("plotly_click", (ev) => {
    const pts = ev.points || [];
    const p = pts.find((q) => q.data && q.data.name === "events") || pts[0];
    if (!p) return;
    // A click on a diamond seeks to its event even where Plotly picks the height line's nearest
    // sample under it (a tenth of a second away): on the top chart, within the marker's half-width.
    const xa = box._fullLayout.xaxis;
    const onTop = !p.data || !p.data.yaxis || p.data.yaxis === "y";
    const hit = onTop && state.events.find((e) => Math.abs(xa.l2p(e.t_s) - xa.l2p(p.x)) <= 5);
    seekTo(hit ? hit.t_s : p.x);
  });
  state.cursorT = null;
  drawFilmSpan();
}

function drawFilmSpan() {
  const box = $("charts");
  if (!state.traj || !box.layout) return;
  const v = state.video;
  const x0 = v ? v.t_start_s : 0, x1 = v && v.duration_s != null ? v.t_start_s + v.duration_s : x0;
  Plotly.relayout(box, { "shapes[1].x0": x0, "shapes[1].x1": x1 });
  markOutside();
}

function setCursor(t) {
  state.cursorT = t;
  if (state.cursorPending) return;
  state.cursorPending = true;
  // At most one relayout per animation frame: the video's clock runs faster than Plotly redraws.
  requestAnimationFrame(() => {
    state.cursorPending = false;
    const box = $("charts");
    if (!box.layout || state.cursorT == null) return;
    Plotly.relayout(box, { "shapes[0].x0": state.cursorT, "shapes[0].x1": state.cursorT });
    box.dataset.cursor = state.cursorT.toFixed(3);
  });
}

// ---- thumbnails and requests ----------------------------------------------------------------

function wireGallery() {
  $("thumb-camera").addEventListener("change", () => { state.selection = []; loadThumbs(); });
  $("request").addEventListener("click", sendRequest);
}

function fillThumbCameras() {
  const sel = $("thumb-camera");
  sel.replaceChildren();
  for (const c of state.run.cameras.filter((c) => c !== "microphone")) sel.append(el("option", { value: c, textContent: c.toUpperCase() }));
}

async function loadThumbs() {
  const cam = $("thumb-camera").value;
  const box = $("gallery");
  box.replaceChildren();
  if (!cam) { $("thumb-count").textContent = "(none)"; updateSelection(); return; }
  const page = await getJSON(`/api/runs/${encodeURIComponent(state.run.id)}/thumbnails?camera=${encodeURIComponent(cam)}&limit=120`);
  state.thumbs = page.items;
  $("thumb-count").textContent = page.total > page.items.length ? `(${page.items.length} of ${page.total} shown)` : `(${page.total})`;
  for (const th of page.items) {
    const fig = el("figure", { "data-t": String(th.t_s), title: `${th.id} at E+ ${th.t_s.toFixed(2)} s` },
      el("img", { src: th.url, alt: th.id, loading: "lazy" }), el("figcaption", { textContent: fmtE(th.t_s) }));
    fig.addEventListener("click", () => pickThumb(th.t_s));
    box.append(fig);
  }
  updateSelection();
}

function pickThumb(t) {
  state.selection = state.selection.length === 1 ? [state.selection[0], t].sort((a, b) => a - b) : [t];
  updateSelection();
  seekTo(t);
}

function updateSelection() {
  const s = state.selection;
  const [a, b] = s.length ? [s[0], s[s.length - 1]] : [null, null];
  for (const f of $("gallery").children) {
    const t = Number(f.dataset.t);
    f.classList.toggle("selected", s.includes(t));
    f.classList.toggle("inrange", a != null && t > a && t < b);
  }
  $("request").disabled = !s.length;
  $("selection").textContent = s.length
    ? `${$("thumb-camera").value.toUpperCase()} E+ ${a.toFixed(1)} – ${b.toFixed(1)} s selected`
    : "click a thumbnail to start a range, click another to end it";
}

async function sendRequest() {
  const s = state.selection;
  if (!s.length) return;
  const body = { camera: $("thumb-camera").value, t_start_s: s[0], t_end_s: s[s.length - 1] };
  try {
    await getJSON(`/api/runs/${encodeURIComponent(state.run.id)}/requests`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    $("selection").textContent = "requested: pending until a later relay pass brings it";
  } catch (err) {
    $("selection").textContent = `request refused: ${err.message}`;
  }
  await loadRequests();
}

async function loadRequests() {
  const rows = await getJSON(`/api/runs/${encodeURIComponent(state.run.id)}/requests`);
  const body = $("requests").tBodies[0];
  body.replaceChildren();
  for (const r of rows) {
    body.append(el("tr", { "data-request": String(r.id) },
      el("td", { textContent: r.id }), el("td", { textContent: r.camera.toUpperCase() }),
      el("td", { textContent: r.t_start_s.toFixed(1) }), el("td", { textContent: r.t_end_s.toFixed(1) }),
      el("td", { textContent: r.quality }), el("td", { class: `status-${r.status}`, textContent: r.status }),
      el("td", { textContent: `${r.received} / ${r.products}` })));
  }
  clearTimeout(state.pollTimer);
  // A pending request turns "delivered" when a relay run (another process) brings it: poll.
  if (rows.some((r) => r.status === "pending")) state.pollTimer = setTimeout(loadRequests, 5000);
}

// ---- report ---------------------------------------------------------------------------------

function showReport() {
  const url = state.run && state.run.report_url;
  $("report-note").textContent = url ? "" : "no report yet: RUN/ground/report.html appears after `edlcam assemble`";
  $("report").hidden = !url;
  if (url && $("report").getAttribute("src") !== url) $("report").src = url;
}

// ---- live -----------------------------------------------------------------------------------

function wireLive() {
  $("live-start").addEventListener("click", startLive);
  $("live-stop").addEventListener("click", stopLive);
}

function stopLive() {
  if (state.live) state.live.close();
  state.live = null;
  $("live-start").disabled = false;
  $("live-stop").disabled = true;
}

function startLive() {
  stopLive();
  const speed = $("live-speed").value;
  $("callouts").replaceChildren();
  $("touchdown").hidden = true;
  for (const id of ["live-ert", "live-mars", "live-e", "live-alt", "live-speed-v", "live-decel", "live-phase"]) $(id).textContent = "—";
  $("live-status").textContent = "connecting…";
  const src = new EventSource(`/api/runs/${encodeURIComponent(state.run.id)}/live?speed=${speed}`);
  state.live = src;
  $("live-start").disabled = true;
  $("live-stop").disabled = false;
  let lastData = null;
  src.addEventListener("start", (m) => {
    const d = JSON.parse(m.data);
    $("live-light").textContent = `${d.light_time_s.toFixed(0)} s one way`;
    $("live-status").textContent = `replaying at ${d.speed}× — the vehicle is at entry interface; Earth hears it one light time later`;
  });
  src.addEventListener("clock", (m) => {
    const d = JSON.parse(m.data);
    $("live-ert").textContent = d.ert.slice(11, 21);
    $("live-mars").textContent = fmtE(d.mars_t_s);
    if (lastData == null) $("live-e").textContent = d.ert_offset_s < 0 ? `waiting for the first signal (${(-d.ert_offset_s).toFixed(0)} s)` : "no data yet";
    else {
      const stale = d.ert_offset_s - lastData.ert_offset_s;
      $("live-e").className = stale > 3 ? "stale" : "";
      $("live-e").textContent = `${fmtE(lastData.t_s)}${stale > 3 ? ` — no UHF data for ${stale.toFixed(0)} s` : ""}`;
    }
  });
  src.addEventListener("telemetry", (m) => {
    const d = JSON.parse(m.data);
    lastData = d;
    $("live-e").className = "";
    $("live-e").textContent = fmtE(d.t_s);
    $("live-alt").textContent = `${(d.altitude_m / 1000).toFixed(2)} km (height ${(d.height_agl_m / 1000).toFixed(2)} km)`;
    $("live-speed-v").textContent = `${d.speed_m_s.toFixed(1)} m/s, vertical ${d.vu_m_s.toFixed(1)} m/s`;
    $("live-decel").textContent = `${d.decel_g.toFixed(2)} g, Mach ${d.mach.toFixed(2)}`;
    $("live-phase").textContent = d.phase.toUpperCase();
  });
  src.addEventListener("callout", (m) => {
    const d = JSON.parse(m.data);
    $("callouts").append(el("li", { "data-event": d.event },
      `${d.ert ? d.ert.slice(11, 19) : ""}  ${d.label} (E+ ${Number(d.t_s).toFixed(1)} s) `, el("span", { class: "via", textContent: d.via })));
  });
  src.addEventListener("touchdown", () => { $("touchdown").hidden = false; });
  src.addEventListener("end", () => { $("live-status").textContent = "replay finished"; stopLive(); });
  src.onerror = () => {
    if (state.live === src) { $("live-status").textContent = "the live stream stopped"; stopLive(); }
  };
}

window.addEventListener("DOMContentLoaded", () => {
  init().catch((err) => { document.body.dataset.ready = "error"; $("film-note").textContent = `cannot load: ${err.message}`; });
});
