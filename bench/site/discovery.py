"""How a phone announces itself when it boots: a DHCP DISCOVER (vendor class, parameter request list as
the vendor's firmware sends it, host name) and an LLDP-MED frame (telephone capability, network policy
for the voice VLAN, inventory: manufacturer, model, firmware)."""
from __future__ import annotations

import struct

from .fleet import Phone

LLDP_MULTICAST = bytes.fromhex("0180c200000e")
BROADCAST = b"\xff" * 6
MED_OUI = bytes.fromhex("0012bb")


def mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


def dhcp_discover(phone: Phone) -> bytes:
    from scapy.layers.dhcp import BOOTP, DHCP
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    hostname = f"{phone.vendor.name[:3].upper()}{phone.mac.replace(':', '')[-6:].upper()}"
    options = [("message-type", "discover"), ("param_req_list", list(phone.vendor.dhcp_params)),
               ("hostname", hostname)]
    if phone.vendor.dhcp_vendor_class:
        options.insert(1, ("vendor_class_id", phone.vendor.dhcp_vendor_class))
    packet = (Ether(src=phone.mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
              / UDP(sport=68, dport=67) / BOOTP(chaddr=mac_bytes(phone.mac), xid=phone.index + 1, flags=0x8000)
              / DHCP(options=options + ["end"]))
    return bytes(packet)


def _tlv(kind: int, value: bytes) -> bytes:
    return struct.pack("!H", (kind << 9) | len(value)) + value


def _med(subtype: int, value: bytes) -> bytes:
    return _tlv(127, MED_OUI + bytes([subtype]) + value)


def _policy_bits(vlan: int) -> int:
    """LLDP-MED network policy: U T X | VLAN(12) | L2 priority(3) | DSCP(6); untagged when vlan is 0."""
    tagged = 1 if vlan else 0
    return (tagged << 22) | ((vlan & 0xFFF) << 9) | (5 << 6) | 46


def lldp_med(phone: Phone) -> bytes:
    mac = mac_bytes(phone.mac)
    tlvs = [
        _tlv(1, b"\x04" + mac),                                   # chassis id: MAC address
        _tlv(2, b"\x03" + mac),                                   # port id: MAC address
        _tlv(3, struct.pack("!H", 120)),                          # TTL
        _tlv(5, f"{phone.vendor.name}-{phone.model}".encode()),   # system name
        _tlv(6, phone.user_agent.encode()),                       # system description
        _tlv(7, struct.pack("!HH", 0x0024, 0x0024)),              # capabilities: bridge + telephone
        _med(1, struct.pack("!HB", 0x0033, 3)),                   # MED capabilities, class III endpoint
        _med(2, bytes([1]) + _policy_bits(phone.vlan).to_bytes(3, "big")),   # network policy: voice
        _med(6, phone.vendor.firmware.encode()),                  # firmware revision
        _med(9, phone.vendor.name.encode()),                      # manufacturer
        _med(10, phone.model.encode()),                           # model name
        _tlv(0, b""),
    ]
    return LLDP_MULTICAST + mac + b"\x88\xcc" + b"".join(tlvs)
