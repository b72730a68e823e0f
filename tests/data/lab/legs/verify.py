"""Ground truth of the leg captures, from tshark and the scenario definition (not from the analyzer).

For each <scenario>.pcap: the SIP hops (the two addresses each message travels between), the SDP
offer/answer of each hop, every RTP flow and the hop whose SDP announced both its ends; a flow is
encrypted when that hop negotiated RTP/SAVP. Cross-checked against what each scenario must be;
writes expected.json. Exit 1 when a capture is not what its name says.
usage: python3 verify.py DIR SCENARIO...
"""
import json
import subprocess
import sys

A_IP, B_IP, P_IP = "10.250.8.11", "10.250.8.12", "10.250.8.10"
WANT = {   # scenario: (encrypted per hop {hop: bool}, who removed SRTP)
    "relay-srtp-rtp": ({f"{P_IP}<->{A_IP}": True, f"{P_IP}<->{B_IP}": False}, P_IP),
    "relay-rtp-srtp": ({f"{P_IP}<->{A_IP}": False, f"{P_IP}<->{B_IP}": True}, None),
    "proxy-srtp": ({"end-to-end": True}, None),          # no relay: the proxy forwards SDP unchanged
    "proxy-fallback": ({"end-to-end": False}, B_IP),
}


def hop(a, b):
    return "<->".join(sorted((a, b)))


def rows(pcap, flt, *fields):
    cmd = ["tshark", "-r", pcap, "-n", "-Y", flt, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def legs_of(pcap):
    legs = {}
    for src, dst, method, status, media, conn, attrs in rows(
            pcap, "sip and sdp", "ip.src", "ip.dst", "sip.Method", "sip.Status-Code", "sdp.media",
            "sdp.connection_info.address", "sdp.media_attr"):
        key = hop(src, dst)
        proto = media.split("|")[0].split()[2]
        port = int(media.split("|")[0].split()[1])
        entry = {"from": src, "profile": proto, "address": conn.split("|")[-1], "port": port,
                 "crypto": "crypto:" in attrs}
        leg = legs.setdefault(key, {"hop": key})
        if method == "INVITE" and "offer" not in leg:
            leg["offer"] = entry
        elif status in ("200", "183") and "offer" in leg and entry["from"] != leg["offer"]["from"]:
            leg["answer"] = entry
    return legs


def media_of(pcap, legs):
    flows = {}
    for src, sport, dst, dport, payload in rows(pcap, "udp and not sip and not icmp", "ip.src", "udp.srcport",
                                                "ip.dst", "udp.dstport", "udp.payload"):
        data = bytes.fromhex(payload.replace(":", ""))
        if len(data) < 12 or data[0] >> 6 != 2 or 72 <= (data[1] & 0x7F) <= 76:
            continue      # not RTP (RTCP's packet types 200-204 read as PT 72-76 with the marker bit)
        key = (src, int(sport), dst, int(dport))
        flows[key] = flows.get(key, 0) + 1
    out = []
    for (src, sport, dst, dport), packets in sorted(flows.items()):
        announced = {k for k, leg in legs.items() for side in ("offer", "answer") if side in leg
                     and (leg[side]["address"], leg[side]["port"]) in ((src, sport), (dst, dport))}
        both = [k for k in announced if all(any((legs[k][s]["address"], legs[k][s]["port"]) == end
                                                for s in ("offer", "answer") if s in legs[k])
                                            for end in ((src, sport), (dst, dport)))]
        if not both or packets < 20:
            continue
        leg = legs[both[0]]
        negotiated = {(legs[k]["offer"]["profile"], legs[k]["answer"]["profile"]) for k in both}
        if len(negotiated) != 1:
            continue
        encrypted = "SAVP" in leg["offer"]["profile"] and "SAVP" in leg["answer"]["profile"]
        out.append({"src": src, "src_port": sport, "dst": dst, "dst_port": dport, "packets": packets,
                    "hop": both[0] if len(both) == 1 else "end-to-end", "encrypted": encrypted})
    return out


def main():
    here, scenarios = sys.argv[1], sys.argv[2:]
    captures, errors = [], []
    for name in scenarios:
        pcap = f"{here}/{name}.pcap"
        legs = legs_of(pcap)
        media = media_of(pcap, legs)
        hops, removed_by = WANT[name]
        for m in media:
            if hops.get(m["hop"]) is not m["encrypted"]:
                errors.append(f"{name}: {m['src']}->{m['dst']} on {m['hop']} encrypted={m['encrypted']}")
        if {m["hop"] for m in media} != set(hops) or len(media) != 2 * len(hops):
            errors.append(f"{name}: RTP flows {[(m['src'], m['dst']) for m in media]} are not 2 per hop")
        captures.append({"file": f"{name}.pcap", "downgrade_by": removed_by, "media": media,
                         "legs": [{"hop": k, "offerer": v["offer"]["from"], "offer": v["offer"]["profile"],
                                   "offer_crypto": v["offer"]["crypto"],
                                   "answerer": v.get("answer", {}).get("from"),
                                   "answer": v.get("answer", {}).get("profile")} for k, v in sorted(legs.items())]})
        print(f"{name}: {len(legs)} legs, {len(media)} RTP flows "
              + ", ".join(f"{m['src']}->{m['dst']} {'SRTP' if m['encrypted'] else 'RTP'}" for m in media))
    with open(f"{here}/expected.json", "w") as f:
        json.dump({"phones": {"A": A_IP, "B": B_IP}, "proxy": P_IP, "captures": captures}, f, indent=1)
        f.write("\n")
    for e in errors:
        print("ERROR", e, file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
