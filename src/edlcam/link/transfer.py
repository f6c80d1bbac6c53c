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
  longer than that (then 251 s of pass time) and restarted it from zero, pass after pass.
- Every transfer start, suspension (pass end), resumption (pass start) and abandonment is
  reported to ``on_event`` as one JSON-ready dict (``type`` ``"transfer"``).
- cfdp-py's timers run on the simulated CFDP clock (:mod:`edlcam.link.cfdp_handlers`, which
  also fixes cfdp-py 0.7.0 DestHandler bugs and keeps file data that comes before its Metadata).
- cfdp-py 0.7.0 does not acknowledge a repeated EOF once it has moved past it, nor answer a
  Finished PDU for a transaction the sender already closed; CCSDS 727.0-B-5 §4.7.2 requires
  both, so the ground router and the rover router send those ACKs (with cfdp-py's own
  ``acknowledge_inactive_eof_pdu`` where it applies). spacepackets 0.32.0 decodes an EOF's
  condition code unshifted; the ground router corrects it before any handler sees it.
- Link scheduling (issue 21: at 10 % frame loss the demo's relay used 8.5 % of the link). The
  forward link takes, in turn: the ACKs the rover router answers itself; then directives
  (Metadata, EOF, ACK: small, and each one a timer at the ground waits on); then file data —
  both from the *oldest* open transaction first, so files finish one after another and a pass
  end leaves one or two partial files, not ``concurrent_transactions`` of them (round-robin over
  8 large files had delivered none of them in two passes at 30 % loss). A new transaction opens
  only when the link would otherwise idle (every open one waits on a timer or a reply), up to
  ``concurrent_transactions``: many small files share the link at once, large ones follow
  each other.
- A NAK does not queue a second copy of a segment still waiting in the outbox, nor of one sent
  less than one round trip ago (:meth:`TransferEngine._round_trip_s`, est.): the NAK may have
  left the ground before that copy arrived. If the copy is lost after all, the ground's NAK
  timer asks again. Without both, duplicates crowded out new data (congestion collapse).
- A Finished PDU heard while the sender still waits for its EOF's ACK proves the EOF arrived:
  the rover acts on it as on that ACK (cfdp-py 0.7.0 ignores it and repeats the EOF until an
  ACK gets through, a timer period per lost ACK).
"""

from __future__ import annotations

import copy
import errno
import hashlib
import heapq
import json
import logging
import math
import os
import re
import shutil
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from edlcam.link.cfdp_handlers import (
    FILE_DATA,
    PDU_OVERHEAD_BYTES,
    countdown_class,
    dest_handler_class,
    make_users_and_configs,
    simulated_timers,
    user_class,
)
from edlcam.errors import LinkError
from edlcam.link.channel import Channel
from edlcam.link.clock import SimClock
from edlcam.link.packets import APID_CFDP, SequenceCounter, deframe, pack_packet
from edlcam.link.passes import Pass

__all__ = ["FileJob", "Delivery", "PassReport", "TransferEngine", "sha256_file"]

_LOG = logging.getLogger(__name__)

ROVER_ENTITY_ID = 1
GROUND_ENTITY_ID = 2


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 100_000 else f"{n_bytes / 1e3:.1f} kB"


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


_SAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class _Slot:
    """One rover-side transaction slot: a SourceHandler, its outbox and the job it carries."""

    handler: object
    outbox: deque = field(default_factory=deque)  # (PDU bytes, key: file offset, "metadata" or None)
    queued_offsets: set = field(default_factory=set)  # keys waiting in the outbox
    sent_at: dict = field(default_factory=dict)  # file offset → CFDP time its last copy went out
    job: FileJob | None = None
    seq: int = -1  # CFDP transaction sequence number of the job's transaction
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
        self._countdown = countdown_class(self.clock)
        entity, local, remote, timers = make_users_and_configs(cfg, self._countdown)
        self._entity = entity
        self._timers = timers
        User = user_class()
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
        self._DestHandler = dest_handler_class()
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
        self._in_flight_s = 0.0  # set per pass by _round_trip_s
        self._slot_by_seq: dict[int, _Slot] = {}  # open transactions by sequence number
        self._by_age = list(self._slots)  # oldest transaction first (a slot moves last when it starts one)
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
        self._by_age.remove(slot)
        self._by_age.append(slot)
        slot.job = job
        slot.finished = None
        slot.sent_at.clear()
        slot.last_activity_s = self.clock.now_s
        slot.handler.put_request(request)
        self._step_source(slot, None)  # starts the transaction: it has its sequence number now
        slot.seq = slot.handler.transaction_seq_num.value
        self._slot_by_seq[slot.seq] = slot
        self._event("start", slot)

    def _step_source(self, slot: _Slot, pdu) -> None:
        from spacepackets.cfdp import DirectiveType
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
            # key: the file offset of file data, "metadata" for a Metadata PDU, else None
            if holder.pdu_type == FILE_DATA():
                key = holder.pdu.offset
            else:
                key = "metadata" if holder.pdu_directive_type == DirectiveType.METADATA_PDU else None
            if key is not None:
                if key in slot.queued_offsets:
                    continue  # already waiting to go: a second copy would only waste the link
                if isinstance(key, int) and self.clock.now_s - slot.sent_at.get(key, -math.inf) < self._in_flight_s:
                    continue  # its last copy may still be on its way (module doc, "Link scheduling")
                slot.queued_offsets.add(key)
            slot.outbox.append((bytes(holder.pdu.pack()), key))
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
        self._slot_by_seq.pop(slot.seq, None)
        slot.job = None
        slot.finished = None

    def _rover_receive(self, frame: bytes) -> None:
        from cfdppy.handler import SourceTransactionStep
        from spacepackets.cfdp import ConditionCode, Direction, DirectiveType
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
            slot = self._slot_by_seq.get(seq)
            if slot is None:
                if getattr(pdu, "directive_type", None) == DirectiveType.FINISHED_PDU:
                    # §4.7.2: acknowledge a Finished PDU even for a transaction already closed here.
                    conf = copy.copy(pdu.pdu_header.pdu_conf)
                    conf.direction = Direction.TOWARDS_RECEIVER
                    ack = AckPdu(conf, DirectiveType.FINISHED_PDU, pdu.condition_code, TransactionStatus.TERMINATED)
                    self._rover_outbox_extra.append(bytes(ack.pack()))
                continue
            slot.last_activity_s = self.clock.now_s
            if getattr(pdu, "directive_type", None) == DirectiveType.FINISHED_PDU and (
                slot.handler.step == SourceTransactionStep.WAITING_FOR_EOF_ACK
            ):
                # The ground sends Finished only once it has the EOF: the Finished proves the
                # EOF arrived though its ACK was lost. cfdp-py 0.7.0 ignores a Finished PDU while
                # it waits for that ACK and repeats the EOF, a round trip per lost ACK.
                self._step_source(slot, AckPdu(copy.copy(pdu.pdu_header.pdu_conf), DirectiveType.EOF_PDU,
                                               ConditionCode.NO_ERROR, TransactionStatus.ACTIVE))  # fmt: skip
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
                slot.sent_at.clear()
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

    def _round_trip_s(self, p: Pass) -> float:
        """Longest time a file segment can take to be sent and NAKed back [s] (est.).

        Its own transmission at the pass rate, one more segment ahead of it (a directive
        can go first), the proximity light time both ways and a NAK PDU (≤ 1 kB) on the return
        link. A NAK heard sooner after a segment was sent may have been made before it arrived.
        """
        segment_s = 8 * (self.cfg.segment_bytes + PDU_OVERHEAD_BYTES) / p.rate_bps
        return 2 * segment_s + 2 * self.cfg.proximity_delay_s + 8 * 1024 / self.cfg.return_rate_bps

    def _pop(self, slot: _Slot) -> bytes:
        frame, key = slot.outbox.popleft()
        slot.queued_offsets.discard(key)
        if isinstance(key, int):
            slot.sent_at[key] = self.clock.now_s
            # Sending file data is activity too: a sender streaming over a clean link hears
            # nothing back until its EOF (module doc, "Transaction inactivity"). Repeated
            # EOFs are not: a sender nobody answers must still be abandoned.
            slot.last_activity_s = self.clock.now_s
        return frame

    def _next_forward(self) -> bytes | None:
        """The next PDU for the forward link (module doc, "Link scheduling").

        Directives first (Metadata, EOF, ACK: small, and each one a peer's timer waits on), then
        file data, both from the oldest transaction first.
        """
        from cfdppy.handler import SourceTransactionStep

        if self._rover_outbox_extra:
            return self._rover_outbox_extra.popleft()
        for slot in self._by_age:
            if slot.outbox and not isinstance(slot.outbox[0][1], int):
                return self._pop(slot)
        for slot in self._by_age:
            if not slot.outbox and slot.job is not None and slot.handler.step in (
                SourceTransactionStep.SENDING_METADATA,
                SourceTransactionStep.SENDING_FILE_DATA,
                SourceTransactionStep.RETRANSMITTING,
                SourceTransactionStep.SENDING_EOF,
            ):
                self._step_source(slot, None)
            if slot.outbox:
                return self._pop(slot)
        return None

    def _open_transaction(self, next_job: Callable[[float], FileJob | None]) -> bool:
        """Start the next product in a free slot; False if no slot is free or nothing is left."""
        slot = next((s for s in self._by_age if s.job is None), None)
        if slot is None:
            return False
        job = next_job(self._scet_s())
        if job is None:
            return False
        self._start(slot, job)
        return True

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

    def _disk_full(self, p: Pass, exc: OSError) -> LinkError:
        """Remove the partial files of the staging folder; say what filled and what had arrived.

        (Issue 20: a relay on a full disk left 7.4 MB of staging files and an internal error.)
        """
        staged = sum(f.stat().st_size for f in self.staging_dir.rglob("*") if f.is_file())
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        got = sum(d.size_bytes for d in self._delivered.values())
        return LinkError(
            f"{exc.filename or self.staging_dir}: disk full ({os.strerror(exc.errno)}) — relay stopped in pass "
            f"{p.index} ({p.orbiter}) after {len(self._delivered)} products ({_size(got)}) had arrived verified; "
            f"the {_size(staged)} of partial transfers in {self.staging_dir} were removed: free space on that disk "
            "and run the relay again"
        )

    def _run_pass(self, p: Pass, next_job: Callable[[float], FileJob | None]) -> PassReport:
        self._pass = p
        self._pass_clock0 = self.clock.now_s
        self._report = report = PassReport(p.index, p.orbiter, p.start_s, p.duration_s, p.rate_bps)
        self._back_busy = self.clock.now_s
        self._in_flight_s = self._round_trip_s(p)
        end_s = self._pass_clock0 + p.duration_s
        poll_dt = min(self.cfg.ack_timer_s, self.cfg.nak_timer_s) / 4.0
        next_poll = self.clock.now_s
        fwd_busy = self.clock.now_s
        for slot in self._slots:
            if slot.job is not None:
                self._event("resume", slot)
        with simulated_timers(self._countdown):
            while self.clock.now_s < end_s:
                self._deliver_due(self.clock.now_s)
                if self.clock.now_s >= next_poll:
                    self._poll_timers()
                    next_poll = self.clock.now_s + poll_dt
                frame_pdu = None
                if fwd_busy <= self.clock.now_s:
                    frame_pdu = self._next_forward()
                    # The link would idle: open another transaction (module doc, "Link scheduling").
                    while frame_pdu is None and self._open_transaction(next_job):
                        frame_pdu = self._next_forward()
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
