"""The footage home: onboard products → relay passes → ``RUN/ground/received/``.

Reads the run's product manifest (:func:`edlcam.runfolder.read_manifest`), plans the order
(:mod:`edlcam.link.planner`), runs CFDP class 2 transfers pass by pass (:mod:`edlcam.link.transfer`)
through seeded lossy channels, and writes:

- ``RUN/ground/received/<path>`` — each product verified by SHA-256, same relative path as onboard;
- ``RUN/link/log.jsonl`` — one line per pass, per delivered product and per transfer start,
  suspend (pass end), resume (pass start) and abandon (``type`` ``"transfer"``);
- ``RUN/link/summary.json`` — received / missing per kind, bytes, per-pass volume, requests;
- ``RUN/link/provenance.json`` — what it was made from (:mod:`edlcam.staging`).

All of them are built in the run's staging folder and swapped in together once complete.

A product not verified on the ground is reported missing, never received.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edlcam import runfolder
from edlcam.errors import LinkError
from edlcam.link.channel import LossyChannel
from edlcam.link.clock import light_time_s, light_times_s, utc_iso, utc_to_unix_s
from edlcam.link.passes import build_schedule, schedule_capacity_bits
from edlcam.link.planner import KINDS, plan_order, read_manifest, read_requests, request_status
from edlcam.link.transfer import FileJob, TransferEngine
from edlcam.staging import building, check_inputs, commit, input_digests, protect_received, write_provenance

__all__ = ["PassEnd", "run_relay", "touchdown_utc"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PassEnd:
    """The ground as it stands at the end of a relay pass (simulated state, not wall-clock).

    ``received_dir``: the relay's new ground/received/ (in its staging folder until the relay
    commits): each delivered product's file lies there whole and does not change again.
    ``deliveries``: the log's delivery lines so far (their ``ert`` is filled in after the passes).
    """

    index: int  # the pass just ended
    delivered: frozenset  # product ids home and verified
    received_dir: Path
    deliveries: tuple


def touchdown_utc(run_dir: Path) -> str:
    """UTC (SCET) of touchdown, from the flight's events."""
    touchdown = runfolder.read_events(run_dir).require("touchdown", "the relay passes are timed from", field="utc")
    return str(touchdown.get("utc"))


def _check_loss(loss: float) -> None:
    if not 0.0 <= loss < 1.0:
        raise LinkError(f"--loss is {loss:g}; a frame loss probability must lie in [0, 1): use e.g. --loss 0.1")


def run_relay(
    run_dir,
    *,
    mission,
    loss: float | None = None,
    seed: int | None = None,
    days: float = 4.0,
    progress: Callable[[float], None] | None = None,
    overwrite: bool = False,
    on_pass: Callable[[PassEnd], None] | None = None,
) -> dict:
    """Relay a run's products home over ``days`` Earth days of passes; return the summary.

    ``loss`` overrides ``[link.channel] loss``; ``seed`` overrides the mission seed.
    ``progress(days_done)`` is called as simulated time advances. Products already received
    are replaced only with ``overwrite``: the new ground/received/ and link/ files are built
    beside the old ones and swapped in once complete, and the ground's outputs made from the old
    ones (catalog, MP4s, report) are removed with them (:mod:`edlcam.staging`).
    ``on_pass(PassEnd)`` is called at the end of each pass (the demo starts its film from it).
    """
    run_dir = Path(run_dir)
    check_inputs(run_dir, [runfolder.FLIGHT_DIR, runfolder.ONBOARD_DIR])
    protect_received(run_dir, overwrite)
    link_cfg = mission.link
    loss = link_cfg.channel.loss if loss is None else float(loss)
    _check_loss(loss)
    seed = mission.mission.seed if seed is None else int(seed)
    if seed < 0:
        raise LinkError(f"--seed is {seed}; a seed must be a whole number ≥ 0")
    passes = build_schedule(link_cfg.passes, days=days)
    products = read_manifest(run_dir)
    onboard = run_dir / runfolder.PRODUCTS_DIR
    for p in products:
        f = onboard / p.path
        if not f.is_file():
            raise runfolder.corrupt(run_dir, f, f"missing, though the product manifest lists it (id {p.id})")
    td_utc = touchdown_utc(run_dir)

    with building(run_dir, "relay") as new:  # a relay run re-simulates from touchdown
        summary = _relay(run_dir, new, mission, products, passes, loss, seed, days, td_utc, progress, on_pass)
    stale = runfolder.ground_outputs(run_dir)
    if stale:
        log.warning("the ground's outputs made from the products received before are removed with them: %s; "
                    "run `edlcam assemble %s` again", ", ".join(p.name for p in stale), run_dir)
    link_provenance = runfolder.provenance_path(runfolder.LINK_DIR).as_posix()
    commit(run_dir, "relay", [*((None, p) for p in stale),
                              *((new / rel, run_dir / rel) for rel in (runfolder.RECEIVED_DIR, runfolder.LINK_LOG,
                                                                       runfolder.LINK_SUMMARY, link_provenance))])
    return summary


def _relay(run_dir: Path, new: Path, mission, products, passes, loss: float, seed: int, days: float, td_utc: str,
           progress, on_pass=None) -> dict:
    """Run the passes into ``new`` (the staging folder, shaped like the run folder: the received products,
    the link's log, summary and provenance); return the summary."""
    link_cfg = mission.link
    onboard = run_dir / runfolder.PRODUCTS_DIR
    td_unix = utc_to_unix_s(td_utc)
    uplink_delay_s = light_time_s(td_unix)
    received_dir = new / runfolder.RECEIVED_DIR
    received_dir.mkdir(parents=True)  # even if nothing comes home: it replaces the old ground/received
    staging_dir = new / runfolder.LINK_STAGING

    fwd_seq, back_seq = np.random.SeedSequence(seed).spawn(2)
    forward = LossyChannel.from_config(link_cfg.channel, seed=np.random.default_rng(fwd_seq), loss=loss)
    back = LossyChannel.from_config(link_cfg.channel, seed=np.random.default_rng(back_seq), loss=loss)
    log_lines: list[dict] = []
    delivered_lines: list[tuple[dict, float]] = []  # (log line, SCET [Unix s]): ERTs filled in after the passes

    def on_delivery(d):
        line = {
            "type": "delivery",
            "id": d.product_id,
            "path": d.rel_path,
            "bytes": d.size_bytes,
            "pass": d.pass_index,
            "t_after_touchdown_s": round(d.scet_s, 3),
            "scet": utc_iso(td_unix + d.scet_s),
            "ert": None,
        }
        log_lines.append(line)
        delivered_lines.append((line, td_unix + d.scet_s))

    engine = TransferEngine(
        cfg=link_cfg.cfdp,
        staging_dir=staging_dir,
        received_dir=received_dir,
        forward=forward,
        back=back,
        on_delivery=on_delivery,
        on_event=log_lines.append,
    )
    by_id = {p.id: p for p in products}
    requests = read_requests(run_dir)
    pass_rows = []
    for p in passes:
        order = plan_order(
            products,
            requests,
            auto_send_max_priority=link_cfg.auto_send_max_priority,
            at_s=p.start_s,
            uplink_delay_s=uplink_delay_s,
        )
        cursor = [0]

        def next_job(_scet_s: float, order=order, cursor=cursor):
            # The rover skips what it knows arrived (Finished PDU) and what is already in flight.
            while cursor[0] < len(order) and engine.done(order[cursor[0]].id):
                cursor[0] += 1
            busy = engine.in_flight
            for i in range(cursor[0], len(order)):
                prod = order[i]
                if prod.id in busy or engine.done(prod.id):
                    continue
                return FileJob(prod.id, (onboard / prod.path).absolute(), prod.path, prod.size_bytes, prod.sha256)
            return None

        report = engine.run_pass(p, next_job)
        row = {
            "type": "pass",
            "pass": p.index,
            "orbiter": p.orbiter,
            "start_after_touchdown_s": round(p.start_s, 3),
            "start_scet": utc_iso(td_unix + p.start_s),
            "duration_s": p.duration_s,
            "rate_bps": p.rate_bps,
            "capacity_bits": int(p.capacity_bits),
            "bits_sent": report.bits_sent,
            "frames_sent": report.frames_sent,
            "frames_returned": report.frames_returned,
            "bytes_discarded": report.bytes_discarded,
            "products_delivered": len(report.deliveries),
            "bytes_delivered": report.delivered_bytes,
        }
        pass_rows.append(row)
        log_lines.append(row)
        if progress is not None:
            progress(min(p.end_s / 86_400.0, days))
        if on_pass is not None:
            on_pass(PassEnd(p.index, frozenset(engine.delivered), received_dir,
                            tuple(dict(line) for line, _ in delivered_lines)))
        if len(engine.delivered) == len(products) and not any(
            r.requested_at_s + uplink_delay_s > p.end_s for r in requests
        ):
            break
    shutil.rmtree(staging_dir, ignore_errors=True)
    # Every delivery's light time in one ephemeris evaluation (one at a time they were ≈ 4 ms each).
    lights = light_times_s([scet for _, scet in delivered_lines])
    for (line, scet), light in zip(delivered_lines, lights):
        line["ert"] = utc_iso(scet + link_cfg.cfdp.forward_latency_s + light)
    if progress is not None:
        progress(days)

    delivered = engine.delivered
    per_kind = {}
    for kind in KINDS:
        of_kind = [p for p in products if p.kind == kind]
        got = [p for p in of_kind if p.id in delivered]
        per_kind[kind] = {
            "received": len(got),
            "missing": len(of_kind) - len(got),
            "received_bytes": sum(p.size_bytes for p in got),
            "missing_bytes": sum(p.size_bytes for p in of_kind) - sum(p.size_bytes for p in got),
        }
    simulated_until_s = days * 86_400.0
    summary = {
        "seed": seed,
        "loss": loss,
        "days": days,
        "touchdown_utc": td_utc,
        "simulated_until_s": simulated_until_s,
        "passes": len(pass_rows),
        "capacity_bits": int(schedule_capacity_bits(passes)),
        "received": len(delivered),
        "missing": len(products) - len(delivered),
        "received_bytes": sum(by_id[i].size_bytes for i in delivered),
        "missing_bytes": sum(p.size_bytes for p in products if p.id not in delivered),
        "per_kind": per_kind,
        "per_pass": [
            {k: r[k] for k in ("pass", "orbiter", "start_scet", "capacity_bits", "bits_sent", "bytes_delivered")}
            for r in pass_rows
        ],
        "received_ids": sorted(delivered),
        "missing_ids": sorted(p.id for p in products if p.id not in delivered),
    }
    log_path = runfolder.write_jsonl(new / runfolder.LINK_LOG, log_lines)
    summary["requests"] = request_status(run_dir, received_ids=summary["received_ids"], received_dir=received_dir)
    summary_path = runfolder.write_json(new / runfolder.LINK_SUMMARY, summary, indent=1)
    write_provenance(log_path.parent, stage="relay", inputs=input_digests(run_dir, runfolder.LINK_DIR),
                     files={p.name: p for p in (log_path, summary_path)})
    return summary
