"""CDP announcements of Cisco phones and switches, crafted with scapy.contrib.cdp."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.contrib.cdp import (
    CDPAddrRecordIPv4,
    CDPAddrRecordIPv6,
    CDPMsgAddr,
    CDPMsgCapabilities,
    CDPMsgDeviceID,
    CDPMsgNativeVLAN,
    CDPMsgPlatform,
    CDPMsgPortID,
    CDPMsgSoftwareVersion,
    CDPMsgVoIPVLANQuery,
    CDPMsgVoIPVLANReply,
    CDPv2_HDR,
)
from scapy.layers.l2 import LLC, SNAP, Dot3

from collectors.fingerprint.cdp import classify_cdp, is_network_device, parse_cdp, parse_cdp_frame

CDP_DST = "01:00:0c:cc:cc:cc"


def cdp_frame(mac: str, *msgs) -> bytes:
    return bytes(Dot3(dst=CDP_DST, src=mac) / LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0x0C, code=0x2000)
                 / CDPv2_HDR(vers=2, ttl=180, msg=list(msgs)))


PHONE = cdp_frame("00:1b:d4:aa:bb:cc", CDPMsgDeviceID(val=b"SEP001BD4AABBCC"),
                  CDPMsgAddr(naddr=2, addr=[CDPAddrRecordIPv4(addr="10.20.0.21"),
                                            CDPAddrRecordIPv6(addr="2001:db8::21")]),
                  CDPMsgPortID(iface=b"Port 1"), CDPMsgCapabilities(cap=0x90),
                  CDPMsgSoftwareVersion(val=b"SCCP75.9-4-2SR3-1S"), CDPMsgPlatform(val=b"Cisco IP Phone 7965"),
                  CDPMsgVoIPVLANQuery(vlan=1))
SWITCH = cdp_frame("00:1b:d4:99:99:99", CDPMsgDeviceID(val=b"access-sw1.example.com"),
                   CDPMsgPortID(iface=b"GigabitEthernet1/0/7"), CDPMsgCapabilities(cap=0x28),
                   CDPMsgSoftwareVersion(val=b"Cisco IOS Software, C2960X Software, Version 15.2(7)E4"),
                   CDPMsgPlatform(val=b"cisco WS-C2960X-48FPD-L"), CDPMsgNativeVLAN(vlan=10),
                   CDPMsgVoIPVLANReply(status=1, vlan=200))
POLY = cdp_frame("64:16:7f:01:02:03", CDPMsgDeviceID(val=b"64167f010203"), CDPMsgPortID(iface=b"Port 1"),
                 CDPMsgCapabilities(cap=0x90), CDPMsgSoftwareVersion(val=b"5.9.0.9373"),
                 CDPMsgPlatform(val=b"Polycom VVX 410"))


def test_cisco_phone_fields():
    info = parse_cdp_frame(PHONE)
    assert info.src_mac == "00:1b:d4:aa:bb:cc" and (info.version, info.ttl) == (2, 180)
    assert info.device_id == "SEP001BD4AABBCC" and info.port_id == "Port 1"
    assert info.addresses == ("10.20.0.21", "2001:db8::21")
    assert info.capabilities == 0x90 and info.voice_vlan_query
    assert info.software_version == "SCCP75.9-4-2SR3-1S" and info.platform == "Cisco IP Phone 7965"
    assert not info.truncated and not is_network_device(info)
    vendor, model, firmware, cls, evidence = classify_cdp(info)
    assert (vendor, model, firmware, cls) == ("Cisco", "IP Phone 7965", "SCCP75.9-4-2SR3-1S", "hard_phone")
    assert any("include phone (0x80)" in e for e in evidence)


def test_switch_is_not_a_phone_but_tells_the_vlans():
    info = parse_cdp_frame(SWITCH)
    assert (info.native_vlan, info.voice_vlan, info.capabilities) == (10, 200, 0x28)
    assert is_network_device(info)
    vendor, model, _, cls, evidence = classify_cdp(info)
    assert (vendor, model, cls) == ("Cisco", "WS-C2960X-48FPD-L", None)
    assert any("not a phone" in e for e in evidence)


def test_non_cisco_phone_speaking_cdp():
    vendor, model, firmware, cls, _ = classify_cdp(parse_cdp_frame(POLY))
    assert (vendor, model, firmware, cls) == ("Poly", "VVX 410", "5.9.0.9373", "hard_phone")


def test_phone_platform_without_capabilities():
    frame = cdp_frame("00:1b:d4:aa:bb:cd", CDPMsgDeviceID(val=b"SEP001BD4AABBCD"),
                      CDPMsgPlatform(val=b"Cisco IP Phone 8845"))
    vendor, _, _, cls, evidence = classify_cdp(parse_cdp_frame(frame))
    assert (vendor, cls) == ("Cisco", "hard_phone") and "platform names a phone" in evidence[-1]


def test_foreign_truncated_and_bare():
    assert parse_cdp(PHONE[22:]).platform == "Cisco IP Phone 7965"
    assert parse_cdp_frame(b"\x01\x80\xc2\x00\x00\x0e" + PHONE[6:]) is None    # not the CDP address
    assert parse_cdp_frame(PHONE[:14] + b"\xaa\xaa\x03\x00\x00\x0c\x20\x04" + PHONE[22:]) is None  # DTP, not CDP
    cut = parse_cdp_frame(PHONE[:60])
    assert cut is not None and cut.truncated and cut.device_id == "SEP001BD4AABBCC"
    assert parse_cdp(b"\x02\xb4\x00\x00") is None and parse_cdp(b"\x07" + PHONE[23:]) is None
    for end in range(len(PHONE) + 1):
        parse_cdp_frame(PHONE[:end])


FLIPS = st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), max_size=8)   # (position, new byte)
CUTS = st.integers(0, 4095)                                                          # where the capture ends


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise(data):
    classify_cdp(parse_cdp(data))
    classify_cdp(parse_cdp(b"\x02\xb4\x00\x00" + data))
    parse_cdp_frame(PHONE[:22] + data)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([PHONE, SWITCH, POLY]), FLIPS, CUTS)
def test_mutated_frames_never_raise(frame, flips, cut):
    frame = bytearray(frame)
    for pos, value in flips:
        frame[22 + pos % (len(frame) - 22)] = value
    classify_cdp(parse_cdp_frame(bytes(frame[:cut % (len(frame) + 1)])))
