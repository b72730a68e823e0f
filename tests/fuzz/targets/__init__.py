"""One module per fuzz target, each with `fuzz(data: bytes) -> None`: it feeds the bytes to the product
and raises only when the product breaks a promise (an exception its API does not document, a buffer
past its bound, an impossible result)."""
from __future__ import annotations

import importlib

TARGETS = (
    "link", "ip_fragments", "tunnels", "tcp_reassembly",
    "sip_message", "sdp", "multipart", "sip_tcp", "sip_websocket",
    "tls_records", "tls_handshake", "tls_certificate", "dtls",
    "stun_turn", "zrtp", "rtp_rtcp", "payload_classifier",
    "dhcp", "lldp", "cdp",
    "pcap", "pcapng",
    "pipeline_frames", "pipeline_udp", "pipeline_tcp",
)


def load(name: str):
    if name not in TARGETS:
        raise KeyError(f"unknown fuzz target {name!r}; one of {', '.join(TARGETS)}")
    return importlib.import_module(f"tests.fuzz.targets.{name}").fuzz
