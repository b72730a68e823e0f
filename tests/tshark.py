"""tshark as an independent witness: its view of the RTP streams in a capture."""
from __future__ import annotations

import re
import subprocess

from tests.conftest import need_tool

ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)\s+(.+?)\s+(\d+)\s+(-?\d+)")


def rtp_streams(path, decode_as_ports=()) -> dict[tuple, int]:
    """{(src, sport, dst, dport, ssrc): packets} as `tshark -z rtp,streams` reports them."""
    tshark = need_tool("tshark")
    cmd = [tshark, "-n", "-q", "-r", str(path), "--enable-heuristic", "rtp_udp", "-z", "rtp,streams"]
    for port in decode_as_ports:
        cmd += ["-d", f"udp.port=={port},rtp"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    streams = {}
    for line in out.splitlines():
        match = ROW.match(line)
        if match:
            src, sport, dst, dport, ssrc, _payload, packets, _lost = match.groups()
            key = (src, int(sport), dst, int(dport), int(ssrc, 16))
            streams[key] = streams.get(key, 0) + int(packets)
    return streams


def same_streams(theirs: dict[tuple, int], report: dict) -> bool:
    """Every RTP 4-tuple tshark found is ours too, with the same SSRCs and packet count."""
    by_tuple: dict[tuple, tuple[set, int]] = {}
    for (src, sport, dst, dport, ssrc), packets in theirs.items():
        ssrcs, total = by_tuple.get((src, sport, dst, dport), (set(), 0))
        by_tuple[(src, sport, dst, dport)] = (ssrcs | {ssrc}, total + packets)
    ours = {(s["src"], s["src_port"], s["dst"], s["dst_port"]): (set(s["ssrcs"]), s["packets"])
            for s in report["streams"] if s["kind"] == "rtp"}
    for key, expected in by_tuple.items():
        assert ours.get(key) == expected, f"tshark: {key} SSRCs/packets {expected}; ours: {ours.get(key)}"
    return True
