"""Wire formats for the benchmark capture: RTP headers, RTCP SR compounds, SIP INVITE/200/ACK
with SDP (RTP/AVP, or RTP/SAVP + SDES a=crypto).

Everything is plain bytes built with `struct` or text formatting; no scapy.
"""
from __future__ import annotations

import base64
import struct
from dataclasses import dataclass

NTP_EPOCH_OFFSET = 2_208_988_800           # seconds from 1900-01-01 to 1970-01-01
SUITE = "AES_CM_128_HMAC_SHA1_80"
CODECS = {0: "PCMU", 8: "PCMA"}
_RTP = struct.Struct("!BBHII")
_SR = struct.Struct("!BBHIIIIII")
_RB = struct.Struct("!IIIIII")


def rtp_header(pt: int, seq: int, ts: int, ssrc: int, marker: bool = False) -> bytes:
    """12-byte RTP fixed header (version 2, no padding, extension or CSRC)."""
    return _RTP.pack(0x80, pt | (0x80 if marker else 0), seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)


def rtcp_sr(ssrc: int, now_us: int, rtp_ts: int, packets: int, octets: int, cname: str,
            peer_ssrc: int | None = None, peer_ext_seq: int = 0, jitter: int = 0) -> bytes:
    """A compound RTCP packet: SR (with one reception report about the peer when known) + SDES CNAME."""
    secs, frac = divmod(now_us, 1_000_000)
    ntp_msw = (secs + NTP_EPOCH_OFFSET) & 0xFFFFFFFF
    ntp_lsw = (frac << 32) // 1_000_000
    blocks = b""
    if peer_ssrc is not None:
        blocks = _RB.pack(peer_ssrc, 0, peer_ext_seq & 0xFFFFFFFF, jitter, 0, 0)
    count = 1 if blocks else 0
    length_words = (28 + len(blocks)) // 4 - 1
    sr = _SR.pack(0x80 | count, 200, length_words, ssrc, ntp_msw, ntp_lsw, rtp_ts & 0xFFFFFFFF,
                  packets & 0xFFFFFFFF, octets & 0xFFFFFFFF) + blocks
    return sr + _sdes_cname(ssrc, cname)


def _sdes_cname(ssrc: int, cname: str) -> bytes:
    text = cname.encode()
    chunk = struct.pack("!IBB", ssrc, 1, len(text)) + text + b"\x00"
    chunk += b"\x00" * (-len(chunk) % 4)
    return struct.pack("!BBH", 0x81, 202, (4 + len(chunk)) // 4 - 1) + chunk


@dataclass(frozen=True)
class Party:
    """One side of a call: where it sends SIP from and where it receives RTP."""
    user: str
    ip: str
    rtp_port: int
    user_agent: str
    key_salt: bytes | None = None        # SDES master key || salt this party encrypts with


def sdp(party: Party, pt: int, session_id: int, offer: bool) -> str:
    """An SDP offer (audio codec + telephone-event) or answer (the chosen codec)."""
    srtp = party.key_salt is not None
    proto = "RTP/SAVP" if srtp else "RTP/AVP"
    fmts = f"{pt} 101" if offer else str(pt)
    lines = ["v=0", f"o=- {session_id} {session_id} IN IP4 {party.ip}", "s=-", f"c=IN IP4 {party.ip}",
             "t=0 0", f"m=audio {party.rtp_port} {proto} {fmts}", f"a=rtpmap:{pt} {CODECS[pt]}/8000"]
    if offer:
        lines += ["a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"]
    if srtp:
        key = base64.b64encode(party.key_salt).decode()
        lines.append(f"a=crypto:1 {SUITE} inline:{key}")
    lines += ["a=ptime:20", "a=sendrecv"]
    return "\r\n".join(lines) + "\r\n"


def invite_dialog(caller: Party, callee: Party, pt: int, call_id: str, tags: tuple[str, str, str, str]
                  ) -> list[tuple[str, bytes]]:
    """INVITE (offer), 200 OK (answer), ACK over UDP 5060, as (direction, payload); direction is
    "fwd" (caller -> callee) or "rev". `tags`: from-tag, to-tag, INVITE branch, ACK branch."""
    from_tag, to_tag, branch, ack_branch = tags
    from_h = f"<sip:{caller.user}@{caller.ip}>;tag={from_tag}"
    to_uri = f"sip:{callee.user}@{callee.ip}"
    via = f"SIP/2.0/UDP {caller.ip}:5060;branch={branch};rport"
    offer = sdp(caller, pt, 10_000 + int(call_id[:6], 16) % 90_000, offer=True)
    answer = sdp(callee, pt, 20_000 + int(call_id[:6], 16) % 90_000, offer=False)
    invite = _message(f"INVITE {to_uri} SIP/2.0", [
        ("Via", via), ("Max-Forwards", "70"), ("From", from_h), ("To", f"<{to_uri}>"),
        ("Call-ID", call_id), ("CSeq", "1 INVITE"), ("Contact", f"<sip:{caller.user}@{caller.ip}:5060>"),
        ("User-Agent", caller.user_agent), ("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"),
        ("Content-Type", "application/sdp")], offer)
    ok = _message("SIP/2.0 200 OK", [
        ("Via", via + f";received={caller.ip}"), ("From", from_h), ("To", f"<{to_uri}>;tag={to_tag}"),
        ("Call-ID", call_id), ("CSeq", "1 INVITE"), ("Contact", f"<sip:{callee.user}@{callee.ip}:5060>"),
        ("User-Agent", callee.user_agent), ("Content-Type", "application/sdp")], answer)
    ack = _message(f"ACK sip:{callee.user}@{callee.ip}:5060 SIP/2.0", [
        ("Via", f"SIP/2.0/UDP {caller.ip}:5060;branch={ack_branch};rport"), ("Max-Forwards", "70"),
        ("From", from_h), ("To", f"<{to_uri}>;tag={to_tag}"), ("Call-ID", call_id), ("CSeq", "1 ACK")], "")
    return [("fwd", invite), ("rev", ok), ("fwd", ack)]


def _message(start: str, headers: list[tuple[str, str]], body: str) -> bytes:
    raw = body.encode()
    lines = [start] + [f"{name}: {value}" for name, value in headers] + [f"Content-Length: {len(raw)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + raw
