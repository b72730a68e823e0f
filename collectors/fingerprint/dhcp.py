"""DHCP (BOOTP) messages on UDP 67/68: who the client says it is, and whether that is an IP phone.

Parsed by hand from bytes (scapy's DHCP layer is far too slow for the packet path). `parse_dhcp` takes the
UDP payload and returns a `DhcpInfo`, or None for anything that is not a BOOTP message with the DHCP magic
cookie. Options cut short by the end of the capture keep what came before and set `truncated`; nothing
raises.
"""
from __future__ import annotations

import re
import socket
import struct
from dataclasses import dataclass
from functools import lru_cache

from .phone_vendors import GATEWAY, HARD_PHONE

BOOTP = struct.Struct("!BBBB4sHH4s4s4s4s16s")     # op htype hlen hops xid secs flags ciaddr yiaddr siaddr giaddr chaddr
SNAME_AT, FILE_AT, COOKIE_AT, OPTIONS_AT = 44, 108, 236, 240
MAGIC_COOKIE = b"\x63\x82\x53\x63"
PAD, END = 0, 255
OPT_HOSTNAME, OPT_VENDOR_SPECIFIC, OPT_REQUESTED_IP, OPT_OVERLOAD = 12, 43, 50, 52
OPT_MESSAGE_TYPE, OPT_PARAMS, OPT_VENDOR_CLASS, OPT_USER_CLASS = 53, 55, 60, 77
MAX_TEXT = 255
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")


@dataclass(frozen=True, slots=True)
class DhcpInfo:
    op: int                              # 1 request (client), 2 reply (server)
    mac: str | None                      # chaddr as 'aa:bb:..' when htype is Ethernet with 6 bytes
    message_type: int | None             # option 53: 1 DISCOVER, 3 REQUEST, 5 ACK, 8 INFORM...
    vendor_class: str | None             # option 60, unprintable bytes turned into spaces
    hostname: str | None                 # option 12
    param_request_list: tuple[int, ...]  # option 55, in the client's order
    user_class: str | None               # option 77 (RFC 3004 items joined by ',', or the raw text)
    vendor_specific: bool                # option 43 present
    client_ip: str | None                # ciaddr, or option 50 (requested address)
    your_ip: str | None                  # yiaddr (the address a reply hands out)
    truncated: bool = False              # options stopped before their END


def parse_dhcp(payload: bytes) -> DhcpInfo | None:
    """Decode a BOOTP/DHCP message from a UDP payload; None when it is not one."""
    data = bytes(payload)
    if len(data) < OPTIONS_AT or data[COOKIE_AT:OPTIONS_AT] != MAGIC_COOKIE:
        return None
    op, htype, hlen, _, _, _, _, ciaddr, yiaddr, _, _, chaddr = BOOTP.unpack_from(data)
    if op not in (1, 2):
        return None
    options, truncated = _options(data)
    client = _ip(ciaddr) or (_ip(options[OPT_REQUESTED_IP]) if OPT_REQUESTED_IP in options else None)
    return DhcpInfo(
        op=op, mac=_mac(htype, hlen, chaddr), message_type=_first_byte(options.get(OPT_MESSAGE_TYPE)),
        vendor_class=_text(options.get(OPT_VENDOR_CLASS)), hostname=_text(options.get(OPT_HOSTNAME)),
        param_request_list=tuple(options.get(OPT_PARAMS, b"")), user_class=_user_class(options.get(OPT_USER_CLASS)),
        vendor_specific=OPT_VENDOR_SPECIFIC in options, client_ip=client, your_ip=_ip(yiaddr), truncated=truncated)


def _options(data: bytes) -> tuple[dict[int, bytes], bool]:
    """Options from the options field, then from `file`/`sname` when option 52 says they overflow there."""
    options: dict[int, bytes] = {}
    truncated = _walk(data, OPTIONS_AT, len(data), options)
    overload = _first_byte(options.get(OPT_OVERLOAD)) or 0
    if overload & 1:
        _walk(data, FILE_AT, COOKIE_AT, options)
    if overload & 2:
        _walk(data, SNAME_AT, FILE_AT, options)
    return options, truncated


def _walk(data: bytes, off: int, end: int, options: dict[int, bytes]) -> bool:
    """Collect code -> value (repeated codes concatenate, RFC 3396); True when cut short."""
    while off < end:
        code = data[off]
        if code == END:
            return False
        if code == PAD:
            off += 1
            continue
        if off + 2 > end or off + 2 + data[off + 1] > end:
            return True
        value = data[off + 2:off + 2 + data[off + 1]]
        options[code] = options.get(code, b"") + value
        off += 2 + data[off + 1]
    return True


def _mac(htype: int, hlen: int, chaddr: bytes) -> str | None:
    if htype != 1 or hlen != 6 or not any(chaddr[:6]):
        return None
    return ":".join(f"{b:02x}" for b in chaddr[:6])


def _ip(raw: bytes) -> str | None:
    return socket.inet_ntoa(raw) if len(raw) == 4 and any(raw) else None


def _first_byte(raw: bytes | None) -> int | None:
    return raw[0] if raw else None


def _text(raw: bytes | None) -> str | None:
    """Printable text: runs of unprintable bytes (RFC 3925 enterprise numbers, lengths) become one space."""
    if not raw:
        return None
    text = _UNPRINTABLE.sub(" ", raw[:MAX_TEXT].decode("latin-1")).strip()
    return text or None


def _user_class(raw: bytes | None) -> str | None:
    """RFC 3004 length-prefixed items when they tile the value exactly; else the value as text."""
    if not raw:
        return None
    items, off = [], 0
    while off < len(raw) and raw[off] and off + 1 + raw[off] <= len(raw):
        items.append(raw[off + 1:off + 1 + raw[off]])
        off += 1 + raw[off]
    if off == len(raw) and items and all(_text(i) == i.decode("latin-1") for i in items):
        return ",".join(i.decode("latin-1") for i in items)
    return _text(raw)


# ---- classification ---------------------------------------------------------------------------------
# (regex on option 60, vendor, device class). Named group `model` is the model when the string has one.
# Sources: vendors' provisioning guides and DHCP-taxonomy tables of observed clients; the strings vary by
# firmware and most phones let an administrator change them, so these are strong hints, not proof.
VENDOR_CLASS_RULES: tuple[tuple[str, str, str], ...] = (
    (r"cisco systems,? inc\.? ip phone\s+(?P<model>\S+)", "Cisco", HARD_PHONE),
    (r"^cisco\s+(?P<model>spa-?[12]\d\d\w*)", "Cisco", GATEWAY),            # SPA1xx/2xx: ATAs
    (r"^cisco\s+(?P<model>spa-?\d{3}\w*)", "Cisco", HARD_PHONE),
    (r"^cisco\s+(?P<model>ata\s?\d{3}\w*)", "Cisco", GATEWAY),
    (r"^(?P<model>ata\d{3})\b", "Cisco", GATEWAY),                           # "ATA186-H6.0|V3.2.0|..."
    (r"^linksys\s+(?P<model>spa-?[12]\d\d\w*)", "Linksys", GATEWAY),
    (r"^linksys\s+(?P<model>spa-?\d{3}\w*)", "Linksys", HARD_PHONE),
    (r"polycom.*?(?P<model>(?:spip|ssip|vvx|trio|ccx|edge)[-_ ]?\w+)", "Poly", HARD_PHONE),
    (r"polycom", "Poly", HARD_PHONE),
    (r"yealink(?:[-_ ]+(?P<model>(?:sip-)?[a-z]{1,3}\d{2,3}\w*))?", "Yealink", HARD_PHONE),
    (r"grandstream\s+(?P<model>(?:ht|gxw)\w+)", "Grandstream", GATEWAY),
    (r"grandstream(?:\s+(?P<model>\w+))?", "Grandstream", HARD_PHONE),
    (r"^(?P<model>ht\d\w*)\s+dslforum\.org", "Grandstream", GATEWAY),        # ATAs omit the vendor word
    (r"^(?P<model>(?:gxp|grp|gxv|dp|wp)\w+)\s+dslforum\.org", "Grandstream", HARD_PHONE),
    (r"snom[-_ ]?(?P<model>[a-z]{0,2}\d+\w*)?", "Snom", HARD_PHONE),
    (r"aastra\s*(?:ip\s*phone)?\s*(?P<model>\d+\w*)?", "Mitel", HARD_PHONE),
    (r"mitel\s*(?:ip\s*phone)?\s*(?P<model>\d{4}\w*)?", "Mitel", HARD_PHONE),
    (r"ccp\.avaya\.com|avaya", "Avaya", HARD_PHONE),
    (r"optiipphone", "Unify", HARD_PHONE),                                   # OpenStage/optiPoint, DLS
    (r"alcatel\.noe|ictouch|aledevice", "Alcatel-Lucent Enterprise", HARD_PHONE),
    (r"panasonic.*?(?P<model>kx-\w+)|^(?P<model2>kx-\w+)", "Panasonic", HARD_PHONE),
    (r"fanvil", "Fanvil", HARD_PHONE),
    (r"\bhtek\b", "Htek", HARD_PHONE),
    (r"gigaset", "Gigaset", HARD_PHONE),
    (r"obihai|^(?P<model>obi\d+)", "Obihai", GATEWAY),
    (r"spectralink", "Spectralink", HARD_PHONE),
    (r"akuvox", "Akuvox", HARD_PHONE),
    (r"escene", "Escene", HARD_PHONE),
    (r"^audc\b.*?phone|audiocodes.*?phone", "AudioCodes", HARD_PHONE),
    (r"^(?P<model>necdt\d+)", "NEC", HARD_PHONE),
)

# (regex on option 12, vendor, device class). Cisco phones default to SEP + their MAC, ATAs to ATA + MAC.
HOSTNAME_RULES: tuple[tuple[str, str, str], ...] = (
    (r"^sep[0-9a-f]{12}$", "Cisco", HARD_PHONE),
    (r"^ata[0-9a-f]{12}$", "Cisco", GATEWAY),
    (r"^yealink[-_ ]?(?P<model>(?:sip-)?[a-z]{0,3}\d{2,3}\w*)?", "Yealink", HARD_PHONE),
    (r"^(?P<model>sip-t\d{2}\w*)", "Yealink", HARD_PHONE),
    (r"^polycom", "Poly", HARD_PHONE),
    (r"^snom(?P<model>[a-z]?\d{3}\w*)?", "Snom", HARD_PHONE),
    (r"^(?P<model>(?:gxp|grp|gxv)\d{3,4}\w*)$", "Grandstream", HARD_PHONE),
    (r"^(?P<model>ht8\d\d)$", "Grandstream", GATEWAY),
    (r"^avaya", "Avaya", HARD_PHONE),
    (r"^(?:aastra|mitel)", "Mitel", HARD_PHONE),
    (r"^fanvil", "Fanvil", HARD_PHONE),
    (r"^htek", "Htek", HARD_PHONE),
)

# HEURISTIC: option-55 orderings. Only the Cisco 79xx/69xx ordering below appears the same in several
# public fingerprint collections; the table is deliberately small, and an ordering changes with firmware.
PRL_FINGERPRINTS: dict[tuple[int, ...], tuple[str, str]] = {
    (1, 66, 6, 3, 15, 150, 35): ("Cisco", HARD_PHONE),
}
# HEURISTIC: site-specific options only one vendor's phones ask for (Avaya 46xx/96xx: 176 and 242).
PRL_TELLTALES: dict[int, tuple[str, str]] = {242: ("Avaya", HARD_PHONE), 176: ("Avaya", HARD_PHONE)}


@lru_cache(maxsize=2)
def _compiled(rules: tuple[tuple[str, str, str], ...]) -> tuple[tuple[re.Pattern, str, str], ...]:
    """A rule table compiled on its first use, not at import (most captures carry no DHCP client)."""
    return tuple((re.compile(p, re.I), v, c) for p, v, c in rules)


@dataclass(frozen=True, slots=True)
class DhcpVerdict:
    vendor: str | None
    model: str | None
    device_class: str | None
    evidence: tuple[str, ...]


def classify_dhcp(info: DhcpInfo | None) -> tuple[str | None, str | None, list[str]]:
    """(vendor, device_class, evidence): vendor class (60) > host name (12) > parameter list (55)."""
    verdict = dhcp_verdict(info)
    return verdict.vendor, verdict.device_class, list(verdict.evidence)


def dhcp_verdict(info: DhcpInfo | None) -> DhcpVerdict:
    """Same decision as `classify_dhcp`, with the model when option 60 or 12 names one. Only client
    messages count: a server's reply carries the server's own vendor class."""
    if info is None or info.op != 1:
        return DhcpVerdict(None, None, None, ())
    for verdict in (_by_vendor_class(info), _by_hostname(info), _by_prl(info)):
        if verdict is not None:
            return verdict
    return DhcpVerdict(None, None, None, ())


def _by_vendor_class(info: DhcpInfo) -> DhcpVerdict | None:
    hit = _match(VENDOR_CLASS_RULES, info.vendor_class)
    if hit is None:
        return None
    vendor, cls, model = hit
    return DhcpVerdict(vendor, model, cls, (f"dhcp: vendor class {info.vendor_class!r} = {vendor} {_word(cls)}",))


def _by_hostname(info: DhcpInfo) -> DhcpVerdict | None:
    hit = _match(HOSTNAME_RULES, info.hostname)
    if hit is None:
        return None
    vendor, cls, model = hit
    note = f"dhcp: host name {info.hostname!r} = {vendor} {_word(cls)}"
    if vendor == "Cisco" and info.mac and info.hostname[3:].lower() == info.mac.replace(":", ""):
        note += " (name carries its own MAC)"
    return DhcpVerdict(vendor, model, cls, (note,))


def _by_prl(info: DhcpInfo) -> DhcpVerdict | None:
    prl = info.param_request_list
    listed = ",".join(map(str, prl))
    if prl in PRL_FINGERPRINTS:
        vendor, cls = PRL_FINGERPRINTS[prl]
        return DhcpVerdict(vendor, None, cls, (f"dhcp: option 55 [{listed}] matches {vendor} {_word(cls)} "
                                               "(heuristic fingerprint)",))
    for option in prl:
        if option in PRL_TELLTALES:
            vendor, cls = PRL_TELLTALES[option]
            return DhcpVerdict(vendor, None, cls, (f"dhcp: option 55 asks for option {option}, which only "
                                                   f"{vendor} phones use (heuristic)",))
    return None


def _match(rules, text: str | None) -> tuple[str, str, str | None] | None:
    if not text:
        return None
    for pattern, vendor, cls in _compiled(rules):
        found = pattern.search(text)
        if found:
            groups = found.groupdict()
            return vendor, cls, groups.get("model") or groups.get("model2")
    return None


def _word(device_class: str) -> str:
    return "phone" if device_class == HARD_PHONE else device_class
