"""File transfer rover → ground with CFDP class 2 (acknowledged), over Space Packets and a Channel.

The CCSDS File Delivery Protocol (CCSDS 727.0-B-5) is cfdp-py's (``cfdppy``): a
``SourceHandler`` on the rover and a ``DestHandler`` on the ground per transaction, exchanging
PDUs that this module wraps in Space Packets (:mod:`edlcam.link.packets`, APID ``APID_CFDP``)
and pushes through two :class:`~edlcam.link.channel.Channel` objects, one per direction. Lost,
duplicated, reordered and corrupted packets are recovered by CFDP's own machinery (immediate and
deferred NAKs, positive acknowledgement of EOF and Finished). The ground marks a product
received only when the file's SHA-256 equals the one the rover sent in the Metadata PDU (a
Message-to-User TLV), so a wrong file is never reported received.

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
  neither heard a PDU nor sent file data. A class 2 sender streaming file data over a clean link
  hears nothing until its EOF, so counting only received PDUs abandoned every file that needed
  longer than that (251 s of pass time by default) and restarted it from zero, pass after pass.
- Every transfer start, suspension (pass end), resumption (pass start) and abandonment is
  reported to ``on_event`` as one JSON-ready dict (``type`` ``"transfer"``).
- cfdp-py's timers read the wall clock. Its check timers come from an injected
  ``CheckTimerProvider``; its positive-ACK and NAK timers are built inside the handlers with
  ``Countdown.from_seconds`` (cfdp-py 0.7.0), so while this engine steps the handlers the
  ``Countdown`` name in ``cfdppy.handler.source``/``dest`` is bound to a subclass that reads the
  simulated clock, and restored afterwards.
- cfdp-py 0.7.0 does not acknowledge a repeated EOF once it has moved past it, nor answer a
  Finished PDU for a transaction the sender already closed; CCSDS 727.0-B-5 §4.7.2 requires
  both, so the ground router and the rover router send those ACKs (with cfdp-py's own
  ``acknowledge_inactive_eof_pdu`` where it applies). spacepackets 0.32.0 decodes an EOF's
  condition code unshifted; the ground router corrects it before any handler sees it.
- A NAK that asks again for a segment still waiting in the rover's outbox does not queue a
  second copy: with many transactions sharing the link a retransmission can wait longer than
  the NAK timer, and duplicates would then crowd out new data (congestion collapse).
- cfdp-py 0.7.0 gives every ``DestHandler`` transaction the *same* ``LostSegmentTracker``
  (a mutable dataclass default in ``_AckedModeParams``), so concurrent or successive
  transactions corrupt each other's lost-segment lists and files complete with holes (caught by
  the CRC-32, but never recovered); and when the Metadata PDU arrives after the EOF it waits for
  a second EOF that never comes. :func:`_dest_handler_class` fixes both in a subclass.
- Several transactions run at once (``concurrent_transactions``), one handler pair each, so the
  forward link stays busy while a transaction waits on a timer.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import heapq
import json
import logging
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from edlcam.link.channel import Channel
from edlcam.link.clock import SimClock
from edlcam.link.packets import APID_CFDP, SequenceCounter, deframe, pack_packet
from edlcam.link.passes import Pass

__all__ = ["FileJob", "Delivery", "PassReport", "TransferEngine", "sha256_file"]

_LOG = logging.getLogger(__name__)

ROVER_ENTITY_ID = 1
GROUND_ENTITY_ID = 2
_PDU_OVERHEAD_BYTES = 64  # PDU header + file-data offset + CRC, with margin, above the segment


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class FileJob:
    """A product to send: where it is onboard, where it goes on the ground, what it must hash to."""

    product_id: str
    source_path: Path
    rel_path: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class Delivery:
    """A product verified on the ground: completion time [s after touchdown, SCET] and size."""

    product_id: str
    rel_path: str
    scet_s: float
    size_bytes: int
    pass_index: int


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


# --- cfdp-py bindings -----------------------------------------------------------------------


def _countdown_class(clock: SimClock):
    """A spacepackets ``Countdown`` subclass that reads ``clock`` instead of the wall clock."""
    from spacepackets.countdown import Countdown

    class SimCountdown(Countdown):
        def __init__(self, init_timeout: timedelta | None):
            super().__init__(init_timeout)
            self._start_time_ms = self._now_ms()

        @staticmethod
        def _now_ms() -> int:
            return round(clock.now_s * 1000.0)

        def timed_out(self) -> bool:
            return self._now_ms() - self._start_time_ms >= self._timeout_ms

        def start(self) -> None:
            self._start_time_ms = self._now_ms()

        def remaining_time(self) -> timedelta:
            left = self._start_time_ms + self._timeout_ms - self._now_ms()
            return timedelta(milliseconds=max(left, 0))

    return SimCountdown


@contextlib.contextmanager
def _simulated_timers(countdown_cls) -> Iterator[None]:
    import cfdppy.handler.dest as dest_mod
    import cfdppy.handler.source as source_mod

    saved = (source_mod.Countdown, dest_mod.Countdown)
    source_mod.Countdown = countdown_cls
    dest_mod.Countdown = countdown_cls
    try:
        yield
    finally:
        source_mod.Countdown, dest_mod.Countdown = saved


def _make_users_and_configs(cfg, countdown_cls):
    """Local/remote entity configurations, fault handlers and a check-timer provider."""
    from cfdppy import IndicationConfig, LocalEntityConfig, RemoteEntityConfig
    from cfdppy.mib import CheckTimerProvider, DefaultFaultHandlerBase
    from spacepackets.cfdp import ChecksumType, TransmissionMode
    from spacepackets.util import UnsignedByteField

    class LoggingFaults(DefaultFaultHandlerBase):
        def notice_of_suspension_cb(self, transaction_id, cond, progress):
            _LOG.debug("CFDP %s suspended: %r at %d B", transaction_id, cond, progress)

        def notice_of_cancellation_cb(self, transaction_id, cond, progress):
            _LOG.info("CFDP %s cancelled: %r at %d B", transaction_id, cond, progress)

        def abandoned_cb(self, transaction_id, cond, progress):
            _LOG.info("CFDP %s abandoned: %r at %d B", transaction_id, cond, progress)

        def ignore_cb(self, transaction_id, cond, progress):
            _LOG.debug("CFDP %s fault ignored: %r at %d B", transaction_id, cond, progress)

    class SimCheckTimers(CheckTimerProvider):
        def provide_check_timer(self, local_entity_id, remote_entity_id, entity_type):
            return countdown_cls(timedelta(seconds=cfg.nak_timer_s))

    def entity(value: int):
        return UnsignedByteField(value, 2)

    def remote(value: int):
        return RemoteEntityConfig(
            entity_id=entity(value),
            max_file_segment_len=cfg.segment_bytes,
            max_packet_len=cfg.segment_bytes + _PDU_OVERHEAD_BYTES,
            closure_requested=True,
            crc_on_transmission=True,
            default_transmission_mode=TransmissionMode.ACKNOWLEDGED,
            crc_type=ChecksumType.CRC_32,
            positive_ack_timer_interval_seconds=cfg.ack_timer_s,
            positive_ack_timer_expiration_limit=cfg.ack_limit,
            check_limit=cfg.nak_limit,
            immediate_nak_mode=True,
            nak_timer_interval_seconds=cfg.nak_timer_s,
            nak_timer_expiration_limit=cfg.nak_limit,
        )

    def local(value: int):
        return LocalEntityConfig(
            local_entity_id=entity(value),
            indication_cfg=IndicationConfig(
                eof_sent_indication_required=False,
                eof_recv_indication_required=False,
                file_segment_recvd_indication_required=False,
            ),
            default_fault_handlers=LoggingFaults(),
        )

    return entity, local, remote, SimCheckTimers()


def _user_class():
    from cfdppy import CfdpUserBase

    class QuietUser(CfdpUserBase):
        """A CFDP user whose indications call back into the engine (cfdp-py's defaults print)."""

        def __init__(self, vfs, on_metadata=None, on_finished=None):
            super().__init__(vfs)
            self._on_metadata = on_metadata
            self._on_finished = on_finished

        def transaction_indication(self, transaction_indication_params):
            pass

        def eof_sent_indication(self, transaction_id):
            pass

        def transaction_finished_indication(self, params):
            if self._on_finished is not None:
                self._on_finished(params)

        def metadata_recv_indication(self, params):
            if self._on_metadata is not None:
                self._on_metadata(params)

        def file_segment_recv_indication(self, params):
            pass

        def report_indication(self, transaction_id, status_report):
            pass

        def suspended_indication(self, transaction_id, cond_code):
            pass

        def resumed_indication(self, transaction_id, progress):
            pass

        def fault_indication(self, transaction_id, cond_code, progress):
            _LOG.info("CFDP fault %s: %r at %d B", transaction_id, cond_code, progress)

        def abandoned_indication(self, transaction_id, cond_code, progress):
            _LOG.info("CFDP abandoned %s: %r at %d B", transaction_id, cond_code, progress)

        def eof_recv_indication(self, transaction_id):
            pass

    return QuietUser


def _dest_handler_class():
    """cfdp-py's DestHandler with a fresh lost-segment tracker per transaction (see module doc)."""
    from cfdppy.handler import DestHandler
    from cfdppy.handler.dest import LostSegmentTracker

    from cfdppy.handler.dest import TransactionStep

    class FixedDestHandler(DestHandler):
        def _common_first_packet_handler(self, pdu):
            self._params.acked_params.lost_seg_tracker = LostSegmentTracker()
            return super()._common_first_packet_handler(pdu)

        def _handle_eof_without_previous_metadata(self, eof_pdu):
            # cfdp-py 0.7.0 forgets the EOF's checksum here and later asserts it is set.
            self._params.fp.crc32 = eof_pdu.file_checksum
            super()._handle_eof_without_previous_metadata(eof_pdu)

        def _handle_metadata_packet(self, metadata_pdu):
            super()._handle_metadata_packet(metadata_pdu)
            if self._params.acked_params.deferred_lost_segment_detection_active:
                # Metadata arriving after the EOF: cfdp-py 0.7.0 would go back to waiting for an
                # EOF the sender has already had acknowledged (a deadlock); keep recovering the
                # missing data instead, against the file size the EOF announced.
                self._params.fp.progress = max(self._params.fp.progress, self._params.fp.file_size or 0)
                self.states.step = TransactionStep.WAITING_FOR_MISSING_DATA

    return FixedDestHandler


def _FILE_DATA():
    from spacepackets.cfdp import PduType

    return PduType.FILE_DATA


_SAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class _Slot:
    """One rover-side transaction slot: a SourceHandler, its outbox and the job it carries."""

    handler: object
    outbox: deque = field(default_factory=deque)  # (PDU bytes, file offset or None)
    queued_offsets: set = field(default_factory=set)
    job: FileJob | None = None
    finished: object | None = None  # FinishedParams once the transaction closed
    last_activity_s: float = 0.0  # CFDP time of the last PDU received or file data sent
    abandoned: bool = False  # reset by the inactivity check; its abandon event is already out


class TransferEngine:
    """Runs CFDP class 2 transfers of :class:`FileJob` s during relay passes.

    ``staging_dir`` holds files being received; a file verified against its SHA-256 moves to
    ``received_dir / rel_path``. ``forward`` and ``back`` are the rover → ground and ground →
    rover channels. State (handlers, partial files) persists from pass to pass. ``on_event(dict)``
    hears each transfer start, suspend, resume and abandon (see :meth:`_event`).
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
        from cfdppy import HostFilestore, RemoteEntityConfigTable, RestrictedFilestore
        from cfdppy.handler import SourceHandler
        from spacepackets.seqcount import SeqCountProvider

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
        self._countdown = _countdown_class(self.clock)
        entity, local, remote, timers = _make_users_and_configs(cfg, self._countdown)
        self._entity = entity
        self._timers = timers
        User = _user_class()
        seq = SeqCountProvider(16)
        rover_remote = RemoteEntityConfigTable([remote(GROUND_ENTITY_ID)])
        self._slots = [
            _Slot(
                handler=SourceHandler(
                    cfg=local(ROVER_ENTITY_ID),
                    user=None,  # set below: the user's callback needs the slot
                    remote_cfg_table=rover_remote,
                    check_timer_provider=timers,
                    seq_num_provider=seq,
                )
            )
            for _ in range(cfg.concurrent_transactions)
        ]
        for slot in self._slots:
            slot.handler.user = User(HostFilestore(), on_finished=self._source_finished_cb(slot))
        self._DestHandler = _dest_handler_class()
        self._ground_local = local(GROUND_ENTITY_ID)
        self._ground_remote = RemoteEntityConfigTable([remote(ROVER_ENTITY_ID)])
        self._ground_user = User(
            RestrictedFilestore(self.staging_dir), on_metadata=self._ground_metadata, on_finished=self._ground_finished
        )
        self._dest: dict[int, object] = {}  # transaction seq num → DestHandler
        self._dest_done: set[int] = set()
        self._dest_eof_seen: set[int] = set()
        self._dest_heard: dict[int, float] = {}
        self._meta: dict[int, dict] = {}  # transaction seq num → Message-to-User JSON
        self._delivered: dict[str, Delivery] = {}
        self._acked: set[str] = set()  # products the rover knows arrived (Finished, complete)
        self._ground_buffer = b""
        self._rover_buffer = b""
        self._seq_up = SequenceCounter()
        self._seq_down = SequenceCounter()
        self._events: list = []  # heap of (arrival CFDP time, order, direction, frame)
        self._order = 0
        self._pass: Pass | None = None
        self._pass_clock0 = 0.0
        self._report: PassReport | None = None
        self._back_busy = 0.0
        self._rover_outbox_extra: deque = deque()  # ACKs the rover router answers itself
        self._rr = 0  # round-robin position over the slots
        self._attempt = 0

    # --- public state -----------------------------------------------------------------------

    @property
    def delivered(self) -> dict[str, Delivery]:
        """Products verified on the ground, by product id."""
        return dict(self._delivered)

    @property
    def in_flight(self) -> set[str]:
        """Products with an open transaction on the rover."""
        return {s.job.product_id for s in self._slots if s.job is not None}

    def done(self, product_id: str) -> bool:
        """True once the rover has been told (Finished PDU) that the product arrived complete."""
        return product_id in self._acked

    # --- events -------------------------------------------------------------------------------

    def _scet_s(self) -> float:
        """Now, in seconds after touchdown (SCET), inside the open pass."""
        if self._pass is None:
            return self.clock.now_s
        return self._pass.start_s + (self.clock.now_s - self._pass_clock0)

    def _event(self, event: str, slot: _Slot, **extra) -> None:
        """Report a rover transaction's start / suspend / resume / abandon to ``on_event``."""
        assert slot.job is not None
        row = {
            "type": "transfer",
            "event": event,
            "side": "rover",
            "id": slot.job.product_id,
            "transaction": slot.handler.transaction_seq_num.value,
            "pass": None if self._pass is None else self._pass.index,
            "t_after_touchdown_s": round(self._scet_s(), 3),
            "progress_bytes": int(slot.handler.progress),
            "size_bytes": slot.job.size_bytes,
            **extra,
        }
        _LOG.debug("transfer %s", row)
        if self.on_event is not None:
            self.on_event(row)

    # --- rover side --------------------------------------------------------------------------

    def _source_finished_cb(self, slot: _Slot):
        def cb(params) -> None:
            slot.finished = params.finished_params

        return cb

    def _start(self, slot: _Slot, job: FileJob) -> None:
        from cfdppy import PutRequest
        from spacepackets.cfdp import MessageToUserTlv, TransmissionMode

        message = json.dumps(
            {"id": job.product_id, "path": job.rel_path, "sha256": job.sha256, "size": job.size_bytes},
            separators=(",", ":"),
        ).encode()
        request = PutRequest(
            destination_id=self._entity(GROUND_ENTITY_ID),
            source_file=Path(job.source_path).absolute(),
            # a fresh name per attempt, so a stale transaction can never write into this one
            dest_file=Path(f"{_SAFE.sub('_', job.product_id)}.{self._attempt}.part"),
            trans_mode=TransmissionMode.ACKNOWLEDGED,
            closure_requested=True,
            msgs_to_user=[MessageToUserTlv(message)],
        )
        self._attempt += 1
        slot.job = job
        slot.finished = None
        slot.last_activity_s = self.clock.now_s
        slot.handler.put_request(request)
        self._event("start", slot)
        self._step_source(slot, None)

    def _step_source(self, slot: _Slot, pdu) -> None:
        from cfdppy.exceptions import (
            InvalidDestinationId,
            InvalidNakPdu,
            InvalidPduDirection,
            InvalidPduForSourceHandler,
            InvalidSourceId,
            InvalidTransactionSeqNum,
            NoRemoteEntityConfigFound,
            PduIgnoredForSource,
        )

        try:
            slot.handler.state_machine(pdu)
        except (
            PduIgnoredForSource,
            InvalidTransactionSeqNum,
            InvalidPduDirection,
            InvalidPduForSourceHandler,
            InvalidSourceId,
            InvalidDestinationId,
            NoRemoteEntityConfigFound,
            InvalidNakPdu,
        ) as exc:
            _LOG.debug("rover ignored a PDU: %s", exc)
        while True:
            holder = slot.handler.get_next_packet()
            if holder is None:
                break
            offset = getattr(holder.pdu, "offset", None) if holder.pdu_type == _FILE_DATA() else None
            if offset is not None:
                if offset in slot.queued_offsets:
                    continue  # already waiting to go: a second copy would only waste the link
                slot.queued_offsets.add(offset)
            slot.outbox.append((bytes(holder.pdu.pack()), offset))
        self._conclude_if_idle(slot)

    def _conclude_if_idle(self, slot: _Slot) -> None:
        from cfdppy import CfdpState
        from spacepackets.cfdp import ConditionCode
        from spacepackets.cfdp.pdu import DeliveryCode

        if slot.job is None or slot.handler.state != CfdpState.IDLE:
            return
        f = slot.finished
        if f is not None and f.delivery_code == DeliveryCode.DATA_COMPLETE and f.condition_code == ConditionCode.NO_ERROR:
            self._acked.add(slot.job.product_id)
        else:
            _LOG.info("transaction for %s closed without delivery; it will be sent again", slot.job.product_id)
            if not slot.abandoned:  # an inactivity abandon was reported already
                cond = "none" if f is None else f.condition_code.name
                self._event("abandon", slot, reason=f"closed without delivery ({cond})")
        slot.abandoned = False
        slot.job = None
        slot.finished = None

    def _rover_receive(self, frame: bytes) -> None:
        from spacepackets.cfdp import Direction, DirectiveType
        from spacepackets.cfdp.pdu import AckPdu, PduFactory, TransactionStatus

        packets, self._rover_buffer, junk = deframe(self._rover_buffer + frame, apids=(APID_CFDP,))
        if self._report is not None:
            self._report.bytes_discarded += len(junk)
        for packet in packets:
            try:
                pdu = PduFactory.from_raw(packet.data)
            except Exception as exc:  # a PDU that passed the packet CRC but does not parse
                _LOG.debug("rover dropped an unparsable PDU: %s", exc)
                continue
            if pdu is None:
                continue
            seq = pdu.transaction_seq_num.value
            slot = next(
                (s for s in self._slots if s.job is not None and s.handler.transaction_seq_num.value == seq), None
            )
            if slot is None:
                if getattr(pdu, "directive_type", None) == DirectiveType.FINISHED_PDU:
                    # §4.7.2: acknowledge a Finished PDU even for a transaction already closed here.
                    conf = copy.copy(pdu.pdu_header.pdu_conf)
                    conf.direction = Direction.TOWARDS_RECEIVER
                    ack = AckPdu(conf, DirectiveType.FINISHED_PDU, pdu.condition_code, TransactionStatus.TERMINATED)
                    self._rover_outbox_extra.append(bytes(ack.pack()))
                continue
            slot.last_activity_s = self.clock.now_s
            self._step_source(slot, pdu)

    # --- ground side -------------------------------------------------------------------------

    def _ground_metadata(self, params) -> None:
        for msg in params.msgs_to_user or []:
            try:
                meta = json.loads(bytes(msg.value).decode())
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            meta["part"] = params.dest_file_name
            self._meta[params.transaction_id.seq_num.value] = meta

    def _ground_finished(self, params) -> None:
        from spacepackets.cfdp import ConditionCode
        from spacepackets.cfdp.pdu import DeliveryCode

        seq = params.transaction_id.seq_num.value
        f = params.finished_params
        meta = self._meta.get(seq)
        if meta is None or f.delivery_code != DeliveryCode.DATA_COMPLETE or f.condition_code != ConditionCode.NO_ERROR:
            return
        part = self.staging_dir / Path(meta["part"]).name
        if meta["id"] in self._delivered:
            part.unlink(missing_ok=True)  # a repeat of a product already home
            return
        if not part.exists() or part.stat().st_size != meta["size"] or sha256_file(part) != meta["sha256"]:
            _LOG.warning("product %s arrived but its SHA-256 does not match; it stays missing", meta["id"])
            return
        target = self.received_dir / meta["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, target)
        assert self._pass is not None
        delivery = Delivery(
            product_id=meta["id"],
            rel_path=meta["path"],
            scet_s=self._pass.start_s + (self.clock.now_s - self._pass_clock0),
            size_bytes=meta["size"],
            pass_index=self._pass.index,
        )
        self._delivered[meta["id"]] = delivery
        if self._report is not None:
            self._report.deliveries.append(delivery)
        if self.on_delivery is not None:
            self.on_delivery(delivery)

    def _ground_step(self, seq: int, pdu) -> None:
        from cfdppy import CfdpState
        from cfdppy.exceptions import (
            InvalidDestinationId,
            InvalidPduDirection,
            InvalidPduForDestHandler,
            NoRemoteEntityConfigFound,
            PduIgnoredForDest,
        )

        handler = self._dest[seq]
        try:
            handler.state_machine(pdu)
        except (
            PduIgnoredForDest,
            InvalidPduDirection,
            InvalidPduForDestHandler,
            InvalidDestinationId,
            NoRemoteEntityConfigFound,
            FileNotFoundError,
        ) as exc:
            _LOG.debug("ground ignored a PDU: %s", exc)
        while True:
            holder = handler.get_next_packet()
            if holder is None:
                break
            self._send_back(bytes(holder.pdu.pack()))
        if handler.state == CfdpState.IDLE:
            del self._dest[seq]
            self._dest_done.add(seq)

    def _ground_receive(self, frame: bytes) -> None:
        from spacepackets.cfdp import ConditionCode, Direction, DirectiveType
        from spacepackets.cfdp.pdu import AckPdu, PduFactory, TransactionStatus
        from cfdppy.handler.dest import acknowledge_inactive_eof_pdu

        packets, self._ground_buffer, junk = deframe(self._ground_buffer + frame, apids=(APID_CFDP,))
        if self._report is not None:
            self._report.bytes_discarded += len(junk)
        for packet in packets:
            try:
                pdu = PduFactory.from_raw(packet.data)
            except Exception as exc:  # passed the packet CRC but does not parse
                _LOG.debug("ground dropped an unparsable PDU: %s", exc)
                continue
            if pdu is None:
                continue
            seq = pdu.transaction_seq_num.value
            is_eof = getattr(pdu, "directive_type", None) == DirectiveType.EOF_PDU
            if is_eof and pdu.condition_code > 0x0F:
                # spacepackets 0.32.0's EofPdu.unpack keeps the condition code in the high nibble
                # (data & 0xF0, unshifted); put it back where every packer expects it.
                pdu.condition_code = ConditionCode(pdu.condition_code >> 4)
            if seq in self._dest_done:
                if is_eof:
                    ack = acknowledge_inactive_eof_pdu(pdu, TransactionStatus.TERMINATED)
                    self._send_back(bytes(ack.pack()))
                continue
            if is_eof and seq in self._dest_eof_seen:
                # §4.7.2: every EOF is acknowledged; cfdp-py ignores a repeat once past EOF.
                conf = copy.copy(pdu.pdu_header.pdu_conf)
                conf.direction = Direction.TOWARDS_SENDER
                ack = AckPdu(conf, DirectiveType.EOF_PDU, pdu.condition_code, TransactionStatus.ACTIVE)
                self._send_back(bytes(ack.pack()))
                continue
            if is_eof:
                self._dest_eof_seen.add(seq)
            self._dest_heard[seq] = self.clock.now_s
            if seq not in self._dest:
                if getattr(pdu, "directive_type", None) == DirectiveType.ACK_PDU:
                    continue  # an ACK of a Finished PDU for a transaction not open here
                self._dest[seq] = self._DestHandler(
                    cfg=self._ground_local,
                    user=self._ground_user,
                    remote_cfg_table=self._ground_remote,
                    check_timer_provider=self._timers,
                )
            self._ground_step(seq, pdu)

    # --- the link ------------------------------------------------------------------------------

    def _send_back(self, pdu_bytes: bytes) -> None:
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
                self._ground_receive(frame)
            else:
                self._rover_receive(frame)

    def _inactivity_limit_s(self) -> float:
        return max(self.cfg.ack_timer_s * self.cfg.ack_limit, self.cfg.nak_timer_s * self.cfg.nak_limit) + 1.0

    def _poll_timers(self) -> None:
        limit_s = self._inactivity_limit_s()
        for slot in self._slots:
            if slot.job is None:
                continue
            if self.clock.now_s - slot.last_activity_s > limit_s:
                # CCSDS 727.0-B-5 §4.6.8 transaction inactivity (not implemented by cfdp-py 0.7.0):
                # abandon, and let the planner send the product again in a new transaction.
                _LOG.info("transaction for %s inactive for %.0f s: abandoned", slot.job.product_id, limit_s)
                self._event("abandon", slot, reason=f"inactive for {limit_s:.0f} s")
                slot.abandoned = True
                slot.handler.reset()
                slot.outbox.clear()
                slot.queued_offsets.clear()
            self._step_source(slot, None)
        for seq in list(self._dest):
            if self.clock.now_s - self._dest_heard.get(seq, self.clock.now_s) > limit_s:
                _LOG.info("ground transaction %d inactive for %.0f s: abandoned", seq, limit_s)
                if self.on_event is not None:
                    meta = self._meta.get(seq, {})
                    self.on_event(
                        {
                            "type": "transfer",
                            "event": "abandon",
                            "side": "ground",
                            "id": meta.get("id"),  # None if its Metadata PDU never arrived
                            "transaction": seq,
                            "pass": None if self._pass is None else self._pass.index,
                            "t_after_touchdown_s": round(self._scet_s(), 3),
                            "reason": f"inactive for {limit_s:.0f} s",
                        }
                    )
                self._dest.pop(seq).reset()
                self._dest_done.add(seq)
                continue
            self._ground_step(seq, None)

    def _next_forward(self) -> bytes | None:
        """The next PDU for the forward link, round-robin over the transaction slots."""
        from cfdppy.handler import SourceTransactionStep

        if self._rover_outbox_extra:
            return self._rover_outbox_extra.popleft()
        n = len(self._slots)
        for k in range(n):
            slot = self._slots[(self._rr + k) % n]
            if not slot.outbox and slot.job is not None and slot.handler.step in (
                SourceTransactionStep.SENDING_METADATA,
                SourceTransactionStep.SENDING_FILE_DATA,
                SourceTransactionStep.RETRANSMITTING,
                SourceTransactionStep.SENDING_EOF,
            ):
                self._step_source(slot, None)
            if slot.outbox:
                self._rr = (self._rr + k + 1) % n
                frame, offset = slot.outbox.popleft()
                slot.queued_offsets.discard(offset)
                if offset is not None:
                    # Sending file data is activity too: a sender streaming over a clean link hears
                    # nothing back until its EOF (module doc, "Transaction inactivity"). Repeated
                    # EOFs are not: a sender nobody answers must still be abandoned.
                    slot.last_activity_s = self.clock.now_s
                return frame
        return None

    def run_pass(self, p: Pass, next_job: Callable[[float], FileJob | None]) -> PassReport:
        """Transfer during pass ``p``; ``next_job(scet_s)`` gives the next product to start, or None.

        Returns what the pass carried. Transactions still open at the end stay suspended.
        """
        self._pass = p
        self._pass_clock0 = self.clock.now_s
        self._report = report = PassReport(p.index, p.orbiter, p.start_s, p.duration_s, p.rate_bps)
        self._back_busy = self.clock.now_s
        end_s = self._pass_clock0 + p.duration_s
        poll_dt = min(self.cfg.ack_timer_s, self.cfg.nak_timer_s) / 4.0
        next_poll = self.clock.now_s
        fwd_busy = self.clock.now_s
        for slot in self._slots:
            if slot.job is not None:
                self._event("resume", slot)
        with _simulated_timers(self._countdown):
            while self.clock.now_s < end_s:
                self._deliver_due(self.clock.now_s)
                if self.clock.now_s >= next_poll:
                    self._poll_timers()
                    next_poll = self.clock.now_s + poll_dt
                for slot in self._slots:
                    if slot.job is None:
                        job = next_job(p.start_s + (self.clock.now_s - self._pass_clock0))
                        if job is None:
                            break
                        self._start(slot, job)
                frame_pdu = self._next_forward() if fwd_busy <= self.clock.now_s else None
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
            self._ground_buffer = b""
            self._rover_buffer = b""
        self.clock.advance_to(end_s)
        for slot in self._slots:
            if slot.job is not None:
                self._event("suspend", slot)
        self._report = None
        return report
