"""DHCP client/server messages: parse, classify, and merge into an endpoint's device description."""
from collectors.fingerprint import DeviceEvidence, classify_dhcp, dhcp_verdict, parse_dhcp


def fuzz(data: bytes) -> None:
    info = parse_dhcp(data)
    classify_dhcp(info)
    dhcp_verdict(info)
    evidence = DeviceEvidence(info.mac if info else None)
    evidence.add_dhcp(info)
    evidence.describe()
