"""Policy: events in, one alert per offending stream/call/session out, with the contract's names."""
from __future__ import annotations

from appliance.policy import Policy, PolicySettings
from collectors.events import SdpObserved, SignalingObserved, StreamVerdict


def verdict(encrypted=False, kind="rtp", src="10.0.0.1", call_id="c1", media=True, confidence=0.95, sid="s1"):
    return StreamVerdict(sid, src, 4000, "10.0.0.2", 5000, "udp", kind, encrypted, "sdes" if encrypted else None,
                         "PCMU", call_id, confidence, ("sdp: RTP/AVP",), 100.0, 100.5, 3, "sdp", media)


def sdp(call_id="c1", sender="10.0.0.2", transport="udp", crypto=(), profiles=("RTP/AVP",), offer=True):
    return SdpObserved(call_id, sender, "10.0.0.1", transport, 99.0, offer, "INVITE", profiles, crypto, False, False)


def test_cleartext_stream_raises_one_alert_however_often_it_is_seen():
    policy = Policy()
    for _ in range(3):
        policy.observe(verdict())
    [alert] = policy.active()
    assert (alert.type, alert.endpoint, alert.peer, alert.stream, alert.severity) == \
        ("cleartext_media", "10.0.0.1", "10.0.0.2", "s1", "high")
    assert "PCMU" in alert.summary and alert.evidence


def test_rtcp_and_comfort_noise_are_never_cleartext_media():
    policy = Policy()
    policy.observe(verdict(kind="rtcp"))
    policy.observe(verdict(media=False, sid="s2"))
    assert policy.active() == []


def test_low_confidence_guess_raises_nothing():
    policy = Policy()
    policy.observe(verdict(confidence=0.3))
    assert policy.active() == []


def test_a_stream_later_found_encrypted_withdraws_its_alert():
    policy = Policy()
    policy.observe(verdict())
    policy.observe(verdict(encrypted=True))
    assert policy.active() == []


def test_srtp_offered_then_cleartext_is_a_downgrade():
    policy = Policy()
    policy.observe(sdp(crypto=("AES_CM_128_HMAC_SHA1_80",), profiles=("RTP/SAVP",)))
    policy.observe(verdict())
    types = {a.type: a for a in policy.active()}
    assert set(types) == {"cleartext_media", "srtp_downgrade", "sdes_keys_exposed"}
    assert types["srtp_downgrade"].endpoint == "10.0.0.1"
    assert types["sdes_keys_exposed"].endpoint == "10.0.0.2" and types["sdes_keys_exposed"].severity == "critical"
    assert not any("inline" in e for a in policy.active() for e in a.evidence)


def test_keys_over_tls_are_not_exposed():
    policy = Policy()
    policy.observe(sdp(transport="tls", crypto=("AES_CM_128_HMAC_SHA1_80",)))
    assert policy.active() == []


def test_cleartext_signaling_once_per_session_and_not_for_tls():
    policy = Policy()
    for _ in range(2):
        policy.observe(SignalingObserved("udp", "10.0.0.1", 5060, "10.0.0.9", 5060, 1.0, "Yealink"))
    policy.observe(SignalingObserved("tls", "10.0.0.3", 40000, "10.0.0.9", 5061, 1.0, None))
    [alert] = policy.active()
    assert (alert.type, alert.endpoint, alert.peer, alert.severity) == ("cleartext_signaling", "10.0.0.1", "10.0.0.9", "medium")


def test_media_of_a_tls_call_is_critical():
    policy = Policy()
    policy.observe(sdp(transport="tls"))
    policy.observe(verdict())
    [alert] = policy.active()
    assert alert.severity == "critical" and any("TLS" in e for e in alert.evidence)


def test_severities_are_configurable():
    policy = Policy(PolicySettings(severities={"cleartext_media": "low"}))
    policy.observe(verdict())
    assert policy.active()[0].severity == "low"


def test_on_alert_callback_fires_once_per_new_alert():
    seen = []
    policy = Policy(on_alert=seen.append)
    policy.observe(verdict())
    policy.observe(verdict())
    assert [a.type for a in seen] == ["cleartext_media"]
