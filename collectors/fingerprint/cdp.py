"""CDP (Cisco Discovery Protocol): 802.3 frames to 01:00:0c:cc:cc:cc, LLC/SNAP AA-AA-03 00-00-0C 0x2000.

Cisco phones (and Poly, Yealink and others when enabled) announce device ID (SEP<MAC> on Cisco phones),
platform ("Cisco IP Phone 7965"), software version, capabilities (0x80 = phone), native VLAN and the voice
VLAN. Parsed by hand from bytes; the checksum is not verified (a mirror port does not corrupt frames, and
a bad checksum would only cost a fingerprint). `parse_cdp` takes the CDP PDU (version byte onward),
`parse_cdp_frame` a whole Ethernet frame. Both return None for anything else and never raise.
"""
from __future__ import annotations

import re
import socket
import struct
from dataclasses import dataclass, replace

from .lldp import ethernet_payload
from .phone_vendors import HARD_PHONE, canonical_vendor

CDP_DST = b"\x01\x00\x0c\xcc\xcc\xcc"
SNAP_CDP = b"\xaa\xaa\x03\x00\x00\x0c\x20\x00"
HEADER = struct.Struct("!BBH")        # version, ttl, checksum
TLV = struct.Struct("!HH")            # type, length (including these 4 bytes)
ADDR_COUNT = struct.Struct("!I")
ADDR_LEN = struct.Struct("!H")
MAX_8023_LENGTH = 1500

T_DEVICE_ID, T_ADDRESSES, T_PORT_ID, T_CAPABILITIES, T_SOFTWARE, T_PLATFORM = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
T_NATIVE_VLAN, T_VOICE_VLAN_REPLY, T_VOICE_VLAN_QUERY, T_SYSTEM_NAME, T_MGMT_ADDRESSES = 0x0A, 0x0E, 0x0F, 0x14, 0x16
TEXT_TLVS = {T_DEVICE_ID: "device_id", T_PORT_ID: "port_id", T_SOFTWARE: "software_version",
             T_PLATFORM: "platform", T_SYSTEM_NAME: "system_name"}

CAP_ROUTER, CAP_BRIDGE, CAP_SWITCH, CAP_HOST, CAP_PHONE = 0x01, 0x02, 0x08, 0x10, 0x80
NETWORK_CAPS = CAP_ROUTER | CAP_BRIDGE | CAP_SWITCH
IPV4_PROTO = (1, b"\xcc")
IPV6_PROTO = (2, b"\xaa\xaa\x03\x00\x00\x00\x86\xdd")
MAX_TEXT = 255
MAX_ADDRESSES = 8
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")
_PHONE_PLATFORM = re.compile(r"\bphone\b", re.I)


@dataclass(frozen=True, slots=True)
class CdpInfo:
    version: int
    ttl: int
    device_id: str | None = None
    addresses: tuple[str, ...] = ()
    port_id: str | None = None
    capabilities: int | None = None     # 0x80 = phone, 0x08 switch, 0x01 router, 0x10 host
    software_version: str | None = None
    platform: str | None = None
    native_vlan: int | None = None
    voice_vlan: int | None = None       # VoIP VLAN Reply (a switch telling phones their VLAN)
    voice_vlan_query: bool = False      # VoIP VLAN Query (sent by phones asking for it)
    system_name: str | None = None
    src_mac: str | None = None          # filled by parse_cdp_frame
    truncated: bool = False


def parse_cdp_frame(frame: bytes) -> CdpInfo | None:
    frame = bytes(frame)
    if frame[:6] != CDP_DST:
        return None
    head = ethernet_payload(frame)
    if head is None or head[1] > MAX_8023_LENGTH or frame[head[2]:head[2] + len(SNAP_CDP)] != SNAP_CDP:
        return None
    info = parse_cdp(frame[head[2] + len(SNAP_CDP):])
    return None if info is None else replace(info, src_mac=head[0])


def parse_cdp(payload: bytes) -> CdpInfo | None:
    """Decode a CDP PDU (version 1 or 2); None unless its header and first TLV are sound."""
    data = bytes(payload)
    if len(data) < HEADER.size + TLV.size:
        return None
    version, ttl, _ = HEADER.unpack_from(data)
    if version not in (1, 2):
        return None
    fields: dict = {}
    off = HEADER.size
    while off + TLV.size <= len(data):
        kind, length = TLV.unpack_from(data, off)
        if length < TLV.size:
            if off == HEADER.size:
                return None
            break
        value = data[off + TLV.size:off + length]
        if len(value) < length - TLV.size:
            fields["truncated"] = True
            break
        _tlv(kind, value, fields)
        off += length
    if off == HEADER.size:
        return None
    return CdpInfo(version=version, ttl=ttl, **fields)


def _tlv(kind: int, value: bytes, fields: dict) -> None:
    if kind in TEXT_TLVS:
        fields[TEXT_TLVS[kind]] = _text(value)
    elif kind == T_CAPABILITIES and len(value) >= 4:
        fields["capabilities"] = int.from_bytes(value[:4], "big")
    elif kind == T_NATIVE_VLAN and len(value) >= 2:
        fields["native_vlan"] = int.from_bytes(value[:2], "big")
    elif kind == T_VOICE_VLAN_REPLY and len(value) >= 3:
        fields["voice_vlan"] = int.from_bytes(value[1:3], "big")
    elif kind == T_VOICE_VLAN_QUERY:
        fields["voice_vlan_query"] = True
    elif kind in (T_ADDRESSES, T_MGMT_ADDRESSES) and "addresses" not in fields:
        fields["addresses"] = _addresses(value)


def _addresses(value: bytes) -> tuple[str, ...]:
    """Address records: protocol type, protocol length, protocol, address length, address."""
    if len(value) < ADDR_COUNT.size:
        return ()
    (count,) = ADDR_COUNT.unpack_from(value)
    out, off = [], ADDR_COUNT.size
    for _ in range(min(count, MAX_ADDRESSES)):
        if off + 2 > len(value) or off + 2 + value[off + 1] + ADDR_LEN.size > len(value):
            break
        ptype, plen = value[off], value[off + 1]
        proto = value[off + 2:off + 2 + plen]
        (alen,) = ADDR_LEN.unpack_from(value, off + 2 + plen)
        start = off + 2 + plen + ADDR_LEN.size
        text = _address((ptype, proto), value[start:start + alen])
        if text:
            out.append(text)
        off = start + alen
    return tuple(out)


def _address(proto: tuple[int, bytes], raw: bytes) -> str | None:
    if proto == IPV4_PROTO and len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw)
    if proto == IPV6_PROTO and len(raw) == 16:
        return socket.inet_ntop(socket.AF_INET6, raw)
    return None


def _text(raw: bytes) -> str | None:
    text = _UNPRINTABLE.sub(" ", raw[:MAX_TEXT].decode("latin-1")).strip()
    return text or None


# ---- classification ---------------------------------------------------------------------------------
def is_network_device(info: CdpInfo) -> bool:
    """A router or switch (its VoIP VLAN Reply tells phones their VLAN; it is not one)."""
    caps = info.capabilities or 0
    return bool(caps & NETWORK_CAPS and not caps & CAP_PHONE)


def classify_cdp(info: CdpInfo | None) -> tuple[str | None, str | None, str | None, str | None, list[str]]:
    """(vendor, model, firmware, device_class, evidence) from one CDP announcement."""
    if info is None:
        return None, None, None, None, []
    vendor = canonical_vendor(info.platform) or canonical_vendor(info.device_id) or _sep_vendor(info)
    model = _model(info.platform, vendor)
    evidence = [f"cdp: platform {info.platform!r}"] if info.platform else []
    if info.software_version:
        evidence.append(f"cdp: software {info.software_version!r}")
    return vendor, model, info.software_version, _device_class(info, evidence), evidence


def _device_class(info: CdpInfo, evidence: list[str]) -> str | None:
    caps = info.capabilities or 0
    if caps & CAP_PHONE:
        evidence.append(f"cdp: capabilities 0x{caps:x} include phone (0x80)")
        return HARD_PHONE
    if is_network_device(info):
        evidence.append(f"cdp: capabilities 0x{caps:x} = router/switch, not a phone")
        return None
    if info.platform and _PHONE_PLATFORM.search(info.platform):
        evidence.append("cdp: platform names a phone")
        return HARD_PHONE
    if info.voice_vlan_query:
        evidence.append("cdp: asks for a voice VLAN (VoIP VLAN Query), as phones do")
        return HARD_PHONE
    return None


def _sep_vendor(info: CdpInfo) -> str | None:
    device = info.device_id or ""
    return "Cisco" if re.fullmatch(r"SEP[0-9A-Fa-f]{12}", device) else None


def _model(platform: str | None, vendor: str | None) -> str | None:
    """The platform string without a leading vendor word: 'Cisco IP Phone 7965' -> 'IP Phone 7965'."""
    if not platform:
        return None
    words = platform.split(maxsplit=1)
    if vendor and len(words) == 2 and canonical_vendor(words[0]) == vendor:
        return words[1]
    return platform
