"""The drivers against real device output written by others (tests/switch/fixtures/<platform>, with
PROVENANCE.md beside each set): every output reads into exactly the sessions the device holds, or is
refused with the line quoted; every parser refuses every other platform's output; and what the
appliance decides from a real read-back (ours or not, delivering or not) follows."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.switches import drivers, operations
from appliance.switches.drivers import block_config, cisco_config, eos_config, junos_config
from appliance.switches.drivers.screen import framing
from appliance.switches.errors import NotOurs, UnreadableOutput
from appliance.switches.model import MirrorSession

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = Path(__file__).resolve().parents[1] / "data" / "switch"
PARSERS = ("cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos", "aruba_aoscx", "hp_procurve", "dell_os10")
REAL = sorted(FIXTURES.glob("*/*.txt"))
SHOW_VLANS = """
Routing instance        VLAN name             Tag          Interfaces
default-switch          default               1
                                                           ge-0/0/0.0*
default-switch          VOICE                 100
                                                           ge-0/0/5.0*

{master:0}
"""   # the layout of ELS `show vlans`, written here (no real capture was found to go with the fixture)
CONFIG = {  # the configuration that goes with each screen fixture, written here in each platform's syntax:
            # the IOS/NX-OS drivers read what is configured from it and check it against the real screen
    "genie_iosxe_6_xe17_none_placeholders": "monitor session 1 type local\n source interface Twe2/0/3\n"
                                            " destination interface Twe1/0/3\n",
    "genie_iosxe_2_erspan_disabled": "monitor session 2 type erspan-destination\n destination interface Gi0/1/6\n"
                                     " shutdown\n source\n  erspan-id 1\n  ip address 172.18.197.254\n",
    "genie_iosxe_5_c9300_left_margin": "monitor session 10 source interface Gi3/0/27 rx\n"
                                       "monitor session 10 destination interface Gi4/0/2\n"
                                       "monitor session 10 filter ip access-group span-filter-acl1\n"
                                       "monitor session 30 source interface Gi3/0/27 rx\n"
                                       "monitor session 30 destination interface Gi1/0/1\n"
                                       "monitor session 40 source interface Gi3/0/27 rx\n"
                                       "monitor session 40 destination remote vlan 300\n",
    "genie_iosxe_7_erspan_pair": "monitor session 10 type erspan-source\n source interface Gi0/0/1\n destination\n"
                                 "  erspan-id 10\n  ip address 10.1.1.1\n  origin ip address 100.1.1.1\n",
    "genie_nxos_3_local_all_interfaces": "monitor session 1\n  source interface all both\n  filter vlan 100\n"
                                         "  destination interface Ethernet9/2\n  no shut\n",
    "guide_flow_based_session": "monitor session 1\n destination interface ethernet1/1/4\n flow-based enable\n"
                                " source interface ethernet1/1/1\n no shut\n",    # the guide's commands, as config
    "zspan_n9k_erspan_type3": "monitor session 3 type erspan-source\n  vrf default\n  header-type 3\n"    # as typed in
                              "  erspan-id 156\n  destination ip 11.11.11.11\n  ip ttl 64\n"          # the README
                              "  source interface Ethernet1/31 both\n  mtu 1518\n  no shut\n",
}


def printed(path: Path) -> bool:
    """Output with at least one line that is not framing (an empty read-back belongs to no platform)."""
    return any(not framing(line) for line in path.read_text().splitlines())


OUTPUTS = [path for path in REAL + sorted(RECORDED.glob("*/*.txt")) if path.stem != "plan" and printed(path)]


def replay(platform: str, fixture: str) -> "Replay":
    """The switch as the driver reads it back: the configuration, then the real screen."""
    return Replay(CONFIG[fixture], (FIXTURES / platform / f"{fixture}.txt").read_text())


def described(session: MirrorSession) -> dict:
    return {"sources": [str(s) for s in session.sources], "source_vlans": [str(v) for v in session.vlans],
            "destination": session.destination, "extra": session.extra}


class Replay:
    """A connection that answers the driver's read-back commands with recorded output, in turn (a
    recorded source, as tests/switch/emulator is a live one); it refuses any configuration."""

    def __init__(self, *outputs: str):
        self.outputs, self.calls = list(outputs), 0

    def send_command(self, command: str, **options) -> str:
        self.calls += 1
        return self.outputs[(self.calls - 1) % len(self.outputs)]

    def send_config_set(self, *args, **options):
        raise AssertionError("the appliance tried to change a session it must leave alone")


@pytest.mark.parametrize("path", REAL, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_real_output_reads_as_the_device_holds_it(path):
    driver, expected = drivers.for_device_type(path.parent.name), json.loads(path.with_suffix(".json").read_text())
    if "refused" in expected:
        with pytest.raises(UnreadableOutput) as refused:
            driver.sessions([path.read_text()])
        assert str(refused.value) == expected["refused"]
    else:
        found = driver.sessions([path.read_text()])
        assert {str(key): described(session) for key, session in found.items()} == expected["sessions"]


def test_platforms_with_real_output_have_their_provenance_beside_it():
    counts = {folder.name: len(list(folder.glob("*.txt"))) for folder in FIXTURES.iterdir() if folder.is_dir()}
    assert counts["cisco_ios"] >= 5 and counts["cisco_nxos"] >= 5 and counts["dell_os10"] >= 3
    for platform in counts:
        provenance = (FIXTURES / platform / "PROVENANCE.md").read_text()
        assert all(path.name in provenance for path in (FIXTURES / platform).glob("*.txt"))


@pytest.mark.parametrize("parser, path", [(parser, path) for parser in PARSERS for path in OUTPUTS
                                          if path.parent.name != parser],
                         ids=lambda value: value if isinstance(value, str) else f"{value.parent.name}/{value.stem}")
def test_a_parser_refuses_another_platforms_output(parser, path):
    with pytest.raises(UnreadableOutput, match=rf"^{parser}: cannot read the switch's output .*: '.+'$"):
        drivers.for_device_type(parser).sessions([path.read_text()])


def test_iosxe17_none_placeholders_read_back_as_the_session_itself():
    """`RX Only : None` is no port called None: the session verifies as configured."""
    driver = drivers.for_device_type("cisco_ios")
    wanted = MirrorSession.build(["TwentyFiveGigE2/0/3:both"], [], "TwentyFiveGigE1/0/3", number=1)
    outcome = operations.verify(replay("cisco_ios", "genie_iosxe_6_xe17_none_placeholders"), driver, wanted)
    assert outcome.matches and outcome.differences == []


def test_an_admin_disabled_session_is_reported_as_not_delivering():
    driver = drivers.for_device_type("cisco_ios")
    recorded = MirrorSession(destination="Gi0/1/6", number=2)
    outcome = operations.verify(replay("cisco_ios", "genie_iosxe_2_erspan_disabled"), driver, recorded)
    assert "the session is not up: disabled" in outcome.differences
    assert outcome.differences[0] == "the switch holds an erspan-destination session, not a local SPAN session"


@pytest.mark.parametrize("platform, fixture, number", [
    ("cisco_nxos", "genie_nxos_3_local_all_interfaces", 1), ("cisco_nxos", "zspan_n9k_erspan_type3", 3),
    ("cisco_ios", "genie_iosxe_5_c9300_left_margin", 40), ("cisco_ios", "genie_iosxe_7_erspan_pair", 10),
    ("cisco_ios", "genie_iosxe_2_erspan_disabled", 2)])
def test_a_session_kind_the_appliance_does_not_manage_is_never_taken_for_ours(platform, fixture, number):
    """An all-interfaces, RSPAN or ERSPAN session under our number is refused, even with a record that
    matches its ports: it is never flattened into a local session."""
    driver = drivers.for_device_type(platform)
    text = (FIXTURES / platform / f"{fixture}.txt").read_text()
    observed = driver.parse([CONFIG[fixture], text], MirrorSession(number=number))
    assert driver.owns(observed) is False
    recorded = MirrorSession(observed.sources, observed.vlans, observed.destination or "x", number=number)
    with pytest.raises(NotOurs, match="never creates"):
        operations.apply(replay(platform, fixture), driver, recorded, recorded)
    with pytest.raises(NotOurs, match="never creates"):
        operations.remove(replay(platform, fixture), driver, recorded, recorded)


def test_a_filtered_session_differs_from_an_unfiltered_one():
    """A local session with an ACL mirrors only part of the traffic: it does not verify as ours."""
    driver, fixture = drivers.for_device_type("cisco_ios"), "genie_iosxe_5_c9300_left_margin"
    wanted = MirrorSession.build(["Gi3/0/27:rx"], [], "Gi4/0/2", number=10)
    assert operations.verify(replay("cisco_ios", fixture), driver, wanted).differences == [
        "filter ip access-group: wanted none, switch has span-filter-acl1"]
    wanted = MirrorSession.build(["Gi3/0/27:rx"], [], "Gi1/0/1", number=30)
    assert operations.verify(replay("cisco_ios", fixture), driver, wanted).differences == []


def test_junos_vlan_names_resolve_through_show_vlans():
    driver = drivers.for_device_type("juniper_junos")
    text = (FIXTURES / "juniper_junos" / "jex4300_vlan_default.txt").read_text()
    observed = driver.parse([text, SHOW_VLANS], MirrorSession(name="SPAN-TAP"))
    assert observed.to_dict() == {"name": "SPAN-TAP", "number": 7, "sources": [], "source_vlans": ["1:rx"],
                                  "destination": "ge-0/0/47.0"}
    with pytest.raises(UnreadableOutput, match="default-switch/default"):
        driver.parse([text], MirrorSession(name="SPAN-TAP"))


def test_a_line_no_layout_has_is_refused_with_the_line_quoted():
    driver = drivers.for_device_type("cisco_ios")
    text = (FIXTURES / "cisco_ios" / "genie_iosxe_6_xe17_none_placeholders.txt").read_text()
    with pytest.raises(UnreadableOutput, match="'Source Magic             : Gi1/0/1'"):
        driver.parse([text.replace("Source Drop-cause        : None", "Source Magic             : Gi1/0/1")],
                     MirrorSession(number=1))


def test_configuration_and_screen_that_disagree_are_refused():
    """The configuration says what is set, the screen what runs: when they differ the driver says so."""
    driver = drivers.for_device_type("cisco_ios")
    screen = (FIXTURES / "cisco_ios" / "genie_iosxe_6_xe17_none_placeholders.txt").read_text()
    config = CONFIG["genie_iosxe_6_xe17_none_placeholders"].replace("Twe2/0/3", "Twe2/0/4")
    with pytest.raises(UnreadableOutput, match="configuration's sources .* differ"):
        driver.parse([config, screen], MirrorSession(number=1))
    with pytest.raises(UnreadableOutput, match="the show command holds the session but the configuration"):
        driver.parse(["", screen], MirrorSession(number=1))


JUNOS_JSON = """{
    "configuration" : {
        "@" : {"junos:changed-seconds" : "1765087200"},
        "forwarding-options" : {
            "analyzer" : [{"name" : "SPAN-TAP",
                           "input" : {"ingress" : {"interface" : [{"name" : "ge-0/0/4.0"}]},
                                      "egress" : {"interface" : [{"name" : "ge-0/0/4.0"}]}},
                           "output" : {"interface" : [{"name" : "ge-0/1/1.0"}]}}]
        }
    }
}
{master:0}
"""   # `| display json` of the README's `set forwarding-options analyzer SPAN-TAP ...` lines, written here


def test_junos_reads_the_configuration_as_json_and_checks_it_against_the_screen():
    driver = drivers.for_device_type("juniper_junos")
    screen = (FIXTURES / "juniper_junos" / "jex2300_interfaces.txt").read_text()
    observed = driver.parse([JUNOS_JSON, screen, SHOW_VLANS], MirrorSession(name="SPAN-TAP"))
    assert observed.to_dict() == {"name": "SPAN-TAP", "number": 7, "sources": ["ge-0/0/4.0:both"],
                                  "source_vlans": [], "destination": "ge-0/1/1.0"}
    assert observed.extra["state"] == "up"
    with pytest.raises(UnreadableOutput, match="destination"):
        driver.parse([JUNOS_JSON.replace("ge-0/1/1.0", "ge-0/1/2.0"), screen, SHOW_VLANS],
                     MirrorSession(name="SPAN-TAP"))
    with pytest.raises(UnreadableOutput, match="statement the driver does not know"):
        driver.parse([JUNOS_JSON.replace('"output"', '"mirror-to"'), screen, SHOW_VLANS],
                     MirrorSession(name="SPAN-TAP"))


def test_eos_configuration_reads_every_form_arista_writes():
    """AVD's rendering of EOS monitor sessions: lists, ranges, per-source ACLs, CPU destination, sampling."""
    driver = drivers.for_device_type("arista_eos")
    path = FIXTURES / "arista_eos" / "avd_monitor_sessions.cfg"
    found = {name: described(draft.build(name, 0)) for name, draft in
             eos_config.sessions(path.read_text(), driver.port_name).items()}
    assert found == json.loads(path.with_suffix(".json").read_text())["sessions"]
    assert found["myMonitoringSession2"]["extra"]["unmanaged"] == "a mirror to the CPU"


def test_os10_configuration_shows_what_its_table_cannot():
    """OS10's table does not show `flow-based enable` (only ACL-matched traffic is mirrored); the
    configuration read-back does, so the session does not verify as a plain one."""
    driver = drivers.for_device_type("dell_os10")
    wanted = MirrorSession.build(["ethernet1/1/1:both"], [], "ethernet1/1/4", number=1)
    outcome = operations.verify(replay("dell_os10", "guide_flow_based_session"), driver, wanted)
    assert outcome.differences == ["flow-based: wanted none, switch has enable"]
    plain = CONFIG["guide_flow_based_session"].replace(" flow-based enable\n", "")
    screen = (FIXTURES / "dell_os10" / "guide_flow_based_session.txt").read_text()
    assert operations.verify(Replay(plain, screen), driver, wanted).differences == []


CONFIG_READERS = {
    "cisco_ios": lambda text, port_name: cisco_config.ios(text, 1, port_name),
    "cisco_nxos": lambda text, port_name: cisco_config.nxos(text, 1, port_name),
    "arista_eos": eos_config.sessions,
    "aruba_aoscx": lambda text, port_name: block_config.sessions(text, "aruba_aoscx", port_name),
    "dell_os10": lambda text, port_name: block_config.sessions(text, "dell_os10", port_name),
    "juniper_junos": lambda text, port_name: junos_config.analyzer(text, "SPAN-TAP", {}, port_name),
}
LINES = sorted({line for path in OUTPUTS for line in path.read_text().splitlines()}
               | {line for text in CONFIG.values() for line in text.splitlines()}
               | set(JUNOS_JSON.splitlines()) | set((FIXTURES / "arista_eos" / "avd_monitor_sessions.cfg")
                                                   .read_text().splitlines()))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def cut(line: str, words: int) -> str:
    """The line's indentation and its first `words` words: a statement missing its argument."""
    return line[: len(line) - len(line.lstrip())] + " ".join(line.split()[:words])


@given(st.lists(st.one_of(st.sampled_from(LINES), st.text(max_size=40),
                          st.builds(cut, st.sampled_from(LINES), st.integers(0, 6))), max_size=25),
       st.sampled_from(PARSERS))
def test_any_mix_of_real_lines_reads_or_is_refused_never_crashes(lines, platform):
    """Real lines shuffled, cut short and mixed with noise: a session, nothing, or UnreadableOutput."""
    driver, text = drivers.for_device_type(platform), "\n".join(lines)
    for read in (lambda: driver.sessions([text]),
                 lambda: CONFIG_READERS.get(platform, lambda text, port_name: None)(text, driver.port_name)):
        try:
            read()
        except UnreadableOutput:
            pass


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                               st.sampled_from(["name", "interface", "vlan", "ingress", "egress", "x"]), inner,
                               max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["input", "output", "ratio", "name", "disable"]), JSON_VALUES, max_size=3))
def test_any_shape_of_junos_configuration_json_reads_or_is_refused(entry):
    document = {"configuration": {"forwarding-options": {"analyzer": [{"name": "SPAN-TAP", **entry}]}}}
    driver = drivers.for_device_type("juniper_junos")
    try:
        junos_config.analyzer(json.dumps(document), "SPAN-TAP", {}, driver.port_name)
    except UnreadableOutput:
        pass


def test_ios_configuration_of_a_real_catalyst_reads_its_one_session():
    """Other stanzas (interfaces, routes) are passed over; `source interface Fa0/3` without a direction is both."""
    driver = drivers.for_device_type("cisco_ios")
    text = (FIXTURES / "cisco_ios" / "blog_c3550_running_config.cfg").read_text()
    session = cisco_config.ios(text, 1, driver.port_name).build("", 1)
    assert (session.to_dict()["sources"], session.destination) == (["Fa0/3:both"], "Fa0/4")
    assert cisco_config.ios(text, 2, driver.port_name) is None


def test_an_nxos_session_whose_destination_is_not_a_monitor_port_is_not_delivering():
    driver = drivers.for_device_type("cisco_nxos")
    wanted = MirrorSession.build(["port-channel2:both", "port-channel3:both"], [], "Ethernet1/7", number=1)
    down = (FIXTURES / "cisco_nxos" / "blog_n5k_dst_wrong_mode.txt").read_text()
    up = (FIXTURES / "cisco_nxos" / "blog_n5k_up.txt").read_text()
    config = "monitor session 1\n  source interface port-channel2 both\n  source interface port-channel3 both\n" \
             "  destination interface Ethernet1/7\n  no shut\n"      # the blog's commands, as configuration
    assert operations.verify(Replay(config, down), driver, wanted).differences == [
        "the session on the switch does not carry the appliance's marker", "the session is not up: down (Dst in wrong mode)"]
    assert operations.verify(Replay(config.replace("  no shut", "  description VOIPWATCH\n  no shut"), up),
                             driver, wanted).differences == []
