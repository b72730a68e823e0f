"""SIP (RFC 3261) messages for a basic call: INVITE/100/180/200/ACK/BYE/200.

Messages are bytes with exact Content-Length. Options: compact header forms
(RFC 3261 section 7.3.3), an SDP carried as one part of a multipart/mixed
body, the User-Agent value, and the Via transport (UDP/TCP/TLS).
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from typing import Sequence

COMPACT_FORMS = {
    "Call-ID": "i", "From": "f", "To": "t", "Via": "v", "Content-Length": "l",
    "Content-Type": "c", "Contact": "m", "Supported": "k", "Subject": "s",
}
REASONS = {100: "Trying", 180: "Ringing", 200: "OK"}
MULTIPART_BOUNDARY = "synth-boundary-1"


@dataclass(frozen=True)
class SipParty:
    """One user agent: SIP user name, address, SIP port and product token."""

    user: str
    ip: str
    port: int = 5060
    user_agent: str = "SynthPhone/1.0"
    display: str | None = None      # a display name, quoted with RFC 3261 escapes in From/To

    @property
    def host(self) -> str:
        """Address as used in URIs (IPv6 in brackets)."""
        return f"[{self.ip}]" if ipaddress.ip_address(self.ip).version == 6 else self.ip

    @property
    def uri(self) -> str:
        return f"sip:{self.user}@{self.host}"

    @property
    def contact(self) -> str:
        return f"sip:{self.user}@{self.host}:{self.port}"


@dataclass(frozen=True)
class Dialog:
    """Identifiers shared by every message of one call."""

    caller: SipParty
    callee: SipParty
    call_id: str
    from_tag: str
    to_tag: str
    transport: str = "UDP"
    compact: bool = False

    @classmethod
    def create(cls, caller: SipParty, callee: SipParty, transport: str = "UDP",
               seed: int = 0, compact: bool = False) -> "Dialog":
        """Dialog with Call-ID and tags derived from ``seed``."""
        return cls(caller, callee, f"{_token(seed, 'call-id', 16)}@{caller.host}",
                   _token(seed, "from-tag", 8), _token(seed, "to-tag", 8),
                   transport.upper(), compact)

    def branch(self, name: str) -> str:
        """A deterministic RFC 3261 magic-cookie branch for transaction ``name``."""
        return "z9hG4bK" + _token(self.call_id, name, 12)


@dataclass(frozen=True)
class SipMessage:
    """A rendered message and who sends it ("caller" or "callee")."""

    sender: str
    label: str  # method name or status code
    data: bytes


def _token(seed, purpose: str, length: int) -> str:
    return hashlib.sha256(f"synth-sip:{seed}:{purpose}".encode()).hexdigest()[:length]


def render(start_line: str, headers: Sequence[tuple[str, str]], body: bytes = b"",
           content_type: str | None = None, compact: bool = False) -> bytes:
    """Serialise a SIP message; adds Content-Type/Content-Length headers."""
    headers = list(headers)
    if body:
        headers.append(("Content-Type", content_type or "application/sdp"))
    headers.append(("Content-Length", str(len(body))))
    names = (lambda n: COMPACT_FORMS.get(n, n)) if compact else (lambda n: n)
    head = "".join(f"{names(name)}: {value}\r\n" for name, value in headers)
    return f"{start_line}\r\n{head}\r\n".encode() + body


def multipart_body(parts: Sequence[tuple[str, bytes]],
                   boundary: str = MULTIPART_BOUNDARY) -> tuple[bytes, str]:
    """RFC 2046 multipart/mixed body; returns (body, Content-Type value)."""
    body = b"".join(f"--{boundary}\r\nContent-Type: {ctype}\r\n\r\n".encode() + data + b"\r\n"
                    for ctype, data in parts)
    return body + f"--{boundary}--\r\n".encode(), f"multipart/mixed;boundary={boundary}"


def sdp_body(sdp: str, multipart: bool) -> tuple[bytes, str]:
    """The SDP as a body (bare or as the first part of multipart/mixed)."""
    if not multipart:
        return sdp.encode(), "application/sdp"
    note = b"synthetic call generated for tests\r\n"
    return multipart_body([("application/sdp", sdp.encode()), ("text/plain", note)])


def _via(d: Dialog, party: SipParty, branch: str) -> str:
    return f"SIP/2.0/{d.transport} {party.host}:{party.port};branch={branch};rport"


def _name_addr(party: SipParty) -> str:
    if party.display is None:
        return f"<{party.uri}>"
    escaped = party.display.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}" <{party.uri}>'


def _dialog_headers(d: Dialog, to_tag: bool, cseq: str) -> list[tuple[str, str]]:
    to = _name_addr(d.callee) + (f";tag={d.to_tag}" if to_tag else "")
    return [("From", f"{_name_addr(d.caller)};tag={d.from_tag}"), ("To", to),
            ("Call-ID", d.call_id), ("CSeq", cseq)]


def _contact(d: Dialog, party: SipParty) -> str:
    suffix = "" if d.transport == "UDP" else f";transport={d.transport.lower()}"
    return f"<{party.contact}{suffix}>"


def request(d: Dialog, method: str, cseq: int, *, body: bytes = b"",
            content_type: str | None = None, in_dialog: bool = False) -> bytes:
    """A caller-side request (INVITE, ACK, BYE, ...)."""
    target = d.callee.contact if in_dialog else d.callee.uri
    headers = [("Via", _via(d, d.caller, d.branch(f"{method}{cseq}"))),
               ("Max-Forwards", "70"),
               *_dialog_headers(d, in_dialog, f"{cseq} {method}"),
               ("Contact", _contact(d, d.caller)),
               ("User-Agent", d.caller.user_agent)]
    if method == "INVITE":
        headers += [("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"), ("Supported", "timer")]
    return render(f"{method} {target} SIP/2.0", headers, body, content_type, d.compact)


def response(d: Dialog, code: int, method: str, cseq: int, *, body: bytes = b"",
             content_type: str | None = None) -> bytes:
    """The callee's response to the caller's ``method`` request ``cseq``."""
    headers = [("Via", _via(d, d.caller, d.branch(f"{method}{cseq}"))),
               *_dialog_headers(d, code > 100, f"{cseq} {method}")]
    if code >= 180:
        headers.append(("Contact", _contact(d, d.callee)))
    headers.append(("Server", d.callee.user_agent))
    return render(f"SIP/2.0 {code} {REASONS.get(code, 'Unknown')}", headers, body,
                  content_type, d.compact)


def invite(d: Dialog, sdp: str, multipart: bool = False) -> bytes:
    """INVITE carrying the offer ``sdp`` (optionally inside multipart/mixed)."""
    body, ctype = sdp_body(sdp, multipart)
    return request(d, "INVITE", 1, body=body, content_type=ctype)


def ack(d: Dialog) -> bytes:
    """ACK for the 200 OK to the INVITE (CSeq 1, new branch)."""
    return request(d, "ACK", 1, in_dialog=True)


def bye(d: Dialog) -> bytes:
    """The caller's BYE (CSeq 2) to the callee's Contact."""
    return request(d, "BYE", 2, in_dialog=True)


def call_flow(d: Dialog, offer: str, answer: str, multipart: bool = False) -> list[SipMessage]:
    """INVITE(offer) / 100 / 180 / 200(answer) / ACK / BYE / 200, in order."""
    answer_body, answer_type = sdp_body(answer, multipart)
    return [
        SipMessage("caller", "INVITE", invite(d, offer, multipart)),
        SipMessage("callee", "100", response(d, 100, "INVITE", 1)),
        SipMessage("callee", "180", response(d, 180, "INVITE", 1)),
        SipMessage("callee", "200", response(d, 200, "INVITE", 1, body=answer_body,
                                             content_type=answer_type)),
        SipMessage("caller", "ACK", ack(d)),
        SipMessage("caller", "BYE", bye(d)),
        SipMessage("callee", "200", response(d, 200, "BYE", 2)),
    ]
