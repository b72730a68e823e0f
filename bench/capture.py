"""The benchmark capture: 250 concurrent G.711 calls (500 unidirectional RTP streams), half of
them real SRTP, ~41.6 s long, >= 1,000,000 packets, written straight to pcap with `struct`.

Plan (deterministic from `SEED`):
  * call i: a local phone 10.1.0.(i+1) on the mirrored switch calls a remote phone 10.2.0.(i+1)
    through the router; PCMU or PCMA; media from a random tick in the first 2 s to the end;
  * 125 calls are SRTP (AES_CM_128_HMAC_SHA1_80 via pylibsrtp, a distinct master key per stream),
    125 cleartext RTP;
  * a quarter of the calls (31 SRTP + 32 cleartext) start with SIP INVITE/200/ACK over UDP 5060
    carrying SDP (RTP/SAVP + a=crypto for SRTP, RTP/AVP otherwise); the rest have no signaling;
  * every stream sends an RTCP SR + SDES compound on port+1 every 5 s (SRTCP for SRTP calls).

The file is cached in bench/out/: `ensure_capture` regenerates it only when it or its ground-truth
sidecar is missing, or the sidecar's generator version or size does not match.
"""
from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass, field

import pylibsrtp

from bench.audio import g711_frames
from bench.pcap import UdpTemplate, global_header, mac_for, record
from bench.voip import Party, invite_dialog, rtcp_sr, rtp_header

GENERATOR_VERSION = 2
SEED = 20240601
CALLS = 250
TICK_US = 20_000                     # 20 ms packetisation
TICKS = 2080                         # 41.6 s of capture
START_TICKS = (3, 100)               # media starts in the first 2 s (after 3 ticks of SIP)
RTCP_TICKS = 250                     # one SR every 5 s per stream
T0_US = 1_717_200_000 * 1_000_000    # 2024-06-01 00:00:00 UTC
# UDP ports in 16384-32767 that tshark 4.0 dissects by port number (`tshark -G decodes`): media
# never uses them, so tshark's RTP heuristic gets a fair chance at every stream.
TSHARK_CLAIMED_PORTS = frozenset({17220, 17500, 17754, 17755, 17756, 18246, 19132, 19788, 19948, 19999,
                                  20000, 20561, 22222, 23272, 24576, 24577, 25826, 26000, 27036, 27500,
                                  27910, 27950, 27951, 27952, 27953, 27960, 27961, 27962, 27963, 30030,
                                  32000, 32512})
ROUTER_MAC = bytes.fromhex("00005e000101")
VENDORS = [  # OUI, User-Agent
    (bytes.fromhex("0004f2"), "PolycomVVX-VVX_411-UA/6.4.3.5018"),
    (bytes.fromhex("805ec0"), "Yealink SIP-T46S 66.86.0.15"),
    (bytes.fromhex("000b82"), "Grandstream GXP2170 1.0.11.74"),
    (bytes.fromhex("00562b"), "Cisco-CP8845/14.2.1"),
]


@dataclass
class Stream:
    """One unidirectional RTP stream (and its RTCP) and its sending state."""
    rtp: UdpTemplate
    rtcp: UdpTemplate
    pt: int
    ssrc: int
    seq: int
    ts: int
    frame_offset: int
    phase_us: int
    start_tick: int
    rtcp_tick: int
    cname: str
    srtp: bool
    session: object = None           # pylibsrtp.Session when srtp
    peer: "Stream | None" = None
    first_seq: int = 0
    sent: int = 0
    octets: int = 0
    truth: dict = field(default_factory=dict)


def paths(out_dir: str) -> tuple[str, str]:
    return os.path.join(out_dir, "offline.pcap"), os.path.join(out_dir, "offline.truth.json")


def ensure_capture(out_dir: str) -> tuple[str, dict, float | None]:
    """(pcap path, ground truth, generation seconds or None when the cached file was reused)."""
    pcap_path, truth_path = paths(out_dir)
    try:
        with open(truth_path) as f:
            truth = json.load(f)
        if truth.get("generator_version") == GENERATOR_VERSION and os.path.getsize(pcap_path) == truth["bytes"]:
            return pcap_path, truth, None
    except (OSError, ValueError, KeyError):
        pass
    os.makedirs(out_dir, exist_ok=True)
    started = time.perf_counter()
    truth = generate(pcap_path)
    with open(truth_path + ".tmp", "w") as f:
        json.dump(truth, f, indent=1)
    os.replace(truth_path + ".tmp", truth_path)
    return pcap_path, truth, time.perf_counter() - started


def _plan(rng: random.Random) -> tuple[list[Stream], dict[int, list[tuple[UdpTemplate, bytes]]], list[dict]]:
    frames_len = len(g711_frames("ulaw"))
    order = list(range(CALLS))
    rng.shuffle(order)
    srtp_calls = set(order[:CALLS // 2])
    signaled = set(order[:31]) | set(order[CALLS // 2:CALLS // 2 + 32])
    streams: list[Stream] = []
    sip: dict[int, list[tuple[UdpTemplate, bytes]]] = {}
    calls = []
    for i in range(CALLS):
        srtp, pt = i in srtp_calls, rng.choice((0, 8))
        start = rng.randrange(*START_TICKS)
        oui, agent = VENDORS[i % len(VENDORS)]
        local, remote = f"10.1.0.{i + 1}", f"10.2.0.{i + 1}"
        parties = [Party(f"{1000 + i}", local, _media_port(rng), agent,
                         rng.randbytes(30) if srtp else None),
                   Party(f"{5000 + i}", remote, _media_port(rng), VENDORS[(i + 1) % 4][1],
                         rng.randbytes(30) if srtp else None)]
        macs = [(mac_for(local, oui), ROUTER_MAC), (ROUTER_MAC, mac_for(local, oui))]
        pair = []
        for d, (me, them) in enumerate((parties, parties[::-1])):
            src_mac, dst_mac = macs[d]
            s = Stream(UdpTemplate(me.ip, me.rtp_port, them.ip, them.rtp_port, src_mac, dst_mac),
                       UdpTemplate(me.ip, me.rtp_port + 1, them.ip, them.rtp_port + 1, src_mac, dst_mac),
                       pt, rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(32),
                       rng.randrange(frames_len), rng.randrange(1, TICK_US), start,
                       start + rng.randrange(50, RTCP_TICKS), f"{me.user}@{me.ip}", srtp)
            s.first_seq = s.seq
            if srtp:
                s.session = pylibsrtp.Session(pylibsrtp.Policy(
                    key=me.key_salt, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
                    srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80))
            s.truth = {"src": me.ip, "src_port": me.rtp_port, "dst": them.ip, "dst_port": them.rtp_port,
                       "srtp": srtp, "codec": "PCMU" if pt == 0 else "PCMA", "signaled": i in signaled,
                       "call": i}
            pair.append(s)
        pair[0].peer, pair[1].peer = pair[1], pair[0]
        streams += pair
        call_id = f"{rng.getrandbits(64):016x}@{local}"
        calls.append({"call": i, "call_id": call_id if i in signaled else None, "srtp": srtp,
                      "signaled": i in signaled, "codec": pair[0].truth["codec"]})
        if i in signaled:
            tags = tuple(f"{rng.getrandbits(32):08x}" for _ in range(2)) + tuple(
                f"z9hG4bK{rng.getrandbits(48):012x}" for _ in range(2))
            fwd = UdpTemplate(local, 5060, remote, 5060, macs[0][0], macs[0][1], tos=0x60)
            rev = UdpTemplate(remote, 5060, local, 5060, macs[1][0], macs[1][1], tos=0x60)
            for n, (direction, payload) in enumerate(invite_dialog(parties[0], parties[1], pt, call_id, tags)):
                sip.setdefault(start - 3 + n, []).append((fwd if direction == "fwd" else rev, payload))
    streams.sort(key=lambda s: s.phase_us)
    return streams, sip, calls


def generate(path: str) -> dict:
    """Write the capture to `path` and return its ground truth."""
    rng = random.Random(SEED)
    frames = {0: g711_frames("ulaw"), 8: g711_frames("alaw")}
    nframes = len(frames[0])
    streams, sip, calls = _plan(rng)
    packets = rtcp_packets = sip_packets = 0
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(global_header())
        for k in range(TICKS):
            base = T0_US + k * TICK_US
            out = []
            for template, payload in sip.get(k, ()):
                out.append(record(base, template.frame(payload)))
                sip_packets += 1
            for s in streams:
                n = k - s.start_tick
                if n < 0:
                    continue
                now = base + s.phase_us
                pkt = rtp_header(s.pt, s.seq, s.ts, s.ssrc, n == 0) + frames[s.pt][(s.frame_offset + n) % nframes]
                if s.session is not None:
                    pkt = s.session.protect(pkt)
                out.append(record(now, s.rtp.headers(len(pkt)) + pkt))
                s.sent += 1
                s.octets += 160
                if k == s.rtcp_tick:
                    out.append(record(now, s.rtcp.frame(_rtcp(s, now, rng))))
                    s.rtcp_tick += RTCP_TICKS
                    rtcp_packets += 1
                s.seq = (s.seq + 1) & 0xFFFF
                s.ts = (s.ts + 160) & 0xFFFFFFFF
            packets += len(out)
            f.write(b"".join(out))
    os.replace(tmp, path)
    rtp_streams = sorted((s.truth for s in streams), key=lambda t: (t["call"], t["src"]))
    return {"generator_version": GENERATOR_VERSION, "seed": SEED, "bytes": os.path.getsize(path),
            "packets": packets, "rtp_packets": packets - rtcp_packets - sip_packets,
            "rtcp_packets": rtcp_packets, "sip_packets": sip_packets, "duration_s": TICKS * TICK_US / 1e6,
            "calls": calls, "streams": rtp_streams}


def _media_port(rng: random.Random) -> int:
    """An even RTP port in 16384-32766 whose RTCP port (+1) is free as well."""
    while True:
        port = rng.randrange(8192, 16383) * 2
        if port not in TSHARK_CLAIMED_PORTS and port + 1 not in TSHARK_CLAIMED_PORTS:
            return port


def _rtcp(s: Stream, now_us: int, rng: random.Random) -> bytes:
    peer = s.peer
    peer_ext = peer.first_seq + peer.sent - 1 if peer and peer.sent else 0
    sr = rtcp_sr(s.ssrc, now_us, s.ts, s.sent, s.octets, s.cname,
                 peer.ssrc if peer and peer.sent else None, peer_ext, rng.randrange(4, 40))
    return s.session.protect_rtcp(sr) if s.session is not None else sr
