"""OUI lookups against netaddr's bundled IEEE registry, and the curated phone-vendor table on top of it."""
from __future__ import annotations

import re
from pathlib import Path

import netaddr.eui
import pytest

from collectors.fingerprint.oui import is_locally_administered, mac_bytes, normalise_mac, oui_text, vendor_of
from collectors.fingerprint.phone_vendors import (
    PHONE_VENDORS,
    canonical_vendor,
    rejects_wildcard_certs,
    vendor_for_org,
    vendor_named,
)

# Organisation names exactly as netaddr 1.3's copy of the IEEE registry spells them (checked, not guessed).
REAL_PHONE_OUIS = [
    ("80:5E:C0:12:34:56", "YEALINK(XIAMEN) NETWORK TECHNOLOGY CO.,LTD.", "Yealink"),
    ("00:15:65:12:34:56", "XIAMEN YEALINK NETWORK TECHNOLOGY CO.,LTD", "Yealink"),
    ("00:04:F2:12:34:56", "Polycom", "Poly"),
    ("64:16:7F:12:34:56", "Polycom", "Poly"),
    ("48:25:67:12:34:56", "Poly", "Poly"),
    ("00:1B:D4:12:34:56", "Cisco Systems, Inc", "Cisco"),
    ("00:04:13:12:34:56", "snom technology GmbH", "Snom"),
    ("00:0B:82:12:34:56", "Grandstream Networks, Inc.", "Grandstream"),
    ("C0:74:AD:12:34:56", "Grandstream Networks, Inc.", "Grandstream"),
    ("00:08:5D:12:34:56", "Mitel Corporation", "Mitel"),
    ("00:10:BC:12:34:56", "Aastra Telecom", "Mitel"),
    ("0C:38:3E:12:34:56", "Fanvil Technology Co., Ltd.", "Fanvil"),
    ("00:1F:C1:12:34:56", "Hanlong Technology Co.,LTD", "Htek"),
    ("00:1A:E8:12:34:56", "Unify Software and Solutions GmbH & Co. KG", "Unify"),
    ("9C:AD:EF:12:34:56", "Obihai Technology, Inc.", "Obihai"),
    ("00:90:7A:12:34:56", "Spectralink, Inc", "Spectralink"),
    ("00:01:3E:12:34:56", "Ascom Tateco AB", "Ascom"),
    ("0C:11:05:12:34:56", "AKUVOX (XIAMEN) NETWORKS CO., LTD", "Akuvox"),
    ("00:26:8B:12:34:56", "Guangzhou Escene Computer Technology Limited", "Escene"),
    ("00:90:8F:12:34:56", "AUDIO CODES LTD.", "AudioCodes"),
    ("00:10:6B:12:34:56", "SONUS NETWORKS, INC.", "Ribbon"),
    ("00:A0:BA:12:34:56", "PATTON ELECTRONICS CO.", "Patton"),
    ("00:21:04:12:34:56", "Gigaset Communications GmbH", "Gigaset"),
    ("88:3C:93:12:34:56", "Alcatel-Lucent Enterprise", "Alcatel-Lucent Enterprise"),
    ("00:80:F0:12:34:56", "Panasonic Communications Co., Ltd.", "Panasonic"),
    ("00:1B:4F:12:34:56", "Avaya Inc", "Avaya"),
]


@pytest.mark.parametrize("mac, org, vendor", REAL_PHONE_OUIS)
def test_real_phone_ouis(mac, org, vendor):
    assert vendor_of(mac) == org
    assert vendor_for_org(org).name == vendor


@pytest.mark.parametrize("form", ["80:5e:c0:aa:bb:cc", "80-5E-C0-AA-BB-CC", "805e.c0aa.bbcc", "805EC0AABBCC",
                                  b"\x80\x5e\xc0\xaa\xbb\xcc", bytearray(b"\x80\x5e\xc0\xaa\xbb\xcc")])
def test_mac_forms(form):
    assert normalise_mac(form) == "80:5e:c0:aa:bb:cc"
    assert oui_text(form) == "80:5E:C0"
    assert vendor_of(form) == "YEALINK(XIAMEN) NETWORK TECHNOLOGY CO.,LTD."


@pytest.mark.parametrize("bad", [None, "", "zz:zz:zz:zz:zz:zz", "80:5e:c0", b"\x80\x5e", 12345, "80:5e:c0:aa:bb:cc:dd"])
def test_unparsable_macs(bad):
    assert mac_bytes(bad) is None and vendor_of(bad) is None


def test_locally_administered_and_multicast_have_no_vendor():
    # 82:5E:C0 is 80:5E:C0 (Yealink) with the locally-administered bit set: a random address, not Yealink.
    assert is_locally_administered("82:5e:c0:aa:bb:cc") and vendor_of("82:5e:c0:aa:bb:cc") is None
    assert vendor_of("01:00:5e:00:00:01") is None
    assert vendor_of("ff:ff:ff:ff:ff:ff") is None


def test_iab_and_unregistered_blocks():
    assert vendor_of("00:50:C2:12:34:56") == "Seranoa Networks, Inc."   # IAB inside 00-50-C2
    assert vendor_of("70:B3:D5:00:00:01") is None                      # MA-S block: not shipped by netaddr
    assert vendor_of("FC:FF:FF:00:00:01") is None                      # unassigned


def _netaddr_org(owner) -> str | None:
    org = " ".join(str(owner.registration(0).org if hasattr(owner, "reg_count") else owner.registration().org).split())
    return org or None


def test_lookups_agree_with_netaddrs_own_api():
    """`vendor_of` reads netaddr's registry files itself (without loading netaddr's whole index): it names the
    same organisation as netaddr's OUI/IAB objects, for a sample of every part of both registries."""
    folder = Path(netaddr.eui.__file__).parent
    ouis = sorted({int(line.split(",")[0]) for line in (folder / "oui.idx").read_text().split()})
    iabs = sorted({int(line.split(",")[0]) for line in (folder / "iab.idx").read_text().split()})
    checked = 0
    for oui in ouis[::97] + [ouis[-1]]:
        expected = _netaddr_org(netaddr.OUI(oui))
        if oui >> 16 & 0x03 or expected == "IEEE Registration Authority":
            continue                       # group or local bits (never a vendor), or the IAB/MA-M/MA-S owner
        mac = ":".join(f"{b:02x}" for b in (oui << 24 | 0x123456).to_bytes(6, "big"))
        assert vendor_of(mac) == expected, mac
        checked += 1
    assert checked > 300
    for iab in iabs[::23] + [iabs[-1]]:
        mac = ":".join(f"{b:02x}" for b in (iab << 12 | 0xABC).to_bytes(6, "big"))
        assert vendor_of(mac) == _netaddr_org(netaddr.EUI(mac).iab), mac


def _registry_orgs() -> set[str]:
    text = (Path(netaddr.eui.__file__).parent / "oui.txt").read_text(encoding="utf-8", errors="replace")
    return {" ".join(m.split()) for m in re.findall(r"\(hex\)\s+(.+)", text)}


def test_every_vendor_row_matches_the_registry():
    orgs = _registry_orgs()
    for row in PHONE_VENDORS:
        for pattern in row.org_patterns:
            assert any(re.search(pattern, org, re.I) for org in orgs), (row.name, pattern)


@pytest.mark.parametrize("org", ["Cisco Meraki", "Cisco SPVTG", "Hewlett Packard Enterprise", "Polytec GmbH",
                                 "Polyera", "UHTEK CO., LTD.", "Ascom Powerline Communications Ltd.",
                                 "Gigaset Digital Technology (Shenzhen) Co., Ltd.", "Unify Networks, Inc.",
                                 "Siemens AG", "Apple, Inc.", "Dell Inc.", None, ""])
def test_non_phone_orgs_are_not_phone_vendors(org):
    assert vendor_for_org(org) is None


def test_table_flags():
    assert vendor_named("Yealink").oui_decides and vendor_named("Snom").oui_decides
    assert vendor_named("Grandstream").oui_decides
    assert not vendor_named("Cisco").oui_decides and not vendor_named("HP").oui_decides
    assert not vendor_named("Panasonic").oui_decides
    assert vendor_named("Patton").device_class == "gateway" and vendor_named("Ribbon").device_class == "gateway"
    assert {v.device_class for v in PHONE_VENDORS} == {"hard_phone", "gateway"}
    assert rejects_wildcard_certs("Poly") and rejects_wildcard_certs("Polycom")
    assert not rejects_wildcard_certs("Yealink") and not rejects_wildcard_certs(None)


@pytest.mark.parametrize("text, vendor", [("Polycom", "Poly"), ("Yealink", "Yealink"), ("Cisco Systems, Inc.", "Cisco"),
                                          ("Cisco-Linksys, LLC", "Linksys"), ("Aastra Telecom", "Mitel"),
                                          ("Mitel", "Mitel"), ("Alcatel-Lucent", "Alcatel-Lucent Enterprise"),
                                          ("Dell Inc.", None)])
def test_canonical_vendor(text, vendor):
    assert canonical_vendor(text) == vendor
