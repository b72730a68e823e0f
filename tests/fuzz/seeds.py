"""Build the stored seed corpus (tests/data/fuzz/<target>/) from the project's own lab captures
(tests/data/lab/*.pcap) and synth generators (tests/synth): `python -m tests.fuzz.seeds`.

Never from ../shared/corpus (licences). Each seed is small (<= 8 KiB); files are named by content hash,
so re-running adds nothing twice. Inputs found by fuzzing (run.py) and crash reproducers live beside them.
"""
from __future__ import annotations

import hashlib
import struct
from collections import defaultdict
from pathlib import Path

from collectors.decode.decoder import Decoder
from collectors.sources.pcapfile import PcapFileSource
from tests.fuzz.common import IP_A, IP_B, ethernet, ipv4, ipv6, pack_chunks, udp
from tests.fuzz.run import CORPUS

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "tests" / "data" / "lab"
MAX_SEED = 8192


def lab_packets():
    """(capture name, frame, decoded packet) of every lab capture."""
    for path in sorted(LAB.glob("*.pcap")):
        decoder = Decoder()
        for frame in PcapFileSource(str(path)).packets():
            pkt = decoder.decode(frame.ts, frame.linktype, frame.data)
            yield path.stem, frame, pkt


def kind_of(pkt) -> str:
    p = pkt.payload
    if not p:
        return "empty"
    if p[:3] in (b"INV", b"SIP", b"ACK", b"BYE", b"REG", b"OPT", b"CAN", b"PRA", b"UPD", b"NOT", b"SUB"):
        return "sip"
    if p[0] < 4 and p[4:8] == b"\x21\x12\xa4\x42":
        return "stun"
    if 20 <= p[0] <= 63:
        return "dtls" if pkt.proto == 17 else "tls"
    if 128 <= p[0] < 192 and len(p) > 1:
        return "rtcp" if 192 <= p[1] <= 223 else "rtp"
    return "other"


def collect() -> dict[str, list[bytes]]:
    seeds: dict[str, list[bytes]] = defaultdict(list)
    frames_by: dict[tuple, list] = defaultdict(list)
    tcp_streams: dict[tuple, list] = defaultdict(list)
    for name, frame, pkt in lab_packets():
        if pkt is None:
            continue
        kind = kind_of(pkt)
        frames_by[(name, kind, pkt.proto)].append((frame, pkt))
        if pkt.proto == 6:
            tcp_streams[(name, pkt.src, pkt.sport, pkt.dst, pkt.dport)].append(pkt)
    add = lambda target, data: seeds[target].append(bytes(data))  # noqa: E731

    from tests.synth.pcapio import reframe
    for (name, kind, proto), items in frames_by.items():
        for frame, pkt in items[:2]:
            add("link", b"\x00" + frame.data)
            add("pipeline_frames", pack_chunks([(0, frame.data)]))
            if kind in ("sip", "rtp") and proto == 17:
                for index, linktype in ((4, 113), (5, 276), (6, 101)):
                    add("link", bytes([index]) + reframe(frame.data, linktype))
            payload = pkt.payload
            if kind == "sip":
                add("sip_message", bytes([proto == 17]) + payload)
                add("sip_message", b"\x00" + payload)
                body = payload.split(b"\r\n\r\n", 1)[-1]
                if b"v=0" in body:
                    add("sdp", body)
                    add("multipart", b"application/sdp\n" + body)
            elif kind in ("rtp", "rtcp"):
                add("rtp_rtcp", pack_chunks([(0, payload)] * 4))
            elif kind == "stun":
                add("stun_turn", pack_chunks([(0, payload), (0, b"\x40\x00" + len(payload).to_bytes(2, "big") + payload)]))
            elif kind == "dtls":
                add("dtls", payload)
                add("stun_turn", pack_chunks([(0, payload)]))
        # consecutive frames of one kind: whole flows through the pipeline and the classifiers
        frames = [f.data for f, _ in items[:24]]
        add("pipeline_frames", pack_chunks([(8, d) for d in frames]))
        if kind == "rtp":
            pts = (0, 8, 9, 18, 13, 96, 97, 98, 99, 100, 101, 102)
            flag = pts.index(items[0][1].data[items[0][1].off + 1] & 0x7F) if (
                items[0][1].data[items[0][1].off + 1] & 0x7F) in pts else 11
            chunks_ = []
            for _, p in items[:40]:
                raw = p.payload
                chunks_.append((flag, raw[4:8] + raw[12:]))
            add("payload_classifier", pack_chunks(chunks_))
            add("rtp_rtcp", pack_chunks([(0, p.payload) for _, p in items[:8]]))
            add("pipeline_udp", pack_chunks([(2 | 8, p.payload) for _, p in items[:30]]))
        if kind == "rtcp":
            add("pipeline_udp", pack_chunks([(4, p.payload) for _, p in items[:4]]))
        if kind == "sip" and proto == 17:
            add("pipeline_udp", pack_chunks([(0 if i % 2 == 0 else 1, p.payload) for i, (_, p) in enumerate(items[:6])]))

    # TCP directions: SIP over TCP, TLS
    for (name, *_), pkts in tcp_streams.items():
        data = [p.payload for p in pkts if p.payload][:12]
        if not data:
            continue
        first = data[0]
        explicit = [(2, p.tcp_seq.to_bytes(4, "big") + p.payload) for p in pkts if p.payload][:12]
        add("tcp_reassembly", pack_chunks(explicit))
        if first[:1] == b"\x16" or first[:1] == b"\x17":
            add("tls_records", pack_chunks([(0, d) for d in data]))
        elif kind_of(pkts[0]) in ("sip", "empty"):
            add("sip_tcp", pack_chunks([(0, d) for d in data]))
            add("pipeline_tcp", pack_chunks([(0, d) for d in data]))
    for name in {k[0] for k in tcp_streams}:
        both = [(k, p) for k, pkts in tcp_streams.items() if k[0] == name for p in pkts if p.payload]
        both.sort(key=lambda kp: kp[1].ts)
        if both and both[0][1].payload[:1] == b"\x16":
            client = both[0][0]
            seq = [(0 if k == client else 1, p.payload) for k, p in both[:12]]
            add("tls_handshake", pack_chunks(seq))
            add("pipeline_tcp", pack_chunks([(8 if f == 0 else 12, d) for f, d in seq]))
            for k, p in both:
                if k != client and p.payload[:1] == b"\x16":
                    add("tls_records", pack_chunks([(0, p.payload)]))
    synth(add)
    return seeds


def synth(add) -> None:
    from tests.synth.mirror import gre_erspan_wrap
    from tests.synth.pcapio import write_pcap
    sip = (b"INVITE sip:bob@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060\r\ni: abc@x\r\n"
           b"f: <sip:alice@192.0.2.10>;tag=1\r\nt: <sip:bob@192.0.2.20>\r\nCSeq: 1 INVITE\r\n"
           b"User-Agent: Yealink SIP-T46S 66.85.0.5\r\nc: application/sdp\r\nl: 120\r\n\r\n")
    sdp = (b"v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
           b"m=audio 40000 RTP/SAVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
           b"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
           b"a=rtcp-mux\r\na=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\na=zrtp-hash:1.10 ab\r\n")
    message = sip.replace(b"l: 120", b"l: %d" % len(sdp)) + sdp
    add("sip_message", b"\x01" + message)
    add("sdp", sdp + b"\0" + sdp.replace(b"RTP/SAVP", b"RTP/AVP"))
    boundary = b"b1"
    multipart = (b"--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\nContent-Type: multipart/mixed;boundary=b2"
                 b"\r\n\r\n--b2\r\nc: application/sdp\r\n\r\n" + sdp + b"\r\n--b2--\r\n--b1--\r\n")
    add("multipart", b"multipart/mixed; boundary=\"" + boundary + b"\"\n" + multipart)
    add("sip_tcp", pack_chunks([(0, message[:50]), (0, message[50:] + b"\r\n\r\n" + message)]))
    add("sip_tcp", pack_chunks([(1, b""), (0, b"garbage\r\n" + message), (2, b"\0\0\x10\0" + message)]))
    # WebSocket: upgrade, then a masked text frame carrying SIP, and a fragmented unmasked one
    upgrade = (b"GET / HTTP/1.1\r\nHost: pbx\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Key: x\r\n\r\n")
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i & 3] for i, b in enumerate(message))
    ws = b"\x81" + bytes([0x80 | 126]) + len(masked).to_bytes(2, "big") + mask + masked
    frag = b"\x01\x7e" + (100).to_bytes(2, "big") + message[:100] + b"\x80\x7e" + (len(message) - 100).to_bytes(2, "big") + message[100:]
    add("sip_websocket", pack_chunks([(0, upgrade), (0, ws), (0, frag)]))
    add("pipeline_tcp", pack_chunks([(0, upgrade), (0, ws)]))
    add("pipeline_tcp", pack_chunks([(0, message)]))
    # ICE-TCP (RFC 4571) and TURN-TCP framing
    rtp = b"\x80\x00\x00\x01" + bytes(4) + b"\x11\x22\x33\x44" + bytes(160)
    stun = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + bytes(12)
    add("stun_turn", pack_chunks([(0, len(rtp).to_bytes(2, "big") + rtp), (0, len(stun).to_bytes(2, "big") + stun)]))
    add("stun_turn", pack_chunks([(1, stun + b"\x40\x01" + len(rtp).to_bytes(2, "big") + rtp)]))
    add("pipeline_tcp", pack_chunks([(8, len(rtp).to_bytes(2, "big") + rtp)] * 6))
    add("pipeline_udp", pack_chunks([(6, stun), (2, b"\x40\x01" + len(rtp).to_bytes(2, "big") + rtp)]))
    # ZRTP
    def zrtp(kind: bytes) -> bytes:
        return b"\x10\x00\x00\x01ZRTP\x11\x22\x33\x44" + b"\x50\x5a\x00\x03" + kind + bytes(8) + b"crc!"
    add("zrtp", pack_chunks([(0, zrtp(k)) for k in (b"Hello   ", b"HelloACK", b"Commit  ", b"Confirm1", b"GoClear ")]))
    add("pipeline_udp", pack_chunks([(2, zrtp(b"Hello   ")), (3, zrtp(b"Confirm1"))] + [(2 | 8, rtp)] * 8))
    # RTCP compound with an SRTCP-like trailer
    rtcp = b"\x80\xc8\x00\x06" + bytes(24) + b"\x81\xca\x00\x02\x11\x22\x33\x44\x01\x02ab"
    add("rtp_rtcp", pack_chunks([(0, rtcp), (0, rtcp + b"\x80\x00\x00\x01" + bytes(10))]))
    # fragments: an INVITE in three IPv4 fragments and two IPv6 fragments (raw IP)
    datagram = udp(message, 5060, 5060)
    pieces = [datagram[i:i + 128] for i in range(0, len(datagram), 128)]
    v4, off = [], 0
    for i, piece in enumerate(pieces):
        more = 0x2000 if i < len(pieces) - 1 else 0
        v4.append((0, ipv4(piece, 17, ident=7, frag=more | (off // 8))))
        off += len(piece)
    add("ip_fragments", pack_chunks(v4))
    add("ip_fragments", pack_chunks(list(reversed(v4))))
    half = (len(datagram) // 2) // 8 * 8
    v6 = [(0, ipv6(bytes([17, 0]) + struct.pack("!HI", 1, 9) + datagram[:half], 44)),
          (0, ipv6(bytes([17, 0]) + struct.pack("!HI", half, 9) + datagram[half:], 44))]
    add("ip_fragments", pack_chunks(v6))
    add("ip_fragments", pack_chunks([(0, ipv6(bytes([60, 0]) + bytes(6) + bytes([17, 0]) + bytes(6) + datagram, 0))]))
    add("pipeline_frames", pack_chunks([(6, d) for _, d in v4]))
    # link layers: 802.1Q, QinQ, MPLS, null/loopback
    sip_frame = ethernet(ipv4(datagram, 17))
    inner = sip_frame[14:]
    add("link", b"\x00" + sip_frame[:12] + b"\x81\x00\x00\x64\x08\x00" + inner)
    add("link", b"\x00" + sip_frame[:12] + b"\x88\xa8\x00\xc8\x81\x00\x00\x64\x08\x00" + inner)
    add("link", b"\x00" + sip_frame[:12] + b"\x88\x47\x00\x01\x01\x40" + inner)
    add("link", b"\x00" + sip_frame[:12] + b"\x88\x47\x00\x01\x00\x40\x00\x02\x01\x40" + inner)
    add("link", b"\x09\x02\x00\x00\x00" + inner)
    add("link", b"\x0a\x00\x00\x00\x1e" + ipv6(datagram, 17))
    add("link", b"\x00" + ethernet(ipv6(bytes([17, 0]) + bytes(6) + datagram, 0), 0x86DD))
    add("link", b"\x00" + ethernet(ipv4(b"\x03\x03\x00\x00" + bytes(4) + ipv4(datagram[:8], 17), 1)))
    # tunnels: GRE/ERSPAN II and III, transparent Ethernet, VXLAN, GTP-U, IP-in-IP, 6in4
    for erspan in (2, 3):
        wrapped = gre_erspan_wrap(sip_frame, erspan, seq=5)
        add("tunnels", b"\x00" + wrapped[34:])
        add("link", b"\x00" + wrapped)
    add("tunnels", b"\x00" + b"\x00\x00\x65\x58" + sip_frame)
    add("tunnels", b"\x00" + b"\x00\x00\x08\x00" + inner)
    add("tunnels", b"\x01" + b"\x08\x00\x00\x00\x00\x00\x01\x00" + sip_frame)
    add("tunnels", b"\x02" + b"\x30\xff" + len(inner).to_bytes(2, "big") + b"\0\0\0\1" + inner)
    add("tunnels", b"\x02" + b"\x32\xff" + (len(inner) + 8).to_bytes(2, "big") + b"\0\0\0\1\0\1\0\x85"
        + b"\x01\x00\x01\x00" + inner)
    add("tunnels", b"\x03" + inner)
    add("tunnels", b"\x04" + ipv6(datagram, 17))
    # TLS certificates
    for der in certificates():
        add("tls_certificate", der)
    # DHCP, LLDP, CDP (the fingerprint tests' own frames)
    from tests.collectors.fingerprint import test_cdp, test_dhcp, test_lldp
    for frame in (test_lldp.POLY, test_lldp.YEALINK, test_lldp.SWITCH):
        add("lldp", frame)
        add("pipeline_frames", pack_chunks([(0, frame)]))
    for frame in (test_cdp.PHONE, test_cdp.SWITCH, test_cdp.POLY):
        add("cdp", frame)
        add("pipeline_frames", pack_chunks([(0, frame)]))
    for options in ([("vendor_class_id", b"Cisco Systems, Inc. IP Phone CP-7965G"), ("hostname", b"SEP001BD4AABBCC"),
                     ("param_req_list", test_dhcp.CISCO_PRL), ("user_class", b"\x05voice")],
                    [("vendor_class_id", b"Polycom-VVX310"), ("requested_addr", "10.0.0.5"), ("overload", 3)]):
        payload = test_dhcp.discover("00:1b:d4:aa:bb:cc", *options)
        add("dhcp", payload)
        add("pipeline_udp", pack_chunks([(5, payload)]))
    # capture files: a short call as pcap (both byte orders) and pcapng, built by the synth writer
    frames = [(1.7e9 + i * 0.02, f) for i, f in enumerate([sip_frame] + [ethernet(ipv4(udp(rtp, 40000, 40002), 17))] * 6)]
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, target in (("pcap", "pcap"), ("pcapng", "pcapng")):
            for linktype, nano in ((1, False), (101, True), (113, False)):
                data = write_pcap(Path(tmp) / "x", frames, linktype=linktype, fmt=fmt, nanosecond=nano).read_bytes()
                add(target, b"\x08" + data)
                add(target, b"\x18" + data)
                if fmt == "pcap":
                    add(target, bytes([(0, 101, 113).index(linktype) * 32 if linktype != 1 else 0]) + data[24:])
        add("pcap", b"\x0c" + write_pcap(Path(tmp) / "y", frames[:3]).read_bytes())
    for name in ("udp-pcmu", "tls-srtp"):
        raw = (LAB / f"{name}.pcap").read_bytes()
        add("pcap", b"\x08" + raw[:MAX_SEED - 1])


def certificates() -> list[bytes]:
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID
    out = []
    for key, algorithm, san in ((rsa.generate_private_key(65537, 1024), hashes.SHA256(), "*.example.com"),
                                (ec.generate_private_key(ec.SECP256R1()), hashes.SHA256(), "pbx.example.com")):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, san)])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(1).not_valid_before(datetime.datetime(2020, 1, 1))
                .not_valid_after(datetime.datetime(2030, 1, 1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), False).sign(key, algorithm))
        out.append(cert.public_bytes(serialization.Encoding.DER))
    return out


def main() -> None:
    written = 0
    for target, items in sorted(collect().items()):
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        unique = {hashlib.sha1(d).hexdigest(): d for d in items if len(d) <= MAX_SEED}
        for digest, data in list(unique.items())[:40]:
            path = folder / f"seed-{digest[:16]}"
            if not path.exists():
                path.write_bytes(data)
                written += 1
    print(f"{written} seeds written under {CORPUS}")


if __name__ == "__main__":
    main()
