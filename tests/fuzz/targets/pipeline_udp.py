"""The pipeline fed well-formed Ethernet/IPv4/UDP frames whose payloads are fuzzed: SIP, SDP, RTP,
RTCP, STUN, DTLS, ZRTP, ChannelData and DHCP on the ports and 5-tuples they use."""
from tests.fuzz.common import IP_A, IP_B, MAC_A, MAC_B, chunks, udp_frame
from tests.fuzz.targets.pipeline_frames import drive

TUPLES = ((IP_A, 5060, IP_B, 5060), (IP_B, 5060, IP_A, 5060), (IP_A, 40000, IP_B, 40002),
          (IP_B, 40002, IP_A, 40000), (IP_A, 40001, IP_B, 40003), (IP_A, 68, IP_B, 67),
          (IP_A, 3478, IP_B, 50000), (IP_A, 50000, IP_B, 50002))


def fuzz(data: bytes) -> None:
    ts, items = 1.7e9, []
    for flag, body in chunks(data):
        ts += ((flag >> 3) ** 2) * 0.02
        src, sport, dst, dport = TUPLES[flag & 7]
        items.append((ts, 1, udp_frame(body, sport, dport, src, dst, MAC_B if src == IP_B else MAC_A)))
    drive(items)
