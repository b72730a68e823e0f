"""LLDP (IEEE 802.1AB, Ethernet type 0x88CC) with the LLDP-MED extensions (ANSI/TIA-1057, OUI 00-12-BB).

An IP phone announces itself here whatever it does with SIP: the "telephone" system capability, an
LLDP-MED endpoint class, the voice network policy it uses, and an inventory (manufacturer, model,
firmware). Parsed by hand from bytes; `parse_lldp` takes what follows the Ethernet type, `parse_lldp_frame`
a whole Ethernet frame (802.1Q/802.1ad tags allowed). Both return None for anything else and never raise.
"""
from __future__ import annotations

import re
import socket
import struct
from dataclasses import dataclass, replace

from .phone_vendors import HARD_PHONE, canonical_vendor

ETH = struct.Struct("!6s6sH")
TAG = struct.Struct("!HH")
TLV = struct.Struct("!H")
ETHERTYPE_LLDP = 0x88CC
VLAN_TAGS = (0x8100, 0x88A8, 0x9100)
MAX_TAGS = 2

TLV_END, TLV_CHASSIS, TLV_PORT, TLV_TTL, TLV_PORT_DESC = 0, 1, 2, 3, 4
TLV_SYS_NAME, TLV_SYS_DESC, TLV_CAPS, TLV_MGMT, TLV_ORG = 5, 6, 7, 8, 127
OUI_MED = b"\x00\x12\xbb"
MED_CAPS, MED_POLICY = 1, 2
MED_TEXT = {5: "hardware_revision", 6: "firmware_revision", 7: "software_revision", 8: "serial_number",
            9: "manufacturer", 10: "model", 11: "asset_id"}
TEXT_TLVS = {TLV_PORT_DESC: "port_description", TLV_SYS_NAME: "system_name", TLV_SYS_DESC: "system_description"}

CAP_BRIDGE, CAP_WLAN_AP, CAP_ROUTER, CAP_TELEPHONE = 0x0004, 0x0008, 0x0010, 0x0020
NETWORK_CAPS = CAP_BRIDGE | CAP_WLAN_AP | CAP_ROUTER
MED_CLASS_NAMES = {1: "endpoint class I (generic)", 2: "endpoint class II (media)",
                   3: "endpoint class III (communication device)", 4: "network connectivity device"}
APP_VOICE = 1
MAX_TEXT = 255
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    app_type: int          # 1 voice, 2 voice signalling, 3 guest voice, 5 softphone voice, 6 video conf...
    unknown: bool          # the device does not know its policy yet
    tagged: bool
    vlan_id: int
    priority: int          # 802.1p
    dscp: int


@dataclass(frozen=True, slots=True)
class LldpInfo:
    chassis_id: str | None = None
    chassis_subtype: int | None = None
    port_id: str | None = None
    port_subtype: int | None = None
    ttl: int | None = None
    port_description: str | None = None
    system_name: str | None = None
    system_description: str | None = None
    capabilities: int | None = None           # system capabilities supported (bit 0x0020 = telephone)
    enabled_capabilities: int | None = None
    management_ip: str | None = None
    med_capabilities: int | None = None
    med_device_type: int | None = None        # 1-3 endpoint classes I-III, 4 network connectivity
    network_policies: tuple[NetworkPolicy, ...] = ()
    hardware_revision: str | None = None
    firmware_revision: str | None = None
    software_revision: str | None = None
    serial_number: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    asset_id: str | None = None
    src_mac: str | None = None                # filled by parse_lldp_frame
    truncated: bool = False

    @property
    def voice_policy(self) -> NetworkPolicy | None:
        return next((p for p in self.network_policies if p.app_type == APP_VOICE), None)


def ethernet_payload(frame: bytes) -> tuple[str, int, int] | None:
    """(source MAC text, Ethernet type or 802.3 length, payload offset) past up to two VLAN tags."""
    if len(frame) < ETH.size:
        return None
    _, src, kind = ETH.unpack_from(frame)
    off = ETH.size
    for _ in range(MAX_TAGS):
        if kind not in VLAN_TAGS or off + TAG.size > len(frame):
            break
        kind = TAG.unpack_from(frame, off)[1]
        off += TAG.size
    return ":".join(f"{b:02x}" for b in src), kind, off


def parse_lldp_frame(frame: bytes) -> LldpInfo | None:
    frame = bytes(frame)
    head = ethernet_payload(frame)
    if head is None or head[1] != ETHERTYPE_LLDP:
        return None
    info = parse_lldp(frame[head[2]:])
    return None if info is None else replace(info, src_mac=head[0])


def parse_lldp(payload: bytes) -> LldpInfo | None:
    """Decode an LLDPDU (the bytes after Ethernet type 0x88CC); None unless it starts with a whole
    Chassis ID TLV. Later TLVs cut short end the walk with `truncated=True`."""
    data = bytes(payload)
    fields: dict = {}
    policies: list[NetworkPolicy] = []
    off = 0
    while off + TLV.size <= len(data):
        (head,) = TLV.unpack_from(data, off)
        kind, length = head >> 9, head & 0x1FF
        value = data[off + 2:off + 2 + length]
        if off == 0 and (kind != TLV_CHASSIS or length < 2 or len(value) < length):
            return None
        if kind == TLV_END:
            break
        if len(value) < length:
            fields["truncated"] = True
            break
        _tlv(kind, value, fields, policies)
        off += 2 + length
    else:
        fields["truncated"] = True
    return LldpInfo(network_policies=tuple(policies), **fields) if off else None


def _tlv(kind: int, value: bytes, fields: dict, policies: list) -> None:
    if kind in (TLV_CHASSIS, TLV_PORT) and value:
        name = "chassis" if kind == TLV_CHASSIS else "port"
        fields[f"{name}_subtype"], fields[f"{name}_id"] = value[0], _ident(kind, value[0], value[1:])
    elif kind == TLV_TTL and len(value) >= 2:
        fields["ttl"] = int.from_bytes(value[:2], "big")
    elif kind in TEXT_TLVS:
        fields[TEXT_TLVS[kind]] = _text(value)
    elif kind == TLV_CAPS and len(value) >= 4:
        fields["capabilities"] = int.from_bytes(value[:2], "big")
        fields["enabled_capabilities"] = int.from_bytes(value[2:4], "big")
    elif kind == TLV_MGMT and "management_ip" not in fields:
        fields["management_ip"] = _mgmt_ip(value)
    elif kind == TLV_ORG and value[:3] == OUI_MED and len(value) >= 4:
        _med(value[3], value[4:], fields, policies)


def _med(subtype: int, data: bytes, fields: dict, policies: list) -> None:
    if subtype == MED_CAPS and len(data) >= 3:
        fields["med_capabilities"] = int.from_bytes(data[:2], "big")
        fields["med_device_type"] = data[2]
    elif subtype == MED_POLICY and len(data) >= 4:
        bits = int.from_bytes(data[1:4], "big")
        policies.append(NetworkPolicy(app_type=data[0], unknown=bool(bits >> 23 & 1), tagged=bool(bits >> 22 & 1),
                                      vlan_id=bits >> 9 & 0xFFF, priority=bits >> 6 & 0x7, dscp=bits & 0x3F))
    elif subtype in MED_TEXT:
        fields[MED_TEXT[subtype]] = _text(data)


def _ident(kind: int, subtype: int, raw: bytes) -> str | None:
    """Chassis/port ID: MAC (chassis 4, port 3), network address (chassis 5, port 4), else text."""
    if len(raw) == 6 and (kind, subtype) in ((TLV_CHASSIS, 4), (TLV_PORT, 3)):
        return ":".join(f"{b:02x}" for b in raw)
    if (kind, subtype) in ((TLV_CHASSIS, 5), (TLV_PORT, 4)):
        return _address(raw[:1], raw[1:])
    return _text(raw) or (raw.hex() if raw else None)


def _mgmt_ip(value: bytes) -> str | None:
    if not value or value[0] < 2 or len(value) < 1 + value[0]:
        return None
    return _address(value[1:2], value[2:1 + value[0]])


def _address(family: bytes, raw: bytes) -> str | None:
    """IANA address family 1 (IPv4) or 2 (IPv6) to text."""
    if family == b"\x01" and len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw)
    if family == b"\x02" and len(raw) == 16:
        return socket.inet_ntop(socket.AF_INET6, raw)
    return None


def _text(raw: bytes) -> str | None:
    text = _UNPRINTABLE.sub(" ", raw[:MAX_TEXT].decode("latin-1")).strip()
    return text or None


# ---- classification ---------------------------------------------------------------------------------
def is_network_device(info: LldpInfo) -> bool:
    """A switch, router or access point (whose voice policy is offered to phones, not used by it)."""
    caps = _caps(info)
    return info.med_device_type == 4 or bool(caps & NETWORK_CAPS and not caps & CAP_TELEPHONE)


def classify_lldp(info: LldpInfo | None) -> tuple[str | None, str | None, str | None, str | None, list[str]]:
    """(vendor, model, firmware, device_class, evidence) from one LLDP announcement."""
    if info is None:
        return None, None, None, None, []
    vendor = canonical_vendor(info.manufacturer) or info.manufacturer or _vendor_in_description(info)
    firmware = info.software_revision or info.firmware_revision
    evidence = _inventory_evidence(info, firmware)
    device_class = _device_class(info, evidence)
    return vendor, info.model, firmware, device_class, evidence


def _vendor_in_description(info: LldpInfo) -> str | None:
    return canonical_vendor(info.system_description) or canonical_vendor(info.system_name)


def _inventory_evidence(info: LldpInfo, firmware: str | None) -> list[str]:
    parts = [p for p in (info.manufacturer, info.model) if p]
    if firmware:
        parts.append(f"firmware {firmware}")
    out = [f"lldp-med: inventory {' '.join(parts)}"] if parts else []
    if info.system_description:
        out.append(f"lldp: system description {info.system_description!r}")
    return out


def _device_class(info: LldpInfo, evidence: list[str]) -> str | None:
    caps, voice = _caps(info), info.voice_policy
    if caps & CAP_TELEPHONE:
        state = "enabled" if (info.enabled_capabilities or 0) & CAP_TELEPHONE else "supported"
        evidence.append(f"lldp: system capabilities include telephone ({state})")
        return HARD_PHONE
    if info.med_device_type == 3:
        evidence.append(f"lldp-med: {MED_CLASS_NAMES[3]}")
        return HARD_PHONE
    if is_network_device(info):
        evidence.append("lldp: network device (switch, router or access point), not a phone")
        return None
    if voice is not None and info.med_device_type in (1, 2, None):
        evidence.append(f"lldp-med: uses a voice network policy ({describe_policy(voice)})")
        return HARD_PHONE
    return None


def describe_policy(policy: NetworkPolicy) -> str:
    tagging = "tagged" if policy.tagged else "untagged"
    return f"VLAN {policy.vlan_id} {tagging}, priority {policy.priority}, DSCP {policy.dscp}"


def _caps(info: LldpInfo) -> int:
    """Enabled capabilities when announced, else the supported ones."""
    return info.enabled_capabilities or info.capabilities or 0
