"""LLDP(-MED) frames and LLDPDUs: parse, classify, merge into a device description."""
from collectors.fingerprint import DeviceEvidence, classify_lldp, parse_lldp, parse_lldp_frame


def fuzz(data: bytes) -> None:
    for info in (parse_lldp_frame(data), parse_lldp(data)):
        classify_lldp(info)
        evidence = DeviceEvidence(info.src_mac if info else None)
        evidence.add_lldp(info)
        evidence.describe()
