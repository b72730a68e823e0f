"""What an encrypted verdict rests on (the report's `assurance`), strongest first:

  proven        the SDES keys seen in clear decrypt it (collectors.media.exposure)
  signaled      SDP negotiated SRTP
  key-exchange  DTLS or ZRTP runs on its 5-tuple
  evidence      the packets show SRTP: lengths a tag explains, SRTCP's E-flag/index trailer on the
                stream itself or on its control channel
  unverified    uniform bytes and nothing positive: "encrypted, unverified"
"""
from __future__ import annotations

from collectors.classify.verdict import Verdict
from collectors.flows import shifted_key


def assurance(verdict: Verdict, current: str, srtcp_beside) -> str:
    """`current`: the stream's assurance so far; `srtcp_beside()`: its control channel carries SRTCP."""
    if not verdict.encrypted:
        return ""
    if current == "proven":
        return "proven"
    if verdict.source == "sdp":
        return "signaled"
    if verdict.source == "rtcp":
        return "evidence"
    if verdict.source != "payload":
        return "key-exchange"
    return "evidence" if verdict.verified or srtcp_beside() else "unverified"


def neighbours(table: dict, flow, step: int) -> tuple:
    """The flow itself (RTCP multiplexed on the RTP 5-tuple) and the one `step` ports away (RTCP one
    port above RTP, RFC 3550 section 11)."""
    return flow, table.get(shifted_key(flow.key, step))


def carries_srtcp(flow) -> bool:
    rtcp = flow.rtcp if flow is not None else None
    return rtcp is not None and rtcp.count_of("srtcp") > rtcp.count_of("plain")
