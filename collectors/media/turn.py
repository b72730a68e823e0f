"""TURN ChannelData (RFC 8656 section 12.4): media relayed through a TURN server carries a 4-byte
channel header before each RTP/RTCP/DTLS packet."""
from __future__ import annotations

from copy import copy


def channel_data(pkt):
    """The packet inside a TURN ChannelData message (RFC 8656 section 12.4), as a view."""
    length = int.from_bytes(pkt.data[pkt.off + 2:pkt.off + 4], "big")
    if length < 4 or pkt.off + 4 + length > pkt.end:
        return None
    inner = copy(pkt)
    inner.off, inner.end = pkt.off + 4, pkt.off + 4 + length
    return inner
