"""Network namespaces the live tests create and remove: a replay link, and a SPAN lab (phones on a
bridge, every phone port's ingress mirrored with tc mirred to a monitor port, as a switch's SPAN)."""
from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager

import pytest


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=check, capture_output=True, text=True)


def need_root_and_netns() -> None:
    if os.geteuid() != 0:
        pytest.skip("live capture tests need root (network namespaces, AF_PACKET)")
    if sh("ip", "netns", "list", check=False).returncode != 0:
        pytest.skip("iproute2 with network namespaces is not available")


def prefix() -> str:
    return f"vl{os.getpid() % 100000}"


def quiet(ns: str) -> None:
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
       "net.ipv6.conf.default.disable_ipv6=1")
    sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")


@contextmanager
def replay_link():
    """(namespace of the monitor port, its interface, the interface to replay into, its namespace)."""
    need_root_and_netns()
    p = prefix()
    mon, src = f"{p}m", f"{p}s"
    try:
        for ns in (mon, src):
            sh("ip", "netns", "add", ns)
            quiet(ns)
        sh("ip", "link", "add", f"{p}r", "netns", src, "type", "veth", "peer", "name", f"{p}c", "netns", mon)
        sh("ip", "netns", "exec", src, "ip", "link", "set", f"{p}r", "up")
        sh("ip", "netns", "exec", mon, "ip", "link", "set", f"{p}c", "up")
        yield mon, f"{p}c", src, f"{p}r"
    finally:
        for ns in (mon, src):
            sh("ip", "netns", "del", ns, check=False)


@contextmanager
def span_lab():
    """Phones A (10.251.0.11) and B (10.251.0.12) on a bridge; their ports' ingress mirrored to the
    monitor port. Yields a dict of namespace names, interfaces and addresses."""
    need_root_and_netns()
    p = prefix()
    lab = {"sw": f"{p}w", "mon": f"{p}m", "a": f"{p}a", "b": f"{p}b", "monitor_if": f"{p}M0",
           "a_ip": "10.251.0.11", "b_ip": "10.251.0.12", "a_if": f"{p}A0", "b_if": f"{p}B0"}
    try:
        for ns in (lab["sw"], lab["mon"], lab["a"], lab["b"]):
            sh("ip", "netns", "add", ns)
            quiet(ns)
        sw = ("ip", "netns", "exec", lab["sw"])
        sh(*sw, "ip", "link", "add", f"{p}br", "type", "bridge")
        sh(*sw, "ip", "link", "set", f"{p}br", "type", "bridge", "stp_state", "0", "forward_delay", "0")
        sh(*sw, "ip", "link", "set", f"{p}br", "up")
        sh("ip", "link", "add", lab["monitor_if"], "netns", lab["mon"], "type", "veth", "peer", "name", f"{p}sM",
           "netns", lab["sw"])
        sh(*sw, "ip", "link", "set", f"{p}sM", "up")
        sh("ip", "netns", "exec", lab["mon"], "ip", "link", "set", lab["monitor_if"], "up")
        for tag, ns, ip, mac in (("A", lab["a"], lab["a_ip"], "02:1a:b0:05:00:0a"),
                                 ("B", lab["b"], lab["b_ip"], "02:1a:b0:05:00:0b")):
            phone_if, port = f"{p}{tag}0", f"{p}s{tag}"
            sh("ip", "link", "add", phone_if, "netns", ns, "type", "veth", "peer", "name", port, "netns", lab["sw"])
            sh("ip", "netns", "exec", ns, "ip", "link", "set", phone_if, "address", mac)
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{ip}/24", "dev", phone_if)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", phone_if, "up")
            sh(*sw, "ip", "link", "set", port, "master", f"{p}br")
            sh(*sw, "ip", "link", "set", port, "up")
            sh(*sw, "tc", "qdisc", "add", "dev", port, "clsact")
            mirrored = sh(*sw, "tc", "filter", "add", "dev", port, "ingress", "matchall", "action", "mirred",
                          "egress", "mirror", "dev", f"{p}sM", check=False)
            if mirrored.returncode != 0:   # cls_matchall missing: u32 match-all
                sh(*sw, "tc", "filter", "add", "dev", port, "ingress", "protocol", "all", "prio", "1", "u32",
                   "match", "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", f"{p}sM")
        yield lab
    finally:
        for ns in (lab["a"], lab["b"], lab["sw"], lab["mon"]):
            for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
                sh("kill", pid, check=False)          # only processes inside our own namespaces
            sh("ip", "netns", "del", ns, check=False)
