"""Proof of exposure: SDES keys seen in cleartext SIP decrypt the matching SRTP stream.

A few packets of the stream are unprotected with pylibsrtp (the authentication tag is verified, so a
success cannot be luck). Keys live only in memory while the proof runs: never stored, printed or put
in an event; the result says how many packets decrypted, with which suite, from which message.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

PROOF_PACKETS = 20
MAX_KEYS_TRIED = 4
PROFILES = {   # SDES suite -> (pylibsrtp.Policy profile attribute, master key||salt length)
    "AES_CM_128_HMAC_SHA1_80": ("SRTP_PROFILE_AES128_CM_SHA1_80", 30),
    "AES_CM_128_HMAC_SHA1_32": ("SRTP_PROFILE_AES128_CM_SHA1_32", 30),
    "AEAD_AES_128_GCM": ("SRTP_PROFILE_AEAD_AES_128_GCM", 28),
    "AEAD_AES_256_GCM": ("SRTP_PROFILE_AEAD_AES_256_GCM", 44),
}


@dataclass(frozen=True, slots=True)
class ExposureResult:
    decrypted: int
    tried: int
    suite: str | None
    note: str          # why no proof, when decrypted == 0

    def text(self, source: str) -> str:
        if self.decrypted:
            return f"decrypted {self.decrypted}/{self.tried} packets with the keys from the {source} ({self.suite})"
        return f"could not decrypt with the keys from the {source}: {self.note}"


class ExposureProbe:
    """Collects the first packets of an SRTP stream whose sender's keys were seen in clear."""

    __slots__ = ("cryptos", "source", "packets", "done")

    def __init__(self, cryptos: list, source: str):
        self.cryptos = cryptos[:MAX_KEYS_TRIED]     # collectors.sip.sdp.Crypto (key material inside)
        self.source = source
        self.packets: list[bytes] = []
        self.done = False

    def add(self, packet: bytes) -> bool:
        """Keep a packet; True once enough are held to run the proof."""
        if len(self.packets) < PROOF_PACKETS:
            self.packets.append(packet)
        return len(self.packets) >= PROOF_PACKETS

    def prove(self) -> ExposureResult:
        self.done = True
        best = ExposureResult(0, len(self.packets), None, "no usable a=crypto line")
        for crypto in self.cryptos:
            result = _try_crypto(crypto, self.packets)
            if result.decrypted > best.decrypted or (not best.decrypted and result.note):
                best = result
            if result.decrypted == len(self.packets):
                break
        self.cryptos, self.packets = [], []          # drop the keys and the packets
        return best


def _try_crypto(crypto, packets: list[bytes]) -> ExposureResult:
    profile = PROFILES.get(crypto.suite.upper())
    if profile is None:
        return ExposureResult(0, len(packets), crypto.suite, f"suite {crypto.suite} not supported by libsrtp here")
    key = _master_key(crypto.key_params, profile[1])
    if key is None:
        return ExposureResult(0, len(packets), crypto.suite, "key parameters unreadable (or MKI in use)")
    try:
        import pylibsrtp
    except ImportError:
        return ExposureResult(0, len(packets), crypto.suite, "pylibsrtp is not installed")
    policy = pylibsrtp.Policy(key=key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND,
                              srtp_profile=getattr(pylibsrtp.Policy, profile[0]))
    session = pylibsrtp.Session(policy=policy)
    decrypted = 0
    for packet in packets:
        try:
            session.unprotect(packet)
            decrypted += 1
        except pylibsrtp.Error:
            continue
    note = "" if decrypted else "authentication failed for every packet"
    return ExposureResult(decrypted, len(packets), crypto.suite, note)


def _master_key(key_params: str, length: int) -> bytes | None:
    """The first inline key of RFC 4568 key-params: inline:<base64>[|lifetime][|MKI:len]."""
    first = key_params.split(";")[0].strip()
    if not first.lower().startswith("inline:"):
        return None
    fields = first[7:].split("|")
    if any(":" in f for f in fields[1:]):
        return None   # MKI: packets carry an MKI that this proof does not model
    try:
        key = base64.b64decode(fields[0] + "=" * (-len(fields[0]) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == length else None
