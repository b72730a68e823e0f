"""Withdrawals: the policy tells its caller when a later verdict proves an alert it raised wrong (with the
alert and a reason), and only then: letting the oldest alert go to bound memory is not a withdrawal."""
from __future__ import annotations

from dataclasses import replace
from netaddr import IPNetwork

from appliance.endpoint_rules import EndpointRules, Exemption
from appliance.policy import Policy, PolicySettings
from collectors.events import SdpObserved
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


# -- sdes_keys_exposed names the SDP's author, whichever copy arrives first ---------------------------------
PHONE, PROXY, CALLEE = "10.0.0.1", "10.0.0.10", "10.0.0.2"
CRYPTO = ("AES_CM_128_HMAC_SHA1_80",)


def keyed(sender, receiver, ts, media, message="INVITE", transport="udp", crypto=CRYPTO):
    return SdpObserved("c1", sender, receiver, transport, ts, message == "INVITE", message, ("RTP/SAVP",), crypto,
                       False, False, leg="-".join(sorted((sender, receiver))), media=(media,))


def exposed(*events) -> tuple[set, list]:
    policy, _, withdrawn = recording()
    for event in events:
        policy.observe(event)
    return {a.endpoint for a in policy.active() if a.type == "sdes_keys_exposed"}, withdrawn


ORIGINAL = keyed(PHONE, PROXY, 1.0, f"{PHONE}:4000")
COPY = keyed(PROXY, CALLEE, 1.1, f"{PHONE}:4000")                  # the proxy forwards it unchanged


def test_the_proxys_copy_first_moves_the_alert_to_the_phone():
    assert exposed(ORIGINAL, COPY) == ({PHONE}, [])                  # in order: the author only
    named, withdrawn = exposed(COPY, ORIGINAL)                       # another worker's copy came first
    assert named == {PHONE}
    [withdrawal] = withdrawn
    assert (withdrawal.type, withdrawal.endpoint, withdrawal.ts) == ("sdes_keys_exposed", PROXY, 1.0)
    assert withdrawal.reason == (f"{PROXY} forwarded the SRTP master keys of {PHONE} unchanged (INVITE to "
                                 f"{CALLEE}): the alert names {PHONE}")


def test_a_chain_of_forwarders_is_followed_back_to_the_author():
    sbc = "10.0.0.20"
    onward = keyed(CALLEE, sbc, 1.2, f"{PHONE}:4000")                # forwarded once more
    for order in ((onward, COPY, ORIGINAL), (onward, ORIGINAL, COPY), (COPY, onward, ORIGINAL)):
        named, withdrawn = exposed(*order)
        assert named == {PHONE}, order
        assert {w.endpoint for w in withdrawn} <= {PROXY, CALLEE}


def test_a_forwarder_that_also_exposed_keys_of_its_own_keeps_its_alert():
    own = keyed(PROXY, PHONE, 1.3, f"{PROXY}:40000", message="200 response to INVITE")   # its own answer's keys
    named, withdrawn = exposed(COPY, own, ORIGINAL)
    assert named == {PHONE, PROXY} and withdrawn == []


def test_keys_forwarded_from_tls_into_cleartext_are_the_forwarders_exposure():
    over_tls = keyed(PHONE, PROXY, 1.0, f"{PHONE}:4000", transport="tls")
    for order in ((over_tls, COPY), (COPY, over_tls)):
        assert exposed(*order) == ({PROXY}, [])
