"""The ground's CFDP entity: the receive side of the relay's file transfer.

:class:`GroundReceiver` holds one cfdp-py ``DestHandler`` per open transaction (the fixed
subclass of :mod:`edlcam.link.cfdp_handlers`), routes each PDU that the forward link brings to
it, and sends the handlers' replies (ACK, NAK, Finished) back through the engine's return link
(:class:`~edlcam.link.transfer.TransferEngine`, which runs the passes and the rover's side).

- A product counts as received only when the file's SHA-256 equals the one the rover sent in
  the Metadata PDU (a Message-to-User TLV); it then moves from the staging folder to
  ``received_dir / rel_path``, so a wrong file is never reported received.
- cfdp-py 0.7.0 does not acknowledge a repeated EOF once it has moved past it; CCSDS 727.0-B-5
  §4.7.2 requires it, so the router sends that ACK (with cfdp-py's own
  ``acknowledge_inactive_eof_pdu`` for a transaction already closed here). spacepackets 0.32.0
  decodes an EOF's condition code unshifted; the router corrects it before any handler sees it.
- Transaction inactivity (§4.6.8; cfdp-py 0.7.0 has none): :meth:`GroundReceiver.poll` abandons
  a transaction that heard nothing for the engine's limit and reports it to ``on_event``.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from edlcam.link.cfdp_handlers import dest_handler_class
from edlcam.link.packets import APID_CFDP, deframe
from edlcam.runfolder.files import sha256_file  # the same digest the provenance records use

if TYPE_CHECKING:
    from edlcam.link.transfer import TransferEngine

__all__ = ["Delivery", "GroundReceiver", "sha256_file", "write_segment"]

_LOG = logging.getLogger(__name__)



@dataclass(frozen=True)
class Delivery:
    """A product verified on the ground: completion time [s after touchdown, SCET] and size."""

    product_id: str
    rel_path: str
    scet_s: float
    size_bytes: int
    pass_index: int


def _staging_filestore(restricted):
    """cfdp-py's RestrictedFilestore (``restricted``) with a cheaper ``write_data``.

    cfdp-py writes each file-data PDU through it: the name made local with pathlib, an existence
    check, open, seek, write and close, several times the cost of the write itself in the relay.
    Here the local name is remembered per file and the segment written with one ``pwrite``; the
    bytes written, and the error for a missing file, are the same.
    """

    class StagingFilestore(restricted):
        def __init__(self, restricted_path: Path):
            super().__init__(restricted_path)
            self._local: dict[str, Path] = {}

        def write_data(self, file: Path, data: bytes, offset: int | None) -> None:
            key = str(file)
            path = self._local.get(key)
            if path is None:
                path = self._local[key] = self._RestrictedFilestore__make_local(file)
            write_segment(path, data, offset or 0)

    return StagingFilestore


def write_segment(path: Path, data: bytes, offset: int) -> None:
    """Write ``data`` at ``offset`` of the existing file ``path`` (a file segment arriving on the ground)."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        raise FileNotFoundError(path) from None
    try:
        view = memoryview(data)
        while view:
            n = os.pwrite(fd, view, offset)
            view, offset = view[n:], offset + n
    finally:
        os.close(fd)


class GroundReceiver:
    """The ground's side of every transaction of ``link`` (the engine that runs the passes).

    ``local_cfg`` and ``remote_table`` are the ground entity's cfdp-py configuration, ``timers``
    its check-timer provider and ``user_cls`` the cfdp-py user class (:mod:`~edlcam.link.cfdp_handlers`).
    """

    def __init__(self, link: TransferEngine, *, local_cfg, remote_table, timers, user_cls) -> None:
        from cfdppy import RestrictedFilestore

        self._link = link
        self._clock = link.clock  # CFDP time (the engine's)
        self.staging_dir = link.staging_dir
        self.received_dir = link.received_dir
        self._DestHandler = dest_handler_class()
        self._local = local_cfg
        self._remote = remote_table
        self._timers = timers
        filestore = _staging_filestore(RestrictedFilestore)(self.staging_dir)
        self._user = user_cls(filestore, on_metadata=self._metadata, on_finished=self._finished)
        self._dest: dict[int, object] = {}  # transaction seq num → DestHandler
        self._done: set[int] = set()
        self._eof_seen: set[int] = set()
        self._heard: dict[int, float] = {}
        self._meta: dict[int, dict] = {}  # transaction seq num → Message-to-User JSON
        self.delivered: dict[str, Delivery] = {}  # products verified on the ground, by id
        self._buffer = b""

    def flush(self) -> None:
        """Drop a partial packet held from the last frame (the pass ended)."""
        self._buffer = b""

    # --- cfdp-py user callbacks ----------------------------------------------------------------

    def _metadata(self, params) -> None:
        for msg in params.msgs_to_user or []:
            try:
                meta = json.loads(bytes(msg.value).decode())
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            meta["part"] = params.dest_file_name
            self._meta[params.transaction_id.seq_num.value] = meta

    def _finished(self, params) -> None:
        from spacepackets.cfdp import ConditionCode
        from spacepackets.cfdp.pdu import DeliveryCode

        seq = params.transaction_id.seq_num.value
        f = params.finished_params
        meta = self._meta.get(seq)
        if meta is None or f.delivery_code != DeliveryCode.DATA_COMPLETE or f.condition_code != ConditionCode.NO_ERROR:
            return
        part = self.staging_dir / Path(meta["part"]).name
        if meta["id"] in self.delivered:
            part.unlink(missing_ok=True)  # a repeat of a product already home
            return
        if not part.exists() or part.stat().st_size != meta["size"] or sha256_file(part) != meta["sha256"]:
            _LOG.warning("product %s arrived but its SHA-256 does not match; it stays missing", meta["id"])
            return
        target = self.received_dir / meta["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, target)
        link = self._link
        assert link.current_pass is not None
        delivery = Delivery(
            product_id=meta["id"],
            rel_path=meta["path"],
            scet_s=link.scet_s(),
            size_bytes=meta["size"],
            pass_index=link.current_pass.index,
        )
        self.delivered[meta["id"]] = delivery
        if link.current_report is not None:
            link.current_report.deliveries.append(delivery)
        if link.on_delivery is not None:
            link.on_delivery(delivery)

    # --- the router ----------------------------------------------------------------------------

    def _step(self, seq: int, pdu) -> None:
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
            self._link.send_back(bytes(holder.pdu.pack()))
        if handler.state == CfdpState.IDLE:
            del self._dest[seq]
            self._done.add(seq)

    def receive(self, frame: bytes) -> None:
        """Deframe what the forward link delivered and hand each PDU to its transaction."""
        from spacepackets.cfdp import ConditionCode, Direction, DirectiveType
        from spacepackets.cfdp.pdu import AckPdu, PduFactory, TransactionStatus
        from cfdppy.handler.dest import acknowledge_inactive_eof_pdu

        link = self._link
        packets, self._buffer, junk = deframe(self._buffer + frame, apids=(APID_CFDP,))
        if link.current_report is not None:
            link.current_report.bytes_discarded += len(junk)
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
            if seq in self._done:
                if is_eof:
                    ack = acknowledge_inactive_eof_pdu(pdu, TransactionStatus.TERMINATED)
                    link.send_back(bytes(ack.pack()))
                continue
            if is_eof and seq in self._eof_seen:
                # §4.7.2: every EOF is acknowledged; cfdp-py ignores a repeat once past EOF.
                conf = copy.copy(pdu.pdu_header.pdu_conf)
                conf.direction = Direction.TOWARDS_SENDER
                ack = AckPdu(conf, DirectiveType.EOF_PDU, pdu.condition_code, TransactionStatus.ACTIVE)
                link.send_back(bytes(ack.pack()))
                continue
            if is_eof:
                self._eof_seen.add(seq)
            self._heard[seq] = self._clock.now_s
            if seq not in self._dest:
                if getattr(pdu, "directive_type", None) == DirectiveType.ACK_PDU:
                    continue  # an ACK of a Finished PDU for a transaction not open here
                self._dest[seq] = self._DestHandler(
                    cfg=self._local,
                    user=self._user,
                    remote_cfg_table=self._remote,
                    check_timer_provider=self._timers,
                )
            self._step(seq, pdu)

    def poll(self, limit_s: float) -> None:
        """Step every open transaction's timers; abandon one silent for more than ``limit_s``."""
        link = self._link
        for seq in list(self._dest):
            if self._clock.now_s - self._heard.get(seq, self._clock.now_s) > limit_s:
                _LOG.info("ground transaction %d inactive for %.0f s: abandoned", seq, limit_s)
                if link.on_event is not None:
                    meta = self._meta.get(seq, {})
                    link.on_event(
                        {
                            "type": "transfer",
                            "event": "abandon",
                            "side": "ground",
                            "id": meta.get("id"),  # None if its Metadata PDU never arrived
                            "transaction": seq,
                            "pass": None if link.current_pass is None else link.current_pass.index,
                            "t_after_touchdown_s": round(link.scet_s(), 3),
                            "reason": f"inactive for {limit_s:.0f} s",
                        }
                    )
                self._dest.pop(seq).reset()
                self._done.add(seq)
                continue
            self._step(seq, None)
