"""A capture worker that sees a call's media before its SIP (PACKET_FANOUT puts the SIP flow on another
worker, which shares the call-changing messages a moment later) still proves what the a=crypto keys
say about the media once the SIP arrives: a G.729 phone that offered SRTP and sends RTP is found
cleartext, with its srtp_downgrade, as when one pipeline sees everything in order (bench/site at 2,000
and 5,000 phones missed such calls live and found them offline)."""
from __future__ import annotations

import pytest

from appliance.policy import Policy
from collectors.events import StreamVerdict
from collectors.pipeline import Pipeline
from tests.synth.capture import CallSpec, build_call
from tests.synth.codecs import CodecUnavailable

SIP_PORT = 5060
MEDIA_FIRST = 30          # media frames the media worker handles before the shared SIP reaches it


def g729_call():
    try:
        return build_call(CallSpec(codec="G729", srtp_suite="AES_CM_128_HMAC_SHA1_80", srtp_on_wire=False,
                                   duration=3.0, seed=7))
    except CodecUnavailable as exc:
        pytest.skip(str(exc))


def is_sip(frame: bytes) -> bool:
    return frame[23] == 17 and SIP_PORT in (int.from_bytes(frame[34:36], "big"), int.from_bytes(frame[36:38], "big"))


def two_workers(call) -> list:
    """The SIP worker's and the media worker's events, in the coordinator's order (SIP worker first)."""
    sip_events, media_events, shared = [], [], []
    sip_worker, media_worker = Pipeline(sip_events.append), Pipeline(media_events.append)
    sip_worker.sip.share = lambda *message: shared.append(message)
    frames = [(t, bytes(f)) for t, f in call.frames]
    media = [(t, 1, f, len(f)) for t, f in frames if not is_sip(f)]
    sip_worker.feed_many((t, 1, f, len(f)) for t, f in frames if is_sip(f))
    media_worker.feed_many(media[:MEDIA_FIRST])
    for message in shared:
        media_worker.sip.apply_shared(*message)
    media_worker.feed_many(media[MEDIA_FIRST:])
    sip_worker.finish()
    media_worker.finish()
    return sip_events + media_events


def in_order(call) -> list:
    events = []
    pipeline = Pipeline(events.append)
    pipeline.feed_many((t, 1, bytes(f), len(f)) for t, f in call.frames)
    pipeline.finish()
    return events


@pytest.mark.parametrize("arrange", [in_order, two_workers], ids=["one pipeline", "media before its SIP"])
def test_offered_srtp_sent_rtp_is_found_whichever_worker_saw_the_sip(arrange):
    call = g729_call()
    events = arrange(call)
    last = {}
    for event in events:
        if isinstance(event, StreamVerdict) and event.kind == "rtp":
            last[event.stream_id] = event
    assert len(last) == 2 and all(v.encrypted is False for v in last.values()), \
        [(v.stream_id, v.encrypted, v.evidence) for v in last.values()]
    policy = Policy()
    for event in events:
        policy.observe(event)
    found = {(a.type, a.endpoint) for a in policy.active()}
    for media in call.streams:
        assert ("cleartext_media", media.src.ip) in found and ("srtp_downgrade", media.src.ip) in found, found
