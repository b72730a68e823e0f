"""The call table's legs: one offer/answer per SIP hop, media tied to the hop that announced it, and
B2BUA chains (a new Call-ID per hop) joined into one group. Real calls through kamailio and rtpengine
are in tests/test_lab_legs.py; a B2BUA is built here from two generated calls."""
from __future__ import annotations

from collectors.sip.calls import CallTable, leg_key
from collectors.sip.message import parse_message
from collectors.sip.sdp import parse_sdp
from tests.conftest import alert_pairs, analyze, stream_by_tuple
from tests.synth import CallSpec, build_call, write_pcap

A, P, B = "10.1.0.10", "10.2.0.20", "10.3.0.30"


def sip(method_or_status: str, call_id: str, sdp: str | None = None) -> tuple:
    body = sdp.encode() if sdp else b""
    start = f"{method_or_status} sip:b@x SIP/2.0" if not method_or_status.isdigit() else f"SIP/2.0 {method_or_status} OK"
    head = (f"{start}\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    msg, _ = parse_message(head + body, 0, datagram=True)
    return msg, parse_sdp(body) if sdp else None


def sdp(address: str, port: int, proto: str, crypto: bool = False) -> str:
    lines = ["v=0", f"o=- 1 1 IN IP4 {address}", "s=-", f"c=IN IP4 {address}", "t=0 0",
             f"m=audio {port} {proto} 0", "a=rtpmap:0 PCMU/8000"]
    if crypto:
        lines.append("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + "A" * 40)
    return "\r\n".join(lines) + "\r\n"


def test_each_hop_keeps_its_own_offer_and_answer():
    table = CallTable()
    for src, dst, what, body in ((A, P, "INVITE", sdp(A, 4000, "RTP/SAVP", True)),
                                 (P, B, "INVITE", sdp(P, 5000, "RTP/AVP")),
                                 (B, P, "200", sdp(B, 6000, "RTP/AVP")),
                                 (P, A, "200", sdp(P, 5002, "RTP/SAVP", True))):
        msg, parsed = sip(what, "one-call", body)
        table.on_message(msg, src, dst, "udp", 1.0, parsed)
    call = table.calls["one-call"]
    first, second = call.legs[leg_key(A, P)], call.legs[leg_key(P, B)]
    assert (first.offer.sender, first.answer.sender) == (A, P) and first.srtp_offered
    assert (second.offer.sender, second.answer.sender) == (P, B) and not second.srtp_offered
    assert (call.offer, call.answer) == (first.offer, first.answer)     # the call's own: its first hop
    binding = table.binding_for(bytes([10, 2, 0, 20]), 5000, bytes([10, 3, 0, 30]), 6000)
    assert binding.leg == leg_key(P, B)
    binding = table.binding_for(bytes([10, 1, 0, 10]), 4000, bytes([10, 2, 0, 20]), 5002)
    assert binding.leg == leg_key(A, P)


def test_a_b2bua_that_drops_srtp_is_named_and_its_callee_is_not(tmp_path):
    """A calls P with SRTP (Call-ID 1); P, a B2BUA relaying the media, calls B with plain RTP under a
    new Call-ID 0.3 s later. The two calls are one group; P removed SRTP, B was never offered it."""
    first = build_call(CallSpec(caller_ip=A, callee_ip=P, srtp_suite="AES_CM_128_HMAC_SHA1_80", seed=31))
    second = build_call(CallSpec(caller_ip=P, callee_ip=B, caller_rtp_port=30000, callee_rtp_port=40000,
                                 caller_mac="02:00:00:00:02:14", callee_mac="02:00:00:00:03:1e", seed=32,
                                 start_time=first.spec.start_time + 0.3))
    pcap = write_pcap(tmp_path / "b2bua.pcap", sorted(first.frames + second.frames, key=lambda f: f[0]))
    report = analyze(pcap)
    calls = {c["call_id"]: c for c in report["calls"]}
    assert len(calls) == 2
    root = next(c for c in calls.values() if c["group"] is None)
    chained = next(c for c in calls.values() if c["group"] is not None)
    assert chained["group"] == root["call_id"]
    downgrades = [a for a in report["alerts"] if a["type"] == "srtp_downgrade"]
    assert {(a["endpoint"], a["peer"]) for a in downgrades} == {(P, A)}
    assert "offered plain" in downgrades[0]["summary"]
    for media in second.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["encrypted"] is False and ("cleartext_media", media.src.ip) in alert_pairs(report)
    for media in first.streams:
        assert stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)["encrypted"]


def test_unrelated_calls_are_not_chained(tmp_path):
    """The callee of one call placing another call with media elsewhere (not its own address, not one
    of the first call's) 20 s later is not a B2BUA hop."""
    first = build_call(CallSpec(caller_ip=A, callee_ip=P, srtp_suite="AES_CM_128_HMAC_SHA1_80", seed=41,
                                duration=30.0))
    second = build_call(CallSpec(caller_ip=P, callee_ip=B, caller_rtp_port=30000, callee_rtp_port=40000,
                                 caller_mac="02:00:00:00:02:14", callee_mac="02:00:00:00:03:1e", seed=42,
                                 start_time=first.spec.start_time + 20))
    pcap = write_pcap(tmp_path / "two.pcap", sorted(first.frames + second.frames, key=lambda f: f[0]))
    report = analyze(pcap)
    assert all(c["group"] is None for c in report["calls"])
    assert not [a for a in report["alerts"] if a["type"] == "srtp_downgrade"]
