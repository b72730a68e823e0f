"""Hostile traffic beside one legitimate cleartext call (issue 9, item 2): for each flood, fed through
Pipeline + Policy as `appliance analyze` does, (a) nothing raises, (b) the call's `cleartext_media` alert
is raised, (c) the hostile input is counted, (d) peak memory for 4N units stays within the product's
caps of peak memory for N units (tracemalloc). One run of N and one of 4N per flood serve every check."""
from __future__ import annotations

import pytest

from collectors.decode.tcpreasm import MAX_HELD_SEGMENTS
from collectors.media.detect import BUDGET
from collectors.pipeline import PipelineSettings
from collectors.sip import body, sdp
from collectors.sip.message import MAX_HEADER_BYTES
from collectors.sip.tcpstream import MAX_BUFFER
from collectors.decode.fragments import MAX_HELD_BYTES
from collectors.tls.records import MAX_RECORD
from tests.hostile import harness
from tests.hostile.streams import MSS, legit_call

MTU = 1514                       # the largest frame a flood here sends (bar fragments of it)


def pair(flood, n, settings=None, **options):
    return harness.run(flood, n, settings, **options), harness.run(flood, 4 * n, settings, **options)


def check_common(runs):
    small, large = runs
    for run in runs:
        assert run.legit_alert, f"{run.flood} x{run.units}: the call's cleartext_media alert is missing"
    return small, large


# -- SIP headers ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def huge_udp():
    return check_common(pair("huge_header_udp", 4))


def test_huge_header_over_udp_is_counted_and_bounded(huge_udp):
    small, large = huge_udp
    for run in huge_udp:
        assert run.pipeline.sip.errors == run.units          # each 64 KiB datagram refused once
    assert large.peak - small.peak <= MAX_HELD_BYTES       # one datagram's fragments at a time


@pytest.fixture(scope="module")
def huge_tcp():
    return check_common(pair("huge_header_tcp", 1))


def test_huge_header_over_tcp_is_counted_and_bounded(huge_tcp):
    small, large = huge_tcp
    for run in huge_tcp:      # the 1 MiB line is dropped a header block (32 KiB) at a time
        assert run.pipeline.sip.errors >= run.units * (1 << 20) // (MAX_HEADER_BYTES + MSS)
    assert large.peak - small.peak <= MAX_BUFFER


@pytest.fixture(scope="module")
def endless_udp():
    return check_common(pair("endless_headers_udp", 4))


def test_endless_headers_over_udp_are_counted_and_bounded(endless_udp):
    small, large = endless_udp
    for run in endless_udp:
        assert run.pipeline.sip.errors == run.units
    assert large.peak - small.peak <= MAX_HELD_BYTES


@pytest.fixture(scope="module")
def endless_tcp():
    return check_common(pair("endless_headers_tcp", 4))


def test_endless_headers_over_tcp_are_counted_and_bounded(endless_tcp):
    small, large = endless_tcp
    for run in endless_tcp:   # 64 KiB of header lines per unit, never a blank line
        assert run.pipeline.sip.errors >= run.units * (64 << 10) // (MAX_HEADER_BYTES + MSS) - 1
    assert large.peak - small.peak <= MAX_BUFFER


@pytest.fixture(scope="module")
def vias():
    return check_common(pair("many_vias_tcp", 1))


def test_100k_via_headers_are_counted_and_bounded(vias):
    small, large = vias
    for run in vias:
        assert run.pipeline.sip.errors >= run.units
    assert large.peak - small.peak <= MAX_BUFFER


# -- SIP bodies -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def deep():
    return check_common(pair("deep_multipart_tcp", 4))


def test_multipart_nested_1000_deep_is_counted_and_bounded(deep):
    small, large = deep
    for run in deep:
        assert run.pipeline.sip.limited == run.units         # searched to MAX_DEPTH levels, then counted
        assert run.pipeline.sip.errors == 0
    assert large.peak - small.peak <= MAX_BUFFER


@pytest.fixture(scope="module")
def wide():
    return check_common(pair("wide_multipart_tcp", 4))


def test_multipart_5000_parts_wide_is_counted_and_bounded(wide):
    small, large = wide
    for run in wide:
        assert run.pipeline.sip.limited == run.units         # MAX_PARTS parts searched, then counted
    assert large.peak - small.peak <= MAX_BUFFER


@pytest.fixture(scope="module")
def mlines():
    return check_common(pair("many_mlines_tcp", 2))


def test_sdp_with_10000_media_lines_is_counted_and_bounded(mlines):
    small, large = mlines
    for run in mlines:
        assert run.pipeline.sip.limited == run.units
        hostile = [c for c in run.pipeline.calls.calls.values() if c.call_id.startswith("mlines-")]
        assert len(hostile) == run.units
        assert all(len(s.sdp.media) <= sdp.MAX_MEDIA for c in hostile for s in c.history)
    assert large.peak - small.peak <= MAX_BUFFER


# -- TCP --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def holes():
    return check_common(pair("tcp_holes", 16))


def test_tcp_segments_beyond_the_window_with_holes_are_counted_and_bounded(holes):
    small, large = holes
    for run in holes:
        assert run.pipeline.sip.errors >= 1                  # each hole skipped counts
    assert large.peak - small.peak <= MAX_HELD_SEGMENTS * MSS + MAX_BUFFER


# -- UDP flows --------------------------------------------------------------------------------------
FLOW_LIMIT = 1024                # PipelineSettings.max_flows for the test (the default, 262144, in bench)


@pytest.fixture(scope="module")
def udp_flows():
    return check_common(pair("udp_flow_flood", 4 * FLOW_LIMIT, PipelineSettings(max_flows=FLOW_LIMIT)))


def test_one_packet_udp_flow_flood_is_counted_and_bounded(udp_flows):
    small, large = udp_flows
    for run in udp_flows:
        assert run.most["udp_flows"] <= FLOW_LIMIT
        assert run.pipeline.udp.evicted >= run.units - FLOW_LIMIT
    per_flow = small.peak / FLOW_LIMIT                       # the table is full at N already
    assert large.peak - small.peak <= FLOW_LIMIT // 8 * per_flow   # at most one eviction batch more


FINISHED_LIMIT = 512


@pytest.fixture(scope="module")
def rtcp_flows():
    settings = PipelineSettings(max_flows=FLOW_LIMIT // 4, max_finished=FINISHED_LIMIT)
    return check_common(pair("rtcp_flow_flood", FLOW_LIMIT, settings))


def test_one_packet_rtcp_flow_flood_is_counted_and_bounded(rtcp_flows):
    small, large = rtcp_flows
    limit = FLOW_LIMIT // 4
    for run in rtcp_flows:    # every flow is decided media: before the fix the table grew past max_flows
        assert run.most["udp_flows"] <= limit
        assert run.most["finished"] <= FINISHED_LIMIT + 1
        assert run.pipeline.udp.evicted >= run.units - limit
        assert run.pipeline.finished_dropped > 0
    per_flow = small.peak / (limit + FINISHED_LIMIT)
    assert large.peak - small.peak <= (limit // 8 + FINISHED_LIMIT // 10) * per_flow


# -- RTP --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def every_bit():
    caller = legit_call().caller_rtp
    return check_common(pair("rtp_every_bit", 8, legit_flow=caller))


def test_rtp_with_every_header_bit_set_is_counted_and_bounded(every_bit):
    small, large = every_bit
    for run in every_bit:     # spoofed truncated copies on the caller's stream must not hide its alert
        assert run.pipeline.media.bad_rtp >= run.units * BUDGET
    # a new 5-tuple per unit: at most a detector's budget of held packets each, freed once decided
    assert large.peak - small.peak <= 3 * small.units * BUDGET * MTU


# -- TLS --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tls():
    return check_common(pair("tls_claims", 8))


def test_tls_records_claiming_16_mib_are_counted_and_bounded(tls):
    small, large = tls
    for run in tls:
        assert run.pipeline.tls.errors == 2 * run.units      # both connections of each unit refused
    # never the 16 MiB claimed: at most one record buffered per connection
    assert large.peak - small.peak <= 2 * 3 * small.units * MAX_RECORD


def test_caps_the_bounds_rely_on():
    assert body.MAX_DEPTH < 1000 and body.MAX_PARTS < 5000 and sdp.MAX_MEDIA < 10_000
    assert MAX_HEADER_BYTES < MAX_BUFFER


# -- end to end: `appliance analyze` on a pcap ---------------------------------------------------------
E2E = {"huge_header_tcp": 1, "tls_claims": 2, "rtp_every_bit": 2, "deep_multipart_tcp": 1}


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory):
    from tests.hostile.analyze_rss import analyze, write_flood
    folder = tmp_path_factory.mktemp("hostile")
    out = []
    for scale in (1, 4):
        pcap = write_flood(folder / f"x{scale}.pcap", {name: units * scale for name, units in E2E.items()})
        out.append((scale, *analyze(pcap)))
    return out


def test_appliance_analyze_counts_the_floods_and_keeps_alerting(analyzed):
    for scale, status, report, _rss in analyzed:
        assert status == 0
        assert any(a["type"] == "cleartext_media" and a["stream"] == harness.LEGIT_STREAM for a in report["alerts"])
        # 1 MiB header line: one error per header block dropped; TLS: both connections; multipart: one each
        expected = scale * ((1 << 20) // (MAX_HEADER_BYTES + MSS) + 2 * 2 + 1)
        assert report["captures"][0]["decode_errors"] >= expected
    # Peak RSS is not asserted here: opening a capture holds memory in proportion to the file (scapy's
    # RawPcapReader, outside the collector's caps); bench/hostile.py prints it, tracemalloc above bounds it.
