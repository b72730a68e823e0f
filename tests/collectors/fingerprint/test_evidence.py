"""DeviceEvidence: precedence LLDP-MED/CDP > User-Agent > DHCP > OUI, and conflicts between sources."""
from __future__ import annotations

from collectors.fingerprint import DeviceEvidence, parse_cdp_frame, parse_dhcp, parse_lldp_frame, rejects_wildcard_certs
from tests.collectors.fingerprint.test_cdp import PHONE as CDP_PHONE
from tests.collectors.fingerprint.test_cdp import SWITCH as CDP_SWITCH
from tests.collectors.fingerprint.test_dhcp import dhcp_payload, discover
from tests.collectors.fingerprint.test_lldp import POLY as LLDP_POLY
from tests.collectors.fingerprint.test_lldp import SWITCH as LLDP_SWITCH

KEYS = {"vendor", "model", "firmware", "device_class", "evidence"}
CLASSES = {"hard_phone", "softphone", "pbx", "gateway", "unknown"}


def describe(**sources) -> dict:
    device = DeviceEvidence(sources.pop("mac", None))
    for kind, values in sources.items():
        for value in values if isinstance(values, list) else [values]:
            getattr(device, f"add_{kind}")(value)
    result = device.describe()
    assert set(result) == KEYS and result["device_class"] in CLASSES
    return result


def test_phone_only_vendor_oui_alone_makes_a_hard_phone():
    result = describe(mac="80:5e:c0:12:34:56")
    assert (result["vendor"], result["device_class"]) == ("Yealink", "hard_phone")
    assert result["evidence"] == ["mac: OUI 80:5E:C0 = Yealink (phone vendor)"]


def test_cisco_oui_alone_is_not_enough():
    result = describe(mac="00:1b:d4:aa:bb:cc")
    assert (result["vendor"], result["device_class"]) == ("Cisco", "unknown")
    assert "not decisive alone" in result["evidence"][0]


def test_cisco_oui_with_cdp_phone():
    result = describe(mac="00:1b:d4:aa:bb:cc", cdp=parse_cdp_frame(CDP_PHONE))
    assert (result["vendor"], result["model"], result["device_class"]) == ("Cisco", "IP Phone 7965", "hard_phone")
    assert result["firmware"] == "SCCP75.9-4-2SR3-1S"


def test_cisco_oui_with_dhcp_sep_hostname():
    dhcp = parse_dhcp(discover("00:1b:d4:aa:bb:cc", ("hostname", b"SEP001BD4AABBCC")))
    result = describe(dhcp=dhcp)               # the MAC comes from chaddr
    assert (result["vendor"], result["device_class"]) == ("Cisco", "hard_phone")
    assert result["evidence"][0].startswith("dhcp: host name 'SEP001BD4AABBCC'")


def test_lldp_inventory_beats_user_agent_dhcp_and_oui():
    dhcp = parse_dhcp(discover("64:16:7f:01:02:03", ("vendor_class_id", b"Polycom-VVX410")))
    result = describe(lldp=parse_lldp_frame(LLDP_POLY), user_agent="PolycomVVX-VVX_410-UA/5.9.0.9000", dhcp=dhcp)
    assert (result["vendor"], result["model"], result["firmware"], result["device_class"]) == (
        "Poly", "VVX 410", "5.9.0.9373", "hard_phone")
    sources = [e.split(":")[0] for e in result["evidence"]]
    assert sources.index("lldp-med") < sources.index("user-agent") < sources.index("dhcp") < sources.index("mac")
    assert rejects_wildcard_certs(result["vendor"])


def test_user_agent_beats_dhcp_and_records_the_conflict():
    dhcp = parse_dhcp(discover("00:11:22:33:44:55", ("hostname", b"SEP001BD4AABBCC")))
    result = describe(user_agent="Yealink SIP-T46S 66.85.0.5", dhcp=dhcp)
    assert (result["vendor"], result["model"], result["device_class"]) == ("Yealink", "SIP-T46S", "hard_phone")
    assert any(e.startswith("conflict: dhcp says Cisco; kept Yealink") for e in result["evidence"])


def test_model_never_borrowed_from_another_vendor():
    lldp = parse_lldp_frame(LLDP_POLY)
    result = describe(lldp=lldp, user_agent="Grandstream GXP2170 1.0.11.23")
    assert result["vendor"] == "Poly" and result["model"] == "VVX 410"
    ua_only_model = describe(mac="80:5e:c0:12:34:56", user_agent="Grandstream GXP2170 1.0.11.23")
    assert (ua_only_model["vendor"], ua_only_model["model"]) == ("Grandstream", "GXP2170")


def test_contrary_evidence_stops_the_oui():
    assert describe(mac="80:5e:c0:12:34:56", user_agent="MicroSIP/3.20.7")["device_class"] == "softphone"
    switch = describe(mac="80:5e:c0:12:34:56", lldp=parse_lldp_frame(LLDP_SWITCH))
    assert switch["device_class"] == "unknown"
    cdp_switch = describe(mac="00:0b:82:12:34:56", cdp=parse_cdp_frame(CDP_SWITCH))
    assert cdp_switch["device_class"] == "unknown"


def test_softphone_on_a_laptop_is_no_conflict():
    result = describe(mac="00:1b:63:12:34:56", user_agent="MicroSIP/3.20.7")
    assert (result["vendor"], result["device_class"]) == ("MicroSIP", "softphone")
    assert result["evidence"][-1] == "mac: OUI 00:1B:63 = Apple, Inc."


def test_gateway_vendor_oui():
    result = describe(mac="00:a0:ba:12:34:56")
    assert (result["vendor"], result["device_class"]) == ("Patton", "gateway")
    assert result["evidence"] == ["mac: OUI 00:A0:BA = Patton (gateway vendor)"]


def test_server_header_of_unknown_product():
    assert describe(server_header="WeirdSwitch/4.1")["device_class"] == "pbx"
    assert describe(server_header="WeirdSwitch/4.1", user_agent="WeirdSwitch/4.1")["device_class"] == "unknown"
    assert describe(mac="80:5e:c0:12:34:56", server_header="Weird/1.0")["device_class"] == "hard_phone"
    assert describe(server_header="Asterisk PBX 18.2.0")["vendor"] == "Asterisk"


def test_locally_administered_mac_and_nothing_at_all():
    result = describe(mac="02:11:22:33:44:55")
    assert result["vendor"] is None and "locally administered" in result["evidence"][0]
    assert describe() == {"vendor": None, "model": None, "firmware": None, "device_class": "unknown", "evidence": []}


def test_dhcp_server_reply_is_ignored():
    reply = parse_dhcp(dhcp_payload("00:11:22:33:44:55", [("message-type", "ack"), ("vendor_class_id", b"yealink")],
                                    op=2))
    device = DeviceEvidence()
    device.add_dhcp(reply)
    assert device.dhcp is None and device.mac is None


def test_bounded_and_deduplicated():
    device = DeviceEvidence("80:5e:c0:12:34:56")
    for i in range(10):
        device.add_user_agent(f"Yealink SIP-T46S 66.85.0.{i}")
        device.add_user_agent(f"Yealink SIP-T46S 66.85.0.{i}")
    device.add_mac("00:1b:d4:aa:bb:cc")
    assert len(device.user_agents) == 4 and device.mac == "80:5e:c0:12:34:56"
    assert device.describe()["firmware"] == "66.85.0.0"
