"""Real SPAN targets for the switch-control tests, built in network namespaces the fixture creates
and removes: an Open vSwitch bridge (userspace ``netdev`` datapath, private ovsdb-server and
ovs-vswitchd) or a Linux bridge + tc, each with an OpenSSH server on the loopback of one control
namespace, a phone and a PBX namespace on switch ports, and a monitor link whose capture end
(``cap0``) is where the appliance listens.

Topology (names inside the control namespace are fixed, the namespaces are unique per instance)::

    ns vwph-<pid>-<n>  eth0 10.77.x.1 --veth-- p-phone -+
    ns vwpb-<pid>-<n>  eth0 10.77.x.2 --veth-- p-pbx   -+- br-span (OVS netdev, or Linux bridge)
                         cap0 (promisc, unattached) --veth-- p-mon  (OVS port / NOT enslaved)
    ns vwsw-<pid>-<n>  (control): all of the above switch side, sshd 127.0.0.1:2222, OVS daemons

Usage::

    with ovs_switch() as sw:                       # or the pytest fixtures in conftest.py
        sw.run(["ovs-vsctl", "show"])
        n = sw.count_frames(1.0, during=lambda: sw.send_udp(40))

Every daemon is a direct child of this Python process (no ``--detach``: PID 1 of this machine
reaps orphans only now and then), and teardown kills what is left in the namespaces deepest
first, so that each parent reaps its children and ``ps`` shows nothing, not even zombies.
"""
from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pytest

from tests.live.netns import need_root_and_netns, quiet, sh

SSH_HOST = "127.0.0.1"
SSH_PORT = 2222             # free by construction: the control namespace's loopback is private
BRIDGE = "br-span"
PHONE_PORT, PBX_PORT, MON_PORT, CAPTURE_IF = "p-phone", "p-pbx", "p-mon", "cap0"
ENDPOINT_IF = "eth0"        # the interface inside the phone and pbx namespaces
PHONE_MAC, PBX_MAC = "02:77:00:00:00:01", "02:77:00:00:00:02"
RTP_SPORT, RTP_DPORT = 40000, 40002
OVS_SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
SSHD = "/usr/sbin/sshd"
_COUNTER = itertools.count()

# A tiny RTP-like sender (PCMU, 20 ms frames of silence unless a payload is given), unconnected
# sendto() so ICMP port-unreachable from the PBX never turns into ECONNREFUSED.
_SENDER = r"""
import socket, struct, sys, time
src, sport, dst, dport, count, interval, payload = sys.argv[1:8]
count, interval = int(count), float(interval)
payload = bytes.fromhex(payload) if payload != "-" else None
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, int(sport)))
for i in range(count):
    data = payload if payload is not None else struct.pack("!BBHII", 0x80, 0, i & 0xFFFF, 160 * i,
                                                           0x5EED0001) + b"\xff" * 160
    s.sendto(data, (dst, int(dport)))
    if interval and i + 1 < count:
        time.sleep(interval)
print(count)
"""

# AF_PACKET capture on one interface: prints "ready" once bound, captures until stdin closes,
# then prints one JSON object: every frame of the src->dst UDP flow (and the total frame count).
# VLAN tags are read from the frame or, when the kernel stripped them, from PACKET_AUXDATA.
_CAPTURE = r"""
import json, select, socket, struct, sys
iface, src, dst, dport = sys.argv[1], socket.inet_aton(sys.argv[2]), socket.inet_aton(sys.argv[3]), int(sys.argv[4])
SOL_PACKET, PACKET_AUXDATA, TP_STATUS_VLAN_VALID, PACKET_OUTGOING = 263, 8, 0x10, 4
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
s.bind((iface, 3))
while True:                                   # drop anything queued before bind() narrowed the socket
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        break
    s.recv(65535)
print("ready", flush=True)
frames, total, stdin = [], 0, sys.stdin.fileno()
def one():
    global total
    data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(20))
    if addr[0] != iface or addr[2] == PACKET_OUTGOING:
        return
    total += 1
    vlans = []
    for level, kind, value in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(value) >= 16:
            status, _, _, _, _, tci = struct.unpack_from("IIIHHH", value)
            if status & TP_STATUS_VLAN_VALID:
                vlans.append(tci & 0xFFF)
    off, etype = 14, struct.unpack_from("!H", data, 12)[0]
    while etype in (0x8100, 0x88A8) and len(data) >= off + 4:
        vlans.append(struct.unpack_from("!H", data, off)[0] & 0xFFF)
        etype = struct.unpack_from("!H", data, off + 2)[0]
        off += 4
    if etype != 0x0800 or len(data) < off + 28:
        return
    ihl = (data[off] & 0x0F) * 4
    if data[off + 9] != 17 or data[off + 12:off + 16] != src or data[off + 16:off + 20] != dst:
        return
    sport, dp = struct.unpack_from("!HH", data, off + ihl)
    if dport >= 0 and dp != dport:
        return
    frames.append({"len": len(data), "vlans": vlans, "sport": sport, "dport": dp,
                   "payload": data[off + ihl + 8:off + ihl + 20].hex()})
while True:
    r, _, _ = select.select([s, stdin], [], [])
    if s in r:
        one()
    if stdin in r:
        while select.select([s], [], [], 0)[0]:
            one()
        break
print(json.dumps({"frames": frames, "total": total}), flush=True)
"""


# Turn off TX checksum offload (and with it TSO/SG) on the endpoints' veths. Otherwise the kernel
# hands CHECKSUM_PARTIAL frames to the peer, OVS's userspace datapath reads them with AF_PACKET
# and forwards them as they are: the PBX drops every UDP datagram (bad checksum), and the mirrored
# copies carry wrong checksums too. No ethtool on this machine: the ioctl it would make.
_CSUM_OFF = r"""
import ctypes, fcntl, socket, struct, sys
SIOCETHTOOL, ETHTOOL_STXCSUM = 0x8946, 0x17
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for name in sys.argv[1:]:
    value = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_STXCSUM, 0))
    fcntl.ioctl(s, SIOCETHTOOL, struct.pack("16sP16x", name.encode(), ctypes.addressof(value)))
"""
# Setup's reachability check (no ping on this machine): a one-shot UDP echo on the PBX ...
_ECHO = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9))
s.settimeout(10)
print("ready", flush=True)
data, peer = s.recvfrom(100)
s.sendto(data, peer)
"""
# ... and the phone's probe, repeated until the echo comes back.
_PROBE = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
s.settimeout(0.2)
for _ in range(25):
    s.sendto(b"vw-lab-probe", (sys.argv[2], 9))
    try:
        if s.recvfrom(100)[0] == b"vw-lab-probe":
            sys.exit(0)
    except (socket.timeout, ConnectionRefusedError):
        pass
sys.exit("no echo from the pbx")
"""


class LabError(RuntimeError):
    """A lab command failed; the message carries the command, its exit code and its stderr."""


@dataclass
class SwitchLab:
    """One SPAN target. ``kind`` is "ovs" or "tc"; OVS-only members raise on a tc lab."""
    kind: str
    namespace: str                    # the control namespace: switch, sshd, monitor link
    phone_ns: str
    pbx_ns: str
    workdir: Path
    subnet: int                       # the x of 10.77.x.0/24
    vlan: int | None = None           # access VLAN of the phone and pbx ports (OVS only)
    ssh_host: str = SSH_HOST
    ssh_port: int = SSH_PORT
    username: str = "root"
    key_file: str = ""
    bridge: str = BRIDGE
    phone_port: str = PHONE_PORT
    pbx_port: str = PBX_PORT
    mon_port: str = MON_PORT
    capture_interface: str = CAPTURE_IF
    phone_ip: str = ""
    pbx_ip: str = ""
    env: dict[str, str] = field(default_factory=dict)     # OVS_RUNDIR & co. for commands in the namespace
    children: dict[str, subprocess.Popen] = field(default_factory=dict)

    # --- running things -------------------------------------------------------------------------
    @property
    def netns_exec_prefix(self) -> list[str]:
        """Prefix that runs a command in the control namespace (where 127.0.0.1:ssh_port is sshd)."""
        return ["ip", "netns", "exec", self.namespace]

    def run(self, cmd: str | Sequence[str], check: bool = True, timeout: float = 60.0, ns: str | None = None,
            input: str | None = None) -> subprocess.CompletedProcess:
        """Run ``cmd`` (argv, or a string for ``sh -c``) in the control namespace (or ``ns``), with
        OVS_RUNDIR set; returns the CompletedProcess (text). ``check`` raises LabError with stderr."""
        argv = ["sh", "-c", cmd] if isinstance(cmd, str) else [str(c) for c in cmd]
        full = ["ip", "netns", "exec", ns or self.namespace, *argv]
        proc = subprocess.run(full, capture_output=True, text=True, timeout=timeout, input=input,
                              env={**os.environ, **self.env})
        if check and proc.returncode != 0:
            raise LabError(f"{' '.join(argv)} (in {ns or self.namespace}) exited {proc.returncode}: "
                           f"{(proc.stderr or proc.stdout).strip()[:2000]}")
        return proc

    def vsctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        self._need_ovs()
        return self.run(["ovs-vsctl", "--timeout=30", *args], check=check)

    def appctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        self._need_ovs()
        return self.run(["ovs-appctl", "-t", "ovs-vswitchd", *args], check=check)

    def purge(self) -> None:
        """Drop the userspace datapath's megaflows: needed after every mirror create/remove, or the
        stale flows keep (not) mirroring. A no-op on the tc lab."""
        if self.kind == "ovs":
            self.appctl("revalidator/purge")

    # --- SSH ------------------------------------------------------------------------------------
    def ssh_argv(self, *remote: str) -> list[str]:
        """An OpenSSH client command line to run inside the namespace (see netns_exec_prefix)."""
        return ["ssh", "-i", self.key_file, "-p", str(self.ssh_port), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
                f"{self.username}@{self.ssh_host}", *remote]

    def netmiko_params(self, device_type: str | None = None) -> dict:
        """ConnectHandler(**params) keywords for this target (client must run in the namespace)."""
        return dict(device_type=device_type or ("ovs_linux" if self.kind == "ovs" else "linux"),
                    host=self.ssh_host, port=self.ssh_port, username=self.username, use_keys=True,
                    key_file=self.key_file, allow_agent=False, conn_timeout=15)

    # --- traffic --------------------------------------------------------------------------------
    def send_udp(self, count: int, dport: int = RTP_DPORT, payload: bytes | None = None, *,
                 sport: int = RTP_SPORT, interval: float = 0.002) -> int:
        """Send ``count`` UDP datagrams phone -> pbx (RTP-like PCMU 20 ms frames unless ``payload``)."""
        args = [self.phone_ip, str(sport), self.pbx_ip, str(dport), str(count), str(interval),
                payload.hex() if payload is not None else "-"]
        out = self.run([sys.executable, "-c", _SENDER, *args], ns=self.phone_ns, timeout=60 + count * interval)
        return int(out.stdout.strip())

    def capture(self, seconds: float = 1.0, during: Callable[[], object] | None = None, *,
                side: str = "mon", dport: int | None = None, settle: float = 0.3) -> list[dict]:
        """Frames of the phone->pbx UDP flow (``dport`` if given) received while ``during()`` runs.
        side "mon": on cap0 in the control namespace (the SPAN copy); "pbx": on the PBX's eth0.
        The capture lasts at least ``seconds`` after it is bound, and ``settle`` after during()
        returned. Each frame: {"len", "vlans" (802.1Q ids seen), "sport", "dport", "payload"}."""
        ns, iface = {"mon": (self.namespace, self.capture_interface),
                     "pbx": (self.pbx_ns, ENDPOINT_IF)}[side]
        argv = ["ip", "netns", "exec", ns, sys.executable, "-c", _CAPTURE, iface, self.phone_ip, self.pbx_ip,
                str(-1 if dport is None else dport)]
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            line = proc.stdout.readline()
            if line.strip() != "ready":
                raise LabError(f"capture on {iface} in {ns} did not start: {line}{proc.stderr.read()}")
            start = time.monotonic()
            if during is not None:
                during()
            time.sleep(max(settle, seconds - (time.monotonic() - start)))
            out, err = proc.communicate(input="", timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            raise LabError(f"capture on {iface} in {ns} failed: {err.strip()[:2000]}")
        return json.loads(out)["frames"]

    def count_frames(self, seconds: float = 1.0, during: Callable[[], object] | None = None, *,
                     side: str = "mon", dport: int | None = None) -> int:
        """How many phone->pbx UDP frames reached cap0 (side="mon") or the PBX (side="pbx")."""
        return len(self.capture(seconds, during, side=side, dport=dport))

    def _need_ovs(self) -> None:
        if self.kind != "ovs":
            raise LabError("this is the Linux bridge + tc lab: no Open vSwitch here")


# --- building and removing ---------------------------------------------------------------------
def _need_root_netns() -> None:
    if os.geteuid() != 0:
        pytest.skip("the switch lab needs root (network namespaces, Open vSwitch, sshd, AF_PACKET)")
    need_root_and_netns()                    # and `ip netns` that works


def _need(*binaries: str) -> None:
    for b in binaries:
        if shutil.which(b) is None and not os.access(b, os.X_OK):
            pytest.skip(f"{b} is not installed (the switch lab needs it)")


def _netns_inode(name: str) -> tuple[int, int] | None:
    try:
        st = os.stat(f"/run/netns/{name}")
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _procs_in(namespaces: Sequence[str]) -> dict[int, tuple[int, str]]:
    """pid -> (ppid, state) of every process (zombies included) whose network namespace is ours."""
    wanted = {i for i in map(_netns_inode, namespaces) if i is not None}
    found: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            st = os.stat(f"/proc/{entry}/ns/net")
            if (st.st_dev, st.st_ino) not in wanted:
                continue
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(entry)] = (int(fields[1]), fields[0])
    return found


def _pids_in(namespaces: Sequence[str]) -> dict[int, int]:
    """pid -> ppid of every live (not zombie) process in our namespaces."""
    return {pid: ppid for pid, (ppid, state) in _procs_in(namespaces).items() if state != "Z"}


def _kill_deepest_first(namespaces: Sequence[str], children: dict[str, subprocess.Popen]) -> None:
    """Kill every process in our namespaces, the deepest descendants first, waiting until their
    parents have reaped them: an orphan would go to PID 1, which reaps only now and then here.
    Then reap our own direct children (the daemons)."""
    def reap_ours() -> None:
        for child in children.values():
            child.poll()

    for attempt in range(40):
        procs = _procs_in(namespaces)
        depth: dict[int, int] = {}

        def depth_of(pid: int, seen: int = 0) -> int:
            if pid not in depth:
                ppid = procs[pid][0]
                depth[pid] = depth_of(ppid, seen + 1) + 1 if ppid in procs and seen < 64 else 0
            return depth[pid]

        live = [pid for pid, (_, state) in procs.items() if state != "Z"]
        if not live:
            break
        deepest = max(map(depth_of, live))
        targets = [pid for pid in live if depth_of(pid) == deepest]
        for pid in targets:
            try:
                os.kill(pid, signal.SIGTERM if attempt < 20 else signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            reap_ours()
            now = _procs_in(namespaces)
            # gone, or a zombie whose parent is not ours to wait for (e.g. the test's own Popen)
            if all(pid not in now or (now[pid][1] == "Z" and now[pid][0] not in now) for pid in targets):
                break
            time.sleep(0.01)
    for child in children.values():
        if child.poll() is None:
            child.kill()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


@contextmanager
def _namespaces(kind: str, subnet: int | None) -> Iterator[SwitchLab]:
    """The three namespaces, the veths, addresses, static neighbours, the monitor link; removed
    (with every process in them) on exit."""
    n = next(_COUNTER)
    tag = f"{os.getpid()}-{n}"
    x = (os.getpid() + n) % 250 + 1 if subnet is None else subnet
    lab = SwitchLab(kind=kind, namespace=f"vwsw-{tag}", phone_ns=f"vwph-{tag}", pbx_ns=f"vwpb-{tag}",
                    workdir=Path(tempfile.mkdtemp(prefix=f"vwsw-{tag}-", dir="/tmp")), subnet=x,
                    phone_ip=f"10.77.{x}.1", pbx_ip=f"10.77.{x}.2")
    created: list[str] = []
    try:
        for ns in (lab.namespace, lab.phone_ns, lab.pbx_ns):
            sh("ip", "netns", "add", ns)
            created.append(ns)
            quiet(ns)                        # IPv6 off (no RS/DAD/MLD noise), lo up
        for ns, port, ip, mac, peer_ip, peer_mac in ((lab.phone_ns, PHONE_PORT, lab.phone_ip, PHONE_MAC,
                                                      lab.pbx_ip, PBX_MAC),
                                                     (lab.pbx_ns, PBX_PORT, lab.pbx_ip, PBX_MAC,
                                                      lab.phone_ip, PHONE_MAC)):
            sh("ip", "link", "add", ENDPOINT_IF, "netns", ns, "address", mac, "type", "veth",
               "peer", "name", port, "netns", lab.namespace)
            _batch(ns, f"addr add {ip}/24 dev {ENDPOINT_IF}\nlink set {ENDPOINT_IF} up\n"
                       f"neigh replace {peer_ip} lladdr {peer_mac} dev {ENDPOINT_IF} nud permanent\n")
            sh("ip", "netns", "exec", ns, sys.executable, "-c", _CSUM_OFF, ENDPOINT_IF)
        _batch(lab.namespace, f"link add {MON_PORT} type veth peer name {CAPTURE_IF}\n"
                              f"link set {CAPTURE_IF} promisc on\nlink set {CAPTURE_IF} up\n"
                              f"link set {MON_PORT} up\nlink set {PHONE_PORT} up\nlink set {PBX_PORT} up\n")
        yield lab
    finally:
        _kill_deepest_first(created, lab.children)
        for ns in reversed(created):
            sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(lab.workdir, ignore_errors=True)


def _batch(ns: str, commands: str) -> None:
    proc = subprocess.run(["ip", "-n", ns, "-batch", "-"], input=commands, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabError(f"ip -n {ns} -batch failed: {proc.stderr.strip()}\n{commands}")


def _start(lab: SwitchLab, name: str, argv: list[str]) -> subprocess.Popen:
    log = open(lab.workdir / "log" / f"{name}.out", "wb")
    with log:
        proc = subprocess.Popen(["ip", "netns", "exec", lab.namespace, *argv], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **lab.env},
                                start_new_session=True)
    lab.children[name] = proc        # `ip netns exec` execs in place: proc.pid is the daemon's pid
    return proc


def _wait_for(what: str, lab: SwitchLab, name: str, ready: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if lab.children[name].poll() is not None:
            break
        time.sleep(0.01)
    logs = [lab.workdir / "log" / f"{name}{ext}" for ext in (".out", ".log")]
    log = "".join(p.read_text(errors="replace") for p in logs if p.exists())[-1500:]
    raise LabError(f"{what} did not come up (exit {lab.children[name].poll()}): {log}")


def _start_sshd(lab: SwitchLab, ovs: bool) -> None:
    ssh = lab.workdir / "ssh"
    ssh.mkdir(mode=0o700)
    for key in ("host_ed25519", "id_ed25519"):
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{lab.namespace}-{key}", "-f", str(ssh / key))
    (ssh / "authorized_keys").write_text((ssh / "id_ed25519.pub").read_text())
    os.chmod(ssh / "authorized_keys", 0o600)
    lab.key_file = str(ssh / "id_ed25519")
    pidfile = lab.workdir / "run" / "sshd.pid"
    (ssh / "sshd_config").write_text("\n".join([
        f"Port {lab.ssh_port}", f"ListenAddress {lab.ssh_host}", f"HostKey {ssh / 'host_ed25519'}",
        f"PidFile {pidfile}", f"AuthorizedKeysFile {ssh / 'authorized_keys'}",
        "PermitRootLogin prohibit-password", "PubkeyAuthentication yes", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "UsePAM yes",
        "StrictModes no",                    # the key files live under /tmp (world-writable parent)
        *([f"SetEnv OVS_RUNDIR={lab.env['OVS_RUNDIR']}"] if ovs else []),   # remote ovs-vsctl finds our DB
        "Subsystem sftp internal-sftp", "LogLevel VERBOSE", ""]))
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)   # privilege separation dir sshd insists on
    _start(lab, "sshd", [SSHD, "-D", "-f", str(ssh / "sshd_config"), "-E", str(lab.workdir / "log" / "sshd.log")])
    # sshd writes its pid file after binding the listen socket
    _wait_for("sshd", lab, "sshd", lambda: pidfile.exists() and pidfile.read_text().strip() != "")


def _prime(lab: SwitchLab) -> None:
    """A UDP echo phone -> pbx -> phone: the switch learns both MACs (unicast phone->pbx is then
    never flooded) and the data path is proven before the test starts (there is no ping here)."""
    echo = subprocess.Popen(["ip", "netns", "exec", lab.pbx_ns, sys.executable, "-c", _ECHO, lab.pbx_ip],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if echo.stdout.readline().strip() != "ready":
            raise LabError(f"echo responder in {lab.pbx_ns} did not start: {echo.stderr.read()}")
        probe = lab.run([sys.executable, "-c", _PROBE, lab.phone_ip, lab.pbx_ip], ns=lab.phone_ns, check=False)
        if probe.returncode != 0:
            raise LabError(f"phone {lab.phone_ip} cannot reach pbx {lab.pbx_ip} through the {lab.kind} "
                           f"switch: {probe.stderr.strip()[-500:]}")
    finally:
        if echo.poll() is None:
            echo.kill()
        echo.communicate()


@contextmanager
def ovs_switch(vlan: int | None = None, subnet: int | None = None) -> Iterator[SwitchLab]:
    """Open vSwitch target: bridge ``br-span`` (datapath_type=netdev) with ports p-phone, p-pbx
    (access ``tag=vlan`` when vlan is given) and p-mon (trunk, no-flood: the SPAN destination),
    private ovsdb-server/ovs-vswitchd and sshd in the control namespace. Skips when not possible."""
    _need_root_netns()
    _need("ovs-vswitchd", "ovsdb-server", "ovs-vsctl", "ovs-appctl", "ovs-ofctl", "ovsdb-tool", SSHD,
          "ssh", "ssh-keygen")
    if not OVS_SCHEMA.exists():
        pytest.skip(f"{OVS_SCHEMA} is missing (openvswitch-common)")
    with _namespaces("ovs", subnet) as lab:
        lab.vlan = vlan
        for d in ("run", "db", "log"):
            (lab.workdir / d).mkdir()
        run, db = lab.workdir / "run", lab.workdir / "db"
        lab.env = {"OVS_RUNDIR": str(run), "OVS_DBDIR": str(db), "OVS_LOGDIR": str(lab.workdir / "log")}
        sh("ovsdb-tool", "create", str(db / "conf.db"), str(OVS_SCHEMA))
        _start(lab, "ovsdb-server", ["ovsdb-server", str(db / "conf.db"), f"--remote=punix:{run}/db.sock",
                                     f"--pidfile={run}/ovsdb-server.pid",
                                     f"--log-file={lab.workdir}/log/ovsdb-server.log"])
        _wait_for("ovsdb-server", lab, "ovsdb-server", lambda: (run / "db.sock").exists())
        lab.run(["ovs-vsctl", "--retry", "--timeout=20", "--no-wait", "init"])   # waits for the socket to listen
        _start(lab, "ovs-vswitchd", ["ovs-vswitchd", f"unix:{run}/db.sock", f"--pidfile={run}/ovs-vswitchd.pid",
                                     f"--log-file={lab.workdir}/log/ovs-vswitchd.log"])
        tag = [f"tag={vlan}"] if vlan is not None else []
        # one transaction; without --no-wait it returns once ovs-vswitchd has applied it
        lab.vsctl("add-br", BRIDGE, "--", "set", "bridge", BRIDGE, "datapath_type=netdev",
                  "--", "add-port", BRIDGE, PHONE_PORT, *tag, "--", "add-port", BRIDGE, PBX_PORT, *tag,
                  "--", "add-port", BRIDGE, MON_PORT)
        # a SPAN destination forwards nothing but mirrored frames, even before the mirror exists
        lab.run(["ovs-ofctl", "mod-port", BRIDGE, MON_PORT, "no-flood"])
        _prime(lab)
        lab.purge()
        _start_sshd(lab, ovs=True)
        yield lab


@contextmanager
def tc_switch(subnet: int | None = None) -> Iterator[SwitchLab]:
    """Linux bridge ``br-span`` (STP off) with p-phone and p-pbx enslaved; p-mon is NOT a bridge
    member (the tc mirred target); sshd in the control namespace. Skips when not possible."""
    _need_root_netns()
    _need("tc", SSHD, "ssh", "ssh-keygen")
    with _namespaces("tc", subnet) as lab:
        (lab.workdir / "run").mkdir()
        (lab.workdir / "log").mkdir()
        _batch(lab.namespace, f"link add {BRIDGE} type bridge stp_state 0 forward_delay 0\n"
                              f"link set {PHONE_PORT} master {BRIDGE}\nlink set {PBX_PORT} master {BRIDGE}\n"
                              f"link set {BRIDGE} up\n")
        _prime(lab)
        _start_sshd(lab, ovs=False)
        yield lab
