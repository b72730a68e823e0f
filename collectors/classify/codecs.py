"""What cleartext codecs look like on the wire: bytes per RTP clock tick for fixed-rate codecs."""
from __future__ import annotations

# codec name (upper case) -> (frame bytes, frame ticks) for fixed-rate codecs; extra frames
# allowed: SID / comfort-noise frame sizes that may end a packet.
FIXED_RATE = {
    "PCMU": (1, 1), "PCMA": (1, 1), "G722": (1, 1), "L16": (2, 1),
    "G729": (10, 80), "G729A": (10, 80), "G729AB": (10, 80), "G728": (5, 20),
    "GSM": (33, 160), "G723": (24, 240), "G726-32": (1, 2), "G726-16": (1, 4), "G726-24": (3, 8),
    "G726-40": (5, 8), "DVI4": (1, 2), "LPC": (14, 160),
}
SID_SIZES = {"G729": (2,), "G729A": (2,), "G729AB": (2,), "G723": (4, 20)}
SRTP_TAGS = {10: "HMAC-SHA1-80", 4: "HMAC-SHA1-32", 16: "AES-GCM"}
TELEPHONE_EVENT = "TELEPHONE-EVENT"
COMFORT_NOISE = "CN"


def cleartext_length(codec: str | None, ticks: int, length: int) -> int | None:
    """Expected cleartext payload bytes for `ticks` of this codec, None if not fixed-rate."""
    entry = FIXED_RATE.get((codec or "").upper())
    if entry is None or ticks <= 0:
        return None
    frame_bytes, frame_ticks = entry
    if ticks % frame_ticks:
        return None
    expected = ticks // frame_ticks * frame_bytes
    if codec.upper() == "DVI4":
        expected += 4  # DVI4 carries a 4-byte state header per packet
    return expected


def tag_for_excess(excess: int) -> str | None:
    """An SRTP tag (plus an MKI of up to 4 bytes) that explains `excess` bytes, if any."""
    for mki in (0, 1, 2, 4):
        name = SRTP_TAGS.get(excess - mki)
        if name:
            return name + (f" + {mki}-byte MKI" if mki else "")
    return None
