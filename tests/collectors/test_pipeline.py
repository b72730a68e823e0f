"""The whole pipeline on generated traffic: encapsulations, link types, TCP signaling shapes,
re-INVITEs, idle expiry and bounded memory under a flood."""
from __future__ import annotations

import random
import struct

import pytest

from collectors.events import StreamEnded, StreamVerdict
from collectors.media.tracker import MediaTracker
from collectors.pipeline import Pipeline, PipelineSettings
from collectors.snapshot import take_snapshot
from collectors.sources.pcapfile import PcapFileSource
from tests.conftest import DATA, alert_pairs, analyze, stream_by_tuple, validate_report
from tests.synth.capture import CallSpec, build_call
from tests.synth.frames import Framer, Host
from tests.synth.pcapio import LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, write_pcap


def check_call(report: dict, call, encrypted: bool) -> None:
    for media in call.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["encrypted"] is encrypted
        assert stream["packets"] == len(media.packets)


@pytest.mark.parametrize("spec", [
    CallSpec(vlans=(100,)),
    CallSpec(vlans=(200, 100), srtp_suite="AES_CM_128_HMAC_SHA1_80"),
    CallSpec(ipv6=True),
    CallSpec(erspan=2),
    CallSpec(erspan=3, srtp_suite="AEAD_AES_128_GCM"),
    CallSpec(sip_transport="tcp", tcp_segment_size=200, compact_sip=True, multipart_sdp=True),
    CallSpec(sip_transport="tcp", tcp_coalesce=True),
    CallSpec(rtcp_mux=True, srtp_suite="AES_CM_128_HMAC_SHA1_32"),
    CallSpec(loss=0.05, reorder=0.05, jitter_ms=8, seed=3),
    CallSpec(ssrc_change_at=1.0, audio_level_ext=True, csrcs=(7, 9), rtp_padding=4, seed=4),
    CallSpec(ssrc_change_at=1.0, audio_level_ext=True, csrcs=(7, 9), rtp_padding=4, seed=6, sip_transport=None,
             srtp_suite="AES_CM_128_HMAC_SHA1_80"),
    CallSpec(loss=0.1, reorder=0.1, jitter_ms=10, seed=7, sip_transport=None, codec="opus",
             srtp_suite="AES_CM_128_HMAC_SHA1_32"),
    CallSpec(vad=True, dtmf="123", codec="G729", seed=8, sip_transport=None, srtp_suite="AEAD_AES_128_GCM"),
    CallSpec(vad=True, dtmf="9", codec="G729", seed=9, sip_transport=None),
    CallSpec(vad=True, dtmf="15#", codec="G722", seed=5),
], ids=lambda s: "-".join(f"{k}={v}" for k, v in vars(s).items() if v != CallSpec.__dataclass_fields__[k].default))
def test_generated_call_shapes(tmp_path, spec):
    call = build_call(spec)
    report = analyze(call.write(tmp_path / "call.pcap"))
    check_call(report, call, spec.encrypted)
    if spec.sip_transport:
        assert len(report["calls"]) == 1 and report["calls"][0]["media_encrypted"] is spec.encrypted
        assert report["calls"][0]["signaling_transport"] == spec.sip_transport
    assert sum(c["decode_errors"] for c in report["captures"]) == 0
    vlans = {e["ip"]: e.get("vlan") for e in report["endpoints"]}        # the outer tag under QinQ
    assert vlans == dict.fromkeys(vlans, spec.vlans[0] if spec.vlans else None)


def test_the_schema_takes_a_vlan_id_only(tmp_path):
    report = analyze(build_call(CallSpec(vlans=(100,), duration=0.5)).write(tmp_path / "call.pcap"))
    assert {e["vlan"] for e in report["endpoints"]} == {100}
    for wrong in (0, 4095, "100"):
        report["endpoints"][0]["vlan"] = wrong
        with pytest.raises(AssertionError, match="vlan"):
            validate_report(report)


@pytest.mark.parametrize("linktype", [LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW])
@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_link_types_and_formats(tmp_path, linktype, fmt):
    call = build_call(CallSpec(seed=linktype))
    path = call.write(tmp_path / f"call.{fmt}", linktype=linktype, fmt=fmt)
    check_call(analyze(path), call, False)


def test_mac_and_user_agent_make_the_endpoint(tmp_path):
    call = build_call(CallSpec(user_agent="Yealink SIP-T46S 66.85.0.5", callee_user_agent="Asterisk PBX 18.2"))
    report = analyze(call.write(tmp_path / "c.pcap"))
    endpoints = {e["ip"]: e for e in report["endpoints"]}
    phone = endpoints[call.streams[0].src.ip if call.streams[0].sender == "caller" else call.streams[1].src.ip]
    assert phone["mac"] == CallSpec.caller_mac
    assert (phone["vendor"], phone["model"], phone["device_class"]) == ("Yealink", "SIP-T46S", "hard_phone")
    pbx = [e for e in report["endpoints"] if e["user_agent"] == "Asterisk PBX 18.2"][0]
    assert pbx["device_class"] == "pbx"
    media_alert = [a for a in report["alerts"] if a["type"] == "cleartext_media" and a["endpoint"] == phone["ip"]]
    assert media_alert and media_alert[0]["device_class"] == "hard_phone"


def sip_udp(framer, a, b, text: str, sport=5060, dport=5060):
    return framer.udp(a, b, sport, dport, text.replace("\n", "\r\n").encode())


def sdp(ip, port, proto="RTP/AVP"):
    return f"v=0\no=- 1 1 IN IP4 {ip}\ns=-\nc=IN IP4 {ip}\nt=0 0\nm=audio {port} {proto} 0\na=rtpmap:0 PCMU/8000\n"


def sip_msg(start: str, call_id: str, cseq: str, body: str = "") -> str:
    return (f"{start}\nVia: SIP/2.0/UDP h;branch=z9hG4bK{cseq.split()[0]}\nFrom: <sip:a@x>;tag=1\nTo: <sip:b@y>\n"
            f"Call-ID: {call_id}\nCSeq: {cseq}\nContent-Type: application/sdp\nContent-Length: {len(body.encode()) + body.count(chr(10))}\n\n"
            + body)


def rtp_frames(framer, src, dst, sport, dport, start, count, ssrc, payload=b"\xff" * 160):
    frames = []
    for i in range(count):
        header = struct.pack("!BBHII", 0x80, 0, 1000 + i, 160 * i, ssrc)
        frames.append((start + 0.02 * i, framer.udp(src, dst, sport, dport, header + payload)))
    return frames


def test_reinvite_moves_media_to_the_new_port_within_the_same_call(tmp_path):
    framer = Framer()
    a, b = Host("10.9.0.1", "02:00:00:00:00:01"), Host("10.9.0.2", "02:00:00:00:00:02")
    frames = [
        (0.0, sip_udp(framer, a, b, sip_msg("INVITE sip:b@y SIP/2.0", "re1", "1 INVITE", sdp(a.ip, 4000)))),
        (0.1, sip_udp(framer, b, a, sip_msg("SIP/2.0 200 OK", "re1", "1 INVITE", sdp(b.ip, 6000)))),
    ]
    frames += rtp_frames(framer, a, b, 4000, 6000, 0.2, 30, 0x1111)
    frames += [
        (1.0, sip_udp(framer, a, b, sip_msg("INVITE sip:b@y SIP/2.0", "re1", "2 INVITE", sdp(a.ip, 4100)))),
        (1.1, sip_udp(framer, b, a, sip_msg("SIP/2.0 200 OK", "re1", "2 INVITE", sdp(b.ip, 6100)))),
    ]
    frames += rtp_frames(framer, a, b, 4100, 6100, 1.2, 30, 0x2222)
    report = analyze(write_pcap(tmp_path / "re.pcap", [(t + 1e9, f) for t, f in frames]))
    first = stream_by_tuple(report, a.ip, 4000, b.ip, 6000)
    second = stream_by_tuple(report, a.ip, 4100, b.ip, 6100)
    assert first["call_id"] == second["call_id"] == "re1"
    [call] = report["calls"]
    assert sorted(call["streams"]) == sorted([first["id"], second["id"]])


def test_idle_stream_that_resumes_is_a_new_stream(tmp_path):
    framer = Framer()
    a, b = Host("10.9.1.1", "02:00:00:00:00:01"), Host("10.9.1.2", "02:00:00:00:00:02")
    frames = rtp_frames(framer, a, b, 7000, 8000, 0.0, 20, 0x77) + rtp_frames(framer, a, b, 7000, 8000, 200.0, 20, 0x77)
    report = analyze(write_pcap(tmp_path / "idle.pcap", [(t + 1e9, f) for t, f in frames]))
    ids = sorted(s["id"] for s in report["streams"] if s["src_port"] == 7000)
    assert len(ids) == 2 and ids[1] == ids[0] + "#1"
    assert all(s["packets"] == 20 for s in report["streams"])


def test_flood_of_one_packet_flows_keeps_memory_bounded():
    framer = Framer()
    a, b = Host("10.9.2.1", "02:00:00:00:00:01"), Host("10.9.2.2", "02:00:00:00:00:02")
    pipeline = Pipeline(lambda event: None, PipelineSettings(max_flows=2000))
    media = rtp_frames(framer, a, b, 9000, 9100, 0.0, 60, 0x99)
    junk = framer.udp(a, b, 1, 2, b"\x80" + bytes(40))
    for i in range(30000):
        frame = bytearray(junk)
        frame[34:36] = struct.pack("!H", 1024 + i % 60000)     # UDP source port of the IPv4 frame
        pipeline.feed(1e9 + i * 1e-4, 1, bytes(frame))
        if i % 500 == 0 and media:
            ts, data = media.pop(0)
            pipeline.feed(1e9 + i * 1e-4, 1, data)
        assert len(pipeline.udp.flows) <= 2000
    assert pipeline.udp.evicted > 0
    [media_flow] = [f for f in pipeline.media_flows() if f.sport == 9000]
    assert media_flow.rtp.packets == 60 and media_flow.rtp.encrypted is False


def test_cleartext_in_sdp_savp_is_reported_as_disagreement(tmp_path):
    """SDP says RTP/SAVP but the packets are plain G.711: the wire wins, and says so."""
    call = build_call(CallSpec(srtp_suite="AES_CM_128_HMAC_SHA1_80", srtp_on_wire=False, seed=11))
    report = analyze(call.write(tmp_path / "lie.pcap"))
    for media in call.streams:
        stream = stream_by_tuple(report, media.src.ip, media.src_port, media.dst.ip, media.dst_port)
        assert stream["encrypted"] is False
        assert any("disagreement" in e for e in stream["evidence"])
        assert ("cleartext_media", media.src.ip) in alert_pairs(report)
        assert ("srtp_downgrade", media.src.ip) in alert_pairs(report)


@pytest.mark.parametrize("path", ["udp-srtp.pcap", "udp-pcmu.pcap", "udp-dtls.pcap"])
def test_ended_stream_events_only_when_asked_for(path):
    """Without StreamEnded events (analyze with no store to keep them) the other events and the report are
    the same: building each ended stream's event changes nothing (it is its report entry, field for field)."""
    runs = []
    for ended in (True, False):
        events = []
        pipeline = Pipeline(events.append, PipelineSettings(ended_stream_events=ended))
        for frame in PcapFileSource(str(DATA / "lab" / path)).packets():
            pipeline.feed(*frame)
        pipeline.finish()
        runs.append((events, take_snapshot(pipeline)))
    (with_ended, snapshot), (without, snapshot_without) = runs
    assert [e for e in with_ended if isinstance(e, StreamEnded)], "the capture's streams end"
    assert [e for e in with_ended if not isinstance(e, StreamEnded)] == without
    assert snapshot == snapshot_without


def _rtcp_frames(framer, src, dst, sport, dport, start, ssrc, shapes):
    """RTCP compounds a second apart: "plain" (SR + SDES, every byte walked) or "srtcp" (an SR whose body and the
    packets after it are cipher text, then the E|index word and an 80-bit tag)."""
    rng = random.Random(ssrc)
    frames = []
    for i, shape in enumerate(shapes):
        sr = struct.pack("!BBHI", 0x80, 200, 6, ssrc) + bytes(20)
        if shape == "plain":
            payload = sr + struct.pack("!BBHI", 0x81, 202, 2, ssrc) + b"\x01\x00\x00\x00"
        else:
            payload = sr[:8] + bytes(rng.randrange(256) for _ in range(32)) + struct.pack("!I", 0x80000000 | i) \
                + bytes(rng.randrange(256) for _ in range(10))
        frames.append((start + i, framer.udp(src, dst, sport, dport, payload)))
    return frames


def _rtcp_run(settings: PipelineSettings | None = None) -> tuple[list, object]:
    """Events and snapshot of unsignaled streams whose RTCP is judged on its shapes, plain and SRTCP, one
    control channel changing its mind twice."""
    framer = Framer()
    a, b = Host("10.9.3.1", "02:00:00:00:00:01"), Host("10.9.3.2", "02:00:00:00:00:02")
    frames = rtp_frames(framer, a, b, 7000, 7100, 0.0, 60, 0x51) + rtp_frames(framer, b, a, 7100, 7000, 0.0, 60, 0x52)
    frames += _rtcp_frames(framer, a, b, 7001, 7101, 0.01, 0x51, ["plain"] * 4 + ["srtcp"] * 6 + ["plain"] * 4)
    frames += _rtcp_frames(framer, b, a, 7101, 7001, 0.01, 0x52, ["srtcp"] * 12)
    events = []
    pipeline = Pipeline(events.append, settings)
    for ts, data in sorted(frames, key=lambda frame: frame[0]):
        pipeline.feed(ts, 1, data)
    pipeline.finish()
    return events, take_snapshot(pipeline)


def test_a_judged_rtcp_stream_recounts_as_a_whole_judgement_would(monkeypatch):
    """`MediaTracker._recount_rtcp`, the short way for a judged RTCP stream's next packet, leaves the same
    events and report as `_rtcp_verdict` and `_apply` on every packet."""
    events, snapshot = _rtcp_run()
    rtcp = [s for s in snapshot.streams if s["kind"] == "rtcp"]
    assert sorted((s["packets"], s["encrypted"], tuple(s["evidence"])) for s in rtcp) == [
        (12, True, ("rtcp: 12 packets carry an SRTCP E|index trailer",)),
        (14, False, ("rtcp: 8 compound packets parse exactly as plain RTCP",))]
    monkeypatch.setattr(MediaTracker, "_recount_rtcp", lambda self, flow, stream: False)
    assert _rtcp_run() == (events, snapshot)


def test_rtcp_verdict_events_only_when_asked_for():
    """Without RTCP streams' StreamVerdict events (analyze with no store: the policy reads RTP verdicts only)
    the other events and the report are the same."""
    events, snapshot = _rtcp_run()
    without, snapshot_without = _rtcp_run(PipelineSettings(rtcp_verdict_events=False))
    rtcp_verdicts = [e for e in events if isinstance(e, StreamVerdict) and e.kind == "rtcp"]
    assert len(rtcp_verdicts) == 4, "a first verdict for each, and two as one changed its mind"
    assert [e for e in events if e not in rtcp_verdicts] == without
    assert snapshot == snapshot_without
