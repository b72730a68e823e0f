"""How the verdicts of the classifiers combine: signaling (SDP), a key exchange seen on the media
5-tuple (DTLS, ZRTP) and the packets themselves (payload). The first two decide when they can; a
confident disagreement of the packets wins, and is said."""
from __future__ import annotations

from collectors.classify.verdict import Verdict

KEYING_VERDICTS = {
    "dtls-srtp": Verdict(True, "dtls-srtp", 0.95, ("dtls: handshake with use_srtp on the media 5-tuple (RFC 5764)",),
                         "dtls"),
    "dtls": Verdict(True, "dtls-srtp", 0.8, ("dtls: handshake on the media 5-tuple (RFC 7983 demux)",), "dtls"),
}

def merge_signaled(sdp: Verdict | None, keying: Verdict | None) -> Verdict | None:
    """What signaling and the key exchange on the 5-tuple say together, before the packets speak."""
    if sdp is None or sdp.encrypted is None:
        return keying or sdp
    if keying is None:
        return sdp
    if sdp.encrypted:
        name = keying.keying if sdp.keying in (None, "unknown", "zrtp") else sdp.keying
        return Verdict(True, name, max(sdp.confidence, keying.confidence), sdp.evidence + keying.evidence, "sdp")
    note = "disagreement: SDP negotiated plain RTP but a key exchange runs on the media 5-tuple"
    return Verdict(True, keying.keying, keying.confidence, keying.evidence + sdp.evidence + (note,), keying.source)


def combine(sdp: Verdict | None, keying: Verdict | None, payload: Verdict | None) -> Verdict | None:
    """Signaling and key exchange decide when they can; the packets decide otherwise. A confident
    disagreement of the packets wins (what is on the wire is what an eavesdropper gets) and is said."""
    signaled = merge_signaled(sdp, keying)
    if signaled is not None and signaled.encrypted is not None:
        if payload is not None and payload.encrypted != signaled.encrypted and payload.confidence >= 0.9:
            said = "SRTP" if signaled.encrypted else "plain RTP"
            seen = "encrypted" if payload.encrypted else "cleartext"
            note = f"disagreement: signaling says {said} but the packets are {seen}"
            return Verdict(payload.encrypted, payload.keying, payload.confidence,
                           payload.evidence + signaled.evidence + (note,), "payload", verified=payload.verified)
        if payload is not None:
            return Verdict(signaled.encrypted, signaled.keying, max(signaled.confidence, payload.confidence),
                           signaled.evidence + payload.evidence, signaled.source)
        return signaled
    if payload is not None:
        keying_name = signaled.keying if (signaled is not None and payload.encrypted) else payload.keying
        return Verdict(payload.encrypted, keying_name, payload.confidence,
                       payload.evidence + (signaled.evidence if signaled else ()), "payload",
                       verified=payload.verified)
    return None
