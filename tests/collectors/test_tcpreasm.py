"""TcpReassembler: one direction of a TCP stream back into contiguous bytes."""
from __future__ import annotations

from collectors.decode.tcpreasm import MAX_HELD_SEGMENTS, SEQ_MOD, TcpReassembler

ISN = 1_000


def _connected(isn: int = ISN) -> TcpReassembler:
    tcp = TcpReassembler()
    assert tcp.feed(isn, b"", syn=True) == (b"", False)
    return tcp


def test_in_order_after_syn():
    tcp = _connected()
    assert tcp.feed(ISN + 1, b"INVITE ") == (b"INVITE ", False)
    assert tcp.feed(ISN + 8, b"sip:bob SIP/2.0\r\n") == (b"sip:bob SIP/2.0\r\n", False)
    assert tcp.next_seq == ISN + 8 + 17
    assert tcp.gaps == 0


def test_mid_stream_pickup_without_syn():
    tcp = TcpReassembler()
    assert tcp.feed(555, b"SIP/2.0 ") == (b"SIP/2.0 ", False)
    assert tcp.feed(563, b"200 OK") == (b"200 OK", False)


def test_empty_segments_are_ignored():
    tcp = _connected()
    assert tcp.feed(ISN + 1, b"") == (b"", False)
    assert tcp.feed(ISN + 1, b"ab") == (b"ab", False)


def test_syn_with_data_keeps_its_first_byte():
    tcp = TcpReassembler()
    assert tcp.feed(ISN, b"REGISTER", syn=True) == (b"REGISTER", False)
    assert tcp.feed(ISN + 1 + 8, b" sip:x") == (b" sip:x", False)


def test_retransmission_overlap_is_trimmed():
    tcp = _connected()
    assert tcp.feed(ISN + 1, b"hello ") == (b"hello ", False)
    assert tcp.feed(ISN + 1, b"hello ") == (b"", False)              # exact duplicate
    assert tcp.feed(ISN + 4, b"lo world") == (b"world", False)       # partial overlap
    assert tcp.feed(ISN + 2, b"ello") == (b"", False)                # entirely old
    assert tcp.feed(ISN + 12, b"!") == (b"!", False)


def test_out_of_order_is_held_then_drained():
    tcp = _connected()
    base = ISN + 1
    assert tcp.feed(base, b"aa") == (b"aa", False)
    assert tcp.feed(base + 6, b"dd") == (b"", False)
    assert tcp.feed(base + 4, b"cc") == (b"", False)
    assert len(tcp.held) == 2
    assert tcp.feed(base + 2, b"bb") == (b"bbccdd", False)
    assert tcp.held == {}
    assert tcp.feed(base + 8, b"ee") == (b"ee", False)
    assert tcp.gaps == 0


def test_held_segments_overlapping_each_other():
    tcp = _connected()
    base = ISN + 1
    assert tcp.feed(base + 3, b"defg") == (b"", False)
    assert tcp.feed(base + 5, b"fghij") == (b"", False)
    assert tcp.feed(base, b"abc") == (b"abcdefghij", False)


def test_hole_is_skipped_after_max_held_segments():
    tcp = _connected()
    base = ISN + 1
    assert tcp.feed(base, b"0" * 10) == (b"0" * 10, False)
    # the segment at base+10 is lost; the ones after it wait
    segments = [(base + 20 + 10 * i, bytes([65 + i % 26]) * 10) for i in range(MAX_HELD_SEGMENTS + 1)]
    for seq, payload in segments[:MAX_HELD_SEGMENTS]:
        assert tcp.feed(seq, payload) == (b"", False)
    seq, payload = segments[MAX_HELD_SEGMENTS]
    data, gap = tcp.feed(seq, payload)
    assert gap is True
    assert data == b"".join(p for _, p in segments)
    assert (tcp.gaps, tcp.skipped_bytes) == (1, 10)
    assert tcp.held == {}
    after = base + 20 + 10 * len(segments)
    assert tcp.feed(after, b"tail") == (b"tail", False)
    assert tcp.gaps == 1


def test_sequence_wraps_around():
    start = SEQ_MOD - 5
    tcp = TcpReassembler()
    assert tcp.feed(start, b"0123456789") == (b"0123456789", False)
    assert tcp.next_seq == 5
    assert tcp.feed(start + 3, b"3456789AB"[:7]) == (b"", False)     # retransmission across the wrap
    assert tcp.feed(9, b"EF") == (b"", False)                         # out of order after the wrap
    assert tcp.feed(5, b"ABCD") == (b"ABCDEF", False)
    assert tcp.next_seq == 11


def test_syn_at_the_top_of_the_sequence_space():
    tcp = _connected(SEQ_MOD - 1)
    assert tcp.next_seq == 0
    assert tcp.feed(0, b"OPTIONS") == (b"OPTIONS", False)


def test_out_of_order_across_the_wrap():
    tcp = TcpReassembler()
    assert tcp.feed(SEQ_MOD - 4, b"ab") == (b"ab", False)
    assert tcp.feed(0, b"ef") == (b"", False)
    assert tcp.feed(SEQ_MOD - 2, b"cd") == (b"cdef", False)


def test_hole_skipped_across_the_wrap():
    tcp = TcpReassembler()
    assert tcp.feed(SEQ_MOD - 10, b"x" * 5) == (b"x" * 5, False)
    first = (SEQ_MOD - 10 + 5 + 7) % SEQ_MOD                             # 7 bytes lost at the wrap
    for i in range(MAX_HELD_SEGMENTS):
        assert tcp.feed((first + 3 * i) % SEQ_MOD, b"abc") == (b"", False)
    data, gap = tcp.feed((first + 3 * MAX_HELD_SEGMENTS) % SEQ_MOD, b"z")
    assert gap is True
    assert data == b"abc" * MAX_HELD_SEGMENTS + b"z"
    assert tcp.skipped_bytes == 7
