"""The pipeline's state as plain data: what a report is built from. Plain dicts and lists, so a
snapshot can cross a process boundary (live workers) and snapshots of several workers can merge."""
from __future__ import annotations

from dataclasses import dataclass, field

from collectors.events import CallEnded, StreamEnded
from collectors.flows import Flow


@dataclass
class Snapshot:
    """The pipeline's streams, signaling, calls and endpoints as report entries (plain data)."""
    streams: list[dict] = field(default_factory=list)
    signaling: list[dict] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)          # without stream membership (derived later)
    endpoints: dict[str, dict] = field(default_factory=dict)  # ip -> mac, user_agent, vendor, ... evidence
    streams_dropped: int = 0         # ended streams let go to stay within the pipeline's max_finished
    calls_dropped: int = 0           # calls let go (ended beyond max_ended_calls, or the call table full)


def take_snapshot(pipeline) -> Snapshot:
    streams = sorted((_stream_entry(pipeline, flow, stream) for flow in pipeline.media_flows()
                      for stream in (flow.rtp, flow.rtcp) if stream is not None and stream.packets),
                     key=lambda s: (s["first_seen"], s["id"]))
    signaling = [_session_entry(s) for s in sorted(pipeline.sip.sessions.values(), key=lambda s: s.first_seen)]
    calls = [_call_entry(c) for c in sorted(pipeline.calls.calls.values(), key=lambda c: c.first_seen)]
    return Snapshot(streams, signaling, calls, _endpoints(pipeline, streams, signaling),
                    pipeline.finished_dropped, pipeline.calls.forgotten)


def _stream_entry(pipeline, flow: Flow, stream) -> dict:
    is_rtp = stream.kind == "rtp"
    encrypted = bool(stream.encrypted)
    src, dst = flow.src, flow.dst
    return {
        "id": flow.stream_id(stream.kind, src, dst),
        "src": src, "src_port": flow.sport, "dst": dst, "dst_port": flow.dport,
        "transport": flow.transport, "kind": stream.kind,
        "encrypted": encrypted, "keying": (stream.keying or "unknown") if encrypted else None,
        "ssrcs": sorted(stream.keys("ssrcs")),
        "payload_types": sorted(stream.keys("pt_counts")) if is_rtp else [],
        "codec": pipeline.media.stream_codec(flow, stream) if is_rtp else None,
        "packets": stream.packets, "bytes": stream.bytes,
        "first_seen": stream.first_seen, "last_seen": stream.last_seen,
        "call_id": flow.binding.call_id if flow.binding else None,
        "confidence": round(stream.confidence, 3),
        "evidence": stream.evidence + stream.notes,
        "verdict_after_packets": stream.decided_after,
        "verdict_source": stream.verdict_source,
        "assurance": (stream.assurance or None) if encrypted else None,
        "leg": (flow.binding.leg or None) if flow.binding else None,
    }


def stream_ended(pipeline, flow: Flow, stream) -> StreamEnded:
    """The event of an ended stream: its report entry, field for field."""
    e = _stream_entry(pipeline, flow, stream)
    return StreamEnded(e["id"], e["src"], e["src_port"], e["dst"], e["dst_port"], e["transport"], e["kind"],
                       e["encrypted"], e["keying"], tuple(e["ssrcs"]), tuple(e["payload_types"]), e["codec"],
                       e["packets"], e["bytes"], e["first_seen"], e["last_seen"], e["call_id"], e["confidence"],
                       tuple(e["evidence"]), e["verdict_after_packets"], e["verdict_source"], e["assurance"],
                       e["leg"])


def call_ended(call) -> CallEnded:
    """The event of a call the collector lets go: its report entry without streams and legs."""
    e = _call_entry(call)
    return CallEnded(e["call_id"], e["from"], e["to"], e["signaling_transport"], e["offer"], e["answer"],
                     e["first_seen"], call.ended_at, e["group"])


def _session_entry(s) -> dict:
    return {"transport": s.transport, "client": s.client, "client_port": s.client_port,
            "server": s.server, "server_port": s.server_port, "tls": s.tls,
            "user_agents": list(s.user_agents), "call_ids": list(s.call_ids), "first_seen": s.first_seen}


def _call_entry(call) -> dict:
    return {"call_id": call.call_id, "from": call.from_uri, "to": call.to_uri,
            "signaling_transport": call.transport, "offer": _profile(call.offer),
            "answer": _profile(call.answer), "first_seen": call.first_seen,
            "group": call.group if call.group != call.call_id else None,
            "legs": [_leg_entry(leg) for leg in call.legs.values()]}


def _leg_entry(leg) -> dict:
    offer, answer = leg.offer, leg.answer
    return {"hop": leg.key, "caller_side": leg.invite_from or (offer.sender if offer else None),
            "offerer": offer.sender if offer else None, "answerer": answer.sender if answer else None,
            "offer": _profile(offer), "answer": _profile(answer), "srtp_offered": leg.srtp_offered,
            "srtp_answered": bool(answer) and any(m.offers_srtp for m in answer.sdp.media if m.is_rtp and m.port)}


def _profile(seen) -> str | None:
    if seen is None:
        return None
    for media in seen.sdp.media:
        if media.is_rtp and media.port:
            return media.proto
    return seen.sdp.media[0].proto if seen.sdp.media else None


def _endpoints(pipeline, streams: list[dict], signaling: list[dict]) -> dict[str, dict]:
    """Endpoints that take part in VoIP (streams, signaling) or told who they are (User-Agent)."""
    table = pipeline.endpoints
    ips = dict.fromkeys([ip for s in streams for ip in (s["src"], s["dst"])] +
                        [ip for s in signaling for ip in (s["client"], s["server"])] +
                        [ip for ip, e in table.endpoints.items() if e.user_agents or e.server_headers])
    out = {}
    for ip in ips:
        endpoint = table.endpoints.get(ip)
        out[ip] = {"ip": ip, "mac": endpoint.mac if endpoint else None,
                   "user_agent": endpoint.user_agent if endpoint else None, **table.describe(ip)}
    return out
