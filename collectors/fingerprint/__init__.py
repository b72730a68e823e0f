"""What kind of device an endpoint is, from everything a mirror port shows besides (maybe encrypted) SIP.

One `DeviceEvidence` per endpoint collects the MAC address (IEEE OUI), DHCP client messages, LLDP(-MED)
and CDP announcements, and SIP User-Agent/Server values; `describe()` merges them with a fixed precedence:

    LLDP-MED / CDP inventory  >  User-Agent / Server  >  DHCP  >  MAC OUI

Each field (vendor, model, firmware, device class) comes from the highest-ranked source that has it; model
and firmware only from a source that agrees on the vendor. The OUI decides the class alone only for
phone-only vendors (see phone_vendors.oui_decides) and only when nothing ranked higher says otherwise,
including an LLDP/CDP announcement that the device is a switch or router. Disagreeing vendors are kept in
the evidence. An endpoint seen only answering (Server header) with an unknown product is taken for a PBX,
as collectors/endpoints.py did.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from .oui import is_locally_administered, normalise_mac, oui_text, vendor_of
from .phone_vendors import HARD_PHONE, canonical_vendor, rejects_wildcard_certs, vendor_for_org
from .user_agent import PBX, classify_user_agent

if TYPE_CHECKING:
    from .cdp import CdpInfo, classify_cdp, parse_cdp
    from .dhcp import DhcpInfo, classify_dhcp, dhcp_verdict
    from .lldp import LldpInfo, NetworkPolicy, classify_lldp, parse_lldp

__all__ = [
    "CdpInfo",
    "DeviceEvidence",
    "DhcpInfo",
    "LldpInfo",
    "NetworkPolicy",
    "classify_cdp",
    "classify_dhcp",
    "classify_lldp",
    "classify_user_agent",
    "parse_cdp",
    "parse_cdp_frame",
    "parse_dhcp",
    "parse_lldp",
    "parse_lldp_frame",
    "rejects_wildcard_certs",
    "vendor_of",
]

# The LLDP, CDP and DHCP modules (half of this package's import time) load with the first such frame or
# endpoint that has one: most captures hold none, and a small `appliance analyze` should not pay for them.
LAZY = {"CdpInfo": "cdp", "classify_cdp": "cdp", "parse_cdp": "cdp",
        "DhcpInfo": "dhcp", "classify_dhcp": "dhcp", "dhcp_verdict": "dhcp",
        "LldpInfo": "lldp", "NetworkPolicy": "lldp", "classify_lldp": "lldp", "parse_lldp": "lldp"}


def __getattr__(name: str):
    if name not in LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{LAZY[name]}"), name)


def parse_cdp_frame(frame: bytes) -> CdpInfo | None:
    """`cdp.parse_cdp_frame` (the pipeline imports this name before any frame)."""
    from .cdp import parse_cdp_frame as parse
    return parse(frame)


def parse_lldp_frame(frame: bytes) -> LldpInfo | None:
    """`lldp.parse_lldp_frame` (the pipeline imports this name before any frame)."""
    from .lldp import parse_lldp_frame as parse
    return parse(frame)


def parse_dhcp(payload: bytes) -> DhcpInfo | None:
    """`dhcp.parse_dhcp` (the pipeline imports this name before any frame)."""
    from .dhcp import parse_dhcp as parse
    return parse(payload)


RANK_L2, RANK_SIP, RANK_DHCP, RANK_OUI = 4, 3, 2, 1
PRECEDENCE = "lldp/cdp > user-agent > dhcp > oui"
MAX_AGENTS = 4


@dataclass(frozen=True, slots=True)
class Claim:
    """What one source (OUI, DHCP, LLDP, CDP, User-Agent) says a device is, with its rank in the precedence."""
    source: str
    rank: int
    vendor: str | None = None
    model: str | None = None
    firmware: str | None = None
    device_class: str | None = None
    evidence: tuple[str, ...] = ()
    not_a_phone: bool = False       # an LLDP/CDP announcement of a switch, router or access point


class DeviceEvidence:
    """Accumulates what one endpoint showed; cheap to feed, `describe()` merges on demand."""
    __slots__ = ("cdp", "dhcp", "lldp", "mac", "server_headers", "user_agents")

    def __init__(self, mac: str | bytes | None = None):
        self.mac: str | None = None
        self.dhcp: DhcpInfo | None = None
        self.lldp: LldpInfo | None = None
        self.cdp: CdpInfo | None = None
        self.user_agents: list[str] = []
        self.server_headers: list[str] = []
        self.add_mac(mac)

    def add_mac(self, mac: str | bytes | None) -> None:
        """The first valid MAC seen stays."""
        if self.mac is None:
            self.mac = normalise_mac(mac)

    def add_dhcp(self, info: DhcpInfo | None) -> None:
        """Client messages only (a server reply carries the server's vendor class); the latest wins."""
        if info is not None and info.op == 1:
            self.dhcp = info
            self.add_mac(info.mac)

    def add_lldp(self, info: LldpInfo | None) -> None:
        if info is not None:
            self.lldp = info
            self.add_mac(info.src_mac)

    def add_cdp(self, info: CdpInfo | None) -> None:
        if info is not None:
            self.cdp = info
            self.add_mac(info.src_mac)

    def add_user_agent(self, agent: str | None) -> None:
        _remember(self.user_agents, agent)

    def add_server_header(self, server: str | None) -> None:
        _remember(self.server_headers, server)

    def claims(self) -> list[Claim]:
        """Every source's reading, highest precedence first."""
        found = [_lldp_claim(self.lldp), _cdp_claim(self.cdp)]
        found += [_sip_claim(a, False) for a in self.user_agents] + [_sip_claim(s, True) for s in self.server_headers]
        found += [_dhcp_claim(self.dhcp), _oui_claim(self.mac)]
        return sorted((c for c in found if c is not None), key=lambda c: -c.rank)

    def describe(self) -> dict:
        claims = self.claims()
        vendor = next((c.vendor for c in claims if c.vendor), None)
        agreeing = [c for c in claims if c.vendor is None or _same_vendor(c.vendor, vendor)]
        evidence = [line for c in claims for line in c.evidence]
        device_class = self._device_class(claims, evidence)
        evidence += _conflicts(claims, vendor)
        return {"vendor": vendor,
                "model": next((c.model for c in agreeing if c.model), None),
                "firmware": next((c.firmware for c in agreeing if c.firmware), None),
                "device_class": device_class or "unknown",
                "evidence": list(dict.fromkeys(evidence))}

    def _device_class(self, claims: list[Claim], evidence: list[str]) -> str | None:
        for claim in claims:
            if claim.not_a_phone:
                return None
            if claim.device_class:
                return claim.device_class
        if self.server_headers and not self.user_agents:
            evidence.append("server: answers SIP as a product no rule knows, and never sent a User-Agent: "
                            "taken for a PBX")
            return PBX
        return None


def _remember(values: list[str], value: str | None) -> None:
    value = " ".join((value or "").split())[:200]
    if value and value not in values and len(values) < MAX_AGENTS:
        values.append(value)


def _lldp_claim(info: LldpInfo | None) -> Claim | None:
    if info is None:
        return None
    from . import lldp
    vendor, model, firmware, cls, evidence = lldp.classify_lldp(info)
    return Claim("lldp", RANK_L2, vendor, model, firmware, cls, tuple(evidence), lldp.is_network_device(info))


def _cdp_claim(info: CdpInfo | None) -> Claim | None:
    if info is None:
        return None
    from . import cdp
    vendor, model, firmware, cls, evidence = cdp.classify_cdp(info)
    return Claim("cdp", RANK_L2, vendor, model, firmware, cls, tuple(evidence), cdp.is_network_device(info))


def _sip_claim(value: str, server: bool) -> Claim:
    vendor, model, firmware, cls, evidence = classify_user_agent(value, server_header=server)
    return Claim("server" if server else "user-agent", RANK_SIP, vendor, model, firmware, cls, tuple(evidence))


def _dhcp_claim(info: DhcpInfo | None) -> Claim | None:
    if info is None or info.op != 1:       # dhcp_verdict's "nothing to say", without importing it
        return None
    from .dhcp import dhcp_verdict
    verdict = dhcp_verdict(info)
    if not verdict.evidence:
        return None
    return Claim("dhcp", RANK_DHCP, verdict.vendor, verdict.model, None, verdict.device_class, verdict.evidence)


def _oui_claim(mac: str | None) -> Claim | None:
    if mac is None:
        return None
    prefix = oui_text(mac)
    if is_locally_administered(mac):
        return Claim("oui", RANK_OUI, evidence=(f"mac: {mac} is locally administered (random or virtual): "
                                                "its OUI names no vendor",))
    org = vendor_of(mac)
    row = vendor_for_org(org)
    if org is None:
        return Claim("oui", RANK_OUI, evidence=(f"mac: OUI {prefix} is not in the IEEE registry copy",))
    if row is None:
        return Claim("oui", RANK_OUI, vendor=org, evidence=(f"mac: OUI {prefix} = {org}",))
    if row.oui_decides:
        kind = "phone vendor" if row.device_class == HARD_PHONE else f"{row.device_class} vendor"
        return Claim("oui", RANK_OUI, row.name, device_class=row.device_class,
                     evidence=(f"mac: OUI {prefix} = {row.name} ({kind})",))
    return Claim("oui", RANK_OUI, row.name, evidence=(
        f"mac: OUI {prefix} = {row.name} ({org}; makes phones among other things, not decisive alone)",))


def _same_vendor(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return a.lower() == b.lower() or (canonical_vendor(a) or a) == (canonical_vendor(b) or b)


def _conflicts(claims: list[Claim], chosen: str | None) -> list[str]:
    """Vendors that disagree with the chosen one. A MAC block of a non-phone maker (the laptop under a
    softphone, an OEM's phone) is not a conflict: its evidence line already says what it is."""
    others = [c for c in claims if c.vendor and not _same_vendor(c.vendor, chosen)
              and (c.source != "oui" or vendor_for_org(c.vendor) or canonical_vendor(c.vendor))]
    if not others:
        return []
    said = ", ".join(dict.fromkeys(f"{c.source} says {c.vendor}" for c in others))
    return [f"conflict: {said}; kept {chosen} ({PRECEDENCE})"]
