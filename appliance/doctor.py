"""`appliance doctor`: is this box ready to watch a mirror port? One line per check, with what to do
when it fails; exit non-zero when any check fails (warnings do not fail).

Checks: capture privileges; the mirror interface (exists, up, promiscuous, no IP address, offloads
that merge or split packets before capture); that mirrored traffic arrives, from how many hosts, and
whether it looks oversubscribed; kernel drops; the store (reachable, schema current); each webhook
(its receiver accepts a connection)."""
from __future__ import annotations

import fcntl
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

OK, WARN, FAIL = "ok", "warn", "FAIL"
CAP_NET_ADMIN, CAP_NET_RAW = 12, 13
IFF_UP, IFF_PROMISC = 0x1, 0x100
SIOCETHTOOL = 0x8946
ETHTOOL_GGRO, ETHTOOL_GGSO, ETHTOOL_GTSO, ETHTOOL_GFLAGS = 0x2B, 0x23, 0x1E, 0x25
ETH_FLAG_LRO = 1 << 15
DEFAULT_PORTS = {"http": 80, "https": 443, "syslog+tcp": 514, "syslog+udp": 514, "hep+udp": 9060, "hep+tcp": 9060}


@dataclass(frozen=True)
class Check:
    status: str
    name: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<4} {self.name}: {self.detail}"
        return text + (f" -> {self.fix}" if self.fix and self.status != OK else "")


def run_checks(settings, interface: str | None, seconds: float) -> list[Check]:
    checks = [privileges()]
    interfaces = [interface] if interface else list(settings.interfaces)
    if not interfaces:
        checks.append(Check(WARN, "interface", "none given and APPLIANCE_INTERFACES is empty",
                            "appliance doctor --interface IFACE"))
    for name in interfaces:
        found = interface_checks(name)
        checks += found
        if all(c.status != FAIL for c in found) and checks[0].status == OK:
            checks += traffic_checks(name, seconds)
    checks += store_checks(settings)
    return checks


# -- privileges ----------------------------------------------------------------------------------
def privileges(status_file: Path = Path("/proc/self/status")) -> Check:
    effective = _capabilities(status_file)
    missing = [name for bit, name in ((CAP_NET_RAW, "CAP_NET_RAW"), (CAP_NET_ADMIN, "CAP_NET_ADMIN"))
               if not effective >> bit & 1]
    if missing:
        return Check(FAIL, "privileges", f"missing {' and '.join(missing)}",
                     "run as the collector's service (AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN) or as root")
    return Check(OK, "privileges", "CAP_NET_RAW and CAP_NET_ADMIN")


def _capabilities(status_file: Path) -> int:
    for line in status_file.read_text().splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0


# -- the mirror interface ------------------------------------------------------------------------
def interface_checks(name: str, sys_net: Path = Path("/sys/class/net")) -> list[Check]:
    where = f"interface {name}"
    base = sys_net / name
    if not base.exists():
        return [Check(FAIL, where, "does not exist", "check the name with `ip link`")]
    flags = int((base / "flags").read_text().strip(), 16)
    operstate = (base / "operstate").read_text().strip()
    checks = []
    if not flags & IFF_UP:
        checks.append(Check(FAIL, where, "is down", f"ip link set {name} up (deploy/prepare-mirror-nic.sh {name})"))
    elif operstate not in ("up", "unknown"):
        checks.append(Check(FAIL, where, f"is up but has no link ({operstate})",
                            "check the cable to the switch's SPAN destination port"))
    else:
        checks.append(Check(OK, where, f"up ({operstate})"))
    checks.append(Check(OK, f"{where} promiscuous", "on") if flags & IFF_PROMISC else
                  Check(WARN, f"{where} promiscuous", "off (the collector asks for it while it runs)",
                        f"ip link set {name} promisc on, so it stays so between runs"))
    addresses = _addresses(name)
    checks.append(Check(OK, f"{where} addresses", "none (a pure listening port)") if not addresses else
                  Check(WARN, f"{where} addresses", f"has {', '.join(addresses)}",
                        f"a mirror port should carry no IP: ip addr flush dev {name}"))
    checks.append(_offloads(name))
    return checks


def _addresses(name: str) -> list[str]:
    import json
    import subprocess
    try:
        proc = subprocess.run(["ip", "-j", "addr", "show", "dev", name], capture_output=True, text=True, timeout=5)
        entries = json.loads(proc.stdout or "[]")
    except (OSError, ValueError, subprocess.SubprocessError):
        return []
    return [f"{a['local']}/{a['prefixlen']}" for e in entries for a in e.get("addr_info", [])
            if a.get("scope") != "link"]


def _offloads(name: str) -> Check:
    where = f"interface {name} offloads"
    try:
        on = [label for label, command, bit in (("GRO", ETHTOOL_GGRO, 1), ("LRO", ETHTOOL_GFLAGS, ETH_FLAG_LRO))
              if _ethtool(name, command) & bit]
    except OSError as exc:
        return Check(WARN, where, f"cannot read ({exc.strerror})", "check with ethtool -k")
    if on:
        return Check(WARN, where, f"{' and '.join(on)} on: the NIC merges packets before capture",
                     f"ethtool -K {name} gro off lro off (deploy/prepare-mirror-nic.sh)")
    return Check(OK, where, "GRO and LRO off")


def _ethtool(name: str, command: int) -> int:
    value = struct.pack("II", command, 0)
    buffer = bytearray(value)
    request = struct.pack("16sP", name.encode()[:15], _address_of(buffer))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock.fileno(), SIOCETHTOOL, request)
    return struct.unpack("II", bytes(buffer))[1]


def _address_of(buffer: bytearray) -> int:
    import ctypes
    return ctypes.addressof((ctypes.c_char * len(buffer)).from_buffer(buffer))


# -- traffic -------------------------------------------------------------------------------------
def traffic_checks(name: str, seconds: float) -> list[Check]:
    from appliance.switches.wirecheck import check_mirror
    from collectors.errors import CollectorError
    where = f"mirrored traffic on {name}"
    try:
        check = check_mirror(name, seconds)
    except CollectorError as exc:
        return [Check(FAIL, where, str(exc), "run as the collector's user, check the interface")]
    health = check.health
    if not check.ok:
        return [Check(FAIL, where, f"nothing arrived in {seconds:g} s",
                      "check the SPAN session (appliance span verify SWITCH) and the cable")]
    checks = [Check(OK, where, f"{health['frames']} frames from {len(health['hosts'])} host(s) in {seconds:g} s, "
                               f"{health['rtp_streams']} RTP stream(s)")]
    if health["oversubscribed"]:
        checks.append(Check(WARN, f"mirror health on {name}",
                            f"{health['rtp_lost']} of {health['rtp_expected']} RTP packets missing in most streams",
                            "the SPAN session carries more than its port: mirror rx only, fewer ports, or the voice VLAN"))
    drops = health["kernel_drops"]
    checks.append(Check(OK, f"kernel drops on {name}", "none") if not drops else
                  Check(WARN, f"kernel drops on {name}", f"{drops} frames dropped by the capture socket",
                        "more collector workers or a larger ring (--workers, --ring-kib)"))
    return checks


# -- store and webhooks --------------------------------------------------------------------------
def store_checks(settings) -> list[Check]:
    from sqlalchemy.exc import SQLAlchemyError

    from appliance.store import migrate, open_store, queries
    try:
        current = migrate.current_revision(settings.store())
        head = migrate.head_revision(settings.store())
    except (SQLAlchemyError, OSError) as exc:
        return [Check(FAIL, "store", f"unreachable: {type(exc).__name__}",
                      "check APPLIANCE_DATABASE_URL and that the database server runs")]
    if current != head:
        return [Check(FAIL, "store", f"schema at {current or 'nothing'}, code needs {head}", "appliance db upgrade")]
    checks = [Check(OK, "store", f"schema {current}")]
    store = open_store(settings.store())
    try:
        with store.session(readonly=True) as session:
            hooks = [(h.id, h.name, h.url, h.enabled) for h in queries.list_webhooks(session)]
    finally:
        store.close()
    checks += [webhook_check(*hook, destinations=settings.notify) for hook in hooks]
    return checks


def webhook_check(hook_id: int, name: str | None, url: str, enabled: bool, timeout: float = 3.0,
                  destinations=None) -> Check:
    """Resolve and connect as the dispatcher would, through the destination policy (a refused
    destination fails here with what to allow-list)."""
    from appliance.notify.destinations import DestinationPolicy, DestinationRefused
    label = f"webhook {hook_id}{f' ({name})' if name else ''}"
    parts = urlsplit(url)
    target = f"{parts.scheme}://{parts.hostname}"
    if not enabled:
        return Check(OK, label, f"{target} is disabled")
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 80)
    try:
        addresses = (destinations or DestinationPolicy()).resolve(parts.hostname, port, socket.SOCK_STREAM)
    except DestinationRefused as exc:
        return Check(FAIL, label, f"{target}: {str(exc).split(';')[0]}", str(exc).split("; ", 1)[-1])
    except (socket.gaierror, UnicodeError) as exc:
        return Check(FAIL, label, f"{target}: the name does not resolve ({exc})", "check the URL or DNS")
    if parts.scheme.endswith("+udp"):
        return Check(OK, label, f"{target}:{port} resolves (UDP: no connection to test)")
    try:
        with socket.create_connection((addresses[0][4][0], port), timeout=timeout):
            pass
    except OSError as exc:
        return Check(FAIL, label, f"{target}:{port} refuses or does not answer ({exc.strerror or exc})",
                     "is the receiver up? alerts wait in the outbox and are retried")
    return Check(OK, label, f"{target}:{port} accepts connections")
