"""Vendor, model, firmware and class from SIP User-Agent/Server strings."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.fingerprint.user_agent import classify_user_agent

CASES = [
    ("Yealink SIP-T46S 66.85.0.5", "Yealink", "SIP-T46S", "66.85.0.5", "hard_phone"),
    ("Yealink W60B 77.83.0.25", "Yealink", "W60B", "77.83.0.25", "hard_phone"),
    ("PolycomVVX-VVX_410-UA/5.9.0.9373", "Poly", "VVX_410", "5.9.0.9373", "hard_phone"),
    ("PolycomSoundPointIP-SPIP_650-UA/4.0.1.13681", "Poly", "SPIP_650", "4.0.1.13681", "hard_phone"),
    ("Cisco/SPA504G-7.6.2f", "Cisco", "SPA504G", "7.6.2f", "hard_phone"),
    ("Cisco/SPA112-1.4.1(SR1)", "Cisco", "SPA112", "1.4.1(SR1)", "gateway"),
    ("Cisco-CP7965G/9.4.2", "Cisco", "CP7965G", "9.4.2", "hard_phone"),
    ("Grandstream GXP2170 1.0.11.23", "Grandstream", "GXP2170", "1.0.11.23", "hard_phone"),
    ("Grandstream HT802 1.0.17.5", "Grandstream", "HT802", "1.0.17.5", "gateway"),
    ("snom760/10.1.54.13", "Snom", "760", "10.1.54.13", "hard_phone"),
    ("snomD785/10.1.33.33", "Snom", "D785", "10.1.33.33", "hard_phone"),
    ("Aastra 6739i/3.3.1.4322", "Mitel", "6739i", "3.3.1.4322", "hard_phone"),
    ("Avaya one-X Deskphone", "Avaya", "one-X Deskphone", None, "hard_phone"),
    ("Panasonic_KX-UT136/01.133 (0080f0aabbcc)", "Panasonic", "KX-UT136", "01.133", "hard_phone"),
    ("OpenStage_40_V3 R5.2.3 SIP 180101", "Unify", "OpenStage_40", "R5.2.3", "hard_phone"),
    ("OBIHAI/OBi202-3.2.2.5921", "Obihai", "OBi202", "3.2.2.5921", "gateway"),
    ("AUDC-IPPhone/2.2.12.172 (440HD; 00908F123456)", "AudioCodes", "440HD", "2.2.12.172", "hard_phone"),
    ("MicroSIP/3.20.7", "MicroSIP", None, "3.20.7", "softphone"),
    ("Zoiper rv2.10.20.3", "Zoiper", None, "2.10.20.3", "softphone"),
    ("Linphone/5.0 (belle-sip/5.0)", "Linphone", None, "5.0", "softphone"),
    ("baresip v1.0.0 (x86_64/linux)", "baresip", None, "1.0.0", "softphone"),
    ("Bria 5 release 5.9.1 stamp 99446", "CounterPath", "Bria 5", "5.9.1", "softphone"),
    ("3CXPhone 6.0.26523.0", "3CX", None, "6.0.26523.0", "softphone"),
    ("Asterisk PBX 18.2.0", "Asterisk", None, "18.2.0", "pbx"),
    ("FreeSWITCH-mod_sofia/1.10.7", "FreeSWITCH", None, "1.10.7", "pbx"),
    ("FreeSWITCH-mod_sofia/1.10.7-release~64bit", "FreeSWITCH", None, "1.10.7", "pbx"),
    ("3CXPhoneSystem 18", "3CX", "Phone System", "18", "pbx"),
    ("Cisco-CUCM14.0", "Cisco", "Unified CM", "14.0", "pbx"),
    ("kamailio (5.5.0 (x86_64/linux))", "Kamailio", None, "5.5.0", "pbx"),
    ("Cisco-SIPGateway/IOS-15.x", "Cisco", None, "IOS-15.x", "gateway"),
    ("AudioCodes-Sip-Gateway-MP-118/v.6.60", "AudioCodes", "MP-118", "6.60", "gateway"),
    ("Patton SN4638 5BIS MxSF v3.2.0.2 00A0BA0A0AC6 R6.2", "Patton", "SN4638", "3.2.0.2", "gateway"),
    ("sipp", "SIPp", None, None, None),
]


@pytest.mark.parametrize("agent, vendor, model, firmware, cls", CASES, ids=[c[0] for c in CASES])
def test_known_products(agent, vendor, model, firmware, cls):
    got_vendor, got_model, got_firmware, got_class, evidence = classify_user_agent(agent)
    assert (got_vendor, got_model, got_firmware, got_class) == (vendor, model, firmware, cls)
    assert len(evidence) == 1 and agent in evidence[0]


@pytest.mark.parametrize("agent, vendor, model, firmware, cls", [
    ("Acme XP100 1.2.3", "Acme", "XP100", "1.2.3", None),           # product-shaped: vendor and model as written
    ("Acme/2.1", "Acme", None, "2.1", None),
    ("WeirdThing", None, None, None, None),                          # one bare word: not enough to call a vendor
    ("SIP/2.0", None, None, None, None),                             # generic word
    ("123abc", None, None, None, None),
    ("Mozilla/5.0 (X11; Linux x86_64)", None, None, None, "softphone"),   # browser WebRTC client
    ("VTech VSP736 1.1.4.0", "VTech", "VSP736", "1.1.4.0", "hard_phone"),
    ("Fritz!Box 7590 154.07.29", None, None, None, "gateway"),
    ("Acme-SBC/4.2 (Cisco compatible)", "Acme-SBC", None, "4.2", "gateway"),   # a vendor named later is not it
    ("Polycom-compatible 1.0", "Poly", None, None, "hard_phone"),
])
def test_fallback_invents_nothing(agent, vendor, model, firmware, cls):
    assert classify_user_agent(agent)[:4] == (vendor, model, firmware, cls)


def test_server_header_and_empty_values():
    assert classify_user_agent("Asterisk PBX 18.2.0", server_header=True)[4][0].startswith("server: ")
    assert classify_user_agent(None) == (None, None, None, None, [])
    assert classify_user_agent("   ") == (None, None, None, None, [])


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_any_text_never_raises(text):
    *_, cls, evidence = classify_user_agent(text)
    assert cls in (None, "hard_phone", "softphone", "pbx", "gateway")
    assert isinstance(evidence, list)
