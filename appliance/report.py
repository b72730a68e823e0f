"""The analysis report (contract voip-report/1) built from the pipeline's state and the policy."""
from __future__ import annotations

from collectors.flows import Flow
from collectors.pipeline import Pipeline

SCHEMA = "voip-report/1"


def build_report(captures: list[dict], pipeline: Pipeline, alerts: list) -> dict:
    streams = _streams(pipeline)
    signaling = _signaling(pipeline)
    calls = _calls(pipeline, streams)
    endpoints = _endpoints(pipeline, streams, signaling, alerts)
    classes = {e["ip"]: e["device_class"] for e in endpoints}
    return {
        "schema": SCHEMA,
        "captures": captures,
        "streams": streams,
        "signaling": signaling,
        "calls": calls,
        "endpoints": endpoints,
        "alerts": [a.to_dict(classes.get(a.endpoint, "unknown")) for a in alerts],
    }


def _streams(pipeline: Pipeline) -> list[dict]:
    out = []
    for flow in pipeline.media_flows():
        for stream in (flow.rtp, flow.rtcp):
            if stream is not None and stream.packets:
                out.append(_stream_entry(pipeline, flow, stream))
    out.sort(key=lambda s: (s["first_seen"], s["id"]))
    return out


def _stream_entry(pipeline: Pipeline, flow: Flow, stream) -> dict:
    is_rtp = stream.kind == "rtp"
    codec = pipeline.media.stream_codec(flow, stream) if is_rtp else None
    encrypted = bool(stream.encrypted)
    return {
        "id": flow.stream_id(stream.kind),
        "src": flow.src, "src_port": flow.sport, "dst": flow.dst, "dst_port": flow.dport,
        "transport": flow.transport, "kind": stream.kind,
        "encrypted": encrypted, "keying": (stream.keying or "unknown") if encrypted else None,
        "ssrcs": sorted(stream.ssrcs),
        "payload_types": sorted(stream.pt_counts) if is_rtp else [],
        "codec": codec,
        "packets": stream.packets, "bytes": stream.bytes,
        "first_seen": stream.first_seen, "last_seen": stream.last_seen,
        "call_id": flow.binding.call_id if flow.binding else None,
        "confidence": round(stream.confidence, 3),
        "evidence": stream.evidence + stream.notes,
        "verdict_after_packets": stream.decided_after,
        "verdict_source": stream.verdict_source,
    }


def _signaling(pipeline: Pipeline) -> list[dict]:
    out = []
    for s in sorted(pipeline.sip.sessions.values(), key=lambda s: s.first_seen):
        out.append({"transport": s.transport, "client": s.client, "client_port": s.client_port,
                    "server": s.server, "server_port": s.server_port, "tls": s.tls,
                    "user_agents": list(s.user_agents), "call_ids": list(s.call_ids)})
    return out


def _calls(pipeline: Pipeline, streams: list[dict]) -> list[dict]:
    by_call: dict[str, list[dict]] = {}
    for entry in streams:
        if entry["call_id"]:
            by_call.setdefault(entry["call_id"], []).append(entry)
    out = []
    for call in sorted(pipeline.calls.calls.values(), key=lambda c: c.first_seen):
        members = by_call.get(call.call_id, [])
        rtp = [s for s in members if s["kind"] == "rtp"]
        out.append({
            "call_id": call.call_id, "from": call.from_uri, "to": call.to_uri,
            "signaling_transport": call.transport,
            "offer": _profile(call.offer), "answer": _profile(call.answer),
            "streams": [s["id"] for s in members],
            "media_encrypted": all(s["encrypted"] for s in rtp) if rtp else None,
        })
    return out


def _profile(seen) -> str | None:
    if seen is None:
        return None
    for media in seen.sdp.media:
        if media.is_rtp and media.port:
            return media.proto
    return seen.sdp.media[0].proto if seen.sdp.media else None


def _endpoints(pipeline: Pipeline, streams: list[dict], signaling: list[dict], alerts: list) -> list[dict]:
    ips: dict[str, None] = {}
    for s in streams:
        ips[s["src"]] = ips[s["dst"]] = None
    for s in signaling:
        ips[s["client"]] = ips[s["server"]] = None
    for a in alerts:
        ips[a.endpoint] = None
    out = []
    for ip in ips:
        endpoint = pipeline.endpoints.endpoints.get(ip)
        described = pipeline.endpoints.describe(ip)
        out.append({"ip": ip, "mac": endpoint.mac if endpoint else None,
                    "user_agent": endpoint.user_agent if endpoint else None, **described})
    return out
