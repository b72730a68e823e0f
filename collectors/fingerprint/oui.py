"""MAC address -> IEEE organisation name, from the registry netaddr ships (offline: no network).

netaddr bundles the IEEE MA-L (OUI) and IAB registries; MA-M and MA-S sub-blocks are not in it, so a MAC
from one of those blocks reports no vendor rather than "IEEE Registration Authority".

Locally administered addresses (second-lowest bit of the first octet set: randomised "private" Wi-Fi
addresses, virtual machines, containers, some softphone hosts) carry no vendor: the registry would name
whoever owns the same bits as a global address, which is wrong, so `vendor_of` returns None for them.
Group (multicast) addresses are not devices and return None too.

A lookup reads one record of netaddr's registry files (`eui/oui.idx` and `oui.txt`, `iab.idx` and `iab.txt`)
the way netaddr's `OUI`/`IAB` do, without loading its whole index: netaddr reads all ~40,000 index rows on
its first lookup (~0.09 s), which a short `appliance analyze` would spend on a handful of MACs.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

_SEPARATORS = re.compile(r"[\s:.\-]")
_HEX12 = re.compile(r"[0-9a-fA-F]{12}")
_REGISTRATION_AUTHORITY = "IEEE Registration Authority"
CACHE_SIZE = 4096
IAB_OUIS = (0x0050C2, 0x40D855)      # the OUIs whose 36-bit IAB blocks the IAB registry lists


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
    return _registered_org("oui", oui)


@lru_cache(maxsize=CACHE_SIZE)
def _iab_org(prefix36: int) -> str | None:
    """Organisation of an IAB (36-bit) block; None for MA-M/MA-S blocks netaddr does not ship."""
    return _registered_org("iab", prefix36) if prefix36 >> 12 in IAB_OUIS else None


def _registered_org(registry: str, key: int) -> str | None:
    """The organisation of the first registration of `key` (netaddr's `registration(0)`), or None."""
    try:
        record = _record(registry, key)
        org = next((line.split(None, 2)[2] for line in reversed(record.splitlines()) if "(hex)" in line), "")
    except (OSError, ValueError, IndexError):
        return None
    return " ".join(org.split()) or None


def _record(registry: str, key: int) -> str:
    """The text of the first registration of `key` in netaddr's copy of `registry` ('' when none)."""
    index, text = _registry(registry)
    at = index.find(b"\n%d," % key)
    if at < 0:
        return ""
    offset, size = (int(field) for field in index[at + 1:index.index(b"\n", at + 1)].split(b",")[1:])
    with text.open("rb") as file:
        file.seek(offset)
        return file.read(size).decode("utf-8")


@lru_cache(maxsize=2)
def _registry(name: str) -> tuple[bytes, Path]:
    """netaddr's index of a registry (lines `key,offset,size`, framed by newlines for `find`) and its text."""
    folder = Path(find_spec("netaddr").origin).parent / "eui"
    return b"\n" + (folder / f"{name}.idx").read_bytes() + b"\n", folder / f"{name}.txt"
