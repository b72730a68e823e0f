"""Withdrawals: the policy tells its caller when a later verdict proves an alert it raised wrong (with the
alert and a reason), and only then: letting the oldest alert go to bound memory is not a withdrawal."""
from __future__ import annotations

from dataclasses import replace
from netaddr import IPNetwork

from appliance.endpoint_rules import EndpointRules, Exemption
from appliance.policy import Policy, PolicySettings
from tests.appliance.test_policy import sdp, verdict

SRTP_OFFER = {"crypto": ("AES_CM_128_HMAC_SHA1_80",), "profiles": ("RTP/SAVP",)}


def recording(settings: PolicySettings | None = None) -> tuple[Policy, list, list]:
    raised, withdrawn = [], []
    return Policy(settings, on_alert=raised.append, on_withdraw=withdrawn.append), raised, withdrawn


def test_a_stream_proved_encrypted_withdraws_its_alert_and_says_why():
    policy, raised, withdrawn = recording()
    policy.observe(verdict())
    later = replace(verdict(encrypted=True), packets_to_verdict=24, source="payload", ts=103.0)
    policy.observe(later)
    [withdrawal] = withdrawn
    assert withdrawal.alert == raised[0] and withdrawal.key == ("cleartext_media", "s1")
    assert (withdrawal.type, withdrawal.endpoint, withdrawal.stream, withdrawal.ts) == \
        ("cleartext_media", "10.0.0.1", "s1", 103.0)
    assert withdrawal.reason == "stream s1 proved encrypted (SRTP, sdes keying) after 24 packets (payload)"
    assert policy.active() == []


def test_no_media_and_low_confidence_say_so():
    policy, _, withdrawn = recording()
    policy.observe(verdict(sid="a"))
    policy.observe(verdict(sid="b"))
    policy.observe(verdict(sid="a", media=False))
    policy.observe(verdict(sid="b", confidence=0.2))
    assert [w.reason for w in withdrawn] == [
        "stream a carries no audio, video or DTMF after 3 packets (sdp)",
        "stream b: confidence 0.20 fell below 0.50 after 3 packets (sdp)"]


def test_the_downgrade_goes_with_its_last_cleartext_stream():
    policy, _, withdrawn = recording()
    policy.observe(sdp(**SRTP_OFFER))
    policy.observe(verdict(sid="s1"))
    policy.observe(verdict(sid="s2"))           # the other direction, the same downgrade
    policy.observe(verdict(sid="s1", encrypted=True))
    assert [w.type for w in withdrawn] == ["cleartext_media"]        # s2 still holds the downgrade up
    policy.observe(verdict(sid="s2", encrypted=True))
    assert [w.type for w in withdrawn] == ["cleartext_media", "cleartext_media", "srtp_downgrade"]
    assert withdrawn[-1].reason.startswith("stream s2 proved encrypted")
    assert {a.type for a in policy.active()} == {"sdes_keys_exposed"}


def test_nothing_is_withdrawn_that_was_not_raised():
    exempt = EndpointRules(exemptions=(Exemption((IPNetwork("10.0.0.1/32"),), reason="lab phone"),))
    policy, raised, withdrawn = recording(PolicySettings(rules=exempt))
    policy.observe(verdict())                                  # held back: never raised
    policy.observe(verdict(encrypted=True))
    policy.observe(verdict(encrypted=True, sid="s2"))          # encrypted from the start
    assert raised == withdrawn == []


def test_letting_old_alerts_go_for_memory_is_not_a_withdrawal():
    policy, raised, withdrawn = recording(PolicySettings(max_alerts=1))
    policy.observe(verdict(sid="s1"))
    policy.observe(verdict(sid="s2"))
    assert len(raised) == 2 and policy.alerts_dropped == 1 and withdrawn == []
    policy.observe(verdict(sid="s1", encrypted=True))          # its alert was let go already: nothing to say
    assert withdrawn == []
