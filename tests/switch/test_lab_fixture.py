"""The switch lab itself: without a mirror no phone->pbx frame reaches the capture port (while the
PBX gets them all), with a mirror made by hand (ovs-vsctl / tc) every one does, after removing it
none again; SSH and Netmiko reach the switch in its namespace; teardown leaves nothing behind."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.switch import lab

pytestmark = pytest.mark.lab
N = 40

NETMIKO = r"""
import json, sys
from netmiko import ConnectHandler
with ConnectHandler(**json.loads(sys.argv[1])) as conn:
    print(conn.send_command(sys.argv[2]))
"""


def sending(switch, count=N):
    return lambda: switch.send_udp(count)


def mirror_on(switch, **select):
    select = select or {"select-src-port": "@p", "select-dst-port": "@p"}
    switch.run(["ovs-vsctl", "--", "--id=@p", "get", "port", switch.phone_port,
                "--", "--id=@m", "get", "port", switch.mon_port,
                "--", "--id=@s", "create", "mirror", "name=vw-span", *(f"{k}={v}" for k, v in select.items()),
                "output-port=@m", "--", "add", "bridge", switch.bridge, "mirrors", "@s"])
    switch.purge()


def mirror_off(switch):
    switch.run(["ovs-vsctl", "--", "--id=@s", "get", "mirror", "vw-span",
                "--", "remove", "bridge", switch.bridge, "mirrors", "@s"])
    switch.purge()


def netmiko(switch, command, device_type=None):
    proc = switch.run([sys.executable, "-c", NETMIKO, json.dumps(switch.netmiko_params(device_type)), command],
                      timeout=90)
    return proc.stdout


def test_ovs_mirror_copies_phone_traffic_only_while_it_exists(ovs_switch):
    sw = ovs_switch
    assert sw.count_frames(0.5, during=sending(sw), side="pbx") == N
    assert sw.count_frames(0.5, during=sending(sw)) == 0
    mirror_on(sw)
    assert sw.run(["ovs-vsctl", "get", "mirror", "vw-span", "output_port"]).stdout.strip() == \
        sw.run(["ovs-vsctl", "get", "port", sw.mon_port, "_uuid"]).stdout.strip()
    frames = sw.capture(0.5, during=sending(sw))
    assert len(frames) == N
    assert all(f["vlans"] == [] and (f["sport"], f["dport"]) == (lab.RTP_SPORT, lab.RTP_DPORT) for f in frames)
    assert sw.count_frames(0.5, during=sending(sw), side="pbx") == N     # the mirror does not steal
    mirror_off(sw)
    assert sw.count_frames(0.5, during=sending(sw)) == 0


def test_ovs_voice_vlan_mirror_arrives_tagged(ovs_switch_vlan):
    sw = ovs_switch_vlan
    assert sw.run(["ovs-vsctl", "get", "port", sw.phone_port, "tag"]).stdout.strip() == "100"
    assert sw.count_frames(0.5, during=sending(sw), side="pbx") == N
    assert sw.count_frames(0.5, during=sending(sw)) == 0
    mirror_on(sw, **{"select_all": "true", "select_vlan": "100"})
    frames = sw.capture(0.5, during=sending(sw))
    assert len(frames) == N and all(f["vlans"] == [100] for f in frames)
    mirror_off(sw)
    assert sw.count_frames(0.5, during=sending(sw)) == 0


def test_tc_mirred_copies_phone_traffic_only_while_it_exists(tc_switch):
    sw = tc_switch
    assert sw.count_frames(0.5, during=sending(sw), side="pbx") == N
    assert sw.count_frames(0.5, during=sending(sw)) == 0
    sw.run(["tc", "qdisc", "add", "dev", sw.phone_port, "clsact"])
    sw.run(["tc", "filter", "add", "dev", sw.phone_port, "ingress", "protocol", "all", "pref", "7", "u32",
            "match", "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", sw.mon_port])
    assert sw.count_frames(0.5, during=sending(sw)) == N
    assert sw.count_frames(0.5, during=sending(sw), side="pbx") == N
    sw.run(["tc", "filter", "del", "dev", sw.phone_port, "ingress", "pref", "7"])
    assert sw.count_frames(0.5, during=sending(sw)) == 0
    sw.run(["tc", "qdisc", "del", "dev", sw.phone_port, "clsact"])


def test_ssh_and_netmiko_reach_the_ovs_switch(ovs_switch):
    sw = ovs_switch
    assert sw.netns_exec_prefix == ["ip", "netns", "exec", sw.namespace]
    out = subprocess.run([*sw.netns_exec_prefix, "ssh", "-i", sw.key_file, "-p", str(sw.ssh_port),
                          "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
                          f"{sw.username}@{sw.ssh_host}", "ovs-vsctl", "show"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"Bridge {sw.bridge}" in out.stdout and f"Port {sw.mon_port}" in out.stdout
    shown = netmiko(sw, "ovs-vsctl show", "ovs_linux")
    assert f"Bridge {sw.bridge}" in shown and f"Port {sw.phone_port}" in shown


def test_ssh_and_netmiko_reach_the_tc_switch(tc_switch):
    sw = tc_switch
    assert sw.run(sw.ssh_argv("ip", "-o", "link", "show", sw.mon_port)).stdout.count(sw.mon_port) >= 1
    shown = netmiko(sw, f"ip -o link show master {sw.bridge}", "linux")
    assert sw.phone_port in shown and sw.pbx_port in shown and sw.mon_port not in shown


def _running(pid: int) -> bool:
    """Still there and not a zombie (this machine's PID 1 reaps orphans only now and then)."""
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("build", [lab.ovs_switch, lab.tc_switch], ids=["ovs", "tc"])
def test_teardown_leaves_nothing_even_after_a_failure(build):
    """A failing test with an SSH session still open: namespaces, processes and the temporary
    directory all go."""
    with pytest.raises(RuntimeError, match="the test failed"):
        with build() as sw:
            session = subprocess.Popen([*sw.netns_exec_prefix, *sw.ssh_argv("sleep", "600")],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            sw.run(sw.ssh_argv("true"))
            names, workdir = (sw.namespace, sw.phone_ns, sw.pbx_ns), sw.workdir
            pids = set(lab._pids_in(names))
            assert len(pids) >= 3
            raise RuntimeError("the test failed")
    session.wait(timeout=10)                  # ours: killed by the teardown, reaped here
    pids.discard(session.pid)
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not any(name in left for name in names)
    assert not [pid for pid in pids if _running(pid)]        # a zombie left to PID 1 is its to reap
    assert not workdir.exists()
