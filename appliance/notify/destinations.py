"""Where notifications may go: the destination policy of every notifier (HTTP(S), syslog, HEP).

Refused unless allow-listed: loopback (127/8, ::1, the name `localhost`), unspecified (0/8, ::),
link-local (169.254/16, fe80::/10), multicast (224/4, ff00::/8) and broadcast, and the cloud metadata
services by name (`metadata.google.internal`, ...) and by address (169.254.169.254, fd00:ec2::254,
100.100.100.200, ...). An address is recognised in any spelling a resolver accepts: decimal
(`2852039166`), hex (`0xa9fea9fe`), octal (`0251.0376.0251.0376`), short forms (`169.254.43518`),
and inside IPv6 (IPv4-mapped `::ffff:169.254.169.254`, IPv4-compatible, NAT64 64:ff9b::/96, 6to4).
Private ranges (10/8, 172.16/12, 192.168/16, fc00::/7) stay allowed: SIEMs and chat relays live there.

The allow-list (`[notify] allow = [...]` in the configuration file, or `APPLIANCE_NOTIFY_ALLOW`, comma
separated, which wins) holds CIDRs and host names; a listed name is allowed whatever it resolves to.
It is built once at start-up (`Settings.notify`) and passed down.

Checked twice: when a webhook is created or changed (`check_url`: the URL's host as written, no DNS),
and at every delivery (`resolve`: after DNS, every address the name resolves to must pass; the notifier
then connects to the address that was checked, so a name cannot rebind between check and connect)."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from appliance.store.errors import InvalidValue

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_NAMES = frozenset({
    "metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal",
    "metadata.azure.internal", "metadata.tencentyun.com", "metadata.packet.net", "metadata.platformequinix.com"})
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",          # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle ...
    "169.254.170.2",            # AWS ECS task metadata
    "fd00:ec2::254",            # AWS IMDS over IPv6
    "100.100.100.200",          # Alibaba Cloud
    "168.63.129.16"))           # Azure WireServer
REFUSED = tuple((ipaddress.ip_network(net), what) for net, what in (
    ("127.0.0.0/8", "loopback"), ("::1/128", "loopback"),
    ("0.0.0.0/8", "unspecified"), ("::/128", "unspecified"),
    ("169.254.0.0/16", "link-local"), ("fe80::/10", "link-local"),
    ("224.0.0.0/4", "multicast"), ("ff00::/8", "multicast"),
    ("255.255.255.255/32", "broadcast")))
HINT = ("to send there anyway, add it to [notify] allow in the configuration file or to APPLIANCE_NOTIFY_ALLOW "
        "(comma-separated CIDRs and host names) and restart the appliance")


class DestinationRefused(InvalidValue):
    """A notification destination the policy refuses (HTTP 422 at creation; a failed delivery later)."""


@dataclass(frozen=True)
class DestinationPolicy:
    """The networks and host names webhooks may be sent to."""
    networks: tuple[Network, ...] = ()
    names: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, entries, source: str = "[notify] allow") -> DestinationPolicy:
        """From CIDRs / addresses / host names; ValueError naming the entry that is none of those."""
        networks, names = [], set()
        for raw in entries:
            entry = str(raw).strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            name = _name(entry)
            if not name or not all(part and part.replace("-", "").replace("_", "").isalnum()
                                   for part in name.split(".")):
                raise ValueError(f"{source}: {entry!r} is neither a CIDR (10.0.0.0/8, ::1/128) nor a host name")
            names.add(name)
        return cls(tuple(networks), frozenset(names))

    # -- the rules --------------------------------------------------------------------------------
    def refusal(self, address: Address) -> str | None:
        """Why `address` is refused ("loopback", "cloud metadata", ...), None when it may be used."""
        if any(address in net for net in self.networks if net.version == address.version):
            return None
        inner = embedded_ipv4(address)
        if inner is not None:
            return self.refusal(inner)
        if address in METADATA_ADDRESSES:
            return "cloud metadata"
        for net, what in REFUSED:
            if net.version == address.version and address in net:
                return what
        return None

    def check_host(self, host: str) -> None:
        """At creation: the host as written (an address in any spelling, or a name); no DNS."""
        name = _name(host)
        if name in self.names:
            return
        if name in METADATA_NAMES:
            raise DestinationRefused(f"refused destination {host}: cloud metadata service; {HINT}")
        if name == "localhost" or name.endswith(".localhost"):
            raise DestinationRefused(f"refused destination {host}: loopback; {HINT}")
        address = literal_address(name)
        if address is not None:
            self._check(host, address)

    def check_url(self, url: str) -> None:
        try:
            host = urlsplit(url).hostname
        except ValueError:
            host = None
        if host:
            self.check_host(host)

    def resolve(self, host: str, port: int, socktype: int = socket.SOCK_STREAM) -> list[tuple]:
        """At delivery: getaddrinfo, then every address must pass (else DestinationRefused); returns
        the checked results, to connect to (not to the name, which could now resolve elsewhere)."""
        self.check_host(host)
        results = socket.getaddrinfo(_name(host), port, type=socktype)
        if _name(host) not in self.names:
            for *_, sockaddr in results:
                self._check(host, ipaddress.ip_address(sockaddr[0].split("%", 1)[0]))
        return results

    def _check(self, host: str, address: Address) -> None:
        what = self.refusal(address)
        if what is not None:
            shown = host if str(address) == _name(host) else f"{host} ({address})"
            raise DestinationRefused(f"refused destination {shown}: {what} address; {HINT}")


def literal_address(host: str) -> Address | None:
    """The address a host written as one means, in any spelling a resolver accepts, else None."""
    text = _name(host).split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if text and all(c in "0123456789abcdefx." for c in text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))      # 2852039166, 0xa9fea9fe, 0251.0376...
        except OSError:
            return None
    return None


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv6 one (mapped, compatible, NAT64, 6to4), else None."""
    if address.version != 6:
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    packed = int(address)
    if packed >> 32 == 0 and packed > 1:                                    # ::a.b.c.d (compatible)
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    if address in ipaddress.ip_network("64:ff9b::/96"):                      # NAT64
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


def _name(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()
