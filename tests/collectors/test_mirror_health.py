"""Mirror health: a mirror that drops frames shows as sequence gaps in most of the RTP streams it
carries at once; one lossy stream among clean ones is the network, not the mirror. Frames are real
Ethernet/IPv4/UDP/RTP bytes through the collector's decoder."""
from __future__ import annotations

import struct

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from collectors.decode.decoder import LINK_ETHERNET, Decoder
from collectors.mirror_health import MirrorHealth


def rtp_frame(stream: int, seq: int) -> bytes:
    rtp = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, seq * 160, 0x1000 + stream) + bytes(160)
    return bytes(Ether(src=f"02:00:00:00:00:{stream:02x}") / IP(src=f"10.0.0.{stream}", dst="10.0.1.1")
                 / UDP(sport=20000 + 2 * stream, dport=30000) / rtp)


def health_of(streams: dict[int, list[int]]) -> dict:
    decoder, health = Decoder(), MirrorHealth()
    for stream, sequence in streams.items():
        for seq in sequence:
            health.add(decoder.decode(0.0, LINK_ETHERNET, rtp_frame(stream, seq)))
    return health.summary()


def every_nth_missing(n: int, count: int = 200) -> list[int]:
    return [seq for seq in range(count) if seq % n]


def test_clean_streams_are_healthy():
    summary = health_of({1: list(range(100)), 2: list(range(100)), 3: list(range(50, 150))})
    assert (summary["rtp_streams"], summary["rtp_lost"], summary["oversubscribed"]) == (3, 0, False)
    assert summary["hosts"] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"] and summary["frames"] == 300


def test_gaps_in_most_streams_at_once_flag_an_oversubscribed_mirror():
    summary = health_of({1: every_nth_missing(20), 2: every_nth_missing(25), 3: list(range(200))})
    assert summary["rtp_streams_with_gaps"] == 2 and summary["rtp_lost"] == 9 + 7
    assert summary["oversubscribed"] is True


def test_one_lossy_stream_among_clean_ones_is_not_the_mirror():
    summary = health_of({1: every_nth_missing(10), 2: list(range(200)), 3: list(range(200)), 4: list(range(200))})
    assert summary["rtp_streams_with_gaps"] == 1 and summary["oversubscribed"] is False


def test_reordering_duplicates_and_restarts_are_not_loss():
    reordered = list(range(50)) + [51, 50] + list(range(52, 100)) + [99, 99] + list(range(5000, 5050))
    summary = health_of({1: reordered, 2: reordered})
    assert summary["rtp_lost"] == 0 and summary["oversubscribed"] is False


def test_non_rtp_udp_is_counted_as_frames_not_streams():
    decoder, health = Decoder(), MirrorHealth()
    for n in range(20):
        dns = bytes(Ether() / IP(src="10.0.0.9", dst="10.0.0.53") / UDP(sport=40000 + n, dport=5353) / b"\x12\x34junk")
        health.add(decoder.decode(0.0, LINK_ETHERNET, dns))
    health.add(None)                                     # a frame the decoder could not read
    summary = health.summary(kernel_drops=3)
    assert (summary["frames"], summary["rtp_streams"], summary["kernel_drops"]) == (21, 0, 3)
