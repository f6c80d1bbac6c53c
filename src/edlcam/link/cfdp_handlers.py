"""cfdp-py bindings of the link: simulated timers, the MIB, a quiet user and a fixed DestHandler.

The CCSDS File Delivery Protocol (CCSDS 727.0-B-5) is cfdp-py's (``cfdppy``); this module adapts
it to a simulated link (:mod:`edlcam.link.transfer` drives the handlers):

- cfdp-py's timers read the wall clock. Its check timers come from an injected
  ``CheckTimerProvider``; its positive-ACK and NAK timers are built inside the handlers with
  ``Countdown.from_seconds`` (cfdp-py 0.7.0), so while the engine steps the handlers the
  ``Countdown`` name in ``cfdppy.handler.source``/``dest`` is bound to a subclass that reads the
  simulated clock (:func:`simulated_timers`), and restored afterwards.
- cfdp-py 0.7.0 gives every ``DestHandler`` transaction the *same* ``LostSegmentTracker``
  (a mutable dataclass default in ``_AckedModeParams``), so concurrent or successive
  transactions corrupt each other's lost-segment lists and files complete with holes (caught by
  the CRC-32, but never recovered); and when the Metadata PDU arrives after the EOF it waits for
  a second EOF that never comes. :func:`dest_handler_class` fixes both in a subclass.
- File data arriving before its Metadata PDU (the Metadata lost): cfdp-py 0.7.0 discards it and
  NAKs everything received so far, again with every further segment, so one lost Metadata PDU
  costs the file once more. The subclass keeps that data (up to ``EARLY_DATA_LIMIT_BYTES`` per
  transaction, est.; beyond it the data counts as lost and is NAKed), asks for the Metadata PDU
  alone, and writes the data once the Metadata names the file. CCSDS 727.0-B-5 leaves storing
  such data to the implementation.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import timedelta

from edlcam.link.clock import SimClock

__all__ = ["countdown_class", "simulated_timers", "make_users_and_configs", "user_class", "dest_handler_class",
           "FILE_DATA", "PDU_OVERHEAD_BYTES", "EARLY_DATA_LIMIT_BYTES"]  # fmt: skip

_LOG = logging.getLogger(__name__)

PDU_OVERHEAD_BYTES = 64  # PDU header + file-data offset + CRC, with margin, above the segment
EARLY_DATA_LIMIT_BYTES = 16 * 2**20  # est.: file data held per transaction until its Metadata PDU



def countdown_class(clock: SimClock):
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
def simulated_timers(countdown_cls) -> Iterator[None]:
    import cfdppy.handler.dest as dest_mod
    import cfdppy.handler.source as source_mod

    saved = (source_mod.Countdown, dest_mod.Countdown)
    source_mod.Countdown = countdown_cls
    dest_mod.Countdown = countdown_cls
    try:
        yield
    finally:
        source_mod.Countdown, dest_mod.Countdown = saved


def make_users_and_configs(cfg, countdown_cls):
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
            max_packet_len=cfg.segment_bytes + PDU_OVERHEAD_BYTES,
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


def user_class():
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


def dest_handler_class():
    """cfdp-py's DestHandler, fixed and with file data kept until the Metadata PDU (module doc)."""
    from cfdppy.handler import DestHandler
    from cfdppy.handler.dest import LostSegmentTracker, TransactionStep
    from spacepackets.cfdp.pdu import NakPdu

    class FixedDestHandler(DestHandler):
        def _common_first_packet_handler(self, pdu):
            self._params.acked_params.lost_seg_tracker = LostSegmentTracker()
            self._early: list = []  # file data PDUs that came before the Metadata PDU
            self._early_bytes = 0
            return super()._common_first_packet_handler(pdu)

        def _handle_file_data_without_previous_metadata(self, fd_pdu):
            # cfdp-py 0.7.0 throws the segment away and NAKs the whole file so far, again for every
            # segment until the Metadata PDU comes: keep it (bounded), and ask for the Metadata only.
            if self._early_bytes + len(fd_pdu.file_data) <= EARLY_DATA_LIMIT_BYTES:
                self._early.append(fd_pdu)
                self._early_bytes += len(fd_pdu.file_data)
            end = fd_pdu.offset + len(fd_pdu.file_data)
            self._add_packet_to_be_sent(NakPdu(self._params.pdu_conf, 0, end, segment_requests=[(0, 0)]))

        def _start_deferred_lost_segment_handling(self):
            # The EOF came before the Metadata PDU: cfdp-py counts the whole file lost; the data
            # kept meanwhile is not.
            for fd in self._early:
                self._params.acked_params.lost_seg_tracker.remove_lost_segment(
                    (fd.offset, fd.offset + len(fd.file_data))
                )
            super()._start_deferred_lost_segment_handling()

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
            early, self._early, self._early_bytes = sorted(self._early, key=lambda fd: fd.offset), [], 0
            for fd in early:  # now that the file has a name, as if it had just arrived
                self._handle_fd_pdu(fd)

    return FixedDestHandler


def FILE_DATA():
    """cfdp-py's PduType.FILE_DATA (imported late: cfdp-py loads only when a relay runs)."""
    from spacepackets.cfdp import PduType

    return PduType.FILE_DATA
