"""Phones behind SIP-TLS are still recognised from what else the mirror port shows: CDP and LLDP-MED
announcements and DHCP client fingerprints, tied to the phone's IP by its MAC address."""
from __future__ import annotations

import ssl

from tests.collectors.fingerprint.test_cdp import PHONE as CDP_PHONE
from tests.collectors.fingerprint.test_dhcp import dhcp_payload
from tests.collectors.fingerprint.test_lldp import POLY as LLDP_POLY
from tests.collectors.test_sip_tls import PBX, T0, tls_frames
from tests.collectors.tls import client_context, make_cert, rsa_key, run_handshake, server_context
from tests.conftest import analyze
from tests.synth.frames import Framer, Host
from tests.synth.pcapio import write_pcap


def test_l2_and_dhcp_announcements_name_the_phones(tmp_path):
    key = rsa_key()
    handshake = run_handshake(client_context(), server_context([make_cert(key)], key))
    cisco = Host("10.20.0.21", "00:1b:d4:aa:bb:cc")          # Cisco OUI: not a phone on its own
    poly = Host("10.20.0.15", "64:16:7f:01:02:03")
    dhcp_phone = Host("10.20.0.30", "02:11:22:33:44:55")     # locally administered: the OUI says nothing
    dhcp = dhcp_payload(dhcp_phone.mac, [("message-type", "request"),
                                         ("vendor_class_id", b"Polycom-VVX-VVX_410-UA/5.9.0.9373")],
                        ciaddr=dhcp_phone.ip)
    framer = Framer()
    frames = [(T0 - 5, CDP_PHONE), (T0 - 4, LLDP_POLY),
              (T0 - 3, framer.udp(dhcp_phone, Host("10.20.0.1", "02:00:00:00:00:01"), 68, 67, dhcp))]
    for n, phone in enumerate((cisco, poly, dhcp_phone)):
        frames += tls_frames(handshake, 41000 + n, 5061, T0 + n, client=phone)
    report = analyze(write_pcap(tmp_path / "phones.pcap", sorted(frames, key=lambda f: f[0])))
    endpoints = {e["ip"]: e for e in report["endpoints"]}
    assert {s["client"] for s in report["signaling"]} == {cisco.ip, poly.ip, dhcp_phone.ip}
    for phone, vendor, source in ((cisco, "Cisco", "cdp"), (poly, "Poly", "lldp"), (dhcp_phone, "Poly", "dhcp")):
        endpoint = endpoints[phone.ip]
        assert endpoint["device_class"] == "hard_phone", endpoint
        assert (endpoint["vendor"] or "").startswith(vendor[:4]), endpoint
        assert any(e.lower().startswith(source) for e in endpoint["evidence"]), endpoint["evidence"]
    assert endpoints[PBX.ip]["device_class"] != "hard_phone"
