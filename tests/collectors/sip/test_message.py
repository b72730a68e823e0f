"""SIP message parsing: start lines, compact and folded headers, bodies, limits on hostile input."""
import pytest

from collectors.errors import Incomplete, Malformed
from collectors.sip.body import find_sdp
from collectors.sip.message import MAX_HEADERS, looks_like_sip, parse_message

SDP = b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


def invite(headers: bytes, body: bytes = SDP) -> bytes:
    return (b"INVITE sip:bob@10.0.0.2 SIP/2.0\r\n" + headers +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def test_request_with_compact_headers_and_folding():
    raw = invite(b"v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\ni: abc@host\r\nf: <sip:alice@x>;tag=1\r\n"
                 b"t: <sip:bob@y>\r\nc: application/sdp\r\nUser-Agent: Yealink\r\n SIP-T46S 66.85\r\n"
                 b"CSeq: 1 INVITE\r\n")
    msg, used = parse_message(raw)
    assert used == len(raw)
    assert (msg.method, msg.uri, msg.call_id) == ("INVITE", "sip:bob@10.0.0.2", "abc@host")
    assert msg.header("from") == "<sip:alice@x>;tag=1"
    assert msg.header("user-agent") == "Yealink SIP-T46S 66.85"
    assert msg.cseq_method == "INVITE"
    assert find_sdp(msg.header("content-type"), msg.body) == SDP


def test_response_start_line():
    msg, _ = parse_message(b"SIP/2.0 200 OK\r\nCall-ID: x\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n")
    assert msg.status == 200 and msg.method is None and msg.cseq_method == "INVITE"


def test_stream_parse_reports_incomplete_body_and_headers():
    raw = invite(b"Call-ID: a\r\n")
    with pytest.raises(Incomplete):
        parse_message(raw[:-5])
    with pytest.raises(Incomplete):
        parse_message(raw[:40])


def test_datagram_without_content_length_takes_the_rest():
    raw = b"INVITE sip:b@h SIP/2.0\r\nCall-ID: z\r\nContent-Type: application/sdp\r\n\r\n" + SDP
    msg, _ = parse_message(raw, datagram=True)
    assert msg.body == SDP


def test_two_messages_back_to_back():
    one = b"SIP/2.0 100 Trying\r\nCall-ID: q\r\nContent-Length: 0\r\n\r\n"
    two = invite(b"Call-ID: q\r\n")
    first, used = parse_message(one + two)
    second, used2 = parse_message(one + two, used)
    assert first.status == 100 and second.method == "INVITE" and used + used2 == len(one + two)


def test_multipart_body_yields_the_sdp_part():
    body = (b"--XYZ\r\nContent-Type: application/isup\r\n\r\n\x01\x02\r\n"
            b"--XYZ\r\nContent-Type: application/sdp\r\n\r\n" + SDP + b"\r\n--XYZ--\r\n")
    assert find_sdp('multipart/mixed; boundary="XYZ"', body).rstrip(b"\r\n") == SDP.rstrip(b"\r\n")


def test_nested_multipart():
    inner = b"--in\r\nContent-Type: application/sdp\r\n\r\n" + SDP + b"\r\n--in--\r\n"
    outer = b"--out\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n" + inner + b"\r\n--out--\r\n"
    assert find_sdp("multipart/mixed;boundary=out", outer).startswith(b"v=0")


@pytest.mark.parametrize("raw", [
    b"HELLO world\r\n\r\n",
    b"INVITE sip:x SIP/3.0\r\n\r\n",
    b"SIP/2.0 OK\r\n\r\n",
])
def test_not_sip_is_malformed(raw):
    with pytest.raises(Malformed):
        parse_message(raw, datagram=True)


def test_hostile_sizes_are_refused():
    with pytest.raises(Malformed):
        parse_message(invite(b"X-Big: " + b"a" * 40000 + b"\r\n"))
    many = b"".join(b"X-%d: v\r\n" % i for i in range(MAX_HEADERS + 5))
    with pytest.raises(Malformed):
        parse_message(invite(many))
    with pytest.raises(Malformed):
        parse_message(b"INVITE sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n")
    with pytest.raises(Malformed):
        parse_message(b"INVITE sip:x SIP/2.0\r\nContent-Length: -4\r\n\r\n")


def test_looks_like_sip_is_strict_enough():
    assert looks_like_sip(b"OPTIONS sip:a@b SIP/2.0\r\n", 0)
    assert looks_like_sip(b"xxSIP/2.0 180 Ringing\r\n", 2)
    assert not looks_like_sip(b"INVITATION to a party\r\n", 0)
    assert not looks_like_sip(b"GET / HTTP/1.1\r\n", 0)
    assert not looks_like_sip(b"SIP", 0)
