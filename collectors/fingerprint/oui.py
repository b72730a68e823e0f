"""MAC address -> IEEE organisation name, from the registry netaddr ships (offline: no network).

netaddr bundles the IEEE MA-L (OUI) and IAB registries; MA-M and MA-S sub-blocks are not in it, so a MAC
from one of those blocks reports no vendor rather than "IEEE Registration Authority".

Locally administered addresses (second-lowest bit of the first octet set: randomised "private" Wi-Fi
addresses, virtual machines, containers, some softphone hosts) carry no vendor: the registry would name
whoever owns the same bits as a global address, which is wrong, so `vendor_of` returns None for them.
Group (multicast) addresses are not devices and return None too.
"""
from __future__ import annotations

import re
from functools import lru_cache

from netaddr import EUI, OUI, NotRegisteredError

_SEPARATORS = re.compile(r"[\s:.\-]")
_HEX12 = re.compile(r"[0-9a-fA-F]{12}")
_REGISTRATION_AUTHORITY = "IEEE Registration Authority"
CACHE_SIZE = 4096


def mac_bytes(mac: str | bytes | bytearray | memoryview | None) -> bytes | None:
    """Six raw bytes from 6 raw bytes or text ('80:5e:c0:..', '80-5E-C0-..', '805e.c0..', '805ec0..')."""
    if isinstance(mac, (bytes, bytearray, memoryview)):
        raw = bytes(mac)
        return raw if len(raw) == 6 else None
    if not isinstance(mac, str):
        return None
    digits = _SEPARATORS.sub("", mac)
    return bytes.fromhex(digits) if _HEX12.fullmatch(digits) else None


def normalise_mac(mac: str | bytes | None) -> str | None:
    """'80:5e:c0:aa:bb:cc' (lower case, colons, as collectors.decode.packet.mac_text) or None."""
    raw = mac_bytes(mac)
    return None if raw is None else ":".join(f"{b:02x}" for b in raw)


def oui_text(mac: str | bytes | None) -> str | None:
    """The 24-bit prefix as '80:5E:C0' (the registry's upper case), or None for no MAC."""
    raw = mac_bytes(mac)
    return None if raw is None else ":".join(f"{b:02X}" for b in raw[:3])


def is_locally_administered(mac: str | bytes | None) -> bool:
    raw = mac_bytes(mac)
    return raw is not None and bool(raw[0] & 0x02)


def is_multicast(mac: str | bytes | None) -> bool:
    raw = mac_bytes(mac)
    return raw is not None and bool(raw[0] & 0x01)


def vendor_of(mac: str | bytes | None) -> str | None:
    """IEEE organisation name owning the MAC's block, or None (unparsable, multicast, locally
    administered, or not registered in netaddr's bundled MA-L/IAB data)."""
    raw = mac_bytes(mac)
    if raw is None or raw[0] & 0x03:
        return None
    org = _oui_org(int.from_bytes(raw[:3], "big"))
    if org == _REGISTRATION_AUTHORITY:
        org = _iab_org(int.from_bytes(raw, "big") >> 12)
    return org


@lru_cache(maxsize=CACHE_SIZE)
def _oui_org(oui: int) -> str | None:
    try:
        return _first_org(OUI(oui))
    except (NotRegisteredError, ValueError, IndexError, OSError):
        return None


@lru_cache(maxsize=CACHE_SIZE)
def _iab_org(prefix36: int) -> str | None:
    """Organisation of an IAB (36-bit) block; None for MA-M/MA-S blocks netaddr does not ship."""
    try:
        eui = EUI(prefix36 << 12)
        return _first_org(eui.iab) if eui.is_iab() else None
    except (NotRegisteredError, ValueError, IndexError, OSError):
        return None


def _first_org(owner) -> str | None:
    """First registration's organisation of an OUI (which counts them) or an IAB (which has one)."""
    if getattr(owner, "reg_count", 1) < 1:
        return None
    org = owner.registration(0).org if hasattr(owner, "reg_count") else owner.registration().org
    org = " ".join(str(org).split()) if org else ""
    return org or None
