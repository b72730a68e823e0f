"""SDP parser, and the signaled verdict over an offer/answer pair (two SDPs split at a NUL byte)."""
from collectors.classify.signaled import signaled_verdict
from collectors.sip.sdp import MAX_MEDIA, parse_sdp


def fuzz(data: bytes) -> None:
    offer_raw, _, answer_raw = data.partition(b"\0")
    offer, answer = parse_sdp(offer_raw), parse_sdp(answer_raw)
    for sdp in (offer, answer):
        assert len(sdp.media) <= MAX_MEDIA
        for media in sdp.media:
            assert 0 <= media.port <= 65535
            media.is_rtp, media.offers_srtp, repr(media)
            for pt in media.rtpmap:
                media.codec_name(pt)
    for i in range(max(len(offer.media), len(answer.media))):
        o = offer.media[i] if i < len(offer.media) else None
        a = answer.media[i] if i < len(answer.media) else None
        verdict = signaled_verdict(o, a, "192.0.2.1", "192.0.2.2")
        assert verdict is None or 0.0 <= verdict.confidence <= 1.0
