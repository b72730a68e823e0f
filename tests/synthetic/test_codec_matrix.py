"""Every codec x {RTP, SRTP 80-bit, SRTP 32-bit, AES-GCM} x {SIP/UDP, SIP/TCP, signaling stripped,
capture starting mid-call}: generated with real encoders and pylibsrtp, then analysed.

A user checks that each media stream is reported with the right verdict, and that the alerts name
the right senders: cleartext_media for plain RTP, never for SRTP; sdes_keys_exposed when a=crypto
travelled in cleartext SIP.
"""
from __future__ import annotations

import base64
import json

import pytest

from tests.conftest import alert_pairs, analyze, stream_by_tuple
from tests.synth.capture import CallSpec, build_call
from tests.synth.codecs import CodecUnavailable

CODECS = ["PCMU", "PCMA", "G722", "opus", "G729", "AMR", "G726-32"]
SUITES = [None, "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM"]
SIGNALING = ["udp", "tcp", "stripped", "mid-call"]


def make_call(tmp_path, codec: str, suite: str | None, signaling: str, seed: int):
    spec = CallSpec(codec=codec, srtp_suite=suite, seed=seed, duration=3.0,
                    sip_transport=None if signaling == "stripped" else ("tcp" if signaling == "tcp" else "udp"),
                    start_mid_call=1.5 if signaling == "mid-call" else 0.0)
    try:
        call = build_call(spec)
    except CodecUnavailable as exc:
        pytest.skip(str(exc))
    return call, call.write(tmp_path / f"{codec}-{suite}-{signaling}.pcap")


@pytest.mark.parametrize("signaling", SIGNALING)
@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s or "RTP")
@pytest.mark.parametrize("codec", CODECS)
def test_verdict_and_alerts(tmp_path, codec, suite, signaling):
    seed = CODECS.index(codec) * 16 + SUITES.index(suite) * 4 + SIGNALING.index(signaling)
    call, path = make_call(tmp_path, codec, suite, signaling, seed)
    report = analyze(path)
    encrypted = suite is not None
    for media in call.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["encrypted"] is encrypted, stream["evidence"]
        assert stream["packets"] == len(media.packets)
        assert set(stream["ssrcs"]) == set(media.ssrcs)
        assert 1 <= stream["verdict_after_packets"] <= 50
        for control in (s for s in report["streams"] if s["kind"] == "rtcp" and s["src"] == media.src.ip):
            assert control["encrypted"] is encrypted, control["evidence"]     # SRTCP trailer or plain RTCP
        if signaling in ("udp", "tcp"):
            assert stream["call_id"] is not None
            assert (stream["codec"] or "").upper() == codec.upper()
    alerts = alert_pairs(report)
    senders = {m.src.ip for m in call.streams}
    for sender in senders:
        assert (("cleartext_media", sender) in alerts) is not encrypted
    sdes_over_cleartext = encrypted and signaling in ("udp", "tcp")
    assert any(t == "sdes_keys_exposed" for t, _ in alerts) is sdes_over_cleartext
    if sdes_over_cleartext:
        check_exposure_proof(report, call)
    if signaling in ("udp", "tcp"):
        assert ("cleartext_signaling", call.streams[0].src.ip) in alerts or \
               ("cleartext_signaling", call.streams[1].src.ip) in alerts


def check_exposure_proof(report: dict, call) -> None:
    """Keys from the cleartext SDP decrypt the sender's stream (tag verified); the keys never show."""
    exposed = [a for a in report["alerts"] if a["type"] == "sdes_keys_exposed"]
    assert {a["endpoint"] for a in exposed} == {m.src.ip for m in call.streams}
    for alert in exposed:
        sender = next(m for m in call.streams if m.src.ip == alert["endpoint"])
        proof = f"decrypted {min(20, len(sender.packets))}/{min(20, len(sender.packets))} SRTP packets"
        assert any(proof in e for e in alert["evidence"]), alert["evidence"]
    text = json.dumps(report)
    for key in call.keys.values():
        assert base64.b64encode(key).decode()[:16] not in text


@pytest.mark.parametrize("suite", SUITES[1:])
@pytest.mark.parametrize("codec", CODECS)
def test_srtp_negotiated_but_plain_rtp_sent_is_cleartext(tmp_path, codec, suite):
    """Both phones offer and answer SRTP with keys in the SDP, then send plain RTP. For a compressed
    codec (G.729, AMR, Opus) the packets show no codec structure, only frame sizes without room for an
    SRTP tag; the SDP's own keys fail authentication on every packet. Cleartext, whatever the codec
    (bench/site found G.729 phones of this posture judged encrypted)."""
    spec = CallSpec(codec=codec, srtp_suite=suite, srtp_on_wire=False, seed=CODECS.index(codec) * 4 + SUITES.index(suite),
                    duration=3.0)
    try:
        call = build_call(spec)
    except CodecUnavailable as exc:
        pytest.skip(str(exc))
    report = analyze(call.write(tmp_path / f"{codec}-{suite}-plain.pcap"))
    for media in call.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["encrypted"] is False, stream["evidence"]
    alerts = alert_pairs(report)
    for sender in {m.src.ip for m in call.streams}:
        assert ("cleartext_media", sender) in alerts and ("srtp_downgrade", sender) in alerts, alerts
