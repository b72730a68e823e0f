"""`EndpointTable.describe` re-uses an endpoint's last description while its evidence is unchanged (the
policy asks on every alert): what it says must still follow every new announcement, and each caller gets
its own copy."""
from __future__ import annotations

from collectors.endpoints import EndpointTable
from collectors.fingerprint.dhcp import parse_dhcp
from tests.collectors.fingerprint.test_dhcp import dhcp_payload

IP, MAC = "10.20.0.30", "02:11:22:33:44:55"       # locally administered: the MAC alone names no vendor


def fresh(table: EndpointTable, ip: str) -> dict:
    """What a table without remembered descriptions says."""
    table._described.clear()
    return table.describe(ip)


def test_each_new_announcement_changes_the_description_as_without_reuse():
    table = EndpointTable()
    steps = [lambda: table.saw_mac(IP, MAC),
             lambda: table.saw_agent(IP, "Yealink SIP-T46S 66.86.0.15", False),
             lambda: table.saw_agent(IP, "Asterisk PBX 18.2.0", True),
             lambda: table.saw_dhcp(parse_dhcp(dhcp_payload(MAC, [("message-type", "request"),
                                                                  ("vendor_class_id", b"Polycom-VVX-VVX_410-UA/5.9")],
                                                            ciaddr=IP))),
             lambda: table.saw_mac(IP, MAC, vlan=40)]
    seen = [table.describe(IP)]
    for step in steps:
        step()
        described = table.describe(IP)
        assert described == fresh(table, IP)
        seen.append(described)
    assert seen[0]["device_class"] == "unknown" and seen[-1]["vlan"] == 40
    assert len({repr(d) for d in seen}) == len(seen), "every announcement changed what it says"


def test_callers_get_their_own_copies():
    table = EndpointTable()
    table.saw_agent(IP, "Yealink SIP-T46S 66.86.0.15", False)
    first = table.describe(IP)
    first["evidence"].append("changed by a caller")
    first["vendor"] = "someone else"
    assert table.describe(IP) == fresh(table, IP) != first
