"""LLDP and LLDP-MED announcements of phones and switches, crafted with scapy.contrib.lldp."""
from __future__ import annotations

import socket

from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.contrib.lldp import (
    LLDP_NEAREST_BRIDGE_MAC,
    LLDPDUChassisID,
    LLDPDUEndOfLLDPDU,
    LLDPDUGenericOrganisationSpecific,
    LLDPDUManagementAddress,
    LLDPDUPortID,
    LLDPDUSystemCapabilities,
    LLDPDUSystemDescription,
    LLDPDUSystemName,
    LLDPDUTimeToLive,
)
from scapy.layers.l2 import Dot1Q, Ether

from collectors.fingerprint.lldp import classify_lldp, is_network_device, parse_lldp, parse_lldp_frame

MED = 0x0012BB


def med(subtype: int, data: bytes) -> LLDPDUGenericOrganisationSpecific:
    return LLDPDUGenericOrganisationSpecific(org_code=MED, subtype=subtype, data=data)


def med_caps(device_type: int, caps: int = 0x0033) -> LLDPDUGenericOrganisationSpecific:
    return med(1, caps.to_bytes(2, "big") + bytes([device_type]))


def policy(app: int, vlan: int, tagged: bool, priority: int, dscp: int) -> LLDPDUGenericOrganisationSpecific:
    bits = (int(tagged) << 22) | (vlan << 9) | (priority << 6) | dscp
    return med(2, bytes([app]) + bits.to_bytes(3, "big"))


def inventory(hw: str, fw: str, sw: str, serial: str, maker: str, model: str):
    return (med(5, hw.encode()) / med(6, fw.encode()) / med(7, sw.encode()) / med(8, serial.encode())
            / med(9, maker.encode()) / med(10, model.encode()))


def head(mac: str, name: bytes, description: bytes, **caps):
    return (Ether(dst=LLDP_NEAREST_BRIDGE_MAC, src=mac) / LLDPDUChassisID(subtype=4, id=mac)
            / LLDPDUPortID(subtype=3, id=mac) / LLDPDUTimeToLive(ttl=120) / LLDPDUSystemName(system_name=name)
            / LLDPDUSystemDescription(description=description) / LLDPDUSystemCapabilities(**caps))


def mgmt(ip: str) -> LLDPDUManagementAddress:
    return LLDPDUManagementAddress(management_address_subtype=1, management_address=socket.inet_aton(ip),
                                   interface_numbering_subtype=2, interface_number=1)


PHONE_CAPS = dict(mac_bridge_available=1, telephone_available=1, telephone_enabled=1)
POLY = bytes(head("64:16:7f:01:02:03", b"SEP64167F010203", b"Polycom;VVX-VVX_410;3111-46162-001,7;5.9.0.9373",
                  **PHONE_CAPS) / mgmt("10.20.0.15") / med_caps(3) / policy(1, 200, True, 5, 46)
             / policy(2, 200, True, 4, 24) / inventory("3111-46162-001,7", "5.9.0.9373", "5.9.0.9373",
                                                        "64167F010203", "Polycom", "VVX 410")
             / LLDPDUEndOfLLDPDU())
YEALINK = bytes(head("80:5e:c0:0a:0b:0c", b"SIP-T46S", b"SIP-T46S 66.85.0.5", telephone_available=1,
                     telephone_enabled=1) / med_caps(3) / policy(1, 300, True, 5, 46)
                / inventory("T46S", "66.85.0.5", "66.85.0.5", "801234567890", "Yealink", "SIP-T46S")
                / LLDPDUEndOfLLDPDU())
SWITCH = bytes(head("00:1b:d4:99:99:99", b"access-sw1.example", b"Cisco IOS Software, C2960X Software",
                    mac_bridge_available=1, router_available=1, mac_bridge_enabled=1)
               / med_caps(4, 0x0003) / policy(1, 200, True, 5, 46) / LLDPDUEndOfLLDPDU())


def test_polycom_phone_fields():
    info = parse_lldp_frame(POLY)
    assert info.src_mac == "64:16:7f:01:02:03"
    assert (info.chassis_subtype, info.chassis_id) == (4, "64:16:7f:01:02:03")
    assert (info.port_subtype, info.port_id) == (3, "64:16:7f:01:02:03")
    assert info.ttl == 120 and info.system_name == "SEP64167F010203"
    assert info.capabilities & 0x0020 and info.enabled_capabilities == 0x0020
    assert info.management_ip == "10.20.0.15"
    assert (info.med_capabilities, info.med_device_type) == (0x0033, 3)
    voice = info.voice_policy
    assert (voice.app_type, voice.vlan_id, voice.tagged, voice.priority, voice.dscp) == (1, 200, True, 5, 46)
    assert [p.app_type for p in info.network_policies] == [1, 2]
    assert (info.hardware_revision, info.firmware_revision, info.software_revision) == (
        "3111-46162-001,7", "5.9.0.9373", "5.9.0.9373")
    assert (info.serial_number, info.manufacturer, info.model) == ("64167F010203", "Polycom", "VVX 410")
    assert not info.truncated
    vendor, model, firmware, cls, evidence = classify_lldp(info)
    assert (vendor, model, firmware, cls) == ("Poly", "VVX 410", "5.9.0.9373", "hard_phone")
    assert any("telephone (enabled)" in e for e in evidence)
    assert any("inventory Polycom VVX 410" in e for e in evidence)


def test_yealink_phone():
    vendor, model, firmware, cls, _ = classify_lldp(parse_lldp_frame(YEALINK))
    assert (vendor, model, firmware, cls) == ("Yealink", "SIP-T46S", "66.85.0.5", "hard_phone")


def test_med_class_iii_without_telephone_capability():
    frame = bytes(head("00:04:13:01:02:03", b"snomD785", b"snom D785", station_only_available=1,
                       station_only_enabled=1) / med_caps(3) / LLDPDUEndOfLLDPDU())
    vendor, _, _, cls, evidence = classify_lldp(parse_lldp_frame(frame))
    assert (vendor, cls) == ("Snom", "hard_phone") and any("class III" in e for e in evidence)


def test_voice_policy_alone_on_an_endpoint():
    frame = bytes(head("00:11:22:33:44:55", b"desk", b"", station_only_enabled=1) / policy(1, 42, False, 0, 46)
                  / LLDPDUEndOfLLDPDU())
    info = parse_lldp_frame(frame)
    assert not info.voice_policy.tagged
    _, _, _, cls, evidence = classify_lldp(info)
    assert cls == "hard_phone" and any("VLAN 42 untagged" in e for e in evidence)


def test_switch_offering_a_voice_policy_is_not_a_phone():
    info = parse_lldp_frame(SWITCH)
    assert info.med_device_type == 4 and info.voice_policy.vlan_id == 200
    assert is_network_device(info)
    vendor, _, _, cls, evidence = classify_lldp(info)
    assert cls is None and vendor == "Cisco" and any("not a phone" in e for e in evidence)


def test_vlan_tagged_frame_and_bare_payload():
    tagged = Ether(POLY[:12] + b"\x81\x00\x00\xc8" + POLY[12:])
    assert bytes(tagged)[12:14] == b"\x81\x00"
    assert parse_lldp_frame(bytes(tagged)).model == "VVX 410"
    assert parse_lldp(POLY[14:]).model == "VVX 410"
    dot1q = bytes(Ether(src="64:16:7f:01:02:03", dst=LLDP_NEAREST_BRIDGE_MAC) / Dot1Q(vlan=200, type=0x88CC))
    dot1q += POLY[14:]
    assert parse_lldp_frame(dot1q).manufacturer == "Polycom"


def test_truncated_and_foreign_input():
    body = POLY[14:]
    cut = parse_lldp(body[:60])
    assert cut is not None and cut.truncated and cut.chassis_id == "64:16:7f:01:02:03"
    assert parse_lldp(b"") is None
    assert parse_lldp(b"\x04\x07\x03" + bytes(6)) is None                # must start with a Chassis ID
    assert parse_lldp(b"\x02\x07\x04\x00") is None                       # ... a whole one
    assert parse_lldp_frame(POLY[:12] + b"\x08\x00" + POLY[14:]) is None  # not 0x88CC
    for end in range(len(POLY) + 1):
        parse_lldp_frame(POLY[:end])


FLIPS = st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), max_size=8)   # (position, new byte)
CUTS = st.integers(0, 4095)                                                          # where the capture ends


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise(data):
    classify_lldp(parse_lldp(data))
    classify_lldp(parse_lldp(b"\x02\x07\x04" + data))
    parse_lldp_frame(data)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([POLY, YEALINK, SWITCH]), FLIPS, CUTS)
def test_mutated_frames_never_raise(frame, flips, cut):
    frame = bytearray(frame)
    for pos, value in flips:
        frame[14 + pos % (len(frame) - 14)] = value
    classify_lldp(parse_lldp_frame(bytes(frame[:cut % (len(frame) + 1)])))
