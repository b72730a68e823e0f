"""The capture writer on its own: classic pcap, pcapng when link types mix, timestamps to the
microsecond (with the carry), read back by scapy."""
from __future__ import annotations

import io

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import PcapNgReader, PcapReader

from api.pcap import capture_bytes

ETHER = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.0.0.1", dst="10.0.0.2")
              / UDP(sport=4000, dport=5000) / (b"\x80\x00" + bytes(170)))
RAW_IP = bytes(IP(src="10.0.0.3", dst="10.0.0.4") / UDP(sport=4002, dport=5002) / (b"x" * 33))   # linktype 101


def read(data: bytes, reader) -> list:
    with reader(io.BytesIO(data)) as packets:
        return list(packets)


def test_classic_pcap():
    frames = [(1700000000.123456, 1, ETHER), (1700000000.9999996, 1, ETHER[:60])]
    data = capture_bytes(frames)
    assert data[:4] == b"\xd4\xc3\xb2\xa1"
    packets = read(data, PcapReader)
    assert [bytes(p) for p in packets] == [ETHER, ETHER[:60]]
    assert [float(p.time) for p in packets] == pytest.approx([1700000000.123456, 1700000001.0], abs=1e-6)


def test_mixed_link_types_become_pcapng():
    frames = [(1700000000.5, 1, ETHER), (1700000001.25, 101, RAW_IP), (1700000002.0, 1, ETHER[:61])]
    data = capture_bytes(frames)
    assert data[:4] == b"\x0a\x0d\x0d\x0a"
    packets = read(data, PcapNgReader)
    assert [bytes(p) for p in packets] == [ETHER, RAW_IP, ETHER[:61]]
    assert [float(p.time) for p in packets] == pytest.approx([1700000000.5, 1700000001.25, 1700000002.0])
    assert packets[1][IP].src == "10.0.0.3" and packets[0][Ether].src == "02:00:00:00:00:01"


def test_no_frames_is_an_empty_capture():
    assert read(capture_bytes([]), PcapReader) == []
