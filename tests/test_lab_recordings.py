"""The project's own recordings of real clients (baresip, sipp) on a mirrored bridge, judged against
the ground truth written from the clients' SIP traces (tests/data/lab/expected.json), with signaling
present and stripped, and cross-checked with tshark."""
from __future__ import annotations

import json

import pytest
from scapy.layers.inet import TCP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import RawPcapReader, wrpcap

from tests.conftest import DATA, alert_pairs, analyze, stream_by_tuple
from tests.data.lab.golden import golden_path, summary
from tests.tshark import rtp_streams, same_streams

LAB = DATA / "lab"
EXPECTED = json.loads((LAB / "expected.json").read_text())
CAPTURES = EXPECTED["captures"]
CLEAR_TRANSPORTS = ("udp", "tcp")


def by_file(capture: dict) -> str:
    return capture["file"].removesuffix(".pcap")


@pytest.fixture(scope="module")
def reports():
    return {c["file"]: analyze(LAB / c["file"]) for c in CAPTURES}


@pytest.mark.parametrize("capture", CAPTURES, ids=by_file)
def test_streams_match_the_clients_own_traces(reports, capture):
    report = reports[capture["file"]]
    for media in capture["media"]:
        stream = stream_by_tuple(report, media["src"], media["src_port"], media["dst"], media["dst_port"])
        assert stream["encrypted"] is media["encrypted"], stream["evidence"]
        assert stream["packets"] == media["packets"]
        ssrcs = media["ssrc"] if isinstance(media["ssrc"], list) else [media["ssrc"]]
        assert stream["ssrcs"] == sorted(int(x, 16) for x in ssrcs)
        assert stream["codec"] == capture["codec"]
        if capture["signaling"] in CLEAR_TRANSPORTS:
            assert stream["call_id"] is not None, "signaling was visible: the stream belongs to a call"
        if media["encrypted"]:
            visible_keying = capture["keying"] if capture["signaling"] in CLEAR_TRANSPORTS else None
            assert stream["keying"] in {capture["keying"], "unknown"} - ({"unknown"} if visible_keying else set())
    assert [s["transport"] for s in report["signaling"]] == [capture["signaling"]]


@pytest.mark.parametrize("capture", CAPTURES, ids=by_file)
def test_alerts_say_what_is_wrong(reports, capture):
    alerts = alert_pairs(reports[capture["file"]])
    caller = EXPECTED["phones"]["A"]["ip"]
    for media in capture["media"]:
        assert (("cleartext_media", media["src"]) in alerts) is (not media["encrypted"])
    assert (("cleartext_signaling", caller) in alerts) is (capture["signaling"] in CLEAR_TRANSPORTS)
    keys_exposed = capture.get("offer_crypto") and capture["signaling"] in CLEAR_TRANSPORTS
    assert (("sdes_keys_exposed", caller) in alerts) is bool(keys_exposed)
    downgraded = capture.get("offer_crypto") and not any(m["encrypted"] for m in capture["media"])
    assert any(t == "srtp_downgrade" for t, _ in alerts) is bool(downgraded)


def test_cleartext_media_under_tls_signaling_is_critical(reports):
    report = reports["tls-rtp.pcap"]
    severities = {a["severity"] for a in report["alerts"] if a["type"] == "cleartext_media"}
    assert severities == {"critical"}


def test_rtcp_in_clear_next_to_srtp_is_not_cleartext_media(reports):
    """baresip sends RTCP APP/BYE in clear in SRTP calls: control packets, never a media alert."""
    for capture in CAPTURES:
        if capture["media"] and all(m["encrypted"] for m in capture["media"]):
            report = reports[capture["file"]]
            assert not [a for a in report["alerts"] if a["type"] in ("cleartext_media", "srtp_downgrade")]
            assert any(s["kind"] == "rtcp" for s in report["streams"])


@pytest.mark.parametrize("capture", CAPTURES, ids=by_file)
def test_verdicts_hold_with_signaling_stripped(tmp_path, capture):
    """Only UDP media left: the keyless verdict must agree with the ground truth."""
    stripped = tmp_path / capture["file"]
    frames = []
    for data, _meta in RawPcapReader(str(LAB / capture["file"])):
        packet = Ether(data)
        if TCP in packet or (UDP in packet and 5060 in (packet[UDP].sport, packet[UDP].dport)):
            continue
        frames.append(packet)
    wrpcap(str(stripped), frames)
    report = analyze(stripped)
    assert not report["calls"] and not report["signaling"]
    for media in capture["media"]:
        stream = stream_by_tuple(report, media["src"], media["src_port"], media["dst"], media["dst_port"])
        assert stream["encrypted"] is media["encrypted"], stream["evidence"]
        assert stream["packets"] == media["packets"]


@pytest.mark.parametrize("capture", CAPTURES, ids=by_file)
def test_tshark_sees_the_same_rtp_streams(reports, capture):
    ports = [m["dst_port"] for m in capture["media"]]
    theirs = rtp_streams(LAB / capture["file"], ports)
    assert theirs, "tshark found no RTP at all"
    assert same_streams(theirs, reports[capture["file"]])


@pytest.mark.parametrize("capture", CAPTURES, ids=by_file)
def test_decisions_match_the_golden_report(reports, capture):
    """Regression guard: verdicts, packets-to-verdict and alerts as reviewed (see golden.py)."""
    expected = json.loads(golden_path(LAB / capture["file"]).read_text())
    assert json.loads(json.dumps(summary(reports[capture["file"]]), default=list)) == expected


def test_an_echo_is_not_a_relay(reports):
    """sipp -rtp_echo reflects A's packets with A's SSRC: the echo goes back to its sender, no relay."""
    assert all(s["relayed_from"] is None for s in reports["sipp-pcap.pcap"]["streams"])
    assert all(c["related_calls"] == [] for c in reports["sipp-pcap.pcap"]["calls"])
