"""The rover's CFDP entity: the send side of the relay's file transfer and its link policy.

:class:`RoverSender` holds ``concurrent_transactions`` slots, each a cfdp-py ``SourceHandler``
with its outbox, starts a :class:`FileJob` in a free slot when the engine asks
(:class:`~edlcam.link.transfer.TransferEngine` runs the passes and carries the PDUs), chooses
the next PDU for the forward link and routes what the return link brings back.

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
  less than one round trip ago (``in_flight_s``, set per pass from
  :meth:`TransferEngine._round_trip_s <edlcam.link.transfer.TransferEngine._round_trip_s>`, est.):
  the NAK may have left the ground before that copy arrived. If the copy is lost after all, the
  ground's NAK timer asks again. Without both, duplicates crowded out new data (congestion
  collapse).
- A Finished PDU heard while the sender still waits for its EOF's ACK proves the EOF arrived:
  the rover acts on it as on that ACK (cfdp-py 0.7.0 ignores it and repeats the EOF until an
  ACK gets through, a timer period per lost ACK).
- cfdp-py 0.7.0 does not answer a Finished PDU for a transaction the sender already closed;
  CCSDS 727.0-B-5 §4.7.2 requires it, so the rover router sends that ACK.
- Transaction inactivity (§4.6.8; cfdp-py 0.7.0 has none): a transaction is abandoned after the
  engine's limit of pass time in which it neither heard a PDU nor sent file data. A class 2
  sender streaming file data over a clean link hears nothing until its EOF, so counting only
  received PDUs abandoned every file that needed longer than that (then 251 s of pass time) and
  restarted it from zero, pass after pass. The planner then sends the product again.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from edlcam.link.cfdp_handlers import FILE_DATA
from edlcam.link.packets import APID_CFDP, deframe

if TYPE_CHECKING:
    from edlcam.link.transfer import TransferEngine

__all__ = ["FileJob", "RoverSender"]

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileJob:
    """A product to send: where it is onboard, where it goes on the ground, what it must hash to."""

    product_id: str
    source_path: Path
    rel_path: str
    size_bytes: int
    sha256: str


_SAFE = re.compile(r"[^A-Za-z0-9._-]")


class _RoverFilestore:
    """The rover's filestore as cfdp-py sees it: products by their store-relative name.

    The Metadata PDU carries the source file's name. Sending the host's absolute path put the
    machine's directory layout on the wire, so the bytes sent, and with them what the passes
    deliver under loss, changed with where the run folder lies (a test's margin moved with the
    length of pytest's temporary folder name). Here the wire name is the product's path in the
    store (``FileJob.rel_path``), the same on every machine, mapped back to the host file.
    cfdp-py's NativeFilestore does the reading; this class only resolves names.
    """

    OPEN_FILES = 16  # products kept open for reading (the oldest transactions send first; est.)

    def __init__(self) -> None:
        from cfdppy.filestore import NativeFilestore

        self._native = NativeFilestore()
        self._host: dict[str, Path] = {}
        self._open: dict[Path, int] = {}  # host path → read-only descriptor, least recently used first

    def register(self, wire_name: str, host_path: Path) -> Path:
        self._host[wire_name] = Path(host_path).absolute()
        return Path(wire_name)

    def _real(self, path: Path) -> Path:
        return self._host.get(str(path), Path(path))

    def read_data(self, file: Path, offset: int | None, read_len: int | None = None) -> bytes:
        """NativeFilestore's read, from a descriptor kept open: cfdp-py reads a product a segment at a
        time, and NativeFilestore checked, measured, opened and closed the file for each segment (four
        system calls and pathlib for every PDU of the relay). Products do not change while relayed."""
        real = self._real(file)
        fd = self._open.pop(real, None)
        if fd is None:
            try:
                fd = os.open(real, os.O_RDONLY)
            except FileNotFoundError:
                raise FileNotFoundError(real) from None
            while len(self._open) >= self.OPEN_FILES:
                os.close(self._open.pop(next(iter(self._open))))
        self._open[real] = fd
        offset = offset or 0
        if read_len is None:
            read_len = max(os.fstat(fd).st_size - offset, 0)
        return os.pread(fd, read_len, offset)

    def close(self) -> None:
        """Close the products kept open."""
        while self._open:
            os.close(self._open.popitem()[1])

    def file_size(self, file: Path) -> int:
        return self._native.file_size(self._real(file))

    def file_exists(self, path: Path) -> bool:
        return self._native.file_exists(self._real(path))

    def is_directory(self, path: Path) -> bool:
        return self._native.is_directory(self._real(path))

    def calculate_checksum(self, checksum_type, file_path: Path, size_to_verify: int, segment_len: int = 4096) -> bytes:
        return self._native.calculate_checksum(checksum_type, self._real(file_path), size_to_verify, segment_len)

    def __getattr__(self, name):  # everything else the source side never calls with a product name
        return getattr(self._native, name)


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


class RoverSender:
    """The rover's side of every transaction of ``link`` (the engine that runs the passes).

    ``entity(id)`` makes a CFDP entity id; ``local_cfg``, ``remote_table``, ``timers`` and
    ``user_cls`` are the rover entity's cfdp-py configuration (:mod:`~edlcam.link.cfdp_handlers`);
    ``ground_id`` is the destination entity.
    """

    def __init__(
        self, link: TransferEngine, *, entity, local_cfg, remote_table, timers, user_cls, ground_id: int
    ) -> None:
        from cfdppy.handler import SourceHandler
        from spacepackets.seqcount import SeqCountProvider

        self._link = link
        self._clock = link.clock  # CFDP time (the engine's)
        self._entity = entity
        self._ground_id = ground_id
        seq = SeqCountProvider(16)
        self._slots = [
            _Slot(
                handler=SourceHandler(
                    cfg=local_cfg,
                    user=None,  # set below: the user's callback needs the slot
                    remote_cfg_table=remote_table,
                    check_timer_provider=timers,
                    seq_num_provider=seq,
                )
            )
            for _ in range(link.cfg.concurrent_transactions)
        ]
        self._filestore = _RoverFilestore()
        for slot in self._slots:
            slot.handler.user = user_cls(self._filestore, on_finished=self._source_finished_cb(slot))
        self.acked: set[str] = set()  # products the rover knows arrived (Finished, complete)
        self.in_flight_s = 0.0  # a segment sent less than this ago is not sent again [s], set per pass
        self._buffer = b""
        self._outbox_extra: deque = deque()  # ACKs the rover router answers itself
        self._slot_by_seq: dict[int, _Slot] = {}  # open transactions by sequence number
        self._by_age = list(self._slots)  # oldest transaction first (a slot moves last when it starts one)
        self._live: list[_Slot] | None = None  # _by_age's slots with a job or PDUs to send; None: to recount
        self._attempt = 0

    @property
    def in_flight(self) -> set[str]:
        """Products with an open transaction on the rover."""
        return {s.job.product_id for s in self._slots if s.job is not None}

    def announce(self, event: str) -> None:
        """Report ``event`` (``"resume"``, ``"suspend"``) for every open transaction."""
        for slot in self._slots:
            if slot.job is not None:
                self.event(event, slot)

    def flush(self) -> None:
        """Drop a partial packet held from the last frame (the pass ended)."""
        self._buffer = b""

    def close_files(self) -> None:
        """Close the products held open for reading (a pass ended; they reopen when read again)."""
        self._filestore.close()

    def event(self, event: str, slot: _Slot, **extra) -> None:
        """Report a rover transaction's start / suspend / resume / abandon to ``on_event``."""
        assert slot.job is not None
        row = {
            "type": "transfer",
            "event": event,
            "side": "rover",
            "id": slot.job.product_id,
            "transaction": slot.handler.transaction_seq_num.value,
            "pass": None if self._link.current_pass is None else self._link.current_pass.index,
            "t_after_touchdown_s": round(self._link.scet_s(), 3),
            "progress_bytes": int(slot.handler.progress),
            "size_bytes": slot.job.size_bytes,
            **extra,
        }
        _LOG.debug("transfer %s", row)
        if self._link.on_event is not None:
            self._link.on_event(row)

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
            destination_id=self._entity(self._ground_id),
            source_file=self._filestore.register(job.rel_path, job.source_path),
            # a fresh name per attempt, so a stale transaction can never write into this one
            dest_file=Path(f"{_SAFE.sub('_', job.product_id)}.{self._attempt}.part"),
            trans_mode=TransmissionMode.ACKNOWLEDGED,
            closure_requested=True,
            msgs_to_user=[MessageToUserTlv(message)],
        )
        self._attempt += 1
        self._by_age.remove(slot)
        self._by_age.append(slot)
        self._live = None
        slot.job = job
        slot.finished = None
        slot.sent_at.clear()
        slot.last_activity_s = self._clock.now_s
        slot.handler.put_request(request)
        self._step(slot, None)  # starts the transaction: it has its sequence number now
        slot.seq = slot.handler.transaction_seq_num.value
        self._slot_by_seq[slot.seq] = slot
        self.event("start", slot)

    def _step(self, slot: _Slot, pdu) -> None:
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
                if isinstance(key, int) and self._clock.now_s - slot.sent_at.get(key, -math.inf) < self.in_flight_s:
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
            self.acked.add(slot.job.product_id)
        else:
            _LOG.info("transaction for %s closed without delivery; it will be sent again", slot.job.product_id)
            if not slot.abandoned:  # an inactivity abandon was reported already
                cond = "none" if f is None else f.condition_code.name
                self.event("abandon", slot, reason=f"closed without delivery ({cond})")
        slot.abandoned = False
        self._slot_by_seq.pop(slot.seq, None)
        slot.job = None
        slot.finished = None
        self._live = None

    def receive(self, frame: bytes) -> None:
        """Deframe what the return link delivered and hand each PDU to its transaction."""
        from cfdppy.handler import SourceTransactionStep
        from spacepackets.cfdp import ConditionCode, Direction, DirectiveType
        from spacepackets.cfdp.pdu import AckPdu, PduFactory, TransactionStatus

        packets, self._buffer, junk = deframe(self._buffer + frame, apids=(APID_CFDP,))
        report = self._link.current_report
        if report is not None:
            report.bytes_discarded += len(junk)
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
                    self._outbox_extra.append(bytes(ack.pack()))
                continue
            slot.last_activity_s = self._clock.now_s
            if getattr(pdu, "directive_type", None) == DirectiveType.FINISHED_PDU and (
                slot.handler.step == SourceTransactionStep.WAITING_FOR_EOF_ACK
            ):
                # The ground sends Finished only once it has the EOF: the Finished proves the
                # EOF arrived though its ACK was lost. cfdp-py 0.7.0 ignores a Finished PDU while
                # it waits for that ACK and repeats the EOF, a round trip per lost ACK.
                self._step(slot, AckPdu(copy.copy(pdu.pdu_header.pdu_conf), DirectiveType.EOF_PDU,
                                        ConditionCode.NO_ERROR, TransactionStatus.ACTIVE))  # fmt: skip
            self._step(slot, pdu)

    def _live_slots(self) -> list[_Slot]:
        """The slots :meth:`next_pdu` looks at, oldest transaction first: of 256 most are idle, and
        walking all of them twice for every PDU was a tenth of the relay's CPU."""
        if self._live is None:
            self._live = [s for s in self._by_age if s.job is not None or s.outbox]
        return self._live

    def _pop(self, slot: _Slot) -> bytes:
        frame, key = slot.outbox.popleft()
        slot.queued_offsets.discard(key)
        if slot.job is None and not slot.outbox:
            self._live = None
        if isinstance(key, int):
            slot.sent_at[key] = self._clock.now_s
            # Sending file data is activity too: a sender streaming over a clean link hears
            # nothing back until its EOF (module doc, "Transaction inactivity"). Repeated
            # EOFs are not: a sender nobody answers must still be abandoned.
            slot.last_activity_s = self._clock.now_s
        return frame

    def next_pdu(self) -> bytes | None:
        """The next PDU for the forward link (module doc, "Link scheduling").

        Directives first (Metadata, EOF, ACK: small, and each one a peer's timer waits on), then
        file data, both from the oldest transaction first.
        """
        from cfdppy.handler import SourceTransactionStep

        if self._outbox_extra:
            return self._outbox_extra.popleft()
        live = self._live_slots()  # the others have neither PDUs to send nor a transaction to step
        for slot in live:
            if slot.outbox and not isinstance(slot.outbox[0][1], int):
                return self._pop(slot)
        for slot in live:
            if not slot.outbox and slot.job is not None and slot.handler.step in (
                SourceTransactionStep.SENDING_METADATA,
                SourceTransactionStep.SENDING_FILE_DATA,
                SourceTransactionStep.RETRANSMITTING,
                SourceTransactionStep.SENDING_EOF,
            ):
                self._step(slot, None)
            if slot.outbox:
                return self._pop(slot)
        return None

    def open_transaction(self, next_job: Callable[[float], FileJob | None]) -> bool:
        """Start the next product in a free slot; False if no slot is free or nothing is left."""
        slot = next((s for s in self._by_age if s.job is None), None)
        if slot is None:
            return False
        job = next_job(self._link.scet_s())
        if job is None:
            return False
        self._start(slot, job)
        return True

    def poll(self, limit_s: float) -> None:
        """Step every open transaction's timers; abandon one inactive for more than ``limit_s``."""
        for slot in self._slots:
            if slot.job is None:
                continue
            if self._clock.now_s - slot.last_activity_s > limit_s:
                # CCSDS 727.0-B-5 §4.6.8 transaction inactivity (not implemented by cfdp-py 0.7.0):
                # abandon, and let the planner send the product again in a new transaction.
                _LOG.info("transaction for %s inactive for %.0f s: abandoned", slot.job.product_id, limit_s)
                self.event("abandon", slot, reason=f"inactive for {limit_s:.0f} s")
                slot.abandoned = True
                slot.handler.reset()
                slot.outbox.clear()
                slot.queued_offsets.clear()
                slot.sent_at.clear()
            self._step(slot, None)
