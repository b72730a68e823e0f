"""The configuration file: settings, policy (hard phones by vendor, subnet, voice VLAN and inventory;
exemptions; which device classes alert; severities) and notifiers. Policy effects are checked through
`appliance analyze` on the project's recorded real-client calls (10.250.7.11 calls 10.250.7.12 over
cleartext SIP/TCP with PCMU media)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Dot1Q, Ether
from scapy.utils import wrpcap

from appliance.errors import UsageError
from appliance.notifiers import sync_notifiers
from appliance.settings import Settings
from appliance.store import open_store, queries
from appliance.store.migrate import upgrade
from tests.conftest import APPLIANCE
from tests.api.conftest import LAB as LAB_DIR

CALL = LAB_DIR / "tcp-pcmu.pcap"


def write(tmp_path, text: str):
    path = tmp_path / "appliance.toml"
    path.write_text(text)
    return path


def analyze(config, *captures) -> dict:
    proc = subprocess.run([str(APPLIANCE), "analyze", *map(str, captures or [CALL]), "--no-progress"],
                          capture_output=True, text=True, env={"APPLIANCE_CONFIG": str(config), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def alerts(report) -> set[tuple]:
    return {(a["type"], a["endpoint"], a["severity"], a["device_class"]) for a in report["alerts"]}


def test_the_file_gives_settings_and_the_environment_wins(tmp_path):
    config = write(tmp_path, f"""
[appliance]
data_dir = "{tmp_path / 'data'}"
sensor_id = "floor-3"
interfaces = ["eth1", "eth2"]
port = 9443
retention_days = 7
""")
    settings = Settings.from_env({"APPLIANCE_CONFIG": str(config)})
    assert (settings.sensor_id, settings.interfaces, settings.port, settings.retention_days) == \
        ("floor-3", ("eth1", "eth2"), 9443, 7)
    assert settings.data_dir == tmp_path / "data" and settings.config_path == config
    overridden = Settings.from_env({"APPLIANCE_CONFIG": str(config), "APPLIANCE_SENSOR_ID": "override",
                                    "APPLIANCE_PORT": "8081"})
    assert (overridden.sensor_id, overridden.port, overridden.interfaces) == ("override", 8081, ("eth1", "eth2"))


def test_incident_timing_from_the_file_or_the_environment(tmp_path):
    config = write(tmp_path, "[appliance]\nauto_resolve_hours = 2\nremind_hours = 0.5\n")
    settings = Settings.from_env({"APPLIANCE_CONFIG": str(config)})
    assert (settings.incidents.auto_resolve_after, settings.incidents.remind_every) == (7200, 1800)
    assert Settings.from_env({"APPLIANCE_CONFIG": str(config), "APPLIANCE_REMIND_HOURS": "0"}).incidents.remind_every \
        is None
    assert Settings.from_env({}).incidents.auto_resolve_after == 24 * 3600
    for bad in ("-1", "soon"):
        with pytest.raises(UsageError, match="APPLIANCE_AUTO_RESOLVE_HOURS"):
            Settings.from_env({"APPLIANCE_AUTO_RESOLVE_HOURS": bad})


@pytest.mark.parametrize("text, message", [
    ("[appliance]\nsecret_key = 'x'\n", "unknown key appliance.secret_key"),     # secrets never in the file
    ("[policy]\nmin_confidance = 0.4\n", "unknown key policy.min_confidance"),
    ("[policy.severities]\ncleartext_media = 'urgent'\n", "one of critical, high, medium, low, info"),
    ("[policy.hard_phones]\nsubnets = ['10.0.0.0/33']\n", "policy.hard_phones.subnets"),
    ("[policy.hard_phones]\nvoice_vlans = [5000]\n", "is not a VLAN id"),
    ("[policy.hard_phones]\ninventory = 'missing.csv'\n", "cannot read"),
    ("[[policy.exempt]]\ntypes = ['cleartext_media']\n", "needs `networks`"),
    ("[[policy.exempt]]\nnetworks = ['10.0.0.1']\ntypes = ['cleartext']\n", "unknown alert type 'cleartext'"),
    ("[policy]\nalert_on_device_classes = ['phone']\n", "unknown device class 'phone'"),
    ("[[notifiers]]\nname = 'x'\n", "needs a name and a url"),
    ("[appliance\n", "not valid TOML"),
])
def test_a_bad_file_is_one_clear_error(tmp_path, text, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace("[", r"\[")):
        Settings.from_env({"APPLIANCE_CONFIG": str(write(tmp_path, text))})


def test_a_bad_file_stops_the_cli_with_one_line(tmp_path):
    config = write(tmp_path, "[policy]\nmin_confidance = 0.4\n")
    proc = subprocess.run([str(APPLIANCE), "analyze", str(CALL)], capture_output=True, text=True,
                          env={"APPLIANCE_CONFIG": str(config), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"appliance: error: {config}: unknown key policy.min_confidance "
                                                "(known: alert_on_device_classes, exempt, hard_phones, "
                                                "min_confidence, severities, storm_handshakes, storm_window)"]


def test_no_file_means_the_default_policy(tmp_path):
    default = analyze(write(tmp_path, ""))
    assert alerts(default) == {("cleartext_signaling", "10.250.7.11", "medium", "softphone"),
                               ("cleartext_media", "10.250.7.12", "high", "softphone"),
                               ("cleartext_media", "10.250.7.11", "high", "softphone")}


def test_hard_phones_by_subnet_and_inventory_and_severities(tmp_path):
    (tmp_path / "phones.csv").write_text("ip,model\n# the lab's callee\n10.250.7.12,VVX 450\n")
    report = analyze(write(tmp_path, """
[policy.severities]
cleartext_media = "critical"
cleartext_signaling = "low"
[policy.hard_phones]
subnets = ["10.250.7.11/32"]
inventory = "phones.csv"
"""))
    assert alerts(report) == {("cleartext_signaling", "10.250.7.11", "low", "hard_phone"),
                              ("cleartext_media", "10.250.7.12", "critical", "hard_phone"),
                              ("cleartext_media", "10.250.7.11", "critical", "hard_phone")}
    evidence = {e["ip"]: e["evidence"] for e in report["endpoints"]}
    assert "policy: in a hard-phone subnet" in evidence["10.250.7.11"]
    assert "policy: listed in the hard-phone inventory" in evidence["10.250.7.12"]


def test_alerting_narrowed_to_hard_phones_and_a_trunk_exempted(tmp_path):
    report = analyze(write(tmp_path, """
[policy]
alert_on_device_classes = ["hard_phone"]
[policy.hard_phones]
subnets = ["10.250.7.0/24"]
[[policy.exempt]]
networks = ["10.250.7.12"]
types = ["cleartext_media"]
reason = "SBC trunk"
"""))
    assert alerts(report) == {("cleartext_signaling", "10.250.7.11", "medium", "hard_phone"),
                              ("cleartext_media", "10.250.7.11", "high", "hard_phone")}
    softphones_only = analyze(write(tmp_path, "[policy]\nalert_on_device_classes = ['hard_phone']\n"))
    assert softphones_only["alerts"] == [] and len(softphones_only["streams"]) == len(report["streams"])


def test_a_voice_vlan_makes_its_endpoints_hard_phones(tmp_path):
    rtp = lambda seq: bytes([0x80, 0]) + seq.to_bytes(2, "big") + (seq * 160).to_bytes(4, "big") + b"\x00\x00\x12\x34" \
        + bytes(range(160))
    frames = [Ether(src="00:04:f2:00:00:01") / Dot1Q(vlan=100) / IP(src="10.9.0.5", dst="10.9.1.1")
              / UDP(sport=40000, dport=40002) / rtp(n) for n in range(60)]
    for n, frame in enumerate(frames):
        frame.time = 1_700_000_000 + n * 0.02
    wrpcap(str(tmp_path / "vlan.pcap"), frames)
    report = analyze(write(tmp_path, "[policy.hard_phones]\nvoice_vlans = [100]\n"), tmp_path / "vlan.pcap")
    phone = next(e for e in report["endpoints"] if e["ip"] == "10.9.0.5")
    assert phone["device_class"] == "hard_phone" and phone["vlan"] == 100
    assert "policy: seen in voice VLAN 100" in phone["evidence"]
    untagged = next(e for e in report["endpoints"] if e["ip"] == "10.9.1.1")
    assert "vlan" not in untagged


def test_notifiers_from_the_file_become_webhooks_and_follow_edits(tmp_path):
    from appliance.store.crypto import generate_key
    settings = Settings(data_dir=tmp_path, secret_key=generate_key())
    upgrade(settings.store())
    store = open_store(settings.store())
    try:
        noc = {"name": "noc", "url": "https://chat.example.org/hook", "format": "slack", "secret_env": "NOC_SECRET"}
        with pytest.raises(UsageError, match="environment variable NOC_SECRET, which is not set"):
            sync_notifiers(store, [noc], environ={})
        assert sync_notifiers(store, [noc], environ={"NOC_SECRET": "first-noc-secret"}) == \
            ["notifier noc: added (slack)"]
        edited = {**noc, "url": "https://chat.example.org/hook2", "enabled": False}
        assert sync_notifiers(store, [edited], environ={"NOC_SECRET": "second-noc-secret"}) == \
            ["notifier noc: updated (slack)"]
        with store.session(readonly=True) as session:
            [hook] = queries.list_webhooks(session)
            assert (hook.url, hook.enabled, hook.created_by) == ("https://chat.example.org/hook2", False, "config")
            assert queries.webhook_secret(store.secrets, hook) == "second-noc-secret"
            assert "second-noc-secret" not in hook.secret_encrypted
    finally:
        store.close()


def test_the_shipped_example_is_valid_and_says_what_it_shows():
    example = Path(__file__).resolve().parents[2] / "appliance" / "examples" / "appliance.toml"
    settings = Settings.from_env({"APPLIANCE_CONFIG": str(example)})
    assert settings.interfaces == ("eth1",) and settings.sensor_id == "sensor-1"
    rules = settings.policy.rules
    assert rules.voice_vlans == {100} and "polycom" in rules.vendors
    assert rules.exemption("10.20.255.10", "cleartext_media").reason.startswith("SIP trunk")
    assert rules.exemption("10.20.255.10", "weak_tls") is None
    assert rules.exemption("10.30.5.3", "weak_tls").reason == "recording media servers"
    assert rules.classify("10.20.4.4", {"device_class": "unknown", "evidence": []})["device_class"] == "hard_phone"


def test_the_switch_credentials_directory_comes_from_the_file_or_the_data_dir(tmp_path):
    config = write(tmp_path, f'[appliance]\ndata_dir = "{tmp_path}/data"\n'
                             f'switch_credentials_dir = "{tmp_path}/keys"\n')
    assert Settings.from_env({"APPLIANCE_CONFIG": str(config)}).switch_credentials() == tmp_path / "keys"
    assert Settings.from_env({"APPLIANCE_CONFIG": str(config), "APPLIANCE_SWITCH_CREDENTIALS_DIR": "/srv/k"}) \
        .switch_credentials() == Path("/srv/k")
    assert Settings(data_dir=tmp_path / "d").switch_credentials() == tmp_path / "d" / "switch-credentials"
