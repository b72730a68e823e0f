"""Honest confidence: an encrypted verdict says what it rests on (stream `assurance`, endpoint
`media_posture`). Uniform bytes alone are "encrypted, unverified"; SRTCP trailers on the control
channel, SDP or exposed keys that decrypt it make it more."""
from __future__ import annotations

from tests.conftest import analyze, stream_by_tuple
from tests.synth import CallSpec, build_call


def report_of(tmp_path, **spec):
    call = build_call(CallSpec(codec="opus", srtp_suite="AES_CM_128_HMAC_SHA1_80", duration=3.0, seed=5, **spec))
    return call, analyze(call.write(tmp_path / "call.pcap"))


def endpoint(report, ip):
    return next(e for e in report["endpoints"] if e["ip"] == ip)


def test_uniform_opus_without_signaling_or_rtcp_is_encrypted_unverified(tmp_path):
    call, report = report_of(tmp_path, sip_transport=None, rtcp=False)
    for media in call.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["encrypted"] is True and stream["assurance"] == "unverified", stream["evidence"]
        assert stream["confidence"] < 0.75
        assert any("encrypted, unverified" in e for e in stream["evidence"])
        assert endpoint(report, media.src.ip)["media_posture"] == "encrypted, unverified"


def test_srtcp_on_the_control_channel_backs_the_verdict(tmp_path):
    call, report = report_of(tmp_path, sip_transport=None, rtcp=True, rtcp_interval=0.5)
    for media in call.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["encrypted"] is True and stream["assurance"] == "evidence", stream["evidence"]
        assert any("SRTCP" in e for e in stream["evidence"])
        assert endpoint(report, media.src.ip)["media_posture"] == "encrypted"


def test_signaled_and_proven_srtp(tmp_path):
    call, report = report_of(tmp_path, sip_transport="udp")
    caller, callee = call.streams
    stream = stream_by_tuple(report, caller.src.ip, caller.src_port, caller.dst.ip, caller.dst_port)
    assert stream["assurance"] == "proven"      # its keys travelled in clear and decrypt it
    assert endpoint(report, caller.src.ip)["media_posture"] == "encrypted"


def test_cleartext_sender_posture(tmp_path):
    call = build_call(CallSpec(codec="PCMU", seed=5))
    report = analyze(call.write(tmp_path / "plain.pcap"))
    for media in call.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["assurance"] is None
        assert endpoint(report, media.src.ip)["media_posture"] == "cleartext"
