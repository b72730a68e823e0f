"""PcapFileSource: pcap and pcapng files written to tmp_path, read back frame by frame."""
from __future__ import annotations

import gzip
import struct

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import CookedLinux, Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

from collectors.errors import NotACaptureError
from collectors.sources.frame import Frame
from collectors.sources.pcapfile import PcapFileSource

ETH = dict(src="02:00:5e:10:00:01", dst="02:00:5e:10:00:02")
FRAMES = [bytes(Ether(**ETH) / IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=5060 + i, dport=5060)
                / Raw(b"OPTIONS sip:x SIP/2.0\r\n" * (i + 1))) for i in range(3)]
TIMES = [(1_700_000_000, 250_000), (1_700_000_001, 0), (1_700_000_002, 999_999)]


# -- writers (the formats spelled out, so every field is under the test's control) -------------
def pcap_bytes(frames, *, endian="<", nano=False, linktype=1, times=TIMES) -> bytes:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)
    for data, (sec, usec) in zip(frames, times):
        frac = usec * 1000 if nano else usec
        out += struct.pack(endian + "IIII", sec, frac, len(data), len(data) + 4) + data
    return out


def _block(endian: str, btype: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    total = 12 + len(body)
    return struct.pack(endian + "II", btype, total) + body + struct.pack(endian + "I", total)


def pcapng_bytes(packets, interfaces, endian="<") -> bytes:
    """interfaces: [(linktype, tsresol exponent or None)]; packets: [(interface, ticks, data)]."""
    out = _block(endian, 0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    for linktype, tsresol in interfaces:
        options = b""
        if tsresol is not None:
            options = struct.pack(endian + "HHB3x", 9, 1, tsresol) + struct.pack(endian + "HH", 0, 0)
        out += _block(endian, 1, struct.pack(endian + "HHI", linktype, 0, 262144) + options)
    for interface, ticks, data in packets:
        out += _block(endian, 6, struct.pack(endian + "IIIII", interface, ticks >> 32, ticks & 0xFFFFFFFF,
                                             len(data), len(data)) + data)
    return out


def _write(tmp_path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def _read(path: str) -> tuple[list[Frame], PcapFileSource]:
    source = PcapFileSource(path)
    return list(source.packets()), source


# -- pcap --------------------------------------------------------------------------------------
@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("nano", [False, True])
def test_pcap_magic_variants(tmp_path, endian, nano):
    path = _write(tmp_path, "c.pcap", pcap_bytes(FRAMES, endian=endian, nano=nano, linktype=1))
    frames, source = _read(path)
    assert [f.data for f in frames] == FRAMES
    assert [f.linktype for f in frames] == [1, 1, 1]
    assert [f.wirelen for f in frames] == [len(d) + 4 for d in FRAMES]
    assert [f.ts for f in frames] == pytest.approx([s + u / 1e6 for s, u in TIMES], abs=1e-6)
    assert source.warnings == []
    assert source.position == source.size


def test_pcap_link_type_comes_from_the_file_header(tmp_path):
    frame = bytes(CookedLinux(proto=0x800) / IP() / UDP() / Raw(b"x"))
    frames, _ = _read(_write(tmp_path, "sll.pcap", pcap_bytes([frame], endian=">", linktype=113)))
    assert frames == [Frame(TIMES[0][0] + 0.25, 113, frame, len(frame) + 4)]


def test_pcap_written_by_scapy(tmp_path):
    packets = [Ether(frame) for frame in FRAMES]
    for i, packet in enumerate(packets):
        packet.time = 1_600_000_000 + i + 0.5
    path = str(tmp_path / "scapy.pcap")
    wrpcap(path, packets)
    frames, source = _read(path)
    assert [f.data for f in frames] == FRAMES
    assert [f.ts for f in frames] == pytest.approx([1_600_000_000.5, 1_600_000_001.5, 1_600_000_002.5])
    assert source.warnings == []


def test_gzip_compressed_pcap(tmp_path):
    path = _write(tmp_path, "c.pcap.gz", gzip.compress(pcap_bytes(FRAMES)))
    frames, source = _read(path)
    assert [f.data for f in frames] == FRAMES
    assert source.warnings == []


def test_record_larger_than_64k_is_read_whole(tmp_path):
    """Loopback captures (MTU 65536, GSO) hold frames above 65535 bytes; they are not truncation."""
    big = FRAMES[0] + bytes(70_000)
    frames, source = _read(_write(tmp_path, "big.pcap", pcap_bytes([big, FRAMES[1]])))
    assert [f.data for f in frames] == [big, FRAMES[1]]
    assert source.warnings == []


# -- pcapng ------------------------------------------------------------------------------------
def test_pcapng_two_interfaces_of_different_link_types(tmp_path):
    raw_ip = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=2) / Raw(b"v6"))
    packets = [(0, 1_700_000_000_500_000, FRAMES[0]),               # microseconds (default)
               (1, 1_700_000_001_000_000_123, raw_ip),              # nanoseconds (if_tsresol 9)
               (0, 1_700_000_002_000_000, FRAMES[1])]
    path = _write(tmp_path, "two.pcapng", pcapng_bytes(packets, [(1, None), (101, 9)]))
    frames, source = _read(path)
    assert [(f.linktype, f.data) for f in frames] == [(1, FRAMES[0]), (101, raw_ip), (1, FRAMES[1])]
    assert [f.ts for f in frames] == pytest.approx([1_700_000_000.5, 1_700_000_001.000000123,
                                                    1_700_000_002.0])
    assert source.warnings == []


def test_pcapng_big_endian(tmp_path):
    path = _write(tmp_path, "be.pcapng", pcapng_bytes([(0, 5_000_000, FRAMES[2])], [(1, 6)], endian=">"))
    frames, source = _read(path)
    assert frames == [Frame(5.0, 1, FRAMES[2], len(FRAMES[2]))]
    assert source.warnings == []


def test_pcapng_ending_with_a_statistics_block_is_not_truncated(tmp_path):
    content = pcapng_bytes([(0, 1, FRAMES[0])], [(1, None)]) + _block("<", 5, bytes(12))
    frames, source = _read(_write(tmp_path, "isb.pcapng", content))
    assert [f.data for f in frames] == [FRAMES[0]]
    assert source.warnings == []


# -- truncation --------------------------------------------------------------------------------
def _assert_one_truncation_warning(source: PcapFileSource) -> None:
    assert len(source.warnings) == 1, source.warnings
    assert "truncat" in source.warnings[0]
    assert source.path in source.warnings[0]
    assert "\n" not in source.warnings[0]


def _record_start(content: bytes, index: int) -> int:
    """Offset of pcap record `index` in `content` (global header 24 bytes, record header 16)."""
    return 24 + sum(16 + len(frame) for frame in FRAMES[:index])


def test_pcap_cut_in_the_middle_of_a_record(tmp_path):
    content = pcap_bytes(FRAMES)
    cut = _record_start(content, 2) + 16 + 20
    frames, source = _read(_write(tmp_path, "cut.pcap", content[:cut]))
    assert [f.data for f in frames] == FRAMES[:2]
    _assert_one_truncation_warning(source)


@pytest.mark.parametrize("into_header", [1, 8, 15, 16])
def test_pcap_cut_inside_a_record_header(tmp_path, into_header):
    content = pcap_bytes(FRAMES)
    cut = _record_start(content, 2) + into_header
    frames, source = _read(_write(tmp_path, "cut.pcap", content[:cut]))
    assert [f.data for f in frames] == FRAMES[:2]
    _assert_one_truncation_warning(source)


def test_gzip_pcap_cut_short(tmp_path):
    content = gzip.compress(pcap_bytes(FRAMES * 50))
    frames, source = _read(_write(tmp_path, "cut.pcap.gz", content[:len(content) * 2 // 3]))
    assert 0 < len(frames) < 150
    assert [f.data for f in frames] == (FRAMES * 50)[:len(frames)]
    _assert_one_truncation_warning(source)


def test_pcapng_cut_anywhere_in_the_last_block(tmp_path):
    content = pcapng_bytes([(0, 1, FRAMES[0]), (0, 2, FRAMES[1])], [(1, None)])
    last_block = len(content) - (32 + len(FRAMES[1]) + (-len(FRAMES[1]) % 4))
    for cut in range(last_block + 1, len(content)):
        frames, source = _read(_write(tmp_path, "cut.pcapng", content[:cut]))
        assert [f.data for f in frames] == [FRAMES[0]], cut
        _assert_one_truncation_warning(source)


def _two_sections() -> tuple[bytes, int]:
    """Two pcapng sections back to back (as `cat a.pcapng b.pcapng` makes), the second SHB with a
    comment option; returns the bytes and where the second section starts."""
    first = pcapng_bytes([(0, 1, FRAMES[0])], [(1, None)])
    shb = _block("<", 0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
                 + struct.pack("<HH", 1, 8) + b"second!!" + struct.pack("<HH", 0, 0))
    rest = _block("<", 1, struct.pack("<HHI", 101, 0, 262144)) \
        + _block("<", 6, struct.pack("<IIIII", 0, 0, 2, len(FRAMES[1]), len(FRAMES[1])) + FRAMES[1])
    return first + shb + rest, len(first)


def test_pcapng_with_two_sections(tmp_path):
    content, _ = _two_sections()
    frames, source = _read(_write(tmp_path, "two-sections.pcapng", content))
    assert [(f.linktype, f.data) for f in frames] == [(1, FRAMES[0]), (101, FRAMES[1])]
    assert source.warnings == []


def test_pcapng_cut_inside_the_second_section_header(tmp_path):
    content, second = _two_sections()
    frames, source = _read(_write(tmp_path, "cut.pcapng", content[:second + 30]))
    assert [f.data for f in frames] == [FRAMES[0]]
    _assert_one_truncation_warning(source)


def test_complete_files_give_no_warning_even_when_read_partly(tmp_path):
    source = PcapFileSource(_write(tmp_path, "c.pcap", pcap_bytes(FRAMES)))
    for _frame in source.packets():
        break
    assert source.warnings == []


# -- not a capture -----------------------------------------------------------------------------
def _assert_not_a_capture(path: str) -> str:
    with pytest.raises(NotACaptureError) as info:
        PcapFileSource(path)
    message = str(info.value)
    assert message and "\n" not in message
    assert message.startswith(path)
    assert info.value.exit_code == 2
    return message


def test_empty_file(tmp_path):
    _assert_not_a_capture(_write(tmp_path, "empty.pcap", b""))


def test_text_file(tmp_path):
    message = _assert_not_a_capture(_write(tmp_path, "notes.txt", b"INVITE sip:bob SIP/2.0\r\n" * 10))
    assert "capture" in message


def test_file_shorter_than_a_pcap_header(tmp_path):
    _assert_not_a_capture(_write(tmp_path, "short.pcap", pcap_bytes([])[:10]))


def test_gzip_of_a_text_file(tmp_path):
    _assert_not_a_capture(_write(tmp_path, "notes.gz", gzip.compress(b"hello world\n" * 10)))


def test_directory(tmp_path):
    assert "directory" in _assert_not_a_capture(str(tmp_path))


def test_missing_path(tmp_path):
    message = _assert_not_a_capture(str(tmp_path / "nope.pcap"))
    assert "No such file" in message
