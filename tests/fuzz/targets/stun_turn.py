"""STUN and TURN ChannelData: media framing over TCP (RFC 4571, TURN-TCP), ChannelData unwrapping,
and the RFC 7983 demultiplexing of a media 5-tuple (STUN, DTLS, ZRTP, ChannelData) in the tracker."""
from collectors.decode.packet import UDP, Packet
from collectors.flows import Flow, flow_key
from collectors.media.tcpframing import MAX_BUFFER, RFC4571, TURN, TcpMediaFramer, detect_framing
from collectors.media.tracker import MediaTracker
from collectors.media.turn import channel_data
from collectors.sip.calls import CallTable
from tests.fuzz.common import IP_A, IP_B, Segments, chunks

KEY = flow_key(IP_A, 40000, IP_B, 40002)


def fuzz(data: bytes) -> None:
    detect_framing(data, 0, len(data))
    framer, segments = TcpMediaFramer(TURN if data[:1] and data[0] & 1 else RFC4571), Segments()
    tracker = MediaTracker(CallTable(), lambda event: None)
    tracker.tables = {"udp": {}}
    flow = Flow(KEY, "udp", 0.0, 0)
    for i, (flag, body) in enumerate(chunks(data)):
        seq, payload, syn = segments.split(flag, body)
        for frame in framer.feed(seq, payload, syn):
            assert isinstance(frame, bytes)
        assert len(framer.buffer) <= MAX_BUFFER
        pkt = Packet(float(i), body, 0, len(body), UDP, IP_A, IP_B, 40000, 40002)
        inner = channel_data(pkt) if len(body) >= 4 else None
        assert inner is None or pkt.off + 4 <= inner.off <= inner.end <= pkt.end
        if body:
            (tracker.packet if flow.state == "media" else tracker.candidate)(flow, pkt)
