"""Real calls through a SIP proxy (kamailio) with and without a media relay (rtpengine bridging SRTP
and plain RTP), recorded by tests/data/lab/legs/record.sh and judged against its ground truth
(expected.json, from tshark and the scenario definition): per-leg verdicts, the legs in the report,
and srtp_downgrade naming the element that removed SRTP, never a phone that was never offered it."""
from __future__ import annotations

import json

import pytest

from tests.conftest import DATA, analyze, stream_by_tuple

LEGS = DATA / "lab" / "legs"
EXPECTED = json.loads((LEGS / "expected.json").read_text())
CAPTURES = EXPECTED["captures"]
PHONES = set(EXPECTED["phones"].values())
SDP_AUTHORS = {   # who wrote an SDP with a=crypto (a proxy forwarding one unchanged is not its author)
    "relay-srtp-rtp.pcap": {"10.250.8.11", "10.250.8.10"}, "relay-rtp-srtp.pcap": {"10.250.8.10", "10.250.8.12"},
    "proxy-srtp.pcap": {"10.250.8.11", "10.250.8.12"}, "proxy-fallback.pcap": {"10.250.8.11"},
}


def name(capture: dict) -> str:
    return capture["file"].removesuffix(".pcap")


@pytest.fixture(scope="module")
def reports():
    return {c["file"]: analyze(LEGS / c["file"]) for c in CAPTURES}


@pytest.mark.parametrize("capture", CAPTURES, ids=name)
def test_every_stream_has_the_verdict_of_its_leg(reports, capture):
    report = reports[capture["file"]]
    for media in capture["media"]:
        stream = stream_by_tuple(report, media["src"], media["src_port"], media["dst"], media["dst_port"])
        assert stream["encrypted"] is media["encrypted"], stream["evidence"]
        assert stream["packets"] == media["packets"]
        if media["hop"] != "end-to-end":
            assert stream["leg"] == media["hop"]
        flagged = {a["stream"] for a in report["alerts"] if a["type"] == "cleartext_media"}
        assert (stream["id"] in flagged) is (not media["encrypted"])


@pytest.mark.parametrize("capture", CAPTURES, ids=name)
def test_the_report_shows_the_legs_of_the_call(reports, capture):
    [call] = reports[capture["file"]]["calls"]
    legs = {leg["hop"]: leg for leg in call["legs"]}
    assert set(legs) == {leg["hop"] for leg in capture["legs"]}
    for truth in capture["legs"]:
        leg = legs[truth["hop"]]
        assert (leg["offerer"], leg["offer"], leg["answerer"], leg["answer"]) == (
            truth["offerer"], truth["offer"], truth["answerer"], truth["answer"])
        assert leg["srtp_offered"] is ("SAVP" in truth["offer"] or truth["offer_crypto"])
    relayed = {m["hop"]: m["encrypted"] for m in capture["media"] if m["hop"] != "end-to-end"}
    for hop, encrypted in relayed.items():
        assert legs[hop]["media_encrypted"] is encrypted
        assert len(legs[hop]["streams"]) >= 2


@pytest.mark.parametrize("capture", CAPTURES, ids=name)
def test_srtp_downgrade_names_who_removed_srtp(reports, capture):
    report = reports[capture["file"]]
    named = {a["endpoint"] for a in report["alerts"] if a["type"] == "srtp_downgrade"}
    assert named == ({capture["downgrade_by"]} if capture["downgrade_by"] else set())
    offered_srtp = {leg["answerer"] for leg in capture["legs"] if "SAVP" in leg["offer"] or leg["offer_crypto"]}
    assert not (named & PHONES) - offered_srtp, "a phone that was never offered SRTP is never blamed"


@pytest.mark.parametrize("capture", CAPTURES, ids=name)
def test_keys_exposed_by_their_author_and_proven(reports, capture):
    report = reports[capture["file"]]
    exposed = [a for a in report["alerts"] if a["type"] == "sdes_keys_exposed"]
    assert {a["endpoint"] for a in exposed} == SDP_AUTHORS[capture["file"]]
    senders = {m["src"] for m in capture["media"] if m["encrypted"]}
    for alert in exposed:
        if alert["endpoint"] in senders:
            assert "proven" in alert["summary"], alert


def test_relay_downgrade_says_what_the_relay_did(reports):
    [alert] = [a for a in reports["relay-srtp-rtp.pcap"]["alerts"] if a["type"] == "srtp_downgrade"]
    assert alert["endpoint"] == EXPECTED["proxy"] and alert["peer"] == EXPECTED["phones"]["A"]
    assert "offered plain RTP/AVP to 10.250.8.12" in alert["summary"]


@pytest.mark.parametrize("file", ["relay-srtp-rtp.pcap", "relay-rtp-srtp.pcap"])
def test_rtpengine_keeps_ssrcs_so_each_relayed_stream_names_its_source(reports, file):
    """What leaves the relay toward one phone is what arrived from the other (same SSRC, other leg)."""
    report = reports[file]
    by_id = {s["id"]: s for s in report["streams"]}
    relay = EXPECTED["proxy"]
    for stream in report["streams"]:
        if stream["kind"] != "rtp":
            continue
        if stream["src"] == relay:
            source = by_id[stream["relayed_from"]]
            assert source["dst"] == relay and source["ssrcs"] == stream["ssrcs"]
            assert source["src"] != stream["dst"] and source["leg"] != stream["leg"]
        else:
            assert stream["relayed_from"] is None
