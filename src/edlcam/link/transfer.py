"""File transfer rover → ground with CFDP class 2 (acknowledged): the pass engine.

The CCSDS File Delivery Protocol (CCSDS 727.0-B-5) is cfdp-py's (``cfdppy``): a
``SourceHandler`` on the rover and a ``DestHandler`` on the ground per transaction, exchanging
PDUs that this module wraps in Space Packets (:mod:`edlcam.link.packets`, APID ``APID_CFDP``)
and pushes through two :class:`~edlcam.link.channel.Channel` objects, one per direction. Lost,
duplicated, reordered and corrupted packets are recovered by CFDP's own machinery (immediate and
deferred NAKs, positive acknowledgement of EOF and Finished).

Three modules, one concept each: this one runs the passes (:class:`TransferEngine`: the CFDP
clock, the two links, the timers' polling, the disk-full stop); :mod:`edlcam.link.sender` is the
rover's entity and the send-side policy (which PDU goes next, when a transaction opens, what
is not sent twice); :mod:`edlcam.link.receiver` is the ground's entity (a product is received
only when its SHA-256 matches the one the rover sent); :mod:`edlcam.link.cfdp_handlers` binds
cfdp-py to the simulated clock and fixes its DestHandler.

Model and simplifications (say what and why):

- The relay orbiter is a transparent relay between two CFDP entities, rover (1) and ground (2),
  so a transaction cut by the end of a pass resumes on the next pass even through another
  orbiter. Inside a pass the round trip is the rover–orbiter hop (``proximity_delay_s``, est.);
  the orbiter → Earth hop (DSN, its own coding and retransmission) is taken as lossless
  store-and-forward adding ``forward_latency_s`` (est.) and the one-way light time to a file's
  Earth-received time.
- Suspension: between passes no handler is stepped and the CFDP clock stops (CCSDS 727.0-B-5
  §4.6.7: timers are suspended with the transaction), so a pass boundary never burns retries.
  A transaction open at a pass end keeps its progress and resumes where it stopped in the next
  pass, however many passes a file needs.
- Transaction inactivity (§4.6.8; cfdp-py 0.7.0 has none): a transaction is abandoned after
  ``max(ack_timer_s·ack_limit, nak_timer_s·nak_limit) + 1 s`` of pass time in which it
  neither heard a PDU nor sent file data (:mod:`~edlcam.link.sender` says why file data counts).
- Every transfer start, suspension (pass end), resumption (pass start) and abandonment is
  reported to ``on_event`` as one JSON-ready dict (``type`` ``"transfer"``).
- cfdp-py's timers run on the simulated CFDP clock (:mod:`edlcam.link.cfdp_handlers`).
"""

from __future__ import annotations

import errno
import heapq
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from edlcam.link.cfdp_handlers import (
    PDU_OVERHEAD_BYTES,
    countdown_class,
    make_users_and_configs,
    simulated_timers,
    user_class,
)
from edlcam.errors import LinkError
from edlcam.link.channel import Channel
from edlcam.link.clock import SimClock
from edlcam.link.packets import APID_CFDP, SequenceCounter, pack_packet
from edlcam.link.passes import Pass
from edlcam.link.receiver import Delivery, GroundReceiver, sha256_file
from edlcam.link.sender import FileJob, RoverSender

__all__ = ["FileJob", "Delivery", "PassReport", "TransferEngine", "sha256_file"]

_LOG = logging.getLogger(__name__)

ROVER_ENTITY_ID = 1
GROUND_ENTITY_ID = 2


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 100_000 else f"{n_bytes / 1e3:.1f} kB"


@dataclass
class PassReport:
    """What one pass carried."""

    index: int
    orbiter: str
    start_s: float
    duration_s: float
    rate_bps: float
    frames_sent: int = 0
    bits_sent: int = 0
    frames_returned: int = 0
    bytes_discarded: int = 0
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def delivered_bytes(self) -> int:
        """File bytes verified on the ground in this pass."""
        return sum(d.size_bytes for d in self.deliveries)


class TransferEngine:
    """Runs CFDP class 2 transfers of :class:`FileJob` s during relay passes.

    ``staging_dir`` holds files being received; a file verified against its SHA-256 moves to
    ``received_dir / rel_path``. ``forward`` and ``back`` are the rover → ground and ground →
    rover channels. State (handlers, partial files) persists from pass to pass. ``on_event(dict)``
    hears each transfer start, suspend, resume and abandon (:meth:`~edlcam.link.sender.RoverSender.event`
    and :meth:`~edlcam.link.receiver.GroundReceiver.poll`).
    """

    def __init__(
        self,
        *,
        cfg,
        staging_dir: Path,
        received_dir: Path,
        forward: Channel,
        back: Channel,
        on_delivery: Callable[[Delivery], None] | None = None,
        on_event: Callable[[dict], None] | None = None,
    ) -> None:
        from cfdppy import RemoteEntityConfigTable

        self.cfg = cfg
        self.staging_dir = Path(staging_dir)
        self.received_dir = Path(received_dir)
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        self.received_dir.mkdir(parents=True, exist_ok=True)
        self.forward = forward
        self.back = back
        self.on_delivery = on_delivery
        self.on_event = on_event
        self.clock = SimClock()  # CFDP time: runs only while a pass is open
        self._countdown = countdown_class(self.clock)
        entity, local, remote, timers = make_users_and_configs(cfg, self._countdown)
        User = user_class()
        self._rover = RoverSender(
            self,
            entity=entity,
            local_cfg=local(ROVER_ENTITY_ID),
            remote_table=RemoteEntityConfigTable([remote(GROUND_ENTITY_ID)]),
            timers=timers,
            user_cls=User,
            ground_id=GROUND_ENTITY_ID,
        )
        self._ground = GroundReceiver(
            self,
            local_cfg=local(GROUND_ENTITY_ID),
            remote_table=RemoteEntityConfigTable([remote(ROVER_ENTITY_ID)]),
            timers=timers,
            user_cls=User,
        )
        self._seq_up = SequenceCounter()
        self._seq_down = SequenceCounter()
        self._events: list = []  # heap of (arrival CFDP time, order, direction, frame)
        self._order = 0
        self._pass: Pass | None = None
        self._pass_clock0 = 0.0
        self._report: PassReport | None = None
        self._back_busy = 0.0

    # --- public state -----------------------------------------------------------------------

    @property
    def delivered(self) -> dict[str, Delivery]:
        """Products verified on the ground, by product id."""
        return dict(self._ground.delivered)

    @property
    def in_flight(self) -> set[str]:
        """Products with an open transaction on the rover."""
        return self._rover.in_flight

    def done(self, product_id: str) -> bool:
        """True once the rover has been told (Finished PDU) that the product arrived complete."""
        return product_id in self._rover.acked

    # --- events -------------------------------------------------------------------------------

    @property
    def current_pass(self) -> Pass | None:
        """The pass being run, None between passes."""
        return self._pass

    @property
    def current_report(self) -> PassReport | None:
        """What the pass being run has carried so far, None between passes."""
        return self._report

    def scet_s(self) -> float:
        """Now, in seconds after touchdown (SCET), inside the open pass."""
        if self._pass is None:
            return self.clock.now_s
        return self._pass.start_s + (self.clock.now_s - self._pass_clock0)

    # --- the link ------------------------------------------------------------------------------

    def send_back(self, pdu_bytes: bytes) -> None:
        """Queue a ground → rover PDU on the return link (its rate, then the proximity delay)."""
        from spacepackets.ccsds.spacepacket import PacketType

        frame = pack_packet(APID_CFDP, self._seq_up.next(APID_CFDP), pdu_bytes, packet_type=PacketType.TC)
        start = max(self.clock.now_s, self._back_busy)
        self._back_busy = start + len(frame) * 8 / self.cfg.return_rate_bps
        if self._report is not None:
            self._report.frames_returned += 1
        for out in self.back.transmit(frame):
            self._schedule(self._back_busy + self.cfg.proximity_delay_s, "rover", out)

    def _schedule(self, t_s: float, where: str, frame: bytes) -> None:
        self._order += 1
        heapq.heappush(self._events, (t_s, self._order, where, frame))

    def _deliver_due(self, until_s: float) -> None:
        while self._events and self._events[0][0] <= until_s:
            t_s, _, where, frame = heapq.heappop(self._events)
            self.clock.advance_to(t_s)
            if where == "ground":
                self._ground.receive(frame)
            else:
                self._rover.receive(frame)

    def _inactivity_limit_s(self) -> float:
        return max(self.cfg.ack_timer_s * self.cfg.ack_limit, self.cfg.nak_timer_s * self.cfg.nak_limit) + 1.0

    def _poll_timers(self) -> None:
        limit_s = self._inactivity_limit_s()
        self._rover.poll(limit_s)
        self._ground.poll(limit_s)

    def _round_trip_s(self, p: Pass) -> float:
        """Longest time a file segment can take to be sent and NAKed back [s] (est.).

        Its own transmission at the pass rate, one more segment ahead of it (a directive
        can go first), the proximity light time both ways and a NAK PDU (≤ 1 kB) on the return
        link. A NAK heard sooner after a segment was sent may have been made before it arrived.
        """
        segment_s = 8 * (self.cfg.segment_bytes + PDU_OVERHEAD_BYTES) / p.rate_bps
        return 2 * segment_s + 2 * self.cfg.proximity_delay_s + 8 * 1024 / self.cfg.return_rate_bps

    def run_pass(self, p: Pass, next_job: Callable[[float], FileJob | None]) -> PassReport:
        """Transfer during pass ``p``; ``next_job(scet_s)`` gives the next product to start, or None.

        Returns what the pass carried. Transactions still open at the end stay suspended. A full
        disk raises :class:`LinkError` at once (:meth:`_disk_full`).
        """
        try:
            return self._run_pass(p, next_job)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            raise self._disk_full(p, exc) from None
        finally:
            self._rover.close_files()

    def _disk_full(self, p: Pass, exc: OSError) -> LinkError:
        """Remove the partial files of the staging folder; say what filled and what had arrived.

        (Issue 20: a relay on a full disk left 7.4 MB of staging files and an internal error.)
        """
        staged = sum(f.stat().st_size for f in self.staging_dir.rglob("*") if f.is_file())
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        delivered = self._ground.delivered
        got = sum(d.size_bytes for d in delivered.values())
        return LinkError(
            f"{exc.filename or self.staging_dir}: disk full ({os.strerror(exc.errno)}) — relay stopped in pass "
            f"{p.index} ({p.orbiter}) after {len(delivered)} products ({_size(got)}) had arrived verified; "
            f"the {_size(staged)} of partial transfers in {self.staging_dir} were removed: free space on that disk "
            "and run the relay again"
        )

    def _run_pass(self, p: Pass, next_job: Callable[[float], FileJob | None]) -> PassReport:
        self._pass = p
        self._pass_clock0 = self.clock.now_s
        self._report = report = PassReport(p.index, p.orbiter, p.start_s, p.duration_s, p.rate_bps)
        self._back_busy = self.clock.now_s
        self._rover.in_flight_s = self._round_trip_s(p)
        end_s = self._pass_clock0 + p.duration_s
        poll_dt = min(self.cfg.ack_timer_s, self.cfg.nak_timer_s) / 4.0
        next_poll = self.clock.now_s
        fwd_busy = self.clock.now_s
        self._rover.announce("resume")
        with simulated_timers(self._countdown):
            while self.clock.now_s < end_s:
                self._deliver_due(self.clock.now_s)
                if self.clock.now_s >= next_poll:
                    self._poll_timers()
                    next_poll = self.clock.now_s + poll_dt
                frame_pdu = None
                if fwd_busy <= self.clock.now_s:
                    frame_pdu = self._rover.next_pdu()
                    # The link would idle: open another transaction (link.sender, "Link scheduling").
                    while frame_pdu is None and self._rover.open_transaction(next_job):
                        frame_pdu = self._rover.next_pdu()
                if frame_pdu is not None:
                    frame = pack_packet(APID_CFDP, self._seq_down.next(APID_CFDP), frame_pdu)
                    tx_end = self.clock.now_s + len(frame) * 8 / p.rate_bps
                    if tx_end > end_s:
                        # The orbiter sets mid-frame: the frame is lost, CFDP will NAK it next pass.
                        self.clock.advance_to(end_s)
                        break
                    report.frames_sent += 1
                    report.bits_sent += len(frame) * 8
                    for out in self.forward.transmit(frame):
                        self._schedule(tx_end + self.cfg.proximity_delay_s, "ground", out)
                    fwd_busy = tx_end
                    self.clock.advance_to(tx_end)
                    continue
                # Nothing to send now: jump to the next thing that can happen.
                upcoming = [end_s, next_poll]
                if self._events:
                    upcoming.append(self._events[0][0])
                if fwd_busy > self.clock.now_s:
                    upcoming.append(fwd_busy)
                self.clock.advance_to(min(upcoming))
            # Frames still in space or held in the channel when the orbiter sets are lost.
            self._deliver_due(end_s)
            self._events.clear()
            self.forward.flush()
            self.back.flush()
            self._ground.flush()
            self._rover.flush()
        self.clock.advance_to(end_s)
        self._rover.announce("suspend")
        self._report = None
        return report
