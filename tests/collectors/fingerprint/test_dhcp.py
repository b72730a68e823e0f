"""DHCP client fingerprints from real BOOTP/DHCP messages crafted with scapy."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from collectors.fingerprint.dhcp import classify_dhcp, dhcp_verdict, parse_dhcp

CISCO_PRL = [1, 66, 6, 3, 15, 150, 35]


def dhcp_payload(mac: str, options: list, op: int = 1, **bootp) -> bytes:
    raw_mac = bytes.fromhex(mac.replace(":", ""))
    pkt = (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
           / UDP(sport=68 if op == 1 else 67, dport=67 if op == 1 else 68)
           / BOOTP(op=op, chaddr=raw_mac + b"\0" * 10, xid=0x1234ABCD, **bootp) / DHCP(options=[*options, "end"]))
    return bytes(pkt[UDP].payload)


def discover(mac: str, *extra) -> bytes:
    return dhcp_payload(mac, [("message-type", "discover"), *extra])


def test_fields_of_a_cisco_phone_discover():
    info = parse_dhcp(discover("00:1b:d4:aa:bb:cc", ("vendor_class_id", b"Cisco Systems, Inc. IP Phone CP-7965G"),
                               ("hostname", b"SEP001BD4AABBCC"), ("param_req_list", CISCO_PRL),
                               ("user_class", b"\x05voice"), ("vendor_specific", b"\x01\x02ab")))
    assert info.op == 1 and info.mac == "00:1b:d4:aa:bb:cc" and info.message_type == 1
    assert info.vendor_class == "Cisco Systems, Inc. IP Phone CP-7965G"
    assert info.hostname == "SEP001BD4AABBCC"
    assert info.param_request_list == tuple(CISCO_PRL)
    assert info.user_class == "voice" and info.vendor_specific and not info.truncated
    vendor, cls, evidence = classify_dhcp(info)
    assert (vendor, cls) == ("Cisco", "hard_phone")
    assert dhcp_verdict(info).model == "CP-7965G"
    assert "IP Phone CP-7965G" in evidence[0]


@pytest.mark.parametrize("vendor_class, vendor, cls, model", [
    (b"Polycom-VVX310", "Poly", "hard_phone", "VVX310"),
    (b"Polycom-SoundPointIP-SPIP_650", "Poly", "hard_phone", "SPIP_650"),
    # RFC 3925-style binary form (enterprise number 13885, then length-prefixed items).
    (b"\x00\x00\x36\x3d\x30\x07Polycom\x15SoundPointIP-SPIP_670\x09SIP/3.2.3", "Poly", "hard_phone", "SPIP_670"),
    (b"yealink", "Yealink", "hard_phone", None),
    (b"Cisco Systems, Inc. IP Phone CP-7961G", "Cisco", "hard_phone", "CP-7961G"),
    (b"Cisco SPA525G2", "Cisco", "hard_phone", "SPA525G2"),
    (b"Cisco SPA112", "Cisco", "gateway", "SPA112"),
    (b"ATA186-H6.0|V3.2.0|B041111A", "Cisco", "gateway", "ATA186"),
    (b"LINKSYS SPA-942", "Linksys", "hard_phone", "SPA-942"),
    (b"snom320", "Snom", "hard_phone", "320"),
    (b"snom-m3-SIP/02.11//18-Aug-10 15:36", "Snom", "hard_phone", "m3"),
    (b"Grandstream GXP1405 dslforum.org", "Grandstream", "hard_phone", "GXP1405"),
    (b"Grandstream HT702 dslforum.org", "Grandstream", "gateway", "HT702"),
    (b"HT500 dslforum.org", "Grandstream", "gateway", "HT500"),
    (b"DP7XX dslforum.org", "Grandstream", "hard_phone", "DP7XX"),
    (b"AastraIPPhone55i", "Mitel", "hard_phone", "55i"),
    (b"Mitel IP Phone 6867i", "Mitel", "hard_phone", "6867i"),
    (b"ccp.avaya.com", "Avaya", "hard_phone", None),
    (b"AVAYA", "Avaya", "hard_phone", None),
    (b"OptiIpPhone", "Unify", "hard_phone", None),
    (b"alcatel.noe.0", "Alcatel-Lucent Enterprise", "hard_phone", None),
    (b"NECDT700", "NEC", "hard_phone", "NECDT700"),
])
def test_vendor_class_rules(vendor_class, vendor, cls, model):
    info = parse_dhcp(discover("00:11:22:33:44:55", ("vendor_class_id", vendor_class)))
    verdict = dhcp_verdict(info)
    assert (verdict.vendor, verdict.device_class, verdict.model) == (vendor, cls, model)


@pytest.mark.parametrize("hostname, vendor, cls", [
    (b"SEP001BD4AABBCC", "Cisco", "hard_phone"), (b"ATA001BD4AABBCC", "Cisco", "gateway"),
    (b"Yealink-T46", "Yealink", "hard_phone"), (b"SIP-T46S", "Yealink", "hard_phone"),
    (b"snomD785", "Snom", "hard_phone"), (b"GXP2170", "Grandstream", "hard_phone"),
    (b"laptop-42", None, None), (b"android-3f2a9c", None, None),
])
def test_hostname_rules(hostname, vendor, cls):
    info = parse_dhcp(discover("00:11:22:33:44:55", ("hostname", hostname)))
    assert classify_dhcp(info)[:2] == (vendor, cls)


def test_sep_hostname_carrying_its_own_mac():
    info = parse_dhcp(discover("00:1b:d4:aa:bb:cc", ("hostname", b"SEP001BD4AABBCC")))
    assert "carries its own MAC" in classify_dhcp(info)[2][0]


def test_vendor_class_beats_hostname_and_prl():
    info = parse_dhcp(discover("00:11:22:33:44:55", ("vendor_class_id", b"yealink"), ("hostname", b"SEP001BD4AABBCC"),
                               ("param_req_list", CISCO_PRL)))
    assert classify_dhcp(info)[0] == "Yealink"


def test_option_55_heuristics():
    cisco = parse_dhcp(discover("00:11:22:33:44:55", ("param_req_list", CISCO_PRL)))
    vendor, cls, evidence = classify_dhcp(cisco)
    assert (vendor, cls) == ("Cisco", "hard_phone") and "heuristic" in evidence[0]
    avaya = parse_dhcp(discover("00:11:22:33:44:55", ("param_req_list", [1, 3, 6, 15, 242])))
    assert classify_dhcp(avaya)[:2] == ("Avaya", "hard_phone")
    windows = parse_dhcp(discover("00:11:22:33:44:55", ("vendor_class_id", b"MSFT 5.0"),
                                  ("param_req_list", [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252])))
    assert classify_dhcp(windows) == (None, None, [])


def test_server_replies_do_not_describe_the_client():
    reply = parse_dhcp(dhcp_payload("00:11:22:33:44:55", [("message-type", "ack"), ("vendor_class_id", b"yealink")],
                                    op=2, yiaddr="10.0.0.42"))
    assert reply.op == 2 and reply.message_type == 5 and reply.your_ip == "10.0.0.42"
    assert classify_dhcp(reply) == (None, None, [])


def test_requested_address_and_ciaddr():
    info = parse_dhcp(dhcp_payload("00:11:22:33:44:55", [("message-type", "request"), ("requested_addr", "10.0.0.7")]))
    assert info.client_ip == "10.0.0.7" and info.message_type == 3
    renew = parse_dhcp(dhcp_payload("00:11:22:33:44:55", [("message-type", "request")], ciaddr="10.0.0.9"))
    assert renew.client_ip == "10.0.0.9"


def test_options_overloaded_into_the_file_field():
    hostname = b"SEP001BD4AABBCC"
    payload = dhcp_payload("00:1b:d4:aa:bb:cc", [("message-type", "discover"), ("dhcp-option-overload", 1)],
                           file=b"\x0c" + bytes([len(hostname)]) + hostname + b"\xff")
    assert parse_dhcp(payload).hostname == "SEP001BD4AABBCC"


def test_user_class_plain_text():
    info = parse_dhcp(discover("00:11:22:33:44:55", ("user_class", b"VoIP phones")))
    assert info.user_class == "VoIP phones"


def test_truncated_and_foreign_input():
    payload = discover("00:1b:d4:aa:bb:cc", ("vendor_class_id", b"Cisco Systems, Inc. IP Phone CP-7965G"),
                       ("hostname", b"SEP001BD4AABBCC"))
    cut = parse_dhcp(payload[:250])
    assert cut is not None and cut.truncated and cut.mac == "00:1b:d4:aa:bb:cc"
    assert parse_dhcp(payload[:239]) is None
    assert parse_dhcp(b"\x00" * 300) is None
    assert parse_dhcp(b"") is None
    assert parse_dhcp(b"\x03" + payload[1:]) is None          # op must be 1 or 2
    for end in range(len(payload) + 1):
        parse_dhcp(payload[:end])


VALID = [discover("00:1b:d4:aa:bb:cc", ("vendor_class_id", b"Polycom-VVX310"), ("hostname", b"SEP001BD4AABBCC"),
                  ("param_req_list", CISCO_PRL), ("user_class", b"\x05voice"), ("dhcp-option-overload", 3))]


FLIPS = st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), max_size=8)   # (position, new byte)
CUTS = st.integers(0, 4095)                                                          # where the capture ends


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=700))
def test_random_bytes_never_raise(data):
    info = parse_dhcp(data)
    classify_dhcp(info)
    parse_dhcp(VALID[0][:240] + data)


@settings(max_examples=500, deadline=None)
@given(FLIPS, CUTS)
def test_mutated_messages_never_raise(flips, cut):
    frame = bytearray(VALID[0])
    for pos, value in flips:
        frame[pos % len(frame)] = value
    classify_dhcp(parse_dhcp(bytes(frame[:cut % (len(frame) + 1)])))
