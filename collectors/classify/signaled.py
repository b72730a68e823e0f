"""Verdict from signaling: the negotiated SDP m-line of the stream (profile, a=crypto, a=fingerprint,
a=zrtp-hash). The answer decides; with only one SDP seen, that one does."""
from __future__ import annotations

from collectors.classify.verdict import Verdict
from collectors.media.suites import leaves_media_clear
from collectors.sip.sdp import Media


def signaled_verdict(offer: Media | None, answer: Media | None, offer_from: str | None,
                     answer_from: str | None) -> Verdict | None:
    media = answer or offer
    if media is None:
        return None
    who = f"answer from {answer_from}" if answer is not None else f"offer from {offer_from}"
    evidence = [f"sdp: {media.proto} ({who})"]
    if offer is not None and answer is not None and offer.offers_srtp and not answer.offers_srtp:
        evidence.append(f"sdp: SRTP offered ({_describe(offer)}) but the answer accepted {answer.proto}")
    encrypted, keying = _negotiated(offer, answer, media)
    if keying == "sdes" and _null_cipher(media):
        evidence.append("sdp: a=crypto " + ",".join(sorted({c.suite for c in media.crypto}))
                        + ": SRTP without encryption (NULL cipher / UNENCRYPTED_SRTP), the media is in clear")
        encrypted, keying = False, None
    elif keying == "sdes":
        evidence.append("sdp: a=crypto " + ",".join(sorted({c.suite for c in media.crypto})))
    elif keying == "mikey":
        evidence.append(f"sdp: a=key-mgmt:{media.key_mgmt} (RFC 4567: the keys travel inside MIKEY, "
                        "not readable from the SDP)")
        keying = "unknown"
    elif keying == "dtls-srtp":
        evidence.append(f"sdp: a=fingerprint ({media.fingerprint})")
    elif keying == "zrtp":
        evidence.append("sdp: a=zrtp-hash (ZRTP may upgrade the media in-band)")
    confidence = 0.95 if answer is not None else 0.8
    return Verdict(encrypted, keying if encrypted is not False else None, confidence, tuple(evidence), "sdp")


def _negotiated(offer: Media | None, answer: Media | None, media: Media) -> tuple[bool | None, str | None]:
    if media.secure_profile:
        if media.fingerprint and "TLS" in media.proto.upper():
            return True, "dtls-srtp"
        if media.crypto:
            return True, "sdes"
        if media.zrtp_hash:
            return True, "zrtp"
        if media.key_mgmt:
            return True, "mikey"
        return True, "unknown"
    if media.crypto and (offer is None or answer is None or offer.crypto):
        return True, "sdes"   # best-effort SRTP: RTP/AVP with a=crypto offered and answered
    if media.zrtp_hash and (answer is None or (offer is not None and offer.zrtp_hash)):
        return None, "zrtp"   # ZRTP negotiates in the media path: the packets must tell
    return False, None


def _null_cipher(media: Media) -> bool:
    """The crypto line in use (the answer's, which names the one chosen) leaves the media unencrypted."""
    return bool(media.crypto) and leaves_media_clear(media.crypto[0].suite, media.crypto[0].key_params)


def _describe(media: Media) -> str:
    parts = [media.proto]
    if media.crypto:
        parts.append("a=crypto")
    if media.key_mgmt:
        parts.append(f"a=key-mgmt:{media.key_mgmt}")
    if media.fingerprint:
        parts.append("a=fingerprint")
    return " + ".join(parts)
