"""Which endpoints the policy treats how: hard phones (by vendor, subnet, voice VLAN or an inventory
file), exemptions (trunks, media servers: no alerts, or none of some types), and which device classes
raise alerts at all. Built from the configuration file's [policy] section (appliance.config_file).

A hard-phone rule overrides what the wire said about the device (a phone behind SIP-TLS may show no
User-Agent); the reason is added to the endpoint's evidence."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.errors import UsageError
from collectors.fingerprint.oui import normalise_mac

if TYPE_CHECKING:
    from netaddr import IPNetwork      # imported where addresses are parsed: most runs configure none

DEVICE_CLASSES = ("hard_phone", "softphone", "pbx", "gateway", "unknown")


@dataclass(frozen=True)
class Exemption:
    """Networks whose endpoints raise no alerts (or none of `types`): trunks, media servers."""
    networks: tuple[IPNetwork, ...]
    types: tuple[str, ...] = ()           # empty: every alert type
    reason: str = "exempt"

    def covers(self, ip: str, alert_type: str) -> bool:
        return (not self.types or alert_type in self.types) and _within(ip, self.networks)


@dataclass(frozen=True)
class EndpointRules:
    """The configured hard phones, exemptions and alerting device classes ([policy] of the configuration)."""
    vendors: tuple[str, ...] = ()                     # lower case
    subnets: tuple[IPNetwork, ...] = ()
    voice_vlans: frozenset[int] = frozenset()
    inventory: frozenset[str] = frozenset()           # IPs and normalised MACs
    exemptions: tuple[Exemption, ...] = ()
    alert_on: frozenset[str] = frozenset(DEVICE_CLASSES)

    def hard_phone_reason(self, ip: str, described: dict) -> str | None:
        vendor = (described.get("vendor") or "").lower()
        mac = normalise_mac(described["mac"]) if described.get("mac") else None
        if vendor and any(v in vendor for v in self.vendors):
            return f"policy: vendor {described['vendor']} counts as a hard phone"
        if ip in self.inventory or (mac and mac in self.inventory):
            return "policy: listed in the hard-phone inventory"
        if described.get("vlan") in self.voice_vlans:
            return f"policy: seen in voice VLAN {described['vlan']}"
        if _within(ip, self.subnets):
            return "policy: in a hard-phone subnet"
        return None

    def classify(self, ip: str, described: dict) -> dict:
        """`described` (an endpoint as the collector knows it) with the policy's device class applied."""
        reason = self.hard_phone_reason(ip, described)
        if reason is None:
            return described
        return {**described, "device_class": "hard_phone", "evidence": [*described.get("evidence", []), reason]}

    def exemption(self, ip: str, alert_type: str) -> Exemption | None:
        return next((e for e in self.exemptions if e.covers(ip, alert_type)), None)

    def alerts_on(self, device_class: str) -> bool:
        return device_class in self.alert_on


def build_rules(section: dict, base_dir: Path | None = None) -> EndpointRules:
    """From the [policy] table of the configuration file; UsageError naming the bad value."""
    phones = section.get("hard_phones", {})
    alert_on = section.get("alert_on_device_classes", list(DEVICE_CLASSES))
    unknown = [c for c in alert_on if c not in DEVICE_CLASSES]
    if unknown:
        raise UsageError(f"policy.alert_on_device_classes: unknown device class {unknown[0]!r}; "
                         f"known: {', '.join(DEVICE_CLASSES)}")
    return EndpointRules(
        vendors=tuple(str(v).lower() for v in phones.get("vendors", [])),
        subnets=_networks(phones.get("subnets", []), "policy.hard_phones.subnets"),
        voice_vlans=frozenset(_vlan(v) for v in phones.get("voice_vlans", [])),
        inventory=_inventory(phones.get("inventory"), base_dir),
        exemptions=tuple(_exemption(entry, n) for n, entry in enumerate(section.get("exempt", []))),
        alert_on=frozenset(alert_on))


def _exemption(entry: dict, n: int) -> Exemption:
    where = f"policy.exempt[{n}]"
    if not isinstance(entry, dict) or not entry.get("networks"):
        raise UsageError(f"{where}: an exemption needs `networks` (addresses or subnets) and may name `types`")
    return Exemption(_networks(entry["networks"], f"{where}.networks"), tuple(entry.get("types", ())),
                     str(entry.get("reason", "exempt")))


def _networks(values, where: str) -> tuple[IPNetwork, ...]:
    if values == []:
        return ()                          # the usual case: netaddr is not even imported
    from netaddr import AddrFormatError, IPNetwork
    try:
        return tuple(IPNetwork(str(v)) for v in values)
    except (AddrFormatError, ValueError, TypeError):
        raise UsageError(f"{where}: {values!r} holds something that is not an address or subnet") from None


def _vlan(value) -> int:
    if not isinstance(value, int) or not 1 <= value <= 4094:
        raise UsageError(f"policy.hard_phones.voice_vlans: {value!r} is not a VLAN id (1-4094)")
    return value


def _inventory(path, base_dir: Path | None) -> frozenset[str]:
    """A CSV or plain list: the first column of each line is an IP or a MAC address; `#` comments."""
    if not path:
        return frozenset()
    file = Path(path) if Path(path).is_absolute() or base_dir is None else base_dir / path
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"policy.hard_phones.inventory: cannot read {file}: {exc.strerror}") from None
    import csv                     # only with an inventory file
    entries = set()
    for row in csv.reader(line for line in lines if line.strip() and not line.lstrip().startswith("#")):
        value = row[0].strip() if row else ""
        if value.lower() in ("ip", "mac", "address"):
            continue                                   # a header line
        entries.add(_inventory_entry(value, file))
    return frozenset(entries)


def _inventory_entry(value: str, file: Path) -> str:
    mac = normalise_mac(value) if value.count(":") == 5 or value.count("-") == 5 else None
    if mac:
        return mac
    from netaddr import AddrFormatError, IPAddress
    try:
        return str(IPAddress(value))
    except (AddrFormatError, ValueError):
        raise UsageError(f"{file}: {value!r} is neither an IP nor a MAC address") from None


def _within(ip: str, networks) -> bool:
    if not networks:
        return False
    from netaddr import AddrFormatError, IPAddress
    try:
        address = IPAddress(ip)
    except (AddrFormatError, ValueError):
        return False
    return any(address.version == net.version and address in net for net in networks)
