"""The vendor drivers over real SSH with the real Netmiko drivers, against the CLI emulator
(tests/switch/emulator): create, read back, ownership, dry run, remove, save, foreign sessions, and
refused commands leaving the connection usable."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from netmiko import ConnectHandler

from appliance.switches import drivers, operations
from appliance.switches.errors import NotOurs, SwitchCommandError, Unsupported
from appliance.switches.model import MirrorSession
from tests.switch.emulator import DIALECTS, Emulator, SwitchState

WANTED = {
    "cisco_ios": (["GigabitEthernet1/0/5:both", "Gi1/0/6:rx"], "Gi1/0/48"),
    "cisco_nxos": (["Ethernet1/5:both", "Eth1/6:tx"], "Eth1/48"),
    "arista_eos": (["Ethernet5:both", "Et6:rx"], "Et48"),
    "aruba_aoscx": (["1/1/5:both", "1/1/6:rx"], "1/1/48"),
    "juniper_junos": (["ge-0/0/5:both", "ge-0/0/6.0:rx"], "ge-0/0/47"),
}
KEY = {"cisco_ios": "7", "cisco_nxos": "7", "arista_eos": "VOIPWATCH", "aruba_aoscx": "7",
       "juniper_junos": "VOIPWATCH"}
FOREIGN = {        # somebody else's session under our number or name, in the switch's own spelling
    "cisco_ios": ({"Gi1/0/20": "rx"}, "Gi1/0/40"),
    "cisco_nxos": ({"Ethernet1/20": "rx"}, "Ethernet1/40"),
    "arista_eos": ({"Ethernet20": "rx"}, "Ethernet40"),
    "aruba_aoscx": ({"1/1/20": "rx"}, "1/1/40"),
    "juniper_junos": ({"ge-0/0/20.0": "rx"}, "ge-0/0/40.0"),
}
OTHER_KEY = {"cisco_ios": "1", "cisco_nxos": "1", "arista_eos": "IDS", "aruba_aoscx": "1", "juniper_junos": "IDS"}
NO_SUCH_PORT = {"cisco_ios": "Gi1/0/99", "cisco_nxos": "Eth1/99", "arista_eos": "Et99", "aruba_aoscx": "1/1/99",
                "juniper_junos": "Gi1/0/5"}
DRY_RUN = ("cisco_nxos", "arista_eos", "juniper_junos")


@pytest.fixture(params=sorted(DIALECTS))
def switch(request):
    with Emulator(DIALECTS[request.param], request.param) as emulator:
        yield emulator


@contextmanager
def connected(switch):
    conn = ConnectHandler(**switch.device())
    try:
        conn.enable()
        yield conn
    finally:
        conn.disconnect()


def wanted(switch, vlans=("100:rx",), sources=None) -> MirrorSession:
    default_sources, destination = WANTED[switch.device_type]
    return MirrorSession.build(list(sources or default_sources), list(vlans), destination)


def assert_usable(conn, driver, session):
    """Out of configuration mode, and a show command still works."""
    assert not conn.check_config_mode()
    driver.read(conn, session)
    assert conn.find_prompt().endswith((">", "#"))


def test_create_reads_back_as_wanted_and_ours(switch):
    driver, session = drivers.for_device_type(switch.device_type), wanted(switch)
    with connected(switch) as conn:
        assert driver.read(conn, session) is None
        driver.configure(conn, driver.create_commands(session))
        observed = driver.read(conn, session)
        assert not conn.check_config_mode()
    assert observed is not None
    assert driver.differences(session, observed) == []
    assert driver.owns(observed) is (None if switch.device_type in ("cisco_ios", "arista_eos", "juniper_junos")
                                     else True)
    assert KEY[switch.device_type] in switch.state.sessions


@pytest.mark.parametrize("switch", ["cisco_nxos"], indirect=True)
def test_nxos_session_is_up_because_the_plan_says_no_shut(switch):
    driver, session = drivers.for_device_type(switch.device_type), wanted(switch)
    with connected(switch) as conn:
        shut = [command for command in driver.create_commands(session) if command.strip() != "no shut"]
        driver.configure(conn, shut)
        assert driver.read(conn, session).extra["state"] == "down (Session admin shut)"
        driver.configure(conn, driver.create_commands(session))
        assert driver.read(conn, session).extra["state"] == "up"


def test_remove_leaves_no_session(switch):
    driver, session = drivers.for_device_type(switch.device_type), wanted(switch)
    with connected(switch) as conn:
        driver.configure(conn, driver.create_commands(session))
        driver.configure(conn, driver.remove_commands(session))
        assert driver.read(conn, session) is None
    assert switch.state.sessions == {} and switch.state.monitor_ports == set()


def test_dry_run_checks_without_changing_the_running_config(switch):
    driver, session = drivers.for_device_type(switch.device_type), wanted(switch)
    with connected(switch) as conn:
        if switch.device_type not in DRY_RUN:
            with pytest.raises(Unsupported):
                driver.dry_run(conn, driver.create_commands(session))
            return
        report = driver.dry_run(conn, driver.create_commands(session))
        assert_usable(conn, driver, session)
        assert driver.read(conn, session) is None
    assert switch.state.sessions == {} and switch.state.monitor_ports == set()
    assert "VOIPWATCH" in report and "100" in report


@pytest.mark.parametrize("switch", DRY_RUN, indirect=True)
def test_dry_run_reports_what_the_switch_would_refuse(switch):
    driver, session = drivers.for_device_type(switch.device_type), wanted(switch)
    sources, destination = FOREIGN[switch.device_type]
    switch.state.preload(OTHER_KEY[switch.device_type], sources=sources, destination=destination)
    switch.state.max_sessions = 1
    with connected(switch) as conn:
        with pytest.raises(SwitchCommandError, match="[Mm]aximum"):
            driver.dry_run(conn, driver.create_commands(session))
        assert_usable(conn, driver, session)
    assert list(switch.state.sessions) == [OTHER_KEY[switch.device_type]]


def test_foreign_session_under_our_number_or_name_is_not_taken_for_ours(switch):
    driver, session = drivers.for_device_type(switch.device_type), wanted(switch)
    sources, destination = FOREIGN[switch.device_type]
    switch.state.preload(KEY[switch.device_type], sources=sources, destination=destination, description="IDS tap")
    with connected(switch) as conn:
        observed = driver.read(conn, session)
    assert observed is not None and driver.differences(session, observed) != []
    expected = {"cisco_ios": None, "cisco_nxos": False, "aruba_aoscx": False,
                "arista_eos": None, "juniper_junos": None}[switch.device_type]     # a name proves nothing
    assert driver.owns(observed) is expected
    before = switch.state.snapshot()
    with connected(switch) as conn, pytest.raises(NotOurs):              # so the appliance refuses it
        operations.apply(conn, driver, session, recorded=None)
    with connected(switch) as conn, pytest.raises(NotOurs):
        operations.remove(conn, driver, None, session)
    assert switch.state.snapshot() == before


def test_other_sessions_are_invisible_and_untouched(switch):
    driver, session = drivers.for_device_type(switch.device_type), wanted(switch)
    sources, destination = FOREIGN[switch.device_type]
    other = switch.state.preload(OTHER_KEY[switch.device_type], sources=sources, destination=destination)
    with connected(switch) as conn:
        assert driver.read(conn, session) is None
        driver.configure(conn, driver.create_commands(session))
        driver.configure(conn, driver.remove_commands(session))
    assert switch.state.sessions == {OTHER_KEY[switch.device_type]: other}


def test_refused_port_raises_and_leaves_configuration_mode(switch):
    driver = drivers.for_device_type(switch.device_type)
    session = wanted(switch, sources=[f"{NO_SUCH_PORT[switch.device_type]}:both"])
    with connected(switch) as conn:
        with pytest.raises(SwitchCommandError, match="refused"):
            driver.configure(conn, driver.create_commands(session))
        assert_usable(conn, driver, session)
    if switch.device_type == "juniper_junos":       # only the candidate saw it; nothing was committed
        assert switch.state.sessions == {}


def test_session_limit_raises_and_leaves_configuration_mode(switch):
    driver, session = drivers.for_device_type(switch.device_type), wanted(switch)
    sources, destination = FOREIGN[switch.device_type]
    switch.state.preload(OTHER_KEY[switch.device_type], sources=sources, destination=destination)
    switch.state.max_sessions = 1
    with connected(switch) as conn:
        with pytest.raises(SwitchCommandError, match="[Mm]aximum"):
            driver.configure(conn, driver.create_commands(session))
        assert_usable(conn, driver, session)
    if switch.device_type == "juniper_junos":
        assert list(switch.state.sessions) == ["IDS"]


@pytest.mark.parametrize("switch", ["cisco_ios"], indirect=True)
def test_ios_refusing_a_port_and_vlan_mix_is_a_command_error(switch):
    driver, session = drivers.for_device_type(switch.device_type), wanted(switch)
    switch.state.refuse_mix = True
    with connected(switch) as conn:
        with pytest.raises(SwitchCommandError, match="mix"):
            driver.configure(conn, driver.create_commands(session))
        assert_usable(conn, driver, session)
        partial = driver.read(conn, session)       # IOS applies line by line: the ports went in before the VLAN
    assert partial is not None and partial.vlans == () and len(partial.sources) == 2


def test_save_writes_the_startup_config(switch):
    driver, session = drivers.for_device_type(switch.device_type), wanted(switch)
    with connected(switch) as conn:
        driver.configure(conn, driver.create_commands(session))
        reply = driver.save(conn)
    assert KEY[switch.device_type] in switch.state.startup
    if switch.device_type == "juniper_junos":
        assert "commit" in reply
    else:
        assert switch.state.saves == 1
        assert any(word in reply for word in ("[OK]", "Copy complete", "Success", "successfully"))


def test_a_create_refused_halfway_is_rolled_back():
    """IOS applies line by line: when a 2960-class switch refuses the VLAN source after the port
    sources went in, `apply` removes the half-made session rather than leave it mirroring."""
    with Emulator(DIALECTS["cisco_ios"], "cisco_ios", SwitchState(refuse_mix=True)) as switch:
        driver = drivers.for_device_type("cisco_ios")
        session = MirrorSession.build(["Gi1/0/5"], ["100"], "Gi1/0/48")
        with connected(switch) as conn, pytest.raises(SwitchCommandError) as refused:
            operations.apply(conn, driver, session, recorded=None)
        assert "the partly applied session was removed again" in str(refused.value)
        assert "7" not in switch.state.sessions


LAYOUTS = [("cisco_ios", "catalyst"), ("cisco_ios", "xe17"), ("cisco_ios", "c9300"), ("cisco_nxos", "classic"),
           ("cisco_nxos", "extended"), ("juniper_junos", "els"), ("juniper_junos", "ids"), ("arista_eos", ""), ("arista_eos", "wrapped"),
           ("aruba_aoscx", "")]


@pytest.mark.parametrize("device_type, layout", LAYOUTS, ids=lambda value: value or "default")
def test_apply_verify_remove_in_each_real_layout(device_type, layout):
    """The emulator prints `show` output in the layout of a real device (IOS-XE 17's `None`
    placeholders, a Catalyst 9300's left-margin directions and blank lines, NX-OS extended mode's
    feature table, Junos ELS's `default-switch/NAME` VLANs, EOS's wrapped port lists); the whole
    cycle still holds."""
    with Emulator(DIALECTS[device_type], device_type, SwitchState(layout=layout)) as switch:
        sources = [f"{port}:rx" for port in ("Et5", "Et6", "Et7", "Et9", "Et10")] if layout == "wrapped" else None
        driver, session = drivers.for_device_type(device_type), wanted(switch, sources=sources)
        with connected(switch) as conn:
            applied = operations.apply(conn, driver, session, recorded=None)
            checked = operations.verify(conn, driver, session)
            removed = operations.remove(conn, driver, session, session)
            left = driver.read(conn, session)
        assert (applied.changed, applied.differences) == (True, [])
        assert checked.matches and checked.differences == []
        assert removed.changed and left is None
        assert switch.state.sessions == {}
