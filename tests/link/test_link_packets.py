"""Space Packet wire format, byte for byte, and a deframer that never stalls."""

from __future__ import annotations

import struct

from spacepackets.ccsds.spacepacket import PacketType

from edlcam.link.packets import APID_CFDP, APID_TELEMETRY, crc16_ccitt, deframe, pack_packet


def test_crc16_check_value():
    # CRC-16/IBM-3740 (CCITT-FALSE) catalogue check value (Williams/Cook CRC catalogue)
    assert crc16_ccitt(b"123456789") == 0x29B1


def test_packet_bytes_field_by_field():
    data = b"\x01\x02\x03"
    word0 = (0b000 << 13) | (0 << 12) | (0 << 11) | APID_TELEMETRY  # version, TM, no sec. header, APID
    word1 = (0b11 << 14) | 5  # unsegmented, sequence count 5
    length = len(data) + 2 - 1  # CCSDS 133.0-B-2: octets in the data field minus one
    body = struct.pack("!HHH", word0, word1, length) + data
    expected = body + struct.pack("!H", crc16_ccitt(body))
    assert pack_packet(APID_TELEMETRY, 5, data) == expected


def test_telecommand_type_bit_and_sequence_wrap():
    raw = pack_packet(APID_CFDP, 16384 + 7, b"x", packet_type=PacketType.TC)
    assert raw[0] == 0x10 | (APID_CFDP >> 8)
    assert struct.unpack("!H", raw[2:4])[0] == (0b11 << 14) | 7


def test_deframe_skips_garbage_and_keeps_partial_tail():
    a = pack_packet(APID_TELEMETRY, 1, b"hello")
    b = pack_packet(APID_CFDP, 2, b"world!")
    stream = b"\xff\x00junk" + a + b"\x07" + b[:5]
    packets, leftover, discarded = deframe(stream)
    assert [p.data for p in packets] == [b"hello"]
    assert discarded == b"\xff\x00junk\x07"
    assert leftover == b[:5]
    packets, leftover, discarded = deframe(leftover + b[5:])
    assert [(p.apid, p.seq_count, p.data) for p in packets] == [(APID_CFDP, 2, b"world!")]
    assert leftover == b"" and discarded == b""


def test_deframe_rejects_corrupted_packet_and_recovers_next():
    a = bytearray(pack_packet(APID_TELEMETRY, 1, b"payload"))
    a[8] ^= 0x10  # one bit error in the data
    b = pack_packet(APID_TELEMETRY, 2, b"next")
    packets, leftover, discarded = deframe(bytes(a) + b)
    assert [p.data for p in packets] == [b"next"]
    assert len(discarded) == len(a) and leftover == b""


def test_corrupted_length_field_does_not_stall():
    a = bytearray(pack_packet(APID_TELEMETRY, 1, b"payload"))
    a[5] = 0xF0  # length now claims 240+ octets: a naive parser would wait for them
    b = pack_packet(APID_TELEMETRY, 2, b"after")
    packets, leftover, _ = deframe(bytes(a) + b, max_packet_bytes=64)
    assert [p.data for p in packets] == [b"after"] and leftover == b""
    # Without a length limit the candidate waits for more data, and final=True gives it up.
    packets, leftover, _ = deframe(bytes(a) + b)
    assert packets == [] and leftover
    packets, leftover, _ = deframe(leftover, final=True)
    assert [p.data for p in packets] == [b"after"] and leftover == b""
