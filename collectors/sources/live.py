"""Live source: an AF_PACKET socket on the mirror port with a TPACKET_V3 receive ring.

Set up as a SPAN collector needs: promiscuous membership, a BPF filter compiled by libpcap through
scapy (`attach_filter`) and attached in the kernel, optional PACKET_FANOUT (flow hash, so both
directions of a flow reach the same worker), and a memory-mapped ring so frames arrive a block at a
time without a system call per packet (scapy's own sockets read one packet per call: too slow for a
busy port). Kernel drops are read from PACKET_STATISTICS. VLAN tags the kernel took off are put back.
"""
from __future__ import annotations

import ctypes
import errno
import mmap
import select
import socket
import struct
from typing import Iterator

from collectors.errors import CollectorError
from collectors.sources.frame import Frame

SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC = 1, 1
PACKET_RX_RING, PACKET_STATISTICS, PACKET_VERSION, PACKET_FANOUT = 5, 6, 10, 18
TPACKET_V3 = 2
PACKET_FANOUT_HASH, PACKET_FANOUT_FLAG_DEFRAG = 0, 0x8000
ETH_P_ALL = 0x0003
TP_STATUS_USER, TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 1, 1 << 4, 1 << 6
SO_ATTACH_FILTER, SO_DETACH_FILTER = 26, 27
DEFAULT_FILTER = ("ip or ip6 or arp or ether proto 0x8847 or ether proto 0x88cc or ether dst 01:00:0c:cc:cc:cc "
                  "or vlan")   # `vlan` last: libpcap shifts the offsets of what follows it

REQ3 = struct.Struct("IIIIIII")        # block_size, block_nr, frame_size, frame_nr, tov_ms, priv, features
BLOCK = struct.Struct("III")           # at +8: block_status, num_pkts, offset_to_first_pkt
PKT3 = struct.Struct("IIIIIIHH")       # next_offset, sec, nsec, snaplen, len, status, mac, net
VLAN = struct.Struct("II")             # at +28 of a packet header: rxhash, vlan_tci
STATS3 = struct.Struct("III")          # tp_packets (drops included), tp_drops, tp_freeze_q_cnt


class CaptureError(CollectorError):
    """The interface cannot be captured on: one clear line for the operator."""
    exit_code = 2


class LiveSource:
    def __init__(self, interface: str, bpf_filter: str | None = DEFAULT_FILTER, fanout_group: int | None = None,
                 block_size: int = 1 << 22, block_count: int = 16, block_timeout_ms: int = 50):
        self.interface = interface
        self.block_size, self.block_count = block_size, block_count
        self.sock = _open_socket(interface)
        try:
            self._setup(bpf_filter, fanout_group, block_timeout_ms)
        except BaseException:
            self.sock.close()
            raise
        self.poller = select.poll()
        self.poller.register(self.sock.fileno(), select.POLLIN | select.POLLERR)
        self.block = 0
        self.received = self.kernel_drops = 0

    def _setup(self, bpf_filter, fanout_group, block_timeout_ms) -> None:
        sock = self.sock
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
        frame_size = 1 << 11
        sock.setsockopt(SOL_PACKET, PACKET_RX_RING, REQ3.pack(
            self.block_size, self.block_count, frame_size, self.block_size * self.block_count // frame_size,
            block_timeout_ms, 0, 0))
        self.ring = mmap.mmap(sock.fileno(), self.block_size * self.block_count, mmap.MAP_SHARED,
                              mmap.PROT_READ | mmap.PROT_WRITE)
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, _DROP_ALL.program)   # nothing until fully set up
        _bind(sock, self.interface)
        membership = struct.pack("IHH8s", socket.if_nametoindex(self.interface), PACKET_MR_PROMISC, 0, b"")
        sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, membership)
        if fanout_group is not None:   # joined before any frame is let in: no frame reaches two workers
            mode = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG
            sock.setsockopt(SOL_PACKET, PACKET_FANOUT, struct.pack("I", (fanout_group & 0xFFFF) | mode << 16))
        if bpf_filter:
            _attach_filter(sock, bpf_filter, self.interface)
        else:
            sock.setsockopt(socket.SOL_SOCKET, SO_DETACH_FILTER, 0)

    def packets(self, timeout: float = 0.1) -> Iterator[Frame]:
        """Frames of the ring blocks ready now (waiting up to `timeout` for the first one)."""
        for base in self.blocks(timeout):
            yield from self.frames(base)

    def blocks(self, timeout: float = 0.1) -> Iterator[int]:
        """Offsets in `ring` of the blocks ready now (waiting up to `timeout` for the first one); each
        goes back to the kernel when the next is asked for (a batch: `collectors.batch.ring`)."""
        ring, size = self.ring, self.block_size
        if not self._ready(self.block) and not self.poller.poll(int(timeout * 1000)):
            return
        while self._ready(self.block):
            base = self.block * size
            yield base
            self.received += BLOCK.unpack_from(ring, base + 8)[1]
            struct.pack_into("I", ring, base + 8, 0)          # hand the block back to the kernel
            self.block = (self.block + 1) % self.block_count

    def frames(self, base: int) -> Iterator[Frame]:
        """The frames of the block at `base`, one by one."""
        _status, count, first = BLOCK.unpack_from(self.ring, base + 8)
        return self.frames_from(base + first, count)

    def frames_from(self, pos: int, count: int) -> Iterator[Frame]:
        """`count` frames of a block from the frame header at `pos`, one by one."""
        ring, new = self.ring, tuple.__new__
        for _ in range(count):
            next_offset, sec, nsec, snaplen, wirelen, status, mac, _net = PKT3.unpack_from(ring, pos)
            start = pos + mac
            frame = ring[start:start + snaplen]
            if status & TP_STATUS_VLAN_VALID:
                frame = _with_vlan_tag(frame, ring, pos, status)
            yield new(Frame, (sec + nsec * 1e-9, 1, frame, wirelen))
            pos += next_offset

    def _ready(self, block: int) -> bool:
        return bool(struct.unpack_from("I", self.ring, block * self.block_size + 8)[0] & TP_STATUS_USER)

    def statistics(self) -> tuple[int, int]:
        """(frames the socket saw, frames the kernel dropped) since the last call; counters reset."""
        seen, drops, _frozen = STATS3.unpack(self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, STATS3.size))
        self.kernel_drops += drops
        return seen, drops

    def close(self) -> None:
        try:
            self.statistics()
        except OSError:
            pass
        self.ring.close()
        self.sock.close()


class _DropAll:
    """A classic BPF program of one instruction, `ret #0`: the socket takes no frame."""
    def __init__(self):
        self._insn = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0, 0))
        self.program = struct.pack("HL", 1, ctypes.addressof(self._insn))


_DROP_ALL = _DropAll()


def _open_socket(interface: str) -> socket.socket:
    try:
        socket.if_nametoindex(interface)
    except OSError:
        raise CaptureError(f"interface {interface!r} does not exist") from None
    try:
        return socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)   # takes frames only once bound
    except PermissionError:
        raise CaptureError(f"capturing on {interface} needs CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous "
                           "mode and fanout): run as root or grant the capabilities") from None


def _bind(sock: socket.socket, interface: str) -> None:
    try:
        sock.bind((interface, ETH_P_ALL))
    except OSError as exc:
        if exc.errno in (errno.ENODEV, errno.ENXIO):
            raise CaptureError(f"interface {interface!r} does not exist") from None
        if exc.errno == errno.ENETDOWN:
            raise CaptureError(f"interface {interface!r} is down: bring it up first") from None
        raise


def _attach_filter(sock: socket.socket, bpf_filter: str, interface: str) -> None:
    from scapy.arch.linux import attach_filter
    try:
        attach_filter(sock, bpf_filter, interface)
    except Exception as exc:   # scapy raises its own types for libpcap's errors
        raise CaptureError(f"cannot compile the capture filter {bpf_filter!r}: {exc}") from None


def tagged(frame: bytes, ring, pos: int) -> bytes:
    """`frame`, whose header is at `pos` in `ring`, with the VLAN tag the kernel took off put back."""
    return _with_vlan_tag(frame, ring, pos, PKT3.unpack_from(ring, pos)[5])


def _with_vlan_tag(frame: bytes, ring, pos: int, status: int) -> bytes:
    """Put back the 802.1Q tag the NIC/kernel took off, so decoding sees what was on the wire."""
    _rxhash, tci = VLAN.unpack_from(ring, pos + 28)
    tpid = struct.unpack_from("H", ring, pos + 36)[0] if status & TP_STATUS_VLAN_TPID_VALID else 0x8100
    return frame[:12] + struct.pack("!HH", tpid, tci & 0xFFFF) + frame[12:]
