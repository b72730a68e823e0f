"""Did the tools see what the generator wrote? Stream counts against tshark and nDPI, and the
appliance's per-stream encryption verdicts against the generator's ground truth (per 4-tuple).
"""
from __future__ import annotations

import json
from collections import Counter


def appliance_report(stdout_path: str) -> dict | None:
    try:
        with open(stdout_path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def expected_alerts(truth: dict) -> dict[str, int]:
    """Alerts a correct analysis raises on this capture (see appliance/policy.py)."""
    clear = sum(1 for s in truth["streams"] if not s["srtp"])
    signaled = [c for c in truth["calls"] if c["signaled"]]
    return {
        "cleartext_media": clear,                                     # one per cleartext stream
        "cleartext_signaling": len(signaled),                         # one per SIP/UDP conversation
        "sdes_keys_exposed": 2 * sum(1 for c in signaled if c["srtp"]),   # offer and answer keys
    }


def verdicts(report: dict, truth: dict) -> dict:
    """Compare the appliance's RTP streams with the ground truth, keyed by (src, sport, dst, dport)."""
    key = lambda s: (s["src"], s["src_port"], s["dst"], s["dst_port"])    # noqa: E731
    seen = {key(s): s for s in report.get("streams", []) if s["kind"] == "rtp"}
    tally: Counter = Counter()
    wrong_examples = []
    for t in truth["streams"]:
        group = "signaled" if t["signaled"] else "unsignaled"
        s = seen.get(key(t))
        if s is None:
            tally["missing"] += 1
            tally[f"missing_{group}"] += 1
            continue
        truth_label = "srtp" if t["srtp"] else "clear"
        judged = "encrypted" if s["encrypted"] else "cleartext"
        tally[f"{truth_label}_judged_{judged}"] += 1
        right = s["encrypted"] == t["srtp"]
        tally["right" if right else "wrong"] += 1
        tally[f"{'right' if right else 'wrong'}_{group}"] += 1
        if not right and len(wrong_examples) < 5:
            wrong_examples.append({"stream": s["id"], "truth": truth_label, "judged": judged,
                                   "confidence": s["confidence"], "evidence": s["evidence"]})
    truth_keys = {key(t) for t in truth["streams"]}
    extra = [k for k in seen if k not in truth_keys]
    return {"truth_streams": len(truth["streams"]), **dict(tally), "extra_rtp_streams": len(extra),
            "wrong_examples": wrong_examples}


def summarise(report: dict | None, truth: dict, tshark_rows: list[dict] | None, ndpi: dict | None) -> dict:
    """Everything the sanity section prints, as one JSON-able dict."""
    out: dict = {"truth": {"rtp_streams": len(truth["streams"]),
                           "srtp_streams": sum(1 for s in truth["streams"] if s["srtp"]),
                           "signaled_calls": sum(1 for c in truth["calls"] if c["signaled"]),
                           "rtcp_packets": truth["rtcp_packets"], "sip_packets": truth["sip_packets"]},
                 "expected_alerts": expected_alerts(truth)}
    if report is not None:
        kinds = Counter(s["kind"] for s in report["streams"])
        rtp = [s for s in report["streams"] if s["kind"] == "rtp"]
        out["appliance"] = {
            "packets": sum(c["packets"] for c in report["captures"]),
            "rtp_streams": kinds.get("rtp", 0), "rtcp_streams": kinds.get("rtcp", 0),
            "rtp_encrypted": sum(1 for s in rtp if s["encrypted"]),
            "rtp_cleartext": sum(1 for s in rtp if not s["encrypted"]),
            "calls": len(report["calls"]), "signaling_sessions": len(report["signaling"]),
            "alerts": dict(sorted(Counter(a["type"] for a in report["alerts"]).items())),
            "verdict_sources": dict(sorted(Counter(s["verdict_source"] for s in rtp).items())),
            "vs_truth": verdicts(report, truth),
        }
    if tshark_rows is not None:
        truth_keys = {(s["src"], s["src_port"], s["dst"], s["dst_port"]) for s in truth["streams"]}
        keys = {(r["src"], r["src_port"], r["dst"], r["dst_port"]) for r in tshark_rows}
        out["tshark"] = {"rtp_streams": len(tshark_rows), "distinct_4tuples": len(keys),
                         "matching_truth": len(keys & truth_keys),
                         "payloads": dict(Counter(r["payload"] for r in tshark_rows).most_common(6))}
    if ndpi is not None:
        out["ndpiReader"] = {"protocols": ndpi}
    return out


def render(summary: dict) -> list[str]:
    """The sanity section as text lines."""
    truth = summary["truth"]
    lines = [f"ground truth: {truth['rtp_streams']} RTP streams ({truth['srtp_streams']} SRTP), "
             f"{truth['signaled_calls']} calls with SIP/SDP, {truth['rtcp_packets']} RTCP/SRTCP packets"]
    ap, ts = summary.get("appliance"), summary.get("tshark")
    if ap is not None:
        lines.append(f"appliance: {ap['rtp_streams']} RTP streams ({ap['rtp_encrypted']} encrypted, "
                     f"{ap['rtp_cleartext']} cleartext), {ap['rtcp_streams']} RTCP streams, {ap['calls']} calls, "
                     f"{ap['packets']} packets read")
    else:
        lines.append("appliance: no report (see bench/out/appliance.stderr)")
    if ts is not None:
        lines.append(f"tshark:    {ts['rtp_streams']} RTP streams ({ts['matching_truth']} of them on a "
                     f"ground-truth 4-tuple)")
    nd = summary.get("ndpiReader")
    if nd is not None and nd["protocols"]:
        parts = ", ".join(f"{name} {v['flows']}" for name, v in nd["protocols"].items())
        lines.append(f"ndpiReader: bidirectional flows by protocol: {parts}")
    if ap is not None:
        v = ap["vs_truth"]
        lines.append(f"verdicts vs truth (per 4-tuple): right {v.get('right', 0)}, wrong {v.get('wrong', 0)}, "
                     f"missing {v.get('missing', 0)}, extra {v['extra_rtp_streams']}")
        for group in ("signaled", "unsignaled"):
            lines.append(f"  {group:<10} right {v.get('right_' + group, 0)}, wrong {v.get('wrong_' + group, 0)}, "
                         f"missing {v.get('missing_' + group, 0)}")
        lines.append(f"  SRTP judged encrypted {v.get('srtp_judged_encrypted', 0)}, judged cleartext "
                     f"{v.get('srtp_judged_cleartext', 0)}; cleartext judged cleartext "
                     f"{v.get('clear_judged_cleartext', 0)}, judged encrypted {v.get('clear_judged_encrypted', 0)}")
        lines.append(f"  verdict sources: {_pairs(ap['verdict_sources'])}")
        for ex in v["wrong_examples"][:3]:
            lines.append(f"  wrong: {ex['stream']} truth {ex['truth']}, judged {ex['judged']} "
                         f"({ex['confidence']}): {'; '.join(ex['evidence'])[:160]}")
        expected = summary["expected_alerts"]
        types = sorted(set(expected) | set(ap["alerts"]))
        lines.append("alerts by type (appliance / expected): "
                     + ", ".join(f"{t} {ap['alerts'].get(t, 0)}/{expected.get(t, 0)}" for t in types))
    return lines


def _pairs(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"
