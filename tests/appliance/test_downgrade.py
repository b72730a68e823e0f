"""srtp_downgrade names who removed SRTP (appliance/downgrade.py): the answerer that refused an SRTP
offer, the relay that offered plain after receiving SRTP, the sender of cleartext after SRTP was
agreed; never a phone that was never offered SRTP."""
from __future__ import annotations

from appliance.policy import Policy
from collectors.events import SdpObserved, StreamVerdict

A, P, B = "10.0.0.1", "10.0.0.10", "10.0.0.2"
AP, PB = f"{A}<->{P}", f"{P}<->{B}"
SAVP, AVP = ("RTP/SAVP",), ("RTP/AVP",)
CRYPTO = ("AES_CM_128_HMAC_SHA1_80",)


def sdp(sender, receiver, leg, offer, profiles, crypto=(), ts=1.0, media=None, call_id="c1"):
    return SdpObserved(call_id, sender, receiver, "udp", ts, offer, "INVITE" if offer else "200 response to INVITE",
                       profiles, crypto, False, False, leg=leg, media=media or (f"{sender}:4000",))


def cleartext(src, dst, leg, sid="s1", call_id="c1"):
    return StreamVerdict(sid, src, 4000, dst, 5000, "udp", "rtp", False, None, "PCMU", call_id, 0.97,
                         ("payload: codec structure",), 5.0, 5.5, 12, "payload", True, leg)


def downgrades(*events):
    policy = Policy()
    for event in events:
        policy.observe(event)
    return {(a.endpoint, a.peer) for a in policy.active() if a.type == "srtp_downgrade"}


def test_the_phone_that_answered_plain_is_named_not_the_offerer():
    found = downgrades(sdp(A, B, "", True, AVP, CRYPTO), sdp(B, A, "", False, AVP),
                       cleartext(A, B, "", "s1"), cleartext(B, A, "", "s2"))
    assert found == {(B, A)}


def test_the_relay_that_offered_plain_after_receiving_srtp_is_named():
    found = downgrades(sdp(A, P, AP, True, SAVP, CRYPTO), sdp(P, B, PB, True, AVP, ts=1.1, media=(f"{P}:40000",)),
                       sdp(B, P, PB, False, AVP, ts=1.2), sdp(P, A, AP, False, SAVP, CRYPTO, ts=1.3),
                       cleartext(B, P, PB, "s1"), cleartext(P, B, PB, "s2"))
    assert found == {(P, A)}


def test_a_proxy_forwarding_the_plain_answer_is_not_named():
    """kamailio without a relay: B's plain answer reaches A through P unchanged: B removed SRTP."""
    found = downgrades(sdp(A, P, AP, True, AVP, CRYPTO, media=(f"{A}:4000",)),
                       sdp(P, B, PB, True, AVP, CRYPTO, ts=1.1, media=(f"{A}:4000",)),
                       sdp(B, P, PB, False, AVP, ts=1.2, media=(f"{B}:5000",)),
                       sdp(P, A, AP, False, AVP, ts=1.3, media=(f"{B}:5000",)),
                       cleartext(B, A, AP, "s1"), cleartext(A, B, PB, "s2"))
    assert found == {(B, A)}


def test_a_phone_never_offered_srtp_is_never_named():
    """A offers plain, the relay offers B SRTP and B accepts: A's leg is cleartext, nobody removed SRTP."""
    found = downgrades(sdp(A, P, AP, True, AVP), sdp(P, B, PB, True, SAVP, CRYPTO, ts=1.1, media=(f"{P}:40000",)),
                       sdp(B, P, PB, False, SAVP, CRYPTO, ts=1.2), sdp(P, A, AP, False, AVP, ts=1.3),
                       cleartext(A, P, AP, "s1"), cleartext(P, A, AP, "s2"))
    assert found == set()


def test_cleartext_after_srtp_was_agreed_names_its_sender():
    found = downgrades(sdp(A, B, "", True, SAVP, CRYPTO), sdp(B, A, "", False, SAVP, CRYPTO),
                       cleartext(B, A, "", "s1"))
    assert found == {(B, A)}


def test_the_alert_goes_when_the_last_cleartext_stream_behind_it_is_found_encrypted():
    policy = Policy()
    for event in (sdp(A, B, "", True, AVP, CRYPTO), sdp(B, A, "", False, AVP),
                  cleartext(A, B, "", "s1"), cleartext(B, A, "", "s2")):
        policy.observe(event)
    encrypted = StreamVerdict("s1", A, 4000, B, 5000, "udp", "rtp", True, "sdes", "PCMU", "c1", 0.95, (), 5.0, 6.0, 3,
                              "sdp", True, "")
    policy.observe(encrypted)
    assert [a.endpoint for a in policy.active() if a.type == "srtp_downgrade"] == [B]
    policy.observe(StreamVerdict("s2", B, 5000, A, 4000, "udp", "rtp", True, "sdes", "PCMU", "c1", 0.95, (), 5.0,
                                 6.0, 3, "sdp", True, ""))
    assert [a.endpoint for a in policy.active() if a.type == "srtp_downgrade"] == []


def test_a_cleartext_verdict_that_arrives_before_its_calls_sdp_still_names_who_removed_srtp():
    """With several capture workers a stream's verdict can reach the policy before the SDP of its call
    (another worker saw the SIP). Judged again when the answer comes: the same finding as in order."""
    in_order = downgrades(sdp(A, B, "", True, SAVP, CRYPTO, media=(f"{A}:4000",)),
                          sdp(B, A, "", False, SAVP, CRYPTO, media=(f"{B}:5000",)), cleartext(A, B, "", "s1"))
    late = downgrades(cleartext(A, B, "", "s1", call_id=None), sdp(A, B, "", True, SAVP, CRYPTO, media=(f"{A}:4000",)),
                      sdp(B, A, "", False, SAVP, CRYPTO, media=(f"{B}:5000",)))
    assert late == in_order == {(A, B)}
    fallback = downgrades(cleartext(A, B, "", "s1", call_id=None), sdp(A, B, "", True, AVP, CRYPTO, media=(f"{A}:4000",)),
                          sdp(B, A, "", False, AVP, media=(f"{B}:5000",)))
    assert fallback == {(B, A)}                           # B answered plain, as when the SDP comes first


def test_a_late_plain_call_sdp_names_nobody():
    assert downgrades(cleartext(A, B, "", "s1", call_id=None), sdp(A, B, "", True, AVP, media=(f"{A}:4000",)),
                      sdp(B, A, "", False, AVP, media=(f"{B}:5000",))) == set()


def test_a_stream_whose_worker_had_not_learnt_its_call_is_tied_to_it_by_the_sdp_addresses():
    """SDP first, then a verdict without a Call-ID (its worker had not yet been told of the call)."""
    found = downgrades(sdp(A, B, "", True, SAVP, CRYPTO, media=(f"{A}:4000",)),
                       sdp(B, A, "", False, SAVP, CRYPTO, media=(f"{B}:5000",)), cleartext(A, B, "", "s1", call_id=None))
    assert found == {(A, B)}


def _plain(sid, src, sport, dst, dport):
    return StreamVerdict(sid, src, sport, dst, dport, "udp", "rtp", False, None, "PCMU", None, 0.97,
                         ("payload: codec structure",), 5.0, 5.5, 12, "payload", True, "")


def test_through_a_proxy_every_order_of_two_workers_events_names_both_senders():
    """A call through a proxy P whose two phones both offered and answered SRTP yet send cleartext,
    seen by two capture workers: each hop's SIP through one, the media through another, so their
    events reach the policy in any interleaving (each hop's offer still before its answer). Both
    directions share the same two addresses; bench/site at 2,000 phones lost one of them when both
    verdicts came before the SDP. Every order names both senders, as in order."""
    from itertools import permutations
    a_media, b_media = (f"{A}:4000",), (f"{B}:5000",)
    offer_ap, offer_pb = sdp(A, P, AP, True, SAVP, CRYPTO, media=a_media), sdp(P, B, PB, True, SAVP, CRYPTO, media=a_media)
    answer_bp = sdp(B, P, PB, False, SAVP, CRYPTO, media=b_media, ts=2.0)
    answer_pa = sdp(P, A, AP, False, SAVP, CRYPTO, media=b_media, ts=2.0)
    events = (offer_ap, offer_pb, answer_bp, answer_pa, _plain("s1", A, 4000, B, 5000), _plain("s2", B, 5000, A, 4000))
    before = {offer_ap: answer_pa, offer_pb: answer_bp}
    for order in permutations(events):
        if any(order.index(offer) > order.index(answer) for offer, answer in before.items()):
            continue
        assert {endpoint for endpoint, _ in downgrades(*order)} == {A, B}, order
