"""The vendor drivers without a switch: recorded show outputs against their expected parse results
(tests/data/switch/<device_type>/<case>.txt + .json), hand-written golden plans (plan.txt), and the
port spellings each platform treats as one port."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.switches import drivers
from appliance.switches.model import MirrorSession

DATA = Path(__file__).resolve().parents[1] / "data" / "switch"
PLATFORMS = ("cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos", "aruba_aoscx", "hp_procurve", "dell_os10")
CASES = sorted(path for platform in PLATFORMS for path in (DATA / platform).glob("*.txt") if path.stem != "plan")
PLAN_SESSIONS = {
    "cisco_ios": (["Gi1/0/5:both"], "Gi1/0/48"),
    "cisco_nxos": (["Eth1/5:both"], "Eth1/48"),
    "arista_eos": (["Ethernet5:both"], "Ethernet48"),
    "juniper_junos": (["ge-0/0/5.0:both"], "ge-0/0/47.0"),
    "aruba_aoscx": (["1/1/5:both"], "1/1/48"),
    "hp_procurve": (["A5:both"], "A24"),
    "dell_os10": (["ethernet1/1/5:both"], "ethernet1/1/48"),
}


def test_every_platform_has_recorded_outputs_and_an_absent_case():
    for platform in PLATFORMS:
        stems = {path.stem for path in (DATA / platform).glob("*.txt")}
        assert {"absent", "plan"} <= stems and len(stems) >= 3, platform


@pytest.mark.parametrize("path", CASES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_recorded_output_parses_to_its_expected_session(path):
    driver = drivers.for_device_type(path.parent.name)
    expected = json.loads(path.with_suffix(".json").read_text())
    parsed = driver.parse([path.read_text()], MirrorSession())
    if expected["session"] is None:
        assert parsed is None
        return
    assert parsed is not None
    assert parsed.to_dict() == expected["session"]
    assert parsed.extra.get("marker") == expected.get("marker")
    assert parsed.extra.get("state") == expected.get("state")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_plan_matches_the_hand_written_golden_file(platform):
    sources, destination = PLAN_SESSIONS[platform]
    session = MirrorSession.build(sources, ["100:rx"], destination)
    assert drivers.for_device_type(platform).plan(session).text() == (DATA / platform / "plan.txt").read_text()


@pytest.mark.parametrize("platform, spellings", [
    ("cisco_ios", ["GigabitEthernet1/0/5", "Gi1/0/5", "gi1/0/5", "Gig1/0/5"]),
    ("cisco_ios", ["TenGigabitEthernet1/1/1", "Te1/1/1", "ten1/1/1"]),
    ("cisco_nxos", ["Ethernet1/5", "Eth1/5", "ethernet1/5"]),
    ("arista_eos", ["Ethernet5", "Et5", "eth5"]),
    ("juniper_junos", ["ge-0/0/5", "ge-0/0/5.0", "GE-0/0/5.0"]),
    ("aruba_aoscx", ["1/1/5", "interface 1/1/5"]),
    ("hp_procurve", ["A5", "a5"]),
    ("dell_os10", ["ethernet1/1/5", "Eth 1/1/5", "Ethernet1/1/5"]),
])
def test_port_spellings_name_one_port(platform, spellings):
    driver = drivers.for_device_type(platform)
    assert len({driver.port_name(spelling) for spelling in spellings}) == 1


@pytest.mark.parametrize("platform, other", [("cisco_ios", "Gi1/0/50"), ("cisco_ios", "Te1/0/5"),
                                             ("cisco_nxos", "Eth1/50"), ("arista_eos", "Et50"),
                                             ("juniper_junos", "ge-0/0/5.1"), ("dell_os10", "ethernet1/1/50")])
def test_different_ports_stay_different(platform, other):
    driver = drivers.for_device_type(platform)
    base = {"cisco_ios": "Gi1/0/5", "cisco_nxos": "Eth1/5", "arista_eos": "Et5", "juniper_junos": "ge-0/0/5",
            "dell_os10": "ethernet1/1/5"}[platform]
    assert driver.port_name(base) != driver.port_name(other)


@pytest.mark.parametrize("platform, marks", [("cisco_ios", False), ("dell_os10", False), ("cisco_nxos", True),
                                             ("arista_eos", False), ("juniper_junos", False), ("aruba_aoscx", True),
                                             ("hp_procurve", True)])
def test_ownership_comes_from_the_marker_where_the_platform_has_one(platform, marks):
    """EOS and Junos name sessions, and the name is all they show: a session called VOIPWATCH may still
    be someone else's, so there (as where nothing marks a session) the store's record decides."""
    driver = drivers.for_device_type(platform)
    ours = MirrorSession(destination="x", extra={"marker": "VOIPWATCH"})
    theirs = MirrorSession(destination="x", extra={"marker": "span for IDS"})
    assert (driver.owns(ours), driver.owns(theirs)) == ((True, False) if marks else (None, None))


def test_a_both_source_differs_from_an_rx_read_back():
    driver = drivers.for_device_type("cisco_nxos")
    text = (DATA / "cisco_nxos" / "shut.txt").read_text()
    wanted = MirrorSession.build(["Ethernet1/5:rx", "Eth1/6:rx", "Eth1/7:tx"], [], "Ethernet1/48")
    assert driver.differences(wanted, driver.parse([text], wanted)) == [
        "source ports: wanted Eth1/5:rx, Eth1/6:rx, Eth1/7:tx, switch has Eth1/5:both, Eth1/6:rx, Eth1/7:tx"]
