"""SPAN control end to end against real switches in namespaces: the appliance's own CLI, over real
SSH (Netmiko), configures a mirror on Open vSwitch and on a Linux bridge with tc; mirrored frames
then reach the collector's port, `span verify` reads the session back, and after `span remove` the
frames stop. A session the appliance did not create is never touched."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from tests.conftest import APPLIANCE

pytestmark = pytest.mark.lab


class Appliance:
    """The appliance CLI run inside the lab's control namespace (where the switch's sshd listens)."""

    def __init__(self, lab, data_dir):
        self.lab, self.data_dir = lab, data_dir

    def __call__(self, *args: str):
        keys = Path(self.lab.key_file).parent             # the switch credentials directory holds the lab's key
        return self.lab.run(["env", f"APPLIANCE_DATA_DIR={self.data_dir}", f"APPLIANCE_SWITCH_CREDENTIALS_DIR={keys}",
                             str(APPLIANCE), *args], check=False, timeout=120)

    def ok(self, *args: str) -> str:
        proc = self(*args)
        assert proc.returncode == 0, f"appliance {' '.join(args)} exited {proc.returncode}: {proc.stderr}{proc.stdout}"
        return proc.stdout


def _register(appliance, lab, name="sw1"):
    device_type = "ovs_linux" if lab.kind == "ovs" else "linux"
    appliance.ok("switch", "add", name, "--device-type", device_type, "--host", lab.ssh_host,
                 "--port", str(lab.ssh_port), "--username", lab.username, "--key-file", lab.key_file)


def _apply_while_phone_talks(appliance, lab, *args):
    """`span apply` with its wire check, while the phone sends RTP for long enough to be seen."""
    talker = threading.Thread(target=lab.send_udp, args=(1500,), kwargs={"interval": 0.004})
    talker.start()
    try:
        return appliance("span", "apply", "sw1", *args, "--destination", lab.mon_port,
                         "--check-interface", lab.capture_interface, "--check-seconds", "2")
    finally:
        talker.join()


@pytest.mark.parametrize("kind", ["ovs", "tc"])
def test_apply_mirrors_verify_matches_remove_stops(kind, request, tmp_path):
    lab = request.getfixturevalue(f"{kind}_switch")
    appliance = Appliance(lab, tmp_path)
    _register(appliance, lab)
    assert lab.count_frames(0.5, during=lambda: lab.send_udp(40)) == 0          # no mirror yet

    applied = _apply_while_phone_talks(appliance, lab, "--source", f"{lab.phone_port}:rx")
    assert applied.returncode == 0, applied.stderr + applied.stdout
    assert "session applied" in applied.stdout
    wire = re.search(r"^wire check: (\d+) frames from (\d+) host\(s\) on cap0 in 2 s; 1 RTP stream\(s\), "
                     r"0 of (\d+) RTP packets missing$", applied.stdout, re.M)
    assert wire and int(wire[1]) >= int(wire[3]) > 50, applied.stdout      # the phone's RTP, nothing lost
    assert lab.count_frames(0.5, during=lambda: lab.send_udp(40)) == 40          # the phone's frames arrive

    verified = appliance.ok("span", "verify", "sw1")
    assert "session matches" in verified
    assert "sw1\t" in appliance.ok("switch", "list") and "span applied -> p-mon" in appliance.ok("switch", "list")

    assert "session removed" in appliance.ok("span", "remove", "sw1")
    lab.purge()
    assert lab.count_frames(0.5, during=lambda: lab.send_udp(40)) == 0          # and stop again
    log = appliance.ok("span", "log", "sw1")
    assert [line.split("\t")[2] for line in log.splitlines()] == ["remove", "verify", "wire-check", "apply"]
    assert all(line.split("\t")[4] == "cli:root" for line in log.splitlines())


def test_verify_fails_when_the_mirror_was_changed_behind_the_appliance(ovs_switch, tmp_path):
    lab, appliance = ovs_switch, Appliance(ovs_switch, tmp_path)
    _register(appliance, lab)
    appliance.ok("span", "apply", "sw1", "--source", lab.phone_port, "--destination", lab.mon_port)
    lab.vsctl("clear", "mirror", "VOIPWATCH", "select_dst_port")                # someone drops the tx half
    verified = appliance("span", "verify", "sw1")
    assert verified.returncode == 1
    assert "DOES NOT MATCH" in verified.stdout
    assert f"wanted {lab.phone_port}:both, switch has {lab.phone_port}:rx" in verified.stdout


def test_a_mirror_someone_else_made_is_never_touched(ovs_switch, tmp_path):
    lab, appliance = ovs_switch, Appliance(ovs_switch, tmp_path)
    lab.vsctl("--", "--id=@p", "get", "port", lab.pbx_port, "--", "--id=@o", "get", "port", lab.mon_port,
              "--", "--id=@m", "create", "mirror", "name=VOIPWATCH", "select_src_port=@p", "output_port=@o",
              "--", "add", "bridge", lab.bridge, "mirrors", "@m")
    _register(appliance, lab)
    refused = appliance("span", "apply", "sw1", "--source", lab.phone_port, "--destination", lab.mon_port)
    assert refused.returncode == 3, refused.stderr
    assert "not created by the appliance" in refused.stderr
    assert "not created by the appliance" in appliance("span", "remove", "sw1").stderr
    mirror = lab.vsctl("--bare", "--columns=select_src_port", "find", "mirror", "name=VOIPWATCH").stdout.strip()
    assert mirror == lab.vsctl("get", "port", lab.pbx_port, "_uuid").stdout.strip()   # still the other one's
    assert "apply\tFAILED" in appliance.ok("span", "log", "sw1")


def test_voice_vlan_mirror_arrives_tagged(ovs_switch_vlan, tmp_path):
    lab, appliance = ovs_switch_vlan, Appliance(ovs_switch_vlan, tmp_path)
    _register(appliance, lab)
    appliance.ok("span", "apply", "sw1", "--source-vlan", "100", "--destination", lab.mon_port)
    frames = lab.capture(0.5, during=lambda: lab.send_udp(20))
    assert len(frames) == 20 and all(frame["vlans"] == [100] for frame in frames)
    assert "session matches" in appliance.ok("span", "verify", "sw1")
    appliance.ok("span", "remove", "sw1")


def test_tc_vlan_sources_are_refused_with_a_reason(tc_switch, tmp_path):
    appliance = Appliance(tc_switch, tmp_path)
    _register(appliance, tc_switch)
    planned = appliance("span", "plan", "sw1", "--source-vlan", "100", "--destination", tc_switch.mon_port)
    assert planned.returncode == 2 and "mirrors ports, not VLANs" in planned.stderr


def test_unreachable_switch_is_one_clear_line_and_recorded(ovs_switch, tmp_path):
    lab, appliance = ovs_switch, Appliance(ovs_switch, tmp_path)
    appliance.ok("switch", "add", "gone", "--device-type", "ovs_linux", "--host", "127.0.0.1", "--port", "1",
                 "--username", "root", "--key-file", lab.key_file)
    failed = appliance("span", "apply", "gone", "--source", lab.phone_port, "--destination", lab.mon_port)
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == ["appliance: error: switch gone: cannot reach root@127.0.0.1:1 "
                                                  "over SSH (NetmikoTimeoutException)"]
    assert "apply\tFAILED" in appliance.ok("span", "log", "gone")
