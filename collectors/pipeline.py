"""The packet pipeline shared by offline analysis and live capture:
decode -> flow table -> classifiers (SIP, RTP/RTCP, verdicts) -> events.

`Pipeline.feed(ts, linktype, data)` is the per-packet entry; events leave through `emit`.
Finished and live streams, signaling sessions, calls and endpoints stay readable for reports.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from collectors.decode import Decoder
from collectors.decode.decoder import GTPU_PORT, VXLAN_PORT
from collectors.decode.packet import TCP, UDP, Packet
from collectors.endpoints import EndpointTable
from collectors.events import StreamEvidence
from collectors.fingerprint import parse_cdp_frame, parse_dhcp, parse_lldp_frame
from collectors.fastpath import SHAPE, FastPath, fast_shape
from collectors.flows import MEDIA, NEW, OTHER, PORTS, SIP, TLS, Flow, FlowTable
from collectors.media.tcpframing import TcpMediaFramer, detect_framing
from collectors.media.tracker import MediaTracker
from collectors.sip.calls import CallTable
from collectors.sip.handler import SipHandler
from collectors.sip.message import looks_like_sip
from collectors.sip.tcpstream import START_LINE, TcpSipStream
from collectors.sip.websocket import WsSipStream, is_sip_upgrade
from collectors.snapshot import call_ended, stream_ended
from collectors.tls.records import looks_like_tls
from collectors.tls.tracker import TlsTracker

SWEEP_INTERVAL = 1.0
DHCP_PORTS = frozenset({(68, 67), (67, 68)})
EVIDENCE_FRAMES = 16
TCP_SIP_PROBE_SEGMENTS = 4


@dataclass(frozen=True)
class PipelineSettings:
    """The pipeline's limits (flows, streams and calls kept) and which paths and events it uses."""
    idle_timeout: float = 60.0
    max_flows: int = 262144
    max_finished: int = 100000     # ended streams kept for the report
    max_ended_calls: int | None = None   # ended calls kept for the report (None: all, up to the call table's limit)
    batch: bool = True             # count settled streams a buffer at a time (collectors.batch) when numpy is there
    kernel: bool = True            # capture buffers walked in C (collectors.batch.kernel) when it was built
    ended_stream_events: bool = True   # each ended stream's final state as a StreamEnded event (what the store
                                       # keeps; analyze without a store reads its report from the streams)
    rtcp_verdict_events: bool = True   # RTCP streams' StreamVerdict events (the store keeps them; the policy
                                       # reads RTP verdicts only: analyze without a store builds none)


class Pipeline:
    def __init__(self, emit, settings: PipelineSettings | None = None):
        settings = settings or PipelineSettings()
        self.emit = emit
        self.decoder = Decoder(layer2=self._layer2)
        self.calls = CallTable(settings.max_ended_calls, on_forget=self._call_forgotten)
        self.endpoints = EndpointTable()
        self.media = MediaTracker(self.calls, emit)
        self.sip = SipHandler(self.calls, self.endpoints, self.media, emit)
        self.udp = FlowTable("udp", self._expired, settings.idle_timeout, settings.max_flows)
        self.tcp = FlowTable("tcp", self._expired, settings.idle_timeout, settings.max_flows)
        self.udp.on_quiet = self.tcp.on_quiet = self._quiet
        self.media.tables = {"udp": self.udp.flows, "tcp": self.tcp.flows}
        self.media.rtcp_events = settings.rtcp_verdict_events
        self.fast = FastPath()
        self.media.on_bound = self.fast.forget       # a flow bound late to its call: its probe needs its frames
        self.tls = TlsTracker(self.sip, self.endpoints, emit)
        self.settings = settings
        self.finished: deque[Flow] = deque(maxlen=settings.max_finished)    # the most recent ended streams
        self.finished_dropped = 0
        self.packets = 0
        self.bytes = 0
        self._next_sweep = None
        self._batch = None

    # -- per packet -------------------------------------------------------------------------
    def feed(self, ts: float, linktype: int, data: bytes, wirelen: int | None = None) -> None:
        self.packets += 1
        self.bytes += wirelen or len(data)
        if self._next_sweep is None or ts >= self._next_sweep:
            self._sweep(ts)
        common = linktype == 1 and fast_shape(data)
        if common and self.fast.count(ts, data):
            return
        self._full_path(ts, linktype, data, common)

    def feed_many(self, frames) -> None:
        """`feed` for an iterable of (ts, linktype, data, wirelen), with `FastPath.count` inlined:
        most frames of a busy mirror port belong to settled streams and only need counting."""
        entries, full = self.fast.entries.get, self._full_path
        packets = octets = 0
        next_sweep = self._next_sweep
        for ts, linktype, data, wirelen in frames:
            packets += 1
            octets += wirelen
            if next_sweep is None or ts >= next_sweep:
                self._sweep(ts)
                next_sweep = self._next_sweep
            if linktype == 1 and len(data) >= 54 and data.startswith(SHAPE, 12) and data[23] == 17 \
                    and not (data[20] & 0x3F or data[21]):
                entry = entries(data[26:38])
                if entry is not None and data.startswith(entry.ssrc_bytes, 50) and data[43] & 0x7F == entry.pt:
                    entry.packets += 1
                    entry.octets += ((data[38] << 8) | data[39]) - 8
                    entry.last = ts
                    continue
                full(ts, linktype, data, True)
            else:
                full(ts, linktype, data, False)
        self.packets += packets
        self.bytes += octets

    def feed_records(self, buf: bytes, pos: int, layout) -> tuple[int, int, bool]:
        """Walk the classic-pcap records (or pcapng blocks) in `buf` from `pos` (see `PcapFileSource.walk`):
        frames of settled streams are counted in place, without being copied out; the rest go the full way.
        Returns where the first incomplete record starts, the records fed, and whether a record
        header was impossible (a damaged file). Walked in C (`collectors.batch.kernel`: classic records,
        or pcapng's plain EPBs) when it was built, else batched (`collectors.batch`) when numpy is there."""
        pcapng = getattr(layout, "pcapng", False)
        if self.settings.kernel:
            from collectors.batch import kernel
            if kernel.available():
                return (kernel.feed_pcapng if pcapng else kernel.feed_records)(self, buf, pos, layout)
        batch = self.batch_counter()
        if pcapng:
            if batch is not None:
                from collectors.batch.blocks import feed_blocks
                return feed_blocks(batch, buf, pos, layout)
            return self.feed_blocks_each(buf, pos, layout)
        if batch is not None:
            from collectors.batch.offline import feed_records
            return feed_records(batch, buf, pos, layout)
        return self.feed_records_each(buf, pos, layout)

    def feed_blocks_each(self, buf: bytes, pos: int, layout, limit: int | None = None) -> tuple[int, int, bool]:
        """`feed_records` for the blocks of a pcapng buffer (`BlockLayout`), a block at a time (at most
        `limit` of them)."""
        frames: list = []
        result = layout.read_blocks(buf, pos, frames, limit)
        self.feed_many(frames)
        return result

    def batch_counter(self):
        """The batched fast path, when enabled and numpy is installed (imported on first use)."""
        if self._batch is None and self.settings.batch:
            from collectors.batch import available
            if available():
                from collectors.batch.counter import BatchCounter
                self._batch = BatchCounter(self)
            else:
                self.settings = replace(self.settings, batch=False)
        return self._batch

    def feed_records_each(self, buf: bytes, pos: int, layout) -> tuple[int, int, bool]:
        """`feed_records` a record at a time, in Python (no numpy needed; the same results)."""
        entries, full = self.fast.entries.get, self._full_path
        unpack, scale, linktype, max_record = layout.header.unpack_from, layout.scale, layout.linktype, layout.max_record
        ethernet = linktype == 1
        size, start = len(buf), pos
        packets = octets = 0
        next_sweep = self._next_sweep
        damaged = False
        while size - pos >= 16:
            sec, frac, caplen, wirelen = unpack(buf, pos)
            p, end = pos + 16, pos + 16 + caplen
            if caplen > max_record:
                damaged = True
                break
            if end > size:
                break
            ts = sec + frac * scale
            pos = end
            packets += 1
            octets += wirelen
            if next_sweep is None or ts >= next_sweep:
                self._sweep(ts)
                next_sweep = self._next_sweep
            if ethernet and caplen >= 54:
                entry = entries(buf[p + 26:p + 38])
                if entry is not None and buf.startswith(entry.ssrc_bytes, p + 50) \
                        and buf[p + 43] & 0x7F == entry.pt and buf.startswith(SHAPE, p + 12) and buf[p + 23] == 17 \
                        and not (buf[p + 20] & 0x3F or buf[p + 21]):
                    entry.packets += 1
                    entry.octets += ((buf[p + 38] << 8) | buf[p + 39]) - 8
                    entry.last = ts
                    continue
                full(ts, linktype, buf[p:end], fast_shape(buf[p:end]))
            else:
                full(ts, linktype, buf[p:end], False)
        self.packets += packets
        self.bytes += octets
        return pos - start, packets, damaged

    def _full_path(self, ts: float, linktype: int, data: bytes, common: bool) -> None:
        pkt = self.decoder.decode_common(ts, data) if common else self.decoder.decode(ts, linktype, data)
        if pkt is None:
            return
        if pkt.proto == UDP:
            self._udp_frame_done(self._udp(pkt), ts, linktype, data, common)
        else:
            self._tcp(pkt)

    def media_frame(self, ts: float, data: bytes) -> bool:
        """`_full_path` of a frame of the fast path's shape (`fast_shape`) that carries RTP (no padding,
        extension or CSRC) or RTCP on an awake media flow, read at fixed offsets: the same steps without
        a Packet or an RtpHeader (the frame's bytes 26-38 are its flow key). The batch hands its frames here
        first (`collectors.batch.counter`); False, with nothing done: take the full path."""
        size = len(data)
        total, ulen = (data[16] << 8) | data[17], (data[38] << 8) | data[39]
        end = 14 + total if 14 + total < size else size
        if total < 20 or ulen < 8 or end < 42:
            return False                              # a decode error: the full path counts it
        if 34 + ulen < end:
            end = 34 + ulen
        b0, b1 = data[42], data[43]
        if end - 42 < 12 or b0 >> 6 != 2 or (b0 != 0x80 and not 192 <= b1 <= 223):
            return False
        sport, dport = (data[34] << 8) | data[35], (data[36] << 8) | data[37]
        if dport == VXLAN_PORT or sport == GTPU_PORT or dport == GTPU_PORT:
            return False
        flow = self.udp.flows.get(data[26:38])
        if flow is None or flow.state != MEDIA or flow.quiet:
            return False
        flow.packets += 1
        flow.bytes += end - 42
        flow.last_seen = ts
        if 192 <= b1 <= 223:
            self.media.rtcp_frame(flow, data, 42, end, ts)
        else:
            self.media.rtp_frame(flow, data, 42, end, 54, b1 & 0x7F, int.from_bytes(data[50:54], "big"),
                                 int.from_bytes(data[46:50], "big"), ts)
        self._udp_frame_done(flow, ts, 1, data, True)
        return True

    def _udp_frame_done(self, flow: Flow, ts: float, linktype: int, data: bytes, common: bool) -> None:
        """After a UDP frame went through its flow: its bytes kept as evidence while the flow is (or may be)
        RTP, and a settled stream's frames of the fast path's shape (`common`) counted there from now on."""
        if flow.evidence is not None and (flow.state == MEDIA or flow.detector is not None):
            self._keep_evidence(flow, ts, linktype, data)
        if common and flow.state == MEDIA and flow.evidence is None:
            self.fast.arm(flow, data)

    def _counted_flow(self, table: FlowTable, pkt) -> Flow:
        key = pkt.src + pkt.dst + PORTS.pack(pkt.sport, pkt.dport)     # `flow_key`
        flow = table.flows.get(key) or self._new_flow(table, key, pkt)
        flow.packets += 1
        flow.bytes += pkt.end - pkt.off
        flow.last_seen = pkt.ts
        return flow

    def _udp(self, pkt) -> Flow:
        flow = self._counted_flow(self.udp, pkt)
        state = flow.state
        if state == NEW and (pkt.sport, pkt.dport) in DHCP_PORTS:
            self._dhcp(flow, pkt)
            return flow
        if state == MEDIA:
            self.media.packet(flow, pkt)
        elif state == OTHER or pkt.off >= pkt.end:
            pass
        elif state == SIP or (state == NEW and looks_like_sip(pkt.data, pkt.off)):
            flow.state = SIP
            self.sip.datagram(pkt, flow.src, flow.dst)
        else:
            self.media.candidate(flow, pkt)
        return flow

    def _tcp(self, pkt) -> None:
        flow = self._counted_flow(self.tcp, pkt)
        if isinstance(flow.app, TcpMediaFramer):
            self._tcp_media(flow, pkt)
            return
        if flow.state == NEW:
            self._probe_tcp(flow, pkt)
        if flow.state == TLS:
            self.tls.segment(flow, pkt)
        elif flow.state == SIP:
            payload = pkt.data[pkt.off:pkt.end]
            app = flow.app
            transport = "ws" if isinstance(app, WsSipStream) else "tcp"
            errors = app.errors
            for msg in app.feed(pkt.tcp_seq, payload, syn=bool(pkt.tcp_flags & 0x02)):
                self.sip.on_message(msg, flow.src, flow.sport, flow.dst, flow.dport, transport, pkt.ts)
            self.sip.errors += app.errors - errors      # unparsable messages, overflows, holes skipped

    def _probe_tcp(self, flow: Flow, pkt) -> None:
        if pkt.off >= pkt.end:
            return
        data, off = pkt.data, pkt.off
        if looks_like_sip(data, off) or START_LINE.search(data, off, pkt.end):
            flow.state, flow.app = SIP, TcpSipStream()
        elif is_sip_upgrade(data, off, pkt.end):
            flow.state, flow.app = SIP, WsSipStream()
        elif (framing := detect_framing(data, off, pkt.end)) is not None:
            flow.app = TcpMediaFramer(framing)
            self._tcp_media(flow, pkt)
        elif looks_like_tls(data[off:pkt.end]) or _tls_record_start(data, off, pkt.end):
            flow.state, flow.app = TLS, self.tls.conversation(flow, pkt.ts)
        elif flow.packets >= TCP_SIP_PROBE_SEGMENTS:
            flow.state = OTHER

    def _tcp_media(self, flow: Flow, pkt) -> None:
        """ICE-TCP (RFC 4571) or TURN-TCP: each framed packet goes through the media tracker."""
        payload = pkt.data[pkt.off:pkt.end]
        for frame in flow.app.feed(pkt.tcp_seq, payload, syn=bool(pkt.tcp_flags & 0x02)):
            if not frame or flow.state == OTHER:
                continue
            view = Packet(pkt.ts, frame, 0, len(frame), TCP, pkt.src, pkt.dst, pkt.sport, pkt.dport)
            if flow.state == MEDIA:
                self.media.packet(flow, view)
            else:
                self.media.candidate(flow, view)

    def _keep_evidence(self, flow: Flow, ts: float, linktype: int, data: bytes) -> None:
        """The first frames of a media stream (bounded), handed on once the stream is flagged
        cleartext; dropped once it is settled as encrypted."""
        frames = flow.evidence
        if len(frames) < EVIDENCE_FRAMES:
            if type(frames) is tuple:
                frames = flow.evidence = []
            frames.append((ts, linktype, data))
        stream = flow.rtp
        if stream is None or stream.classifier is not None or stream.encrypted is None:
            return
        if stream.encrypted:
            flow.evidence = None
        elif len(flow.evidence) >= EVIDENCE_FRAMES:
            self._offer_evidence(flow)

    def _offer_evidence(self, flow: Flow) -> None:
        stream = flow.rtp
        if stream is None or stream.encrypted is not False or stream.classifier is not None or not flow.evidence:
            return
        self.emit(StreamEvidence(flow.stream_id("rtp"), flow.src, flow.dst, tuple(flow.evidence)))
        flow.evidence = None

    def _dhcp(self, flow: Flow, pkt) -> None:
        info = parse_dhcp(pkt.data[pkt.off:pkt.end])
        if info is not None and info.op == 1:        # client messages describe the client
            self.endpoints.saw_dhcp(info)

    def _layer2(self, ethertype: int, frame: bytes) -> None:
        """LLDP(-MED) and CDP announcements name the device behind a MAC address."""
        if ethertype == 0x88CC:
            info = parse_lldp_frame(frame)
            if info is not None:
                self.endpoints.saw_lldp(info)
        else:
            info = parse_cdp_frame(frame)
            if info is not None:
                self.endpoints.saw_cdp(info)

    def _new_flow(self, table: FlowTable, key: bytes, pkt) -> Flow:
        flow = table.create(key, pkt.ts)
        if pkt.src_mac is not None:
            self.endpoints.saw_mac(flow.src, pkt.src_mac.hex(":"), pkt.vlan)
        return flow

    def tick(self, now: float) -> None:
        """Housekeeping on the wall clock: idle flows expire even when no packet arrives."""
        if self._next_sweep is None or now >= self._next_sweep:
            self._sweep(now)

    # -- housekeeping ---------------------------------------------------------------------
    def _sweep(self, now: float) -> None:
        self._next_sweep = now + SWEEP_INTERVAL
        self.fast.flush()
        self.udp.sweep(now)
        self.tcp.sweep(now)

    def _quiet(self, flow: Flow) -> None:
        """A flow quiet for a while (collectors.flows.QUIET): its fast-path entry and its place in the
        media address index go; its next frame takes the full path, which brings both back."""
        self.fast.forget(flow)
        self.media.quiet(flow)

    def _call_forgotten(self, call) -> None:
        self.media.call_forgotten(call)
        self.emit(call_ended(call))

    def _expired(self, flow: Flow) -> None:
        self.fast.forget(flow)
        if flow.state == TLS:
            self.tls.closed(flow)
        if flow.rtp is not None or flow.rtcp is not None:
            self.media.forget(flow)
            self.media.finalise(flow)
            if flow.evidence:
                self._offer_evidence(flow)
            flow.evidence = flow.detector = flow.app = None
            if self.settings.ended_stream_events:
                for stream in (flow.rtp, flow.rtcp):
                    if stream is not None and stream.packets:
                        self.emit(stream_ended(self, flow, stream))
            if len(self.finished) == self.finished.maxlen:     # a long run keeps the recent ones
                self.finished_dropped += 1
            self.finished.append(flow)

    def finish(self) -> None:
        """End of input: retire every flow so each stream gets its final verdict."""
        self.fast.flush()
        self.tls.report_all()
        self.udp.retire_all()
        self.tcp.retire_all()

    def media_flows(self) -> list[Flow]:
        self.fast.flush()
        live = [f for table in (self.udp, self.tcp) for f in table.flows.values()
                if f.rtp is not None or f.rtcp is not None]
        return list(self.finished) + live

    @property
    def decode_errors(self) -> int:
        return self.decoder.decode_errors + self.sip.errors + self.sip.limited + self.tls.errors


def _tls_record_start(data: bytes, off: int, end: int) -> bool:
    """A TLS record header (any content type) at the start of a segment: a connection whose
    handshake happened before the capture began."""
    return end - off >= 5 and 20 <= data[off] <= 23 and data[off + 1] == 3 and data[off + 2] <= 4 \
        and 0 < ((data[off + 3] << 8) | data[off + 4]) <= 18432
