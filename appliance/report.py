"""The analysis report (contract voip-report/1): pipeline snapshots and the policy's alerts."""
from __future__ import annotations

from collectors.snapshot import Snapshot

SCHEMA = "voip-report/1"
CLASS_RANK = {"unknown": 0}


def build_report(captures: list[dict], snapshot: Snapshot, alerts: list, policy=None) -> dict:
    """`policy` (appliance.policy.PolicySettings): its hard-phone rules are applied to each endpoint's
    device class, and its privacy settings to the calls' SIP URIs."""
    streams = relayed(snapshot.streams)
    endpoints = _endpoints(snapshot, alerts)
    calls = _calls(snapshot.calls, streams)
    if policy is not None:
        endpoints = [policy.rules.classify(e["ip"], e) for e in endpoints]
        calls = [{**c, "from": policy.privacy.uri(c["from"]), "to": policy.privacy.uri(c["to"])} for c in calls]
    sent = _rtp_sent(streams)
    endpoints = [{**e, "media_posture": media_posture(e["ip"], sent.get(e["ip"], []))} for e in endpoints]
    classes = {e["ip"]: e["device_class"] for e in endpoints}
    return {
        "schema": SCHEMA,
        "captures": captures,
        "streams": streams,
        "signaling": [_without(s, "first_seen") for s in snapshot.signaling],
        "calls": calls,
        "endpoints": endpoints,
        "alerts": [a.to_dict(classes.get(a.endpoint, "unknown")) for a in alerts],
    }


def merge_snapshots(snapshots: list[Snapshot]) -> Snapshot:
    """One view of several workers' snapshots: streams and sessions are disjoint (each flow lives in
    one worker); calls are known to every worker (SIP is shared), endpoints are told in parts."""
    merged = Snapshot()
    calls: dict[str, dict] = {}
    for part in snapshots:
        merged.streams += part.streams
        merged.streams_dropped += part.streams_dropped                   # each worker's own streams
        merged.calls_dropped = max(merged.calls_dropped, part.calls_dropped)   # every worker saw every call
        merged.signaling += part.signaling
        for call in part.calls:
            known = calls.get(call["call_id"])
            if known is None or call["first_seen"] < known["first_seen"]:
                calls[call["call_id"]] = call
        for ip, endpoint in part.endpoints.items():
            merged.endpoints[ip] = _richer(merged.endpoints.get(ip), endpoint)
    merged.streams.sort(key=lambda s: (s["first_seen"], s["id"]))
    merged.signaling.sort(key=lambda s: s["first_seen"])
    merged.calls = sorted(calls.values(), key=lambda c: c["first_seen"])
    return merged


def _richer(a: dict | None, b: dict) -> dict:
    if a is None:
        return b
    score = lambda e: (e["device_class"] != "unknown", e["vendor"] is not None, e["user_agent"] is not None,
                       len(e["evidence"]))
    best = max((a, b), key=score)
    return {**best, "mac": best["mac"] or a["mac"] or b["mac"]}


def _calls(calls: list[dict], streams: list[dict]) -> list[dict]:
    by_call: dict[str, list[dict]] = {}
    for entry in streams:
        if entry["call_id"]:
            by_call.setdefault(entry["call_id"], []).append(entry)
    relays = _Relays(streams)
    out = []
    for call in calls:
        members = by_call.get(call["call_id"], [])
        rtp = [s for s in members if s["kind"] == "rtp"]
        out.append({**_without(call, "first_seen"), "streams": [s["id"] for s in members],
                    "media_encrypted": all(s["encrypted"] for s in rtp) if rtp else None,
                    "legs": [_leg(leg, members) for leg in call.get("legs", [])],
                    "related_calls": relays.related(call["call_id"], members)})
    return out


def relayed(streams: list[dict]) -> list[dict]:
    """Media relays (rtpengine, B2BUAs) that keep SSRCs: an RTP stream leaving an address with the SSRC
    of one that arrived there from a third party is that stream relayed (`relayed_from`). An echo
    back to the sender (sipp -rtp_echo) is not a relay."""
    arrived: dict[tuple[str, int], dict] = {}
    for entry in streams:
        if entry["kind"] == "rtp":
            for ssrc in entry["ssrcs"]:
                arrived.setdefault((entry["dst"], ssrc), entry)
    out = []
    for entry in streams:
        source = next((arrived[(entry["src"], ssrc)] for ssrc in entry["ssrcs"]
                       if entry["kind"] == "rtp" and (entry["src"], ssrc) in arrived), None)
        if source is not None and source["src"] in (entry["src"], entry["dst"]):
            source = None
        out.append({**entry, "relayed_from": source["id"] if source is not None else None})
    return out


class _Relays:
    """The report's streams indexed once for `related` (a report has thousands of streams and
    hundreds of calls)."""

    def __init__(self, streams: list[dict]):
        self.by_id = {s["id"]: s for s in streams}
        self.relayed_to: dict[str, list] = {}         # stream id -> call ids of the streams relaying it
        for s in streams:
            if s.get("relayed_from") is not None:
                self.relayed_to.setdefault(s["relayed_from"], []).append(s["call_id"])

    def related(self, call_id: str, members: list[dict]) -> list[str]:
        """Other calls whose media this call's relays carry (a B2BUA's other Call-IDs), by SSRC."""
        by_id = self.by_id
        linked = {by_id[s["relayed_from"]]["call_id"] for s in members if s.get("relayed_from") in by_id}
        linked.update(c for s in members for c in self.relayed_to.get(s["id"], ()))
        return sorted(c for c in linked if c and c != call_id)


def _leg(leg: dict, members: list[dict]) -> dict:
    """A call's leg (one SIP hop) with the streams its SDP announced."""
    mine = [s for s in members if s.get("leg") == leg["hop"]]
    rtp = [s for s in mine if s["kind"] == "rtp"]
    return {**leg, "streams": [s["id"] for s in mine],
            "media_encrypted": all(s["encrypted"] for s in rtp) if rtp else None}


def _endpoints(snapshot: Snapshot, alerts: list) -> list[dict]:
    ips = dict.fromkeys([ip for s in snapshot.streams for ip in (s["src"], s["dst"])] +
                        [ip for s in snapshot.signaling for ip in (s["client"], s["server"])] +
                        [a.endpoint for a in alerts])
    unknown = {"mac": None, "vendor": None, "model": None, "firmware": None, "user_agent": None,
               "device_class": "unknown", "evidence": []}
    return [snapshot.endpoints.get(ip) or {"ip": ip, **unknown} for ip in ips]


def _without(entry: dict, key: str) -> dict:
    return {k: v for k, v in entry.items() if k != key}


def _rtp_sent(streams: list[dict]) -> dict[str, list[dict]]:
    """RTP streams by sending address (one pass: a site's report has thousands of each)."""
    sent: dict[str, list[dict]] = {}
    for entry in streams:
        if entry["kind"] == "rtp":
            sent.setdefault(entry["src"], []).append(entry)
    return sent


def media_posture(ip: str, streams: list[dict]) -> str | None:
    """What the media an endpoint sends amounts to: "cleartext" when any of its RTP streams is,
    "encrypted, unverified" when an encrypted one rests on uniform bytes alone, else "encrypted";
    None when it sends no RTP. `streams` may hold other endpoints' and RTCP streams: only `ip`'s
    RTP ones count."""
    sent = [s for s in streams if s["src"] == ip and s["kind"] == "rtp"]
    if not sent:
        return None
    if not all(s["encrypted"] for s in sent):
        return "cleartext"
    if any(s.get("assurance") == "unverified" for s in sent):
        return "encrypted, unverified"
    return "encrypted"
