"""Curated table of IP-phone and VoIP-gateway vendors: data, not code.

Each row says how the vendor appears in the IEEE OUI registry (`org_patterns`, regexes checked against
netaddr's organisation names), how it names itself in User-Agent, LLDP, CDP and DHCP strings (`aliases`),
what it mostly sells (`device_class`: "hard_phone" or "gateway"; analogue telephone adapters count as
gateways, as collectors/endpoints.py already does), and whether its OUI alone is enough to call a device
that class (`oui_decides`: True only for vendors whose registered blocks hold little but phones; False for
Cisco, HP, Panasonic and others that sell everything from switches to laptops).

`rejects_wildcard_certs` marks firmware known to refuse a wildcard TLS server certificate (Poly/Polycom
UC software): such phones fall back or fail when the PBX presents `*.example.com`. It matters only once a
device is known to be a phone; the weak_tls rule elsewhere reads it through `rejects_wildcard_certs()`.

Several rows may share one normalised name (Mitel and the Aastra blocks it bought differ in how much an
OUI says). Rows are checked in order: put the narrower vendor first (Linksys before Cisco).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

HARD_PHONE = "hard_phone"
GATEWAY = "gateway"


@dataclass(frozen=True, slots=True)
class PhoneVendor:
    """A VoIP vendor: how its IEEE organisation and product strings read, and what it mostly ships."""
    name: str                        # normalised vendor name used across the fingerprint package
    org_patterns: tuple[str, ...]    # regexes (case-insensitive, `search`) on IEEE organisation names
    aliases: tuple[str, ...]         # regexes (case-insensitive, `search`) on product strings
    device_class: str                # HARD_PHONE or GATEWAY: what the vendor mostly ships
    oui_decides: bool                # the OUI alone is enough to call the device `device_class`
    rejects_wildcard_certs: bool = False


V = PhoneVendor
PHONE_VENDORS: tuple[PhoneVendor, ...] = (
    V("Yealink", (r"yealink",), (r"yealink",), HARD_PHONE, True),
    V("Poly", (r"^polycom\b", r"^poly$"), (r"polycom", r"^poly\b"), HARD_PHONE, True, True),
    # HP Inc. bought Poly in 2022: newer Poly phones carry HP Inc. blocks, as do laptops and printers.
    V("HP", (r"^hp inc\b",), (r"^hp\b", r"^hp inc\b"), HARD_PHONE, False, True),
    V("Linksys", (r"^cisco-linksys\b", r"^the linksys group\b"), (r"linksys", r"sipura"), HARD_PHONE, False),
    # Cisco makes everything; its phone blocks are not told apart in the registry (Cisco SPVTG and
    # Meraki are set-top boxes and Wi-Fi gear, left out on purpose).
    V("Cisco", (r"^cisco systems,? inc\b",), (r"\bcisco\b",), HARD_PHONE, False),
    V("Grandstream", (r"grandstream",), (r"grandstream",), HARD_PHONE, True),   # mostly phones; also UCM PBXs
    V("Snom", (r"^snom\b",), (r"\bsnom",), HARD_PHONE, True),
    V("Avaya", (r"^avaya\b",), (r"avaya",), HARD_PHONE, False),               # also ERS switches, IP Office
    V("Mitel", (r"^mitel\b",), (r"mitel",), HARD_PHONE, False),              # Mitel blocks: phones and PBXs
    V("Mitel", (r"^aastra\b",), (r"aastra",), HARD_PHONE, True),              # Aastra blocks: phones
    V("Panasonic", (r"^panasonic\b",), (r"panasonic",), HARD_PHONE, False),
    V("Fanvil", (r"^fanvil\b",), (r"fanvil",), HARD_PHONE, True),
    # Htek phones are made by Nanjing Hanlong Technology; the registry names the maker, not the brand.
    V("Htek", (r"^hanlong technology\b",), (r"\bhtek\b",), HARD_PHONE, True),
    # Gigaset Communications: DECT/IP bases and handsets; Gigaset Digital Technology (smartphones) left out.
    V("Gigaset", (r"^gigaset communications\b",), (r"gigaset",), HARD_PHONE, True),
    V("Alcatel-Lucent Enterprise", (r"^alcatel-lucent enterprise\b", r"^ale international\b"),
      (r"alcatel", r"^ale\b"), HARD_PHONE, False),                           # also OmniSwitch, OmniAccess
    V("Unify", (r"^unify software and solutions\b",), (r"unify", r"openstage", r"openscape", r"optipoint"),
      HARD_PHONE, True),
    V("Obihai", (r"^obihai\b",), (r"obihai", r"^obi\d"), GATEWAY, True),       # OBi2xx ATAs, few phones
    V("Spectralink", (r"^spectralink\b",), (r"spectralink",), HARD_PHONE, True),
    V("Ascom", (r"^ascom tateco\b",), (r"\bascom\b",), HARD_PHONE, True),     # Wi-Fi and DECT handsets
    V("Akuvox", (r"^akuvox\b",), (r"akuvox",), HARD_PHONE, True),             # SIP door phones, intercoms
    V("Escene", (r"\bescene\b",), (r"escene",), HARD_PHONE, True),
    V("AudioCodes", (r"audio ?codes\b", r"\ban audiocodes company\b"), (r"audiocodes", r"^audc\b"),
      GATEWAY, False),                                                      # gateways, SBCs and phones
    # Ribbon = Sonus + Genband + Edgewater (EdgeMarc SBCs); the registry still lists the old names.
    V("Ribbon", (r"^sonus networks\b", r"^edgewater networks\b"), (r"ribbon", r"sonus", r"edgemarc"), GATEWAY, True),
    V("Patton", (r"^patton electronics\b",), (r"patton",), GATEWAY, True),
    V("Mediatrix", (r"^mediatrix\b",), (r"mediatrix",), GATEWAY, True),
    V("Innovaphone", (r"^innovaphone\b",), (r"innovaphone",), HARD_PHONE, False),  # phones and PBX boxes
    V("Digium", (r"^digium\b",), (r"digium",), HARD_PHONE, False),           # phones and telephony cards
)
del V


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[PhoneVendor, tuple[re.Pattern, ...], tuple[re.Pattern, ...]], ...]:
    return tuple((v, tuple(re.compile(p, re.I) for p in v.org_patterns),
                  tuple(re.compile(p, re.I) for p in v.aliases)) for v in PHONE_VENDORS)


@lru_cache(maxsize=4096)          # a site has few organisations and products, asked about per endpoint
def vendor_for_org(org: str | None) -> PhoneVendor | None:
    """The phone-vendor row whose IEEE organisation pattern matches `org`, else None."""
    if not org:
        return None
    for vendor, orgs, _ in _compiled():
        if any(p.search(org) for p in orgs):
            return vendor
    return None


@lru_cache(maxsize=4096)
def vendor_for_text(text: str | None) -> PhoneVendor | None:
    """The phone-vendor row named in a product string (User-Agent, LLDP manufacturer, CDP platform...)."""
    if not text:
        return None
    for vendor, _, aliases in _compiled():
        if any(p.search(text) for p in aliases):
            return vendor
    return None


def canonical_vendor(text: str | None) -> str | None:
    """Normalised vendor name for a product or organisation string, or None when not a listed vendor."""
    row = vendor_for_text(text) or vendor_for_org(text)
    return row.name if row else None


def vendor_named(name: str | None) -> PhoneVendor | None:
    """The first row with this normalised name (case-insensitive)."""
    if not name:
        return None
    return next((v for v in PHONE_VENDORS if v.name.lower() == name.lower()), None)


def rejects_wildcard_certs(vendor: str | None) -> bool:
    """True when the (normalised or raw) vendor's phones refuse wildcard TLS server certificates."""
    row = vendor_named(vendor) or vendor_for_text(vendor)
    return bool(row and row.rejects_wildcard_certs)
