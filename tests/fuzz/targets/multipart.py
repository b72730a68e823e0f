"""Finding the SDP in a SIP body: plain, or inside (nested) multipart bodies. The first line of the
input is the Content-Type, the rest the body."""
from collectors.sip.body import find_sdp


def fuzz(data: bytes) -> None:
    head, _, body = data.partition(b"\n")
    found = find_sdp(head.decode("utf-8", "replace") or None, body)
    assert found is None or (isinstance(found, bytes) and found in body)
