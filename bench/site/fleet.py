"""The site's phones: vendor, model, addresses, how each announces itself, and its security posture.

Vendor data is what those phones put on the wire (User-Agent formats from the vendors' firmware, IEEE
OUIs registered to the vendor, DHCP option 55 parameter lists and LLDP-MED inventory as published in
public DHCP fingerprint collections and the vendors' admin guides). Everything is seeded: one seed, one
fleet.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

# posture -> (SIP transport, what the SDP offers, what the media really is)
POSTURES = {
    "tls_srtp":       ("tls", "sdes", "srtp"),       # SIP over TLS (signaling invisible), SDES-keyed SRTP
    "udp_sdes":       ("udp", "sdes", "srtp"),       # cleartext SIP carrying SDES keys: keys exposed
    "dtls_srtp":      ("udp", "dtls", "srtp"),       # cleartext SIP, DTLS-SRTP fingerprint, SRTP media
    "zrtp":           ("udp", "zrtp", "srtp"),       # cleartext SIP, ZRTP on the media path
    "plain_rtp":      ("udp", "plain", "rtp"),       # nothing protected
    "srtp_offered_rtp": ("udp", "sdes", "rtp"),      # SRTP negotiated, cleartext RTP sent (broken firmware)
}
COMPLIANT = frozenset({"tls_srtp"})       # the truth (bench/site/timeline.py) follows the traffic sent


@dataclass(frozen=True)
class Vendor:
    name: str
    models: tuple[str, ...]
    ouis: tuple[str, ...]
    user_agent: str                 # format with model= and fw=
    firmware: str
    dhcp_vendor_class: str | None
    dhcp_params: tuple[int, ...]    # option 55 in the order the phone sends it
    codecs: tuple[str, ...]         # what it prefers, first first


VENDORS = (
    Vendor("Polycom", ("VVX_450", "VVX_350", "VVX_250"), ("00:04:f2", "64:16:7f"),
           "PolycomVVX-{model}-UA/{fw}", "6.4.3.5018", "Polycom-VVX450",
           (1, 28, 3, 15, 6, 12, 7, 42, 2, 4, 43, 66, 150, 160), ("PCMU", "G722", "opus")),
    Vendor("Yealink", ("SIP-T54W", "SIP-T46U", "SIP-T33G"), ("80:5e:c0", "24:9a:d8"),
           "Yealink {model} {fw}", "96.86.0.70", "yealink",
           (1, 3, 6, 15, 42, 43, 66, 120, 125, 150, 160), ("G722", "PCMA", "opus")),
    Vendor("Cisco", ("CP-8845", "CP-7841", "CP-8865"), ("00:1b:54", "a4:56:30"),
           "Cisco-{model}/{fw}", "12.8.1", "Cisco Systems, Inc. IP Phone CP-8845",
           (1, 3, 6, 15, 42, 66, 150, 43), ("PCMU", "G729", "G722")),
    Vendor("Grandstream", ("GXP2170", "GRP2614", "GXP1630"), ("00:0b:82", "c0:74:ad"),
           "Grandstream {model} {fw}", "1.0.11.6", "Grandstream GXP2170 dslforum.org",
           (1, 3, 6, 12, 15, 28, 42, 43, 66, 67, 120, 150), ("PCMA", "G722", "G729")),
    Vendor("Snom", ("snomD785", "snomD735", "snomD717"), ("00:04:13",),
           "{model}/{fw}", "10.1.141.13", None,
           (1, 3, 6, 12, 15, 28, 42, 66, 67, 120), ("G722", "PCMA", "opus")),
)


@dataclass(frozen=True)
class Phone:
    index: int
    ip: str
    mac: str
    vendor: Vendor
    model: str
    posture: str
    vlan: int

    @property
    def user_agent(self) -> str:
        return self.vendor.user_agent.format(model=self.model, fw=self.vendor.firmware)

    @property
    def user(self) -> str:
        return f"{2000 + self.index}"

    @property
    def sip_transport(self) -> str:
        return POSTURES[self.posture][0]

    @property
    def keying(self) -> str:
        return POSTURES[self.posture][1]

    @property
    def encrypted_media(self) -> bool:
        return POSTURES[self.posture][2] == "srtp"


DEFAULT_MIX = {"tls_srtp": 0.55, "udp_sdes": 0.12, "dtls_srtp": 0.08, "zrtp": 0.05, "plain_rtp": 0.12,
               "srtp_offered_rtp": 0.08}
PBX_IP, PBX_MAC = "10.77.0.2", "00:50:56:77:00:02"
VOICE_VLAN = 0                     # untagged: SPAN sessions usually strip the voice VLAN tag


def phone_ip(index: int) -> str:
    """10.77.0.0/16 minus the PBX: phones from 10.77.1.0 on (room for 16k phones)."""
    host = 256 + index
    return f"10.77.{host >> 8}.{host & 0xFF}"


def build_fleet(count: int, seed: int = 1, mix: dict[str, float] | None = None) -> list[Phone]:
    """`count` phones with postures in the proportions of `mix` (rounded, every posture present when
    count allows), vendors round the VENDORS list by a seeded draw."""
    mix = mix or DEFAULT_MIX
    rng = random.Random(f"fleet:{seed}")
    postures = _apportion(count, mix)
    rng.shuffle(postures)
    phones = []
    for index, posture in enumerate(postures):
        vendor = VENDORS[rng.randrange(len(VENDORS))]
        oui = vendor.ouis[rng.randrange(len(vendor.ouis))]
        mac = f"{oui}:{(index >> 16) & 0xFF:02x}:{(index >> 8) & 0xFF:02x}:{index & 0xFF:02x}"
        phones.append(Phone(index, phone_ip(index), mac, vendor, rng.choice(vendor.models), posture, VOICE_VLAN))
    return phones


def _apportion(count: int, mix: dict[str, float]) -> list[str]:
    total = sum(mix.values())
    shares = {p: mix[p] / total * count for p in mix}
    counts = {p: int(s) for p, s in shares.items()}
    for p in sorted(shares, key=lambda p: shares[p] - counts[p], reverse=True)[:count - sum(counts.values())]:
        counts[p] += 1
    return [p for p, n in counts.items() for _ in range(n)]
