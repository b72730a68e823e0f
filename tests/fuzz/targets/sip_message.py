"""SIP message parser (datagram and stream modes), the cheap first check, and what the handler reads
from a message (Call-ID, CSeq, User-Agent classification)."""
from collectors.errors import Incomplete, Malformed
from collectors.fingerprint import classify_user_agent
from collectors.sip.message import looks_like_sip, parse_message


def fuzz(data: bytes) -> None:
    if not data:
        return
    datagram = bool(data[0] & 1)
    buf = data[1:]
    looks_like_sip(buf, 0)
    try:
        msg, used = parse_message(buf, 0, datagram=datagram)
    except (Incomplete, Malformed):
        return
    assert 0 < used <= len(buf), (used, len(buf))
    assert (msg.method is None) != (msg.status is None)
    msg.call_id, msg.cseq_method, msg.is_request
    agent = msg.header("user-agent") or msg.header("server")
    classify_user_agent(agent, server_header=msg.header("server") is not None)
