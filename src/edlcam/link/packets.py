"""CCSDS Space Packets on the link, and the ground deframer that never stalls.

Every unit on the link is a CCSDS Space Packet (CCSDS 133.0-B-2) built with ``spacepackets``:

    primary header (6 octets) │ user data │ packet error control (2 octets)

The last two octets are a CRC-16/IBM-3740 (CRC-16-CCITT, init 0xFFFF; the CRC of CCSDS
131.0/132.0 frames and of ECSS-E-ST-70-41C's packet error control) over header and data, so a
packet hit by bit errors is detected and discarded on the ground. Application process IDs:

    APID_TELEMETRY  engineering telemetry during EDL (state, phase)
    APID_EVENT      EDL event call-outs
    APID_CFDP       CFDP PDUs (file transfer; telemetry packets down, telecommand packets up)

:func:`deframe` follows fprime-gds's framer contract: it returns ``(packets, leftover,
discarded)`` — the packets found, the tail that may be the start of a packet still arriving, and
the bytes thrown away — so garbage on the link costs bytes, never a stall. It is written here
rather than taken from ``spacepackets.ccsds.parse_space_packets`` because that parser checks no
CRC and waits forever on a packet whose length field was corrupted.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from fastcrc import crc16
from spacepackets.ccsds.spacepacket import PacketType, SequenceFlags, SpacePacket, SpacePacketHeader

__all__ = [
    "APID_TELEMETRY",
    "APID_EVENT",
    "APID_CFDP",
    "KNOWN_APIDS",
    "HEADER_BYTES",
    "CRC_BYTES",
    "MAX_PACKET_BYTES",
    "Packet",
    "crc16_ccitt",
    "pack_packet",
    "deframe",
    "SequenceCounter",
]

APID_TELEMETRY = 0x064  # 100
APID_EVENT = 0x065  # 101
APID_CFDP = 0x066  # 102
KNOWN_APIDS = (APID_TELEMETRY, APID_EVENT, APID_CFDP)

HEADER_BYTES = 6  # CCSDS 133.0-B-2 §4.1.3: primary header length
CRC_BYTES = 2
MAX_PACKET_BYTES = HEADER_BYTES + 65_536  # the 16-bit length field counts data octets − 1

_VALID_FIRST_WORDS_CACHE: dict[tuple, frozenset[int]] = {}


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/IBM-3740 (poly 0x1021, init 0xFFFF, no reflection): check("123456789") = 0x29B1."""
    return crc16.ibm_3740(bytes(data))


@dataclass(frozen=True)
class Packet:
    """A Space Packet as decoded on the ground: its header fields and its user data (CRC removed)."""

    apid: int
    packet_type: PacketType
    seq_count: int
    data: bytes


def pack_packet(apid: int, seq_count: int, data: bytes, *, packet_type: PacketType = PacketType.TM) -> bytes:
    """One unsegmented Space Packet with ``data`` and a trailing CRC-16, as bytes on the wire."""
    if not data:
        raise ValueError("a Space Packet carries at least one octet of data (CCSDS 133.0-B-2 §4.1.4.1)")
    header = SpacePacketHeader(
        packet_type=packet_type,
        apid=apid,
        seq_count=seq_count % 0x4000,
        data_len=len(data) + CRC_BYTES - 1,
        seq_flags=SequenceFlags.UNSEGMENTED,
    )
    body = SpacePacket(header, sec_header=None, user_data=bytes(data)).pack()
    return bytes(body) + struct.pack("!H", crc16_ccitt(body))


def _valid_first_words(apids: tuple[int, ...]) -> frozenset[int]:
    key = apids
    if key not in _VALID_FIRST_WORDS_CACHE:
        words = set()
        for apid in apids:
            for ptype in (PacketType.TM, PacketType.TC):
                words.add((int(ptype) << 12) | apid)  # version 0, no secondary header
        _VALID_FIRST_WORDS_CACHE[key] = frozenset(words)
    return _VALID_FIRST_WORDS_CACHE[key]


def deframe(
    buffer: bytes,
    *,
    apids: Iterable[int] = KNOWN_APIDS,
    max_packet_bytes: int = MAX_PACKET_BYTES,
    final: bool = False,
) -> tuple[list[Packet], bytes, bytes]:
    """Split a received byte stream into Space Packets: ``(packets, leftover, discarded)``.

    A candidate packet must have version 0, a known APID, unsegmented sequence flags, a length
    within ``max_packet_bytes`` and a correct CRC-16; anything else is skipped one octet at a
    time and returned in ``discarded``. ``leftover`` is a possible packet still arriving: feed
    it back in front of the next bytes. With ``final=True`` nothing more will arrive, so the
    leftover is discarded too.
    """
    first_words = _valid_first_words(tuple(sorted(set(apids))))
    buf = bytes(buffer)
    n = len(buf)
    packets: list[Packet] = []
    discarded = bytearray()
    i = 0
    min_len = HEADER_BYTES + CRC_BYTES + 1
    while n - i >= HEADER_BYTES:
        word0, word1, length_field = struct.unpack_from("!HHH", buf, i)
        total = length_field + 1 + HEADER_BYTES
        plausible = (
            word0 in first_words and (word1 >> 14) == SequenceFlags.UNSEGMENTED and min_len <= total <= max_packet_bytes
        )
        if not plausible:
            discarded.append(buf[i])
            i += 1
            continue
        if i + total > n:
            if final:
                discarded.append(buf[i])
                i += 1
                continue
            break  # the rest of this packet is still on its way
        candidate = buf[i : i + total]
        if crc16_ccitt(candidate) != 0:  # a CRC over data + its own CRC leaves no remainder
            discarded.append(buf[i])
            i += 1
            continue
        packets.append(
            Packet(
                apid=word0 & 0x7FF,
                packet_type=PacketType((word0 >> 12) & 0x1),
                seq_count=word1 & 0x3FFF,
                data=candidate[HEADER_BYTES:-CRC_BYTES],
            )
        )
        i += total
    if final:
        discarded.extend(buf[i:])
        return packets, b"", bytes(discarded)
    return packets, buf[i:], bytes(discarded)


class SequenceCounter:
    """Per-APID 14-bit source sequence counts (CCSDS 133.0-B-2 §4.1.3.4.3), wrapping at 16384."""

    def __init__(self) -> None:
        self._next: dict[int, int] = {}

    def next(self, apid: int) -> int:
        """The count for the next packet of ``apid`` (0 first)."""
        value = self._next.get(apid, 0)
        self._next[apid] = (value + 1) % 0x4000
        return value
