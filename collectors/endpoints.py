"""What the wire tells about each IP endpoint: its MAC address, SIP User-Agent/Server values, and the
layer-2 and DHCP announcements of the device behind that MAC. `describe` merges them through
`collectors.fingerprint.DeviceEvidence`, so a hard phone hidden behind SIP-TLS is still recognised
from its OUI, DHCP fingerprint or LLDP-MED/CDP announcement."""
from __future__ import annotations

from dataclasses import dataclass, field

from collectors.fingerprint import DeviceEvidence, rejects_wildcard_certs
from collectors.fingerprint.oui import normalise_mac

MAX_ENDPOINTS = 100000
MAX_DEVICES = 100000
MAX_AGENTS = 4
MAX_DESCRIBED = 20000    # descriptions kept for re-use (cleared when full)


@dataclass(slots=True)
class Endpoint:
    """What the wire showed of one IP address: MAC, SIP User-Agent and Server values, VLAN."""
    ip: str
    mac: str | None = None
    user_agents: list[str] = field(default_factory=list)
    server_headers: list[str] = field(default_factory=list)
    vlan: int | None = None             # the 802.1Q VLAN its frames arrived in (a voice VLAN, say)

    @property
    def user_agent(self) -> str | None:
        return (self.user_agents or self.server_headers or [None])[0]


@dataclass(slots=True)
class Layer2Device:
    """DHCP, LLDP and CDP announcements of one MAC address."""
    dhcp: object = None
    lldp: object = None
    cdp: object = None


class EndpointTable:
    def __init__(self):
        self.endpoints: dict[str, Endpoint] = {}
        self.devices: dict[str, Layer2Device] = {}       # by normalised MAC
        self._described: dict[str, tuple] = {}           # ip -> (evidence state, description)

    def touch(self, ip: str) -> Endpoint | None:
        endpoint = self.endpoints.get(ip)
        if endpoint is None and len(self.endpoints) < MAX_ENDPOINTS:
            endpoint = self.endpoints[ip] = Endpoint(ip)
        return endpoint

    def saw_mac(self, ip: str, mac: str | None, vlan: int = 0) -> None:
        if mac:
            endpoint = self.touch(ip)
            if endpoint is not None and endpoint.mac is None:
                endpoint.mac = mac
            if endpoint is not None and vlan and endpoint.vlan is None:
                endpoint.vlan = vlan

    def saw_agent(self, ip: str, agent: str | None, is_server_header: bool) -> None:
        endpoint = self.touch(ip) if agent else None
        if endpoint is None:
            return
        values = endpoint.server_headers if is_server_header else endpoint.user_agents
        agent = agent[:200]
        if agent not in values and len(values) < MAX_AGENTS:
            values.append(agent)

    def saw_dhcp(self, info) -> None:
        """A DHCP client message: remember it by MAC, and tie the MAC to the address it holds."""
        device = self._device(info.mac)
        if device is None:
            return
        device.dhcp = info
        for ip in (info.client_ip, info.your_ip):
            if ip and ip != "0.0.0.0":
                self.saw_mac(ip, normalise_mac(info.mac))

    def saw_lldp(self, info) -> None:
        device = self._device(info.src_mac)
        if device is not None:
            device.lldp = info
            if info.management_ip:
                self.saw_mac(info.management_ip, normalise_mac(info.src_mac))

    def saw_cdp(self, info) -> None:
        device = self._device(info.src_mac)
        if device is not None:
            device.cdp = info
            for ip in info.addresses[:1]:
                self.saw_mac(ip, normalise_mac(info.src_mac))

    def _device(self, mac) -> Layer2Device | None:
        key = normalise_mac(mac) if mac else None
        if key is None:
            return None
        device = self.devices.get(key)
        if device is None and len(self.devices) < MAX_DEVICES:
            device = self.devices[key] = Layer2Device()
        return device

    def describe(self, ip: str) -> dict:
        """vendor, model, firmware, device_class and evidence of an endpoint. The policy asks on every
        alert and the report once more: an endpoint whose evidence has not changed since it was last
        described gets a copy of that description (`_described`, bounded), not a new merge."""
        endpoint = self.endpoints.get(ip)
        device = self.devices.get(endpoint.mac) if endpoint is not None and endpoint.mac else None
        state = _evidence_state(endpoint, device)
        known = self._described.get(ip)
        if known is None or known[0] != state:
            if len(self._described) >= MAX_DESCRIBED:
                self._described.clear()
            known = self._described[ip] = (state, self._describe(endpoint, device))
        described = known[1]
        return {**described, "evidence": list(described["evidence"])}

    def _describe(self, endpoint: Endpoint | None, device: Layer2Device | None) -> dict:
        evidence = DeviceEvidence(endpoint.mac if endpoint else None)
        if endpoint is not None:
            for agent in endpoint.user_agents:
                evidence.add_user_agent(agent)
            for server in endpoint.server_headers:
                evidence.add_server_header(server)
            if device is not None:
                evidence.add_dhcp(device.dhcp)
                evidence.add_lldp(device.lldp)
                evidence.add_cdp(device.cdp)
        described = evidence.describe()
        described["device_class"] = described.get("device_class") or "unknown"
        if endpoint is not None and endpoint.vlan is not None:
            described["vlan"] = endpoint.vlan           # only when tagged frames said so
        return described

    def wildcard_policy(self, ip: str) -> tuple[str | None, bool]:
        """(vendor, whether that vendor's phones reject wildcard certificates) for an endpoint."""
        vendor = self.describe(ip)["vendor"]
        return vendor, bool(vendor) and rejects_wildcard_certs(vendor)


def _evidence_state(endpoint: Endpoint | None, device: Layer2Device | None) -> tuple:
    """What an endpoint's description is made from (its announcements compared by value)."""
    if endpoint is None:
        return ()
    layer2 = (device.dhcp, device.lldp, device.cdp) if device is not None else ()
    return endpoint.mac, tuple(endpoint.user_agents), tuple(endpoint.server_headers), endpoint.vlan, layer2
