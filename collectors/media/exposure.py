"""Proof of exposure: SDES keys seen in cleartext SIP decrypt the matching SRTP or SRTCP stream.

A few packets of the stream are unprotected with libsrtp (collectors.media.libsrtp; the
authentication tag is verified, so a success cannot be luck). Every suite of RFC 4568/6188/7714 in
collectors.media.suites is tried, with an MKI (RFC 3711: between the encrypted part and the tag, after
the GCM tag for AEAD suites; not authenticated, so it is taken out before libsrtp sees the packet and
selects the key it names) and key lifetimes. When the answer chose one of several a=crypto lines, that
line's key is tried first. Keys live only in memory while the proof runs: never stored, printed or put
in an event; the result says how many packets decrypted, with which suite, from which message.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from collectors.media import libsrtp
from collectors.media.suites import suite as find_suite

PROOF_PACKETS = 20
PROOF_RTCP_PACKETS = 4
MAX_KEYS_TRIED = 4
MAX_KEYS_PER_LINE = 4


@dataclass(frozen=True, slots=True)
class ExposureResult:
    """How a proof of exposure went: packets decrypted of those tried, with which suite, or why none."""
    decrypted: int
    tried: int
    suite: str | None
    note: str          # why no proof, when decrypted == 0
    rtcp: bool = False

    def text(self, source: str) -> str:
        kind = "SRTCP" if self.rtcp else "SRTP"
        if self.decrypted:
            return (f"decrypted {self.decrypted}/{self.tried} {kind} packets with the keys from the {source} "
                    f"({self.suite})")
        return f"could not decrypt {kind} with the keys from the {source}: {self.note}"


@dataclass(frozen=True, slots=True)
class MasterKey:
    """One key of an a=crypto line: master key || salt, and the MKI that names it."""
    key_salt: bytes = b""
    mki: int | None = None
    mki_len: int = 0


class ExposureProbe:
    """Collects the first packets of an SRTP (or SRTCP) stream whose sender's keys were seen in clear."""

    __slots__ = ("cryptos", "_source", "packets", "done", "rtcp")

    def __init__(self, cryptos: list, source, rtcp: bool = False):
        self.cryptos = cryptos[:MAX_KEYS_TRIED]     # collectors.sip.sdp.Crypto (key material inside)
        self._source = source   # the text, or the SDP seen (collectors.sip.calls.SdpSeen) whose message and
                                # sender make it when read (a string per probe held ~90 B while it waits)
        self.packets: list[bytes] = []
        self.done = False
        self.rtcp = rtcp

    @property
    def source(self) -> str:
        """Where the keys were seen: "INVITE from 10.0.0.1"."""
        source = self._source
        return source if type(source) is str else f"{source.message} from {source.sender}"

    def add(self, packet: bytes) -> bool:
        """Keep a packet; True once enough are held to run the proof."""
        wanted = PROOF_RTCP_PACKETS if self.rtcp else PROOF_PACKETS
        if type(self.packets) is bytes:
            self.packets = _unpacked(self.packets)
        if len(self.packets) < wanted:
            self.packets.append(packet)
        return len(self.packets) >= wanted

    def compact(self) -> None:
        """Its stream went quiet (an SRTCP probe waits for a report every few seconds, often until the flow
        expires): the packets held as one bytes object, each behind its 2-byte length (~110 B less for
        two RTCP reports); `add` and `prove` unpack them."""
        if type(self.packets) is list and all(len(p) < 0x10000 for p in self.packets):
            self.packets = b"".join(len(p).to_bytes(2, "big") + p for p in self.packets)
        if type(self.cryptos) is list:
            self.cryptos = tuple(self.cryptos)

    def prove(self) -> ExposureResult:
        self.done = True
        if type(self.packets) is bytes:
            self.packets = _unpacked(self.packets)
        best = ExposureResult(0, len(self.packets), None, "no usable a=crypto line", self.rtcp)
        for crypto in self.cryptos:
            result = _try_crypto(crypto, self.packets, self.rtcp)
            if result.decrypted > best.decrypted or (not best.decrypted and result.note):
                best = result
            if result.decrypted == len(self.packets):
                break
        self.cryptos, self.packets = [], []          # drop the keys and the packets
        return best


def _unpacked(packed: bytes) -> list[bytes]:
    packets, at = [], 0
    while at < len(packed):
        size = int.from_bytes(packed[at:at + 2], "big")
        packets.append(packed[at + 2:at + 2 + size])
        at += 2 + size
    return packets


def _try_crypto(crypto, packets: list[bytes], rtcp: bool) -> ExposureResult:
    info = find_suite(crypto.suite)
    if info is None:
        return ExposureResult(0, len(packets), crypto.suite, f"suite {crypto.suite} unknown", rtcp)
    keys = master_keys(crypto.key_params, info.key_salt)
    if not keys:
        return ExposureResult(0, len(packets), info.name, "key parameters unreadable", rtcp)
    try:
        sessions = {key.mki: libsrtp.session(info, key.key_salt, outbound=False) for key in keys}
    except libsrtp.SrtpUnavailable as exc:
        return ExposureResult(0, len(packets), info.name, str(exc), rtcp)
    decrypted = 0
    tag = 16 if info.aead else (info.rtcp_tag if rtcp else info.rtp_tag)
    for packet in packets:
        mki, packet = _strip_mki(packet, keys[0].mki_len, tag, info.aead)
        session = sessions.get(mki)
        if session is None:
            continue
        try:
            session.unprotect_rtcp(packet) if rtcp else session.unprotect(packet)
            decrypted += 1
        except libsrtp.error_type():
            continue
    note = "" if decrypted else "authentication failed for every packet"
    return ExposureResult(decrypted, len(packets), info.name, note, rtcp)


def _strip_mki(packet: bytes, mki_len: int, tag: int, aead: bool) -> tuple[int | None, bytes]:
    """The MKI a packet carries and the packet without it (libsrtp here is keyed without MKI)."""
    if not mki_len:
        return None, packet
    if len(packet) < 12 + mki_len + tag:
        return -1, packet
    if aead:                          # RFC 7714: the MKI follows the cipher text and its tag
        return int.from_bytes(packet[-mki_len:], "big"), packet[:-mki_len]
    at = len(packet) - tag - mki_len
    return int.from_bytes(packet[at:at + mki_len], "big"), packet[:at] + packet[at + mki_len:]


def master_keys(key_params: str, length: int) -> list[MasterKey]:
    """The inline keys of RFC 4568 key-params: inline:<base64>[|lifetime][|MKI:length], ';'-separated.
    With an MKI every key must carry one of the same length; otherwise only the first key counts."""
    keys = []
    for part in key_params.split()[0].split(";")[:MAX_KEYS_PER_LINE]:
        key = _one_key(part.strip(), length)
        if key is None:
            return []
        keys.append(key)
    if len(keys) > 1 and (not keys[0].mki_len or len({k.mki_len for k in keys}) > 1):
        keys = keys[:1]
    return keys


def _one_key(text: str, length: int) -> MasterKey | None:
    if not text.lower().startswith("inline:"):
        return None
    fields = text[7:].split("|")
    mki, mki_len = None, 0
    for extra in fields[1:]:
        if ":" in extra:                       # MKI:length; a lifetime (2^31 or a number) has no colon
            value, _, size = extra.partition(":")
            if not (value.isdigit() and size.isdigit() and 1 <= int(size) <= 128):
                return None
            mki, mki_len = int(value), int(size)
    try:
        key = base64.b64decode(fields[0] + "=" * (-len(fields[0]) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None
    return MasterKey(key, mki, mki_len) if len(key) == length else None
