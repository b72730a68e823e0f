"""Checks the synthetic capture generator (tests/synth) with independent tools.

* tshark decodes the generated SIP/SDP, RTP, RTCP, VLAN, ERSPAN and link types;
* pylibsrtp (a fresh inbound session) recovers the plaintext from SRTP/SRTCP;
* FFmpeg's own decoders (through PyAV) decode the codec payloads back into
  audio resembling the source; opus TOC bytes follow RFC 6716;
* scapy parses the RTP headers.

Tests needing a missing tool or library are skipped with the reason.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.synth import audio, codecs, g711, payloads, rtcp, rtp, srtp
from tests.synth.capture import CallSpec, build_call
from tests.synth.pcapio import LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, write_pcap

try:
    import av
except ImportError:  # only the decode checks need PyAV
    av = None

TSHARK = shutil.which("tshark")
SIP_FLOW = ["INVITE", "100", "180", "200", "ACK", "BYE", "200"]
SUITE_NAMES = ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM"]


# --------------------------------------------------------------------------- helpers


def tshark(pcap, fields, display_filter="", heuristic_rtp=False):
    """Rows of ``-T fields`` output as dicts (multi-occurrence values joined by ',')."""
    if TSHARK is None:
        pytest.skip("tshark is not installed")
    cmd = [TSHARK, "-n", "-r", str(pcap), "-T", "fields", "-E", "aggregator=,"]
    if heuristic_rtp:
        cmd += ["--enable-heuristic", "rtp_udp"]
    if display_filter:
        cmd += ["-Y", display_filter]
    for field in fields:
        cmd += ["-e", field]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    return [dict(zip(fields, line.split("\t"))) for line in result.stdout.splitlines()]


def sip_labels(rows):
    """Method or status code of each SIP row, in capture order."""
    return [r["sip.Method"] or r["sip.Status-Code"] for r in rows
            if r["sip.Method"] or r["sip.Status-Code"]]


def rtp_counts(rows):
    """Packets per SSRC (as int) among rows with an rtp.ssrc."""
    return Counter(int(r["rtp.ssrc"], 16) for r in rows if r.get("rtp.ssrc"))


def expected_counts(call):
    return Counter(p.ssrc for s in call.streams for p in s.packets)


def codec_or_skip(fn, *args, **kwargs):
    """Run a generator call, turning a missing codec library into a skip."""
    try:
        return fn(*args, **kwargs)
    except codecs.CodecUnavailable as exc:
        pytest.skip(str(exc))


def av_decode(name, packets, rate):
    """Decode packets with FFmpeg decoder ``name`` into int16-scaled samples."""
    if av is None:
        pytest.skip("PyAV is not installed")
    try:
        ctx = av.CodecContext.create(name, "r")
    except Exception as exc:  # unknown decoder in this FFmpeg build
        pytest.skip(f"FFmpeg decoder {name} unavailable: {exc}")
    ctx.sample_rate, ctx.layout = rate, "mono"
    out = []
    for packet in packets:
        for frame in ctx.decode(av.Packet(packet)):
            samples = frame.to_ndarray().reshape(-1)
            out.append(samples * 32768.0 if samples.dtype.kind == "f" else samples)
    return np.concatenate(out).astype(np.float64)


def envelope_similarity(source, decoded, rate):
    """Best correlation (lag 0-70 ms) of 10 ms log-energy envelopes, floor -60 dBFS."""
    def envelope(x):
        n = rate // 100
        frames = np.asarray(x[: len(x) // n * n], dtype=np.float64).reshape(-1, n)
        return np.maximum(10 * np.log10(np.mean(frames**2, axis=1) + 1.0), 30.0)

    a, b = envelope(source), envelope(decoded)
    k = min(len(a), len(b)) - 8
    return max(np.corrcoef(a[:k], b[lag : k + lag])[0, 1] for lag in range(8))


# --------------------------------------------------------------------------- audio


def test_speech_is_deterministic_with_silence_and_plausible_pitch():
    pcm = audio.speech_like(4.0, 8000, seed=3)
    assert np.array_equal(pcm, audio.speech_like(4.0, 8000, seed=3))
    assert not np.array_equal(pcm, audio.speech_like(4.0, 8000, seed=4))
    mask = audio.active_mask(4.0, 8000, seed=3)
    assert 0.3 < mask.mean() < 0.95, "needs both talk and silence"
    rms = lambda x: np.sqrt(np.mean(x.astype(np.float64) ** 2))  # noqa: E731
    assert 20 * np.log10(rms(pcm[mask]) / 32768) == pytest.approx(-20, abs=1.5)
    assert 20 * np.log10(rms(pcm[~mask]) / 32768) < -70
    voiced = max((s for s in audio.speech_schedule(4.0, 3) if s.kind == "voiced"),
                 key=lambda s: s.duration)
    middle = int((voiced.start + voiced.duration / 2) * 8000)
    x = pcm[middle - 400 : middle + 400].astype(np.float64)
    corr = np.correlate(x, x, "full")[len(x) - 1 :]
    lag = np.argmax(corr[32:90]) + 32  # 89-250 Hz
    assert 88 <= 8000 / lag <= 252


# --------------------------------------------------------------------------- codecs


@pytest.mark.parametrize("codec,decoder", [("PCMU", "pcm_mulaw"), ("PCMA", "pcm_alaw")])
def test_g711_payloads_decode_close_to_source(codec, decoder):
    packets = codecs.encode(codec, 2.0, seed=1)
    assert len(packets) == 100 and {len(p) for p in packets} == {160}
    source = audio.speech_like(2.0, 8000, seed=1).astype(np.float64)
    decoded = av_decode(decoder, packets, 8000)
    snr = 10 * np.log10(np.sum(source**2) / np.sum((source - decoded) ** 2))
    assert snr > 30
    all_codes = bytes(range(256))
    ours = g711.ulaw_decode(all_codes) if codec == "PCMU" else g711.alaw_decode(all_codes)
    assert np.array_equal(ours, av_decode(decoder, [all_codes], 8000))


@pytest.mark.parametrize("codec,decoder,rate,size", [
    ("G722", "g722", 16000, 160),
    ("G729", "g729", 8000, 20),  # FFmpeg's own G.729 decoder, not bcg729
    ("AMR", "amrnb", 8000, 33),  # FFmpeg's own AMR-NB decoder, not opencore
    ("opus", "opus", 48000, None),  # FFmpeg's own opus decoder, not libopus
])
def test_codec_payloads_decode_to_similar_audio(codec, decoder, rate, size):
    packets = codec_or_skip(codecs.encode, codec, 3.0, seed=2)
    assert len(packets) == 150
    if size:
        assert {len(p) for p in packets} == {size}
    if codec == "G729":
        packets = [p[i : i + 10] for p in packets for i in (0, 10)]
    if codec == "AMR":
        packets = [bytes([p[1] & 0x7C]) + p[2:] for p in packets]  # back to storage format
    decoded = av_decode(decoder, packets, rate)
    assert envelope_similarity(audio.speech_like(3.0, rate, seed=2), decoded, rate) > 0.95


def test_g726_payloads_decode_to_source():
    packets = codec_or_skip(codecs.encode, "G726-32", 2.0, seed=2)
    assert {len(p) for p in packets} == {80}
    if av is None:
        pytest.skip("PyAV is not installed")
    container = av.open(io.BytesIO(b"".join(packets)), format="g726le",
                        options={"code_size": "4", "sample_rate": "8000"})
    decoded = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    source = audio.speech_like(2.0, 8000, seed=2)
    assert np.corrcoef(decoded[: len(source)], source)[0, 1] > 0.99


def opus_frame_ms(config):
    """Frame duration of an RFC 6716 TOC configuration number."""
    if config < 12:
        return (10, 20, 40, 60)[config % 4]
    if config < 16:
        return (10, 20)[config % 2]
    return (2.5, 5, 10, 20)[config % 4]


@pytest.mark.parametrize("cbr", [False, True])
def test_opus_toc_is_valid(cbr):
    packets = codec_or_skip(codecs.encode, "opus", 2.0, seed=1, cbr=cbr)
    for packet in packets:
        toc = packet[0]
        assert opus_frame_ms(toc >> 3) == 20
        assert toc & 0x03 == 0, "one frame per packet"
        assert toc & 0x04 == 0, "mono"
    sizes = {len(p) for p in packets}
    assert (len(sizes) == 1) if cbr else (len(sizes) > 3)


def test_g729_vad_sends_sid_frames_and_gaps():
    items = codec_or_skip(codecs.encode_packets, "G729", 4.0, seed=1, vad=True)
    assert {len(p.data) for p in items} <= {2, 10, 12, 20}
    assert any(p.kind == "sid" and len(p.data) == 2 for p in items)
    assert len(items) < 200, "silence is not transmitted"
    steps = Counter(b.ts - a.ts for a, b in zip(items, items[1:]))
    assert max(steps) > 160
    starts = [p for p in items if p.marker]
    assert len(starts) >= 2 and all(p.kind == "speech" for p in starts)


def test_amr_payload_layout_with_dtx():
    items = codec_or_skip(codecs.encode_packets, "AMR", 4.0, seed=1, vad=True)
    for item in items:
        cmr, toc, data = item.data[0], item.data[1], item.data[2:]
        assert cmr == 0xF0 and toc & 0x80 == 0 and toc & 0x04
        assert len(data) == codecs.AMR_FRAME_BYTES[(toc >> 3) & 0x0F]
    assert {(p.data[1] >> 3) & 0x0F for p in items} == {7, 8}  # 12.2 kbit/s + SID


def test_g711_vad_sends_rfc3389_comfort_noise():
    items = codecs.encode_packets("PCMU", 4.0, seed=1, vad=True)
    noise = [p for p in items if p.kind == "cn"]
    assert noise and all(p.pt == 13 and 1 <= len(p.data) <= 11 for p in noise)
    assert all(p.data[0] > 60 for p in noise), "noise level in -dBov"


def test_telephone_event_payloads():
    packets = payloads.telephone_event("#", duration_ms=100)
    assert all(len(p) == 4 and p[0] == 11 for p in packets)
    ends = [bool(p[1] & 0x80) for p in packets]
    assert ends == [False] * (len(packets) - 3) + [True] * 3
    durations = [int.from_bytes(p[2:], "big") for p in packets]
    assert durations == sorted(durations) and durations[-1] == 800
    assert payloads.comfort_noise(64, [0.0, -1.0, 1.0]) == bytes([64, 128, 0, 255])


# --------------------------------------------------------------------------- RTP / SRTP


@settings(max_examples=60, deadline=None, database=None)
@given(pt=st.integers(0, 127), seq=st.integers(0, 0xFFFF), ts=st.integers(0, 2**32 - 1),
       ssrc=st.integers(0, 2**32 - 1), marker=st.booleans(),
       csrcs=st.lists(st.integers(0, 2**32 - 1), max_size=15))
def test_rtp_header_parses_with_scapy(pt, seq, ts, ssrc, marker, csrcs):
    from scapy.layers.rtp import RTP

    parsed = RTP(rtp.rtp_header(pt, seq, ts, ssrc, marker=marker, csrcs=csrcs) + b"x")
    assert (parsed.version, parsed.payload_type, parsed.sequence) == (2, pt, seq)
    assert (parsed.timestamp, parsed.sourcesync, parsed.marker) == (ts, ssrc, int(marker))
    assert list(parsed.sync) == csrcs


def _sample_rtp(count=60):
    stream = rtp.RtpStream(0x1234ABCD, 0, 8000, seq0=65500, ts0=2**32 - 800)
    return [p.data for p in stream.packetize(codecs.encode_packets("PCMU", count / 50))]


@pytest.mark.parametrize("suite", SUITE_NAMES)
def test_srtp_and_srtcp_roundtrip_through_libsrtp(suite):
    key = srtp.master_key_salt(suite, seed=5)
    plain = _sample_rtp()  # crosses the 16-bit sequence wrap
    protected = srtp.protect_rtp(plain, suite, key)
    tag = srtp.SUITES[suite].rtp_tag_len
    assert all(len(c) == len(p) + tag and c[12:40] != p[12:40] for c, p in zip(protected, plain))
    assert srtp.unprotect_rtp(protected, suite, key) == plain
    report = rtcp.compound(rtcp.sender_report(0x1234ABCD, 1.7e9, 1, 2, 3),
                           rtcp.sdes(0x1234ABCD, "a@b"))
    sealed = srtp.protect_rtcp([report], suite, key)[0]
    assert len(sealed) == len(report) + 4 + srtp.SUITES[suite].rtcp_tag_len
    assert srtp.unprotect_rtcp([sealed], suite, key) == [report]
    with pytest.raises(Exception):
        srtp.unprotect_rtp(protected[:1], suite, srtp.master_key_salt(suite, seed=6))


def test_sdes_crypto_line():
    key = srtp.master_key_salt("AES_CM_128_HMAC_SHA1_80", seed=1)
    line = srtp.sdes_crypto_line(1, "AES_CM_128_HMAC_SHA1_80", key, lifetime="2^31")
    match = re.fullmatch(r"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]{40})\|2\^31",
                         line)
    assert match and base64.b64decode(match.group(1)) == key


# --------------------------------------------------------------------------- whole calls


def test_build_call_is_deterministic():
    spec = CallSpec(duration=0.5, srtp_suite="AES_CM_128_HMAC_SHA1_80", loss=0.1, seed=9)
    assert build_call(spec).frames == build_call(spec).frames


def test_plain_call_decodes_in_tshark(tmp_path):
    spec = CallSpec(duration=2.0, dtmf="5#", audio_level_ext=True, csrcs=(7,), rtp_padding=4,
                    rtcp_interval=1.0)
    call = build_call(spec)
    rows = tshark(call.write(tmp_path / "plain.pcap"), [
        "sip.Method", "sip.Status-Code", "sdp.media.port", "rtp.ssrc", "rtp.p_type",
        "rtp.csrc.item", "rtp.ext.profile", "rtp.padding.count", "rtpevent.event_id",
        "rtpevent.end_of_event", "rtcp.pt", "udp.srcport"])
    assert sip_labels(rows) == SIP_FLOW
    assert {r["sdp.media.port"] for r in rows if r["sdp.media.port"]} == {"16384", "20000"}
    assert rtp_counts(rows) == expected_counts(call)
    media = [r for r in rows if r["rtp.ssrc"]]
    assert {r["rtp.p_type"] for r in media} == {"0", "101"}
    assert all(r["rtp.csrc.item"] == "0x00000007" and r["rtp.ext.profile"] == "0xbede"
               and r["rtp.padding.count"] == "4" for r in media)
    events = [(r["rtpevent.event_id"], r["rtpevent.end_of_event"]) for r in media
              if r["rtpevent.event_id"]]
    assert [e for e, _ in events] == ["5"] * 7 + ["11"] * 7
    assert sum(end == "1" for _, end in events) == 6
    rtcp_types = {t for r in rows if r["rtcp.pt"] for t in r["rtcp.pt"].split(",")}
    assert {"200", "202", "203"} <= rtcp_types
    assert {r["udp.srcport"] for r in rows if r["rtcp.pt"]} == {"16385", "20001"}


@pytest.mark.parametrize("suite", SUITE_NAMES)
def test_srtp_call_decrypts_with_key_from_sdp(tmp_path, suite):
    call = build_call(CallSpec(duration=1.0, srtp_suite=suite, rtcp_interval=0.5, seed=4))
    rows = tshark(call.write(tmp_path / "srtp.pcap"), [
        "sdp.crypto.crypto_suite", "udp.srcport", "udp.payload", "rtp.ssrc"])
    offered = [r for r in rows if r["sdp.crypto.crypto_suite"]]
    assert [r["sdp.crypto.crypto_suite"] for r in offered] == [suite, suite]
    for stream, sdp_row in zip(call.streams, offered):
        body = bytes.fromhex(sdp_row["udp.payload"]).decode()
        key = base64.b64decode(re.search(r"a=crypto:1 \S+ inline:([^\s|]+)", body).group(1))
        port = str(stream.src_port)
        wire = [bytes.fromhex(r["udp.payload"]) for r in rows
                if r["udp.srcport"] == port and r["rtp.ssrc"]]
        assert srtp.unprotect_rtp(wire, suite, key) == [p.data for p in stream.packets]
        reports = [bytes.fromhex(r["udp.payload"]) for r in rows
                   if r["udp.srcport"] == str(stream.rtcp_src_port)]
        assert reports and srtp.unprotect_rtcp(reports, suite, key) == [d for _, d in stream.rtcp]


def test_sip_over_tcp_split_and_coalesced(tmp_path):
    call = build_call(CallSpec(duration=0.5, sip_transport="tcp", tcp_segment_size=200,
                               tcp_coalesce=True, multipart_sdp=True, seed=2))
    rows = tshark(call.write(tmp_path / "tcp.pcap"), [
        "sip.Method", "sip.Status-Code", "sdp.media.port", "tcp.analysis.flags",
        "tcp.len", "rtp.ssrc"])
    assert sip_labels(rows) == SIP_FLOW
    assert {r["sdp.media.port"] for r in rows if r["sdp.media.port"]} == {"16384", "20000"}
    assert not any(r["tcp.analysis.flags"] for r in rows), "seq/ack must be consistent"
    assert sum(r["tcp.len"] == "200" for r in rows) >= 4, "messages were split"
    assert rtp_counts(rows) == expected_counts(call)


def test_compact_headers_and_multipart_over_udp(tmp_path):
    call = build_call(CallSpec(duration=0.5, compact_sip=True, multipart_sdp=True,
                               user_agent="Acme-Phone/7.3"))
    assert b"\r\ni: " in call.sip[0].data and b"\r\nl: " in call.sip[0].data
    rows = tshark(call.write(tmp_path / "compact.pcap"), [
        "sip.Method", "sip.Status-Code", "sip.Call-ID", "sip.User-Agent", "sdp.media.port"])
    assert sip_labels(rows) == SIP_FLOW
    invite = rows[0]
    assert invite["sip.User-Agent"] == "Acme-Phone/7.3"
    assert invite["sip.Call-ID"] == call.sip[0].data.split(b"\r\ni: ")[1].split(b"\r\n")[0].decode()
    assert {r["sdp.media.port"] for r in rows if r["sdp.media.port"]} == {"16384", "20000"}


@pytest.mark.parametrize("spec", [
    CallSpec(duration=1.0, sip_transport=None, codec="G722", seed=5),
    CallSpec(duration=2.0, start_mid_call=1.5, codec="PCMA", rtcp_mux=True, seed=6),
], ids=["no-signalling", "mid-call"])
def test_media_without_signalling_found_by_heuristics(tmp_path, spec):
    call = build_call(spec)
    rows = tshark(call.write(tmp_path / "media.pcap"),
                  ["sip.Method", "rtp.ssrc", "rtp.p_type", "rtcp.pt"], heuristic_rtp=True)
    assert not any(r["sip.Method"] == "INVITE" for r in rows)
    assert rtp_counts(rows) == expected_counts(call)
    assert {r["rtp.p_type"] for r in rows if r["rtp.ssrc"]} == {str(spec.codec_info.payload_type)}


@pytest.mark.parametrize("spec,version,s_tag,c_tag,ip_field", [
    (CallSpec(duration=0.5, vlans=(100,), erspan=2), "1", "", "100", "ip.src"),
    (CallSpec(duration=0.5, vlans=(200, 100), erspan=3, ipv6=True), "2", "200", "100", "ipv6.src"),
], ids=["erspan2-dot1q", "erspan3-qinq-ipv6"])
def test_vlan_ipv6_and_erspan(tmp_path, spec, version, s_tag, c_tag, ip_field):
    call = build_call(spec)
    rows = tshark(call.write(tmp_path / "mirror.pcap"), ["erspan.version", "ieee8021ad.id",
                                                         "vlan.id", ip_field, "rtp.ssrc"])
    assert all(r["erspan.version"] == version for r in rows)
    assert all((r["ieee8021ad.id"], r["vlan.id"]) == (s_tag, c_tag) for r in rows)
    endpoints = {s.src.ip for s in call.streams}
    assert all(endpoints & set(r[ip_field].split(",")) for r in rows)
    assert rtp_counts(rows) == expected_counts(call)


@pytest.mark.parametrize("linktype,fmt,prefix", [
    (LINKTYPE_LINUX_SLL, "pcap", "sll:"), (LINKTYPE_LINUX_SLL2, "pcap", "sll:"),
    (LINKTYPE_RAW, "pcap", "raw:"), (1, "pcapng", "eth:"),
], ids=["sll", "sll2", "raw", "pcapng"])
def test_link_types_and_pcapng(tmp_path, linktype, fmt, prefix):
    call = build_call(CallSpec(duration=0.5, vlans=(42,), seed=7))
    path = write_pcap(tmp_path / "x.cap", call.frames, linktype, fmt)
    rows = tshark(path, ["frame.protocols", "frame.time_epoch", "sip.Method", "rtp.ssrc"])
    assert len(rows) == len(call.frames)
    assert all(r["frame.protocols"].startswith(prefix) for r in rows)
    assert float(rows[0]["frame.time_epoch"]) == pytest.approx(call.frames[0][0], abs=1e-6)
    assert "INVITE" in {r["sip.Method"] for r in rows}
    assert rtp_counts(rows) == expected_counts(call)


def test_loss_reorder_and_ssrc_change(tmp_path):
    call = build_call(CallSpec(duration=3.0, loss=0.05, reorder=0.05, ssrc_change_at=1.5,
                               seed=11))
    rows = tshark(call.write(tmp_path / "lossy.pcap"), ["rtp.ssrc", "rtp.seq", "rtp.marker"])
    assert rtp_counts(rows) == expected_counts(call)
    assert sum(expected_counts(call).values()) < 2 * 150
    seqs = defaultdict(list)
    for r in rows:
        if r["rtp.ssrc"]:
            seqs[r["rtp.ssrc"]].append(int(r["rtp.seq"]))
    assert any(s != sorted(s) for s in seqs.values()), "some packets arrive out of order"
    assert [len(s.ssrcs) for s in call.streams] == [2, 2]


def test_codec_mix_in_one_capture(tmp_path):
    frames, calls = [], []
    for i, (codec, vad) in enumerate([("G722", False), ("opus", False), ("G729", True),
                                      ("AMR", True), ("G726-32", False), ("PCMA", True)]):
        spec = CallSpec(duration=1.5, codec=codec, vad=vad, seed=20 + i,
                        caller_ip=f"10.1.0.{10 + i}", callee_ip=f"10.2.0.{10 + i}",
                        start_time=1_700_000_000.0 + i * 0.003, rtcp_mux=(i % 2 == 1))
        call = codec_or_skip(build_call, spec)
        calls.append(call)
        frames += call.frames
    frames.sort(key=lambda f: f[0])
    rows = tshark(write_pcap(tmp_path / "mix.pcap", frames),
                  ["ip.src", "rtp.ssrc", "rtp.p_type", "sdp.media_attribute.field",
                   "sdp.mime.type"])
    assert rtp_counts(rows) == sum((expected_counts(c) for c in calls), Counter())
    mime = {m for r in rows if r["sdp.mime.type"] for m in r["sdp.mime.type"].split(",")}
    assert {"G722", "opus", "G729", "AMR", "G726-32", "PCMA", "CN"} <= mime
    for call in calls:
        pts = {r["rtp.p_type"] for r in rows
               if r["rtp.ssrc"] and r["ip.src"] == call.streams[0].src.ip}
        assert str(call.spec.codec_info.payload_type) in pts
