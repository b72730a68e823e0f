"""SIP over TCP: several messages per segment, one message over several segments, holes."""
from collectors.sip.tcpstream import TcpSipStream

MSG = (b"INVITE sip:b@h SIP/2.0\r\nCall-ID: %d\r\nContent-Type: application/sdp\r\nContent-Length: 12\r\n\r\n"
       b"v=0\r\nm=x\r\nzz")


def msg(n: int) -> bytes:
    return MSG.replace(b"%d", str(n).encode())


def test_several_messages_in_one_segment():
    stream = TcpSipStream()
    got = stream.feed(1000, msg(1) + msg(2) + b"\r\n\r\n" + msg(3))
    assert [m.call_id for m in got] == ["1", "2", "3"]


def test_one_message_over_many_segments_out_of_order():
    data = msg(7)
    stream = TcpSipStream()
    pieces = [(1000 + i, data[i:i + 9]) for i in range(0, len(data), 9)]
    first, rest = pieces[0], pieces[1:]
    got = stream.feed(*first)
    for seq, piece in reversed(rest):      # all later pieces arrive in reverse order
        got += stream.feed(seq, piece)
    assert [m.call_id for m in got] == ["7"]


def test_retransmission_is_not_parsed_twice():
    stream = TcpSipStream()
    got = stream.feed(5, msg(1)) + stream.feed(5, msg(1)) + stream.feed(5 + len(msg(1)), msg(2))
    assert [m.call_id for m in got] == ["1", "2"]


def test_hole_is_skipped_and_parsing_resumes_at_next_message():
    stream = TcpSipStream()
    first = msg(1)
    got = stream.feed(0, first[:30])                    # the rest of message 1 is lost
    seq = len(first) + 100                               # a hole of 100 bytes more
    for n in range(2, 80):                               # later messages keep arriving
        got += stream.feed(seq, msg(n))
        seq += len(msg(n))
    ids = [m.call_id for m in got]
    assert len(ids) >= 10 and ids == [str(n) for n in range(2, 2 + len(ids))]   # resumed with message 2


def test_garbage_then_sip_resynchronises():
    stream = TcpSipStream()
    got = stream.feed(0, b"\x16\x03\x01garbage that is not sip\r\n" + msg(4))
    assert [m.call_id for m in got] == ["4"]
