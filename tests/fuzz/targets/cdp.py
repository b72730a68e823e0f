"""CDP frames and PDUs: parse, classify, merge into a device description."""
from collectors.fingerprint import DeviceEvidence, classify_cdp, parse_cdp, parse_cdp_frame


def fuzz(data: bytes) -> None:
    for info in (parse_cdp_frame(data), parse_cdp(data)):
        classify_cdp(info)
        evidence = DeviceEvidence(info.src_mac if info else None)
        evidence.add_cdp(info)
        evidence.describe()
