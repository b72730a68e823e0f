"""The site's wire: a veth pair between a sender namespace and a monitor namespace, both created here
and removed on exit (names carry the PID). `enter(ns)` moves the calling *thread* into a namespace
(setns(2) is per thread), so the bench's API client and webhook receiver live beside the appliance."""
from __future__ import annotations

import ctypes
import os
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=check, capture_output=True, text=True)


def enter(ns: str) -> None:
    fd = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {ns}")
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Wire:
    sender_ns: str
    sender_if: str
    monitor_ns: str
    monitor_if: str


SENDER_CPU = 0


def steer_receive(w: Wire) -> None:
    """The monitor end's receive work (the veth peer's backlog, the capture sockets' delivery) on the CPUs
    the sender is not pinned to (`SENDER_CPU`), as a real port's NIC interrupts are not the sender's
    (receive packet steering, rps_cpus)."""
    others = sum(1 << cpu for cpu in os.sched_getaffinity(0) if cpu != SENDER_CPU)
    if others:
        sh("ip", "netns", "exec", w.monitor_ns, "sh", "-c",
           f"echo {others:x} > /sys/class/net/{w.monitor_if}/queues/rx-0/rps_cpus")


@contextmanager
def wire(tag: str = "site", steer: bool = False):
    base = f"{tag}{os.getpid() % 100000}"
    w = Wire(f"{base}s", f"{base}t", f"{base}m", f"{base}c")
    try:
        for ns in (w.sender_ns, w.monitor_ns):
            sh("ip", "netns", "add", ns)
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        sh("ip", "link", "add", w.sender_if, "netns", w.sender_ns, "txqueuelen", "10000", "type", "veth", "peer",
           "name", w.monitor_if, "netns", w.monitor_ns)
        for ns, iface in ((w.sender_ns, w.sender_if), (w.monitor_ns, w.monitor_if)):
            sh("ip", "netns", "exec", ns, "ip", "link", "set", iface, "mtu", "9000", "up")
        if steer:
            steer_receive(w)
        yield w
    finally:
        for ns in (w.sender_ns, w.monitor_ns):
            sh("ip", "netns", "del", ns, check=False)
