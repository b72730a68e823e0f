"""Alerts to a SIEM over syslog: RFC 5424 messages with the alert in structured data (format `syslog`)
or ArcSight CEF carried as the MSG of an RFC 5424 message (format `cef`), to a webhook URL
`syslog+udp://host[:port][?facility=local0]` (RFC 5426, one datagram per message) or
`syslog+tcp://host[:port]` (RFC 6587 octet counting: "<length> <message>"). Port 514 by default.

Written by hand: the stdlib SysLogHandler speaks the older BSD format without structured data or
octet counting, and no maintained library builds CEF. UDP is fire-and-forget (a datagram that left the
host counts as delivered); TCP counts as delivered once the connection took all bytes. Cleartext
either way: point it at a collector on a trusted segment (TLS transport, RFC 5425, is not built yet)."""
from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

from appliance import __version__
from appliance.notify.delivery import Outgoing, redact
from appliance.notify.destinations import DestinationPolicy, DestinationRefused
from appliance.notify.errors import DeliveryError

APP_NAME = "appliance"
SD_ID = "alert@32473"               # enterprise number 32473: reserved for documentation (RFC 5612)
CEF_VENDOR, CEF_PRODUCT, CEF_VERSION = "voip-appliance", "VoIP Encryption Monitor", __version__
DEFAULT_PORT = 514
TRANSPORTS = {"syslog+udp": "udp", "syslog+tcp": "tcp"}
FACILITIES = {name: code for code, name in enumerate(
    ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
     "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
     "local7"))}
DEFAULT_FACILITY = FACILITIES["local0"]
SYSLOG_SEVERITY = {"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}     # crit, err, warning, ...
CEF_SEVERITY = {"critical": 10, "high": 8, "medium": 5, "low": 3, "info": 1}
MAX_EVIDENCE, MAX_LINE = 20, 300    # keeps a message well inside one UDP datagram
BOM = "\ufeff"
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")


@dataclass(frozen=True, slots=True)
class SyslogTarget:
    transport: str                  # udp | tcp
    host: str
    port: int
    facility: int = DEFAULT_FACILITY

    @classmethod
    def parse(cls, url: str) -> SyslogTarget:
        parts = urlsplit(url)
        if parts.scheme not in TRANSPORTS or not parts.hostname:
            raise ValueError(f"not a syslog URL (syslog+udp://host:port or syslog+tcp://host:port): {redact(url)}")
        facility = parse_qs(parts.query).get("facility", ["local0"])[0]
        if facility not in FACILITIES:
            raise ValueError(f"unknown syslog facility {facility!r}")
        return cls(TRANSPORTS[parts.scheme], parts.hostname, parts.port or DEFAULT_PORT, FACILITIES[facility])


class SyslogNotifier:
    """Sends `syslog` and `cef` deliveries; one connection (TCP) or datagram (UDP) per message."""

    def __init__(self, timeout: float = 5.0, hostname: str | None = None,
                 destinations: DestinationPolicy | None = None):
        self.timeout = timeout
        self.destinations = destinations or DestinationPolicy()
        self.hostname = hostname or socket.gethostname()

    def send(self, item: Outgoing) -> None:
        try:
            target = SyslogTarget.parse(item.url)
        except ValueError as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        if item.format == "cef":
            data = rfc5424(item.alert, self.hostname, target.facility, cef(item.alert, self.hostname), sd=False)
        elif item.format == "syslog":
            data = rfc5424(item.alert, self.hostname, target.facility)
        else:
            raise DeliveryError(f"format {item.format!r} is not sent over syslog", permanent=True)
        try:
            (_send_tcp if target.transport == "tcp" else _send_udp)(target, data, self.timeout, self.destinations)
        except DestinationRefused as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        except TimeoutError:
            raise DeliveryError(f"syslog/{target.transport} {target.host}:{target.port}: timed out") from None
        except OSError as exc:                              # refused, unreachable, no such host
            raise DeliveryError(f"syslog/{target.transport} {target.host}:{target.port}: {exc}") from None


# -- RFC 5424 ---------------------------------------------------------------------------------------
def rfc5424(alert: dict, hostname: str, facility: int = DEFAULT_FACILITY, msg: str | None = None,
            sd: bool = True) -> bytes:
    """<PRI>1 TIMESTAMP HOSTNAME appliance - TYPE [alert@32473 ...] SUMMARY (or `msg`)."""
    pri = facility * 8 + SYSLOG_SEVERITY.get(alert.get("severity"), 5)
    header = " ".join((f"<{pri}>1", _timestamp(alert.get("last_seen") or alert.get("first_seen")),
                       _header_field(hostname, 255), APP_NAME, "-", _header_field(alert.get("type"), 32)))
    text = (alert.get("summary") or "") if msg is None else msg
    if msg is None and not text.isascii():
        text = BOM + text                                   # RFC 5424 6.4: UTF-8 MSG starts with a BOM
    return f"{header} {structured_data(alert) if sd else '-'} {text}".encode("utf-8")


def structured_data(alert: dict) -> str:
    params = [("id", alert.get("id")), ("sensor", alert.get("sensor")), ("type", alert.get("type")),
              ("severity", alert.get("severity")), ("endpoint", alert.get("endpoint")),
              ("peer", alert.get("peer")), ("stream", alert.get("stream")), ("callId", alert.get("call_id")),
              ("deviceClass", alert.get("device_class")), ("state", alert.get("state")),
              ("count", alert.get("count")), ("event", alert.get("event")),
              ("firstSeen", _timestamp(alert.get("first_seen"))), ("lastSeen", _timestamp(alert.get("last_seen")))]
    params += [("evidence", line) for line in _evidence(alert)]
    return f"[{SD_ID}" + "".join(f' {name}="{_sd_value(value)}"' for name, value in params
                                 if value is not None) + "]"


def octet_counted(message: bytes) -> bytes:
    """RFC 6587 3.4.1 framing: the length in octets, a space, the message."""
    return str(len(message)).encode("ascii") + b" " + message


def _sd_value(value) -> str:
    text = str(value).replace("\r", " ").replace("\n", " ")
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _header_field(value, limit: int) -> str:
    text = _UNPRINTABLE.sub("_", str(value or ""))[:limit]
    return text or "-"


def _timestamp(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


# -- CEF --------------------------------------------------------------------------------------------
def cef(alert: dict, hostname: str = "") -> str:
    """CEF:0|vendor|product|version|type|summary|severity 0-10|key=value ..."""
    header = [CEF_VENDOR, CEF_PRODUCT, CEF_VERSION, alert.get("type") or "alert", (alert.get("summary") or "")[:512]]
    severity = CEF_SEVERITY.get(alert.get("severity"), 5)
    ext = [("rt", _millis(alert.get("last_seen"))), ("start", _millis(alert.get("first_seen"))),
           ("end", _millis(alert.get("last_seen")))]
    for ip, v4, v6, label in ((alert.get("endpoint"), "src", "c6a2", "Source IPv6 Address"),
                              (alert.get("peer"), "dst", "c6a3", "Destination IPv6 Address")):
        if ip and ":" in ip:                    # CEF's src/dst take IPv4 only
            ext += [(v6, ip), (f"{v6}Label", label)]
        elif ip:
            ext.append((v4, ip))
    ext += [("cnt", alert.get("count")), ("externalId", alert.get("id")), ("deviceExternalId", alert.get("sensor")),
            ("dvchost", hostname or None)]
    for n, (label, key) in enumerate((("stream", "stream"), ("callId", "call_id"), ("deviceClass", "device_class"),
                                      ("alertState", "state"), ("event", "event")), 1):
        if alert.get(key) is not None:
            ext += [(f"cs{n}Label", label), (f"cs{n}", alert[key])]
    evidence = "; ".join(_evidence(alert))
    ext.append(("msg", evidence[:1023] or None))
    extension = " ".join(f"{key}={_cef_value(value)}" for key, value in ext if value is not None)
    return "CEF:0|" + "|".join(_cef_header(part) for part in header) + f"|{severity}|{extension}"


def _cef_header(value: str) -> str:
    text = str(value).replace("\r", " ").replace("\n", " ")
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _cef_value(value) -> str:
    text = str(value).replace("\\", "\\\\").replace("=", "\\=")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")


def _millis(epoch: float | None) -> int | None:
    return None if epoch is None else int(round(epoch * 1000))


def _evidence(alert: dict) -> list[str]:
    return [str(line)[:MAX_LINE] for line in (alert.get("evidence") or [])[:MAX_EVIDENCE]]


# -- transports -------------------------------------------------------------------------------------
def _send_udp(target: SyslogTarget, data: bytes, timeout: float, destinations: DestinationPolicy) -> None:
    family, kind, proto, _, address = destinations.resolve(target.host, target.port, socket.SOCK_DGRAM)[0]
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(timeout)
        sock.sendto(data, address)


def _send_tcp(target: SyslogTarget, data: bytes, timeout: float, destinations: DestinationPolicy) -> None:
    address = destinations.resolve(target.host, target.port, socket.SOCK_STREAM)[0][4]
    with socket.create_connection(address[:2], timeout=timeout) as sock:
        sock.sendall(octet_counted(data))
        sock.shutdown(socket.SHUT_WR)
