"""Keying seen on the media path (ZRTP, DTLS-SRTP) and SIP over WebSocket, on generated traffic."""
from __future__ import annotations

import os
import struct

from tests.conftest import alert_pairs, analyze, stream_by_tuple
from tests.synth.capture import CallSpec, build_call
from tests.synth.frames import Framer, TcpFlow
from tests.synth.pcapio import write_pcap

ZRTP_FLOW = ["Hello", "HelloACK", "Commit", "DHPart1", "DHPart2", "Confirm1", "Confirm2", "Conf2ACK"]


def zrtp_packet(seq: int, ssrc: int, kind: str) -> bytes:
    """RFC 6189 section 5: header, preamble 0x505a, length in words, 8-character type, body, CRC."""
    body = os.urandom(16)
    message = b"\x50\x5a" + struct.pack("!H", (12 + len(body)) // 4) + kind.ljust(8).encode() + body
    return struct.pack("!BBH4sI", 0x10, 0, seq, b"ZRTP", ssrc) + message + os.urandom(4)


def with_zrtp(spec: CallSpec, kinds: list[str]):
    """The call's frames with a ZRTP exchange on the media 5-tuples before the media starts."""
    call = build_call(spec)
    framer = Framer()
    first_media = spec.start_time + min(f[0] for s in call.streams for f in s.frames)
    extra = []
    for n, kind in enumerate(kinds):
        media = call.streams[n % 2]
        packet = zrtp_packet(n, media.ssrcs[0], kind)
        extra.append((first_media - 0.3 + n * 0.01,
                      framer.udp(media.src, media.dst, media.src_port, media.dst_port, packet)))
    return call, sorted(call.frames + extra, key=lambda f: f[0])


def test_zrtp_exchange_makes_the_media_zrtp_keyed(tmp_path):
    spec = CallSpec(srtp_suite="AES_CM_128_HMAC_SHA1_32", key_exchange="zrtp", sip_transport=None, seed=21)
    call, frames = with_zrtp(spec, ZRTP_FLOW)
    report = analyze(write_pcap(tmp_path / "zrtp.pcap", frames))
    for media in call.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["encrypted"] is True and stream["keying"] == "zrtp"
        assert any("Confirm1" in e and "keys agreed" in e for e in stream["evidence"]), stream["evidence"]
    assert not any(t == "cleartext_media" for t, _ in alert_pairs(report))


def test_zrtp_goclear_then_plain_rtp_is_cleartext(tmp_path):
    spec = CallSpec(key_exchange="zrtp", sip_transport=None, seed=22)      # plain RTP on the wire
    call, frames = with_zrtp(spec, ZRTP_FLOW + ["GoClear", "ClearACK"])
    report = analyze(write_pcap(tmp_path / "goclear.pcap", frames))
    for media in call.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["encrypted"] is False
        assert ("cleartext_media", media.src.ip) in alert_pairs(report)


def test_sip_over_websocket_is_recognised(tmp_path):
    spec = CallSpec(sip_transport=None, seed=23)
    call = build_call(spec)
    t0 = spec.start_time
    framer = Framer()
    caller, callee = call.streams[0].src, call.streams[0].dst
    if call.streams[0].sender != "caller":
        caller, callee = callee, caller
    flow = TcpFlow(framer, caller, callee, 51000, 8080, 1)
    frames = flow.open(t0 - 0.2)
    frames += flow.send(t0 - 0.15, True, b"GET /ws HTTP/1.1\r\nHost: pbx\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\n"
                        b"Sec-WebSocket-Version: 13\r\n\r\n", None)
    frames += flow.send(t0 - 0.14, False, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        b"Connection: Upgrade\r\nSec-WebSocket-Protocol: sip\r\n\r\n", None)
    times = [0.0, 0.01, 0.03, 0.53, 0.54, 3.6, 3.61]
    for t, message in zip(times, call.sip):
        frames += flow.send(t0 + t, message.sender == "caller", ws_frame(message.data, masked=message.sender == "caller"),
                            300)
    report = analyze(write_pcap(tmp_path / "ws.pcap", sorted(call.frames + frames, key=lambda f: f[0])))
    [session] = report["signaling"]
    assert (session["transport"], session["client"], session["server_port"]) == ("ws", caller.ip, 8080)
    [sip_call] = report["calls"]
    assert sip_call["signaling_transport"] == "ws" and sip_call["media_encrypted"] is False
    assert ("cleartext_signaling", caller.ip) in alert_pairs(report)


def ws_frame(payload: bytes, masked: bool) -> bytes:
    head = bytearray([0x81])
    length = len(payload)
    if length < 126:
        head.append(length | (0x80 if masked else 0))
    else:
        head.append(126 | (0x80 if masked else 0))
        head += struct.pack("!H", length)
    if not masked:
        return bytes(head) + payload
    mask = os.urandom(4)
    return bytes(head) + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
