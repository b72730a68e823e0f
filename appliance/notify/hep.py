"""Alerts to Homer (sipcapture) as HEP v3 packets (format `hep`), to a webhook URL `hep+udp://host[:port]`
(one datagram per alert) or `hep+tcp://host[:port]` (one connection per alert; HEP3 packets frame
themselves by their length field). Port 9060 by default, Homer's (heplify-server's) HEP port.

Packet (HEP3 / EEP, all integers in network byte order):

    "HEP3"  total length (uint16, the whole packet including these 6 bytes)  chunk ...
    chunk = vendor id (uint16, 0x0000: generic) | type id (uint16) | length (uint16, incl. these 6) | data

Generic chunks sent, in this order:

     1 uint8   IP family: 2 (IPv4) or 10 (IPv6), of the addresses below
     2 uint8   IP protocol id of the stream: 17 (udp) or 6 (tcp); 17 when the alert names no stream
     3/4       IPv4 source / destination address (4 bytes each), or
     5/6       IPv6 source / destination address (16 bytes each)
     7/8 uint16 source / destination port
     9 uint32  timestamp, seconds since the epoch (the alert's last_seen, else first_seen)
    10 uint32  microseconds added to it
    11 uint8   protocol type: 100 (LOG; the payload is JSON)
    12 uint32  capture agent id (from the sensor, below)
    14 string  authentication key: the webhook's secret, only when one is set (Homer's HEP password)
    15 bytes   payload: the alert as the `generic` webhook sends it (same fields, UTF-8 JSON)
    17 string  correlation id: the alert's SIP Call-ID, only when known (Homer shows it with the call)

Addresses and ports come from the alert's stream id ("udp:SRC:SPORT-DST:DPORT/rtp[#n]", as the collector
names streams) when it has one; otherwise source = the endpoint and destination = the peer (the
unspecified address when there is none or it is of the other family), both with port 0.

Capture agent id: a sensor id that is a decimal number below 2**32 is used as it is (name sensors
"2001", "2002", ... to choose the ids Homer shows); any other sensor id maps to the CRC-32 (zlib,
ISO-HDLC) of its UTF-8 bytes, e.g. "sensor-1" -> 0x573bdfd3: stable across restarts and hosts.

A payload that would not fit one HEP packet (total length is 16 bits) loses evidence lines from the
end, and says how many in `evidence_truncated`. Cleartext, like syslog: send it to a Homer on a trusted
segment. Delivered means: the datagram left the host (UDP), or the collector read the whole packet and
closed the connection (TCP: one connection per alert, the next one opened only then, so alerts arrive in
order; a collector that keeps it open past the timeout counts as having taken it)."""
from __future__ import annotations

import ipaddress
import json
import socket
import struct
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from appliance.notify.delivery import Outgoing, redact
from appliance.notify.destinations import DestinationPolicy, DestinationRefused
from appliance.notify.errors import DeliveryError
from appliance.notify.formats import generic

MAGIC = b"HEP3"
VENDOR_GENERIC = 0x0000
DEFAULT_PORT = 9060
TRANSPORTS = {"hep+udp": "udp", "hep+tcp": "tcp"}
PROTO_LOG = 100                         # HEP protocol type "LOG" (JSON payload)
IP_PROTOCOLS = {"udp": 17, "tcp": 6}
FAMILY = {4: 2, 6: 10}                  # HEP's IP family values: AF_INET, AF_INET6 (Linux numbering)
MAX_PACKET = 65507                      # the 16-bit length, and the largest UDP payload over IPv4

# generic chunk type ids
IP_FAMILY, IP_PROTO, IPV4_SRC, IPV4_DST, IPV6_SRC, IPV6_DST = 1, 2, 3, 4, 5, 6
SRC_PORT, DST_PORT, TIME_SEC, TIME_USEC, PROTO_TYPE, CAPTURE_ID = 7, 8, 9, 10, 11, 12
AUTH_KEY, PAYLOAD, CORRELATION_ID = 14, 15, 17


@dataclass(frozen=True, slots=True)
class HepTarget:
    transport: str                      # udp | tcp
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> HepTarget:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            port, parts = None, None
        if parts is None or parts.scheme not in TRANSPORTS or not parts.hostname or port == 0:
            raise ValueError(f"not a HEP URL (hep+udp://host:port or hep+tcp://host:port): {redact(url)}")
        return cls(TRANSPORTS[parts.scheme], parts.hostname, port or DEFAULT_PORT)


@dataclass(frozen=True, slots=True)
class Flow:
    """The addresses a HEP packet carries: from the alert's stream, else endpoint -> peer on port 0."""
    protocol: int
    src: ipaddress.IPv4Address | ipaddress.IPv6Address
    src_port: int
    dst: ipaddress.IPv4Address | ipaddress.IPv6Address
    dst_port: int


class HepNotifier:
    """Sends `hep` deliveries to Homer (or any HEP collector)."""

    def __init__(self, timeout: float = 5.0, destinations: DestinationPolicy | None = None):
        self.timeout = timeout
        self.destinations = destinations or DestinationPolicy()

    def send(self, item: Outgoing) -> None:
        if item.format != "hep":
            raise DeliveryError(f"format {item.format!r} is not sent over HEP", permanent=True)
        try:
            target = HepTarget.parse(item.url)
        except ValueError as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        data = packet(item)
        try:
            (_send_tcp if target.transport == "tcp" else _send_udp)(target, data, self.timeout, self.destinations)
        except DestinationRefused as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        except TimeoutError:
            raise DeliveryError(f"hep/{target.transport} {target.host}:{target.port}: timed out") from None
        except OSError as exc:                              # refused, unreachable, no such host
            raise DeliveryError(f"hep/{target.transport} {target.host}:{target.port}: {exc}") from None


# -- encoding ---------------------------------------------------------------------------------------
def packet(item: Outgoing) -> bytes:
    """The HEP3 packet for one delivery (see the module's docstring for the chunks)."""
    alert = item.alert
    flow = flow_of(alert)
    when = alert.get("last_seen") or alert.get("first_seen") or 0.0
    seconds = int(when)
    micros = min(int(round((when - seconds) * 1_000_000)), 999_999)
    v6 = flow.src.version == 6
    head = [chunk(IP_FAMILY, struct.pack("!B", FAMILY[flow.src.version])),
            chunk(IP_PROTO, struct.pack("!B", flow.protocol)),
            chunk(IPV6_SRC if v6 else IPV4_SRC, flow.src.packed),
            chunk(IPV6_DST if v6 else IPV4_DST, flow.dst.packed),
            chunk(SRC_PORT, struct.pack("!H", flow.src_port)),
            chunk(DST_PORT, struct.pack("!H", flow.dst_port)),
            chunk(TIME_SEC, struct.pack("!I", seconds)),
            chunk(TIME_USEC, struct.pack("!I", micros)),
            chunk(PROTO_TYPE, struct.pack("!B", PROTO_LOG)),
            chunk(CAPTURE_ID, struct.pack("!I", capture_agent_id(alert.get("sensor"))))]
    if item.secret:
        head.append(chunk(AUTH_KEY, item.secret.encode("utf-8")))
    tail = [chunk(CORRELATION_ID, str(alert["call_id"]).encode("utf-8"))] if alert.get("call_id") else []
    room = MAX_PACKET - len(MAGIC) - 2 - sum(map(len, head + tail)) - 6
    return assemble(head + [chunk(PAYLOAD, payload(item, room))] + tail)


def chunk(type_id: int, data: bytes, vendor: int = VENDOR_GENERIC) -> bytes:
    """vendor id, type id, length (header included), data."""
    return struct.pack("!HHH", vendor, type_id, 6 + len(data)) + data


def assemble(chunks: list[bytes]) -> bytes:
    body = b"".join(chunks)
    if len(body) + 6 > 0xFFFF:
        raise DeliveryError(f"HEP packet of {len(body) + 6} bytes exceeds 65535", permanent=True)
    return MAGIC + struct.pack("!H", 6 + len(body)) + body


def payload(item: Outgoing, room: int) -> bytes:
    """The generic webhook's JSON, evidence trimmed from the end until it fits `room` bytes."""
    fields = generic(item)
    evidence = list(fields.get("evidence") or [])
    kept = len(evidence)
    while True:
        if kept < len(evidence):
            fields = fields | {"evidence": evidence[:kept], "evidence_truncated": len(evidence) - kept}
        data = json.dumps(fields, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode("utf-8")
        if len(data) <= room:
            return data
        if kept == 0:
            raise DeliveryError(f"alert {fields.get('id')} does not fit one HEP packet", permanent=True)
        kept = max(0, min(kept - 1, kept * room // len(data)))


def capture_agent_id(sensor) -> int:
    """The sensor's HEP capture agent id: a decimal id below 2**32 as it is, else CRC-32 of its UTF-8."""
    text = str(sensor or "")
    if text.isascii() and text.isdigit() and int(text) < 2 ** 32:
        return int(text)
    return zlib.crc32(text.encode("utf-8"))


def flow_of(alert: dict) -> Flow:
    """The stream's 5-tuple when the alert has a parsable stream id, else endpoint -> peer, ports 0."""
    stream = _stream(alert.get("stream"))
    if stream is not None:
        return stream
    src = _ip(alert.get("endpoint"))
    if src is None:
        src = _ip(alert.get("peer")) or ipaddress.IPv4Address(0)
        dst = ipaddress.ip_address(0 if src.version == 4 else "::")
        return Flow(IP_PROTOCOLS["udp"], src, 0, dst, 0)
    dst = _ip(alert.get("peer"))
    if dst is None or dst.version != src.version:
        dst = ipaddress.ip_address(0 if src.version == 4 else "::")
    return Flow(IP_PROTOCOLS["udp"], src, 0, dst, 0)


def _stream(stream_id) -> Flow | None:
    """"udp:SRC:SPORT-DST:DPORT/kind[#n]" (IPv6 addresses unbracketed: the port is after the last colon)."""
    if not stream_id:
        return None
    try:
        transport, rest = str(stream_id).split(":", 1)
        rest = rest.rsplit("/", 1)[0]
        left, right = rest.split("-", 1)
        (src, sport), (dst, dport) = left.rsplit(":", 1), right.rsplit(":", 1)
        src_ip, dst_ip = ipaddress.ip_address(src.strip("[]")), ipaddress.ip_address(dst.strip("[]"))
        ports = int(sport), int(dport)
    except ValueError:
        return None
    if transport not in IP_PROTOCOLS or src_ip.version != dst_ip.version or not all(0 <= p <= 0xFFFF for p in ports):
        return None
    return Flow(IP_PROTOCOLS[transport], src_ip, ports[0], dst_ip, ports[1])


def _ip(value) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(value)) if value else None
    except ValueError:
        return None


# -- transports -------------------------------------------------------------------------------------
def _send_udp(target: HepTarget, data: bytes, timeout: float, destinations: DestinationPolicy) -> None:
    family, kind, proto, _, address = destinations.resolve(target.host, target.port, socket.SOCK_DGRAM)[0]
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(timeout)
        sock.sendto(data, address)


def _send_tcp(target: HepTarget, data: bytes, timeout: float, destinations: DestinationPolicy) -> None:
    """One connection per packet; returns once the collector has read to our end and closed its side, so
    the next alert cannot overtake this one (collectors serve connections in parallel). A collector that
    keeps the connection open past `timeout` took the bytes all the same: that counts as delivered."""
    address = destinations.resolve(target.host, target.port, socket.SOCK_STREAM)[0][4]
    with socket.create_connection(address[:2], timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        try:
            while sock.recv(4096):
                pass
        except TimeoutError:
            pass
