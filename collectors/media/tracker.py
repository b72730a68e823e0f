"""Media side of the pipeline: recognise RTP/RTCP on UDP flows, tie them to calls, decide the
encryption verdict with the classifiers, count, and emit `StreamVerdict` events.

RFC 7983 demultiplexing on the first byte: 0-3 STUN, 16-19 ZRTP, 20-63 DTLS, 128-191 RTP/RTCP.
"""
from __future__ import annotations

from functools import lru_cache, partial
from typing import TYPE_CHECKING

from collectors.classify.payload import PayloadClassifier
from collectors.classify.signaled import signaled_verdict
from collectors.classify.combine import KEYING_VERDICTS, combine, merge_signaled
from collectors.classify.verdict import Verdict
from collectors.events import ExposureProven, StreamVerdict
from collectors.flows import MEDIA, NEW, OTHER, Flow, key_parts, reverse_key, shifted_key, shrunk
from collectors.media.assurance import assurance as rests_on, carries_srtcp, neighbours
from collectors.media.detect import MATCH, NEED_MORE, NO_MATCH, RtpDetector
from collectors.media.zrtp import zrtp_message_type, zrtp_verdict
from collectors.media.dtls import hello_use_srtp, is_dtls_record
from collectors.media.rtcp import looks_srtcp, parse_rtcp
from collectors.media.rtp import is_rtcp_type, parse_rtp, static_codec
from collectors.media.stream import StreamState, awake
from collectors.media.turn import channel_data
from collectors.sip.calls import CallTable

if TYPE_CHECKING:
    from collectors.media.exposure import ExposureProbe     # imported with the first keys to try

STUN_COOKIE = b"\x21\x12\xa4\x42"
ZRTP_COOKIE = b"ZRTP"
MAX_NON_MEDIA = 8
REBIND_IDLE = 2.0
CLEARTEXT_SIGNALING = ("udp", "tcp", "ws")
CALL_END_GRACE = 1.0
SRTCP_BESIDE = 0.8          # uniform RTP whose control channel carries SRTCP trailers
UNDECIDED = Verdict(False, None, 0.3, ("too few packets for a verdict",), "undecided")


NOT_YET = "not yet"       # `_exposure_probe`: the stream's call or its sender's SDP is not known yet

class MediaTracker:
    def __init__(self, calls: CallTable, emit):
        self.calls = calls
        self.emit = emit
        self.by_endpoint: dict[tuple[bytes, int], list[Flow]] = {}   # media flows by (addr, port)
        self.tables: dict[str, dict] = {}     # transport -> flows by key (set by the pipeline)
        self.on_bound = None      # called with a flow an SDP bound to a call after its first packets
        self.bad_rtp = 0      # RTP-shaped packets (V=2) whose header breaks RTP's rules (CSRCs/extension past the end)
        self._removed = 0     # addresses taken out of `by_endpoint` since it was last shrunk
        self.keyed = False    # a key exchange (DTLS, ZRTP) was seen on a media 5-tuple: only then does `_keying`
                              # look the reverse flow up (its key is built anew each time)
        self._signaled_by_call: dict[str, tuple] = {}   # call id -> the last m-line pair's verdict (`_signaled`)
        self.rtcp_events = True   # an RTCP stream's verdict emitted too (False: no one reads it, see PipelineSettings)

    # -- undecided flows ---------------------------------------------------------------------
    def candidate(self, flow: Flow, pkt) -> None:
        b0 = pkt.data[pkt.off]
        if 128 <= b0 < 192 and pkt.end - pkt.off >= 2:   # one byte: no RTP/RTCP type to look at
            self._try_media(flow, pkt)
        elif self._demuxed(flow, pkt, b0):
            return
        else:
            flow.non_media += 1
            if flow.non_media > MAX_NON_MEDIA and flow.detector is None:
                self._not_media(flow)

    def _demuxed(self, flow: Flow, pkt, b0: int) -> bool:
        """RFC 7983 demultiplexing of what shares the media 5-tuple; True when the packet was one
        of STUN, ZRTP, DTLS or TURN ChannelData (whose inner packet is handled in turn)."""
        data, off, end = pkt.data, pkt.off, pkt.end
        if b0 < 4 and data[off + 4:off + 8] == STUN_COOKIE:
            flow.stun += 1
        elif 20 <= b0 <= 63 and is_dtls_record(data, off, end):
            flow.dtls += 1
            hello, use_srtp = hello_use_srtp(data, off, end)
            if use_srtp:
                flow.keying_hint = "dtls-srtp"
                self.keyed = True
            elif hello is not None and flow.keying_hint is None:
                flow.keying_hint = "dtls"
                self.keyed = True
        elif 16 <= b0 <= 19 and data[off + 4:off + 8] == ZRTP_COOKIE:
            flow.zrtp += 1
            flow.keying_hint = "zrtp"
            self.keyed = True
            kind = zrtp_message_type(data, off, end)
            if kind and kind not in flow.zrtp_messages and len(flow.zrtp_messages) < 12:
                flow.zrtp_messages += (kind,)
        elif 64 <= b0 <= 79 and end - off >= 8:
            inner = channel_data(pkt)
            if inner is None:
                return False
            flow.turn += 1
            if flow.state == MEDIA:
                self.packet(flow, inner)
            else:
                self.candidate(flow, inner)
        else:
            return False
        return True

    def _try_media(self, flow: Flow, pkt) -> None:
        data, off, end = pkt.data, pkt.off, pkt.end
        if flow.binding is None:
            flow.binding = self.calls.binding_for(*key_parts(flow.key))
        if is_rtcp_type(data[off + 1]):
            shape = parse_rtcp(data, off, end)
            if shape is not None and (flow.binding is not None or shape.types[0] in (200, 201)
                                      or self._next_to_rtp(flow)):
                self._become_media(flow, pkt)
                return
            self._rtp_miss(flow, pkt)
            return
        detector = flow.detector
        if detector is None:
            detector = flow.detector = RtpDetector()
        announced = flow.binding is not None and flow.binding.role == "rtp"
        hdr = parse_rtp(data, off, end)
        if hdr is None:
            self.bad_rtp += 1
        result = detector.feed(hdr, announced)
        if result == MATCH:
            self._become_media(flow, pkt)
        elif result == NEED_MORE:
            detector.held.append(pkt)
        elif result == NO_MATCH:
            self._not_media(flow)

    def _not_media(self, flow: Flow) -> None:
        """The budget is spent without RTP. A 5-tuple that SDP announced stays open to its media: else
        garbage sent to it before the call's RTP (spoofed truncated RTP) hid that stream and its alert."""
        flow.detector = None
        if flow.binding is None:
            flow.binding = self.calls.binding_for(*key_parts(flow.key))
        if flow.binding is not None:
            flow.non_media = 0
        else:
            flow.state = OTHER

    def _next_to_rtp(self, flow: Flow) -> bool:
        """RTCP's conventional place (RFC 3550 section 11): one port above a recognised RTP stream."""
        sibling = self.tables.get(flow.transport, {}).get(shifted_key(flow.key, -1))
        return sibling is not None and sibling.rtp is not None

    def _rtp_miss(self, flow: Flow, pkt) -> None:
        detector = flow.detector or RtpDetector()
        flow.detector = detector
        result = detector.feed(None, False)
        if result == NO_MATCH:
            self._not_media(flow)
        else:
            detector.held.append(pkt)

    def _become_media(self, flow: Flow, pkt) -> None:
        flow.state = MEDIA
        for endpoint in _endpoints(flow):
            self.by_endpoint.setdefault(endpoint, []).append(flow)
        held = flow.detector.held if flow.detector is not None else ()
        flow.detector = None
        for earlier in held:        # the packets it took to recognise the stream count too
            self.packet(flow, earlier)
        self.packet(flow, pkt)

    # -- decided media flows ------------------------------------------------------------------
    def packet(self, flow: Flow, pkt) -> None:
        if flow.quiet:
            self._wake(flow)
        data, off, end = pkt.data, pkt.off, pkt.end
        if off >= end:                  # an empty datagram on a media 5-tuple
            flow.non_media += 1
            return
        b0 = data[off]
        if not 128 <= b0 < 192 or end - off < 2:
            if not self._demuxed(flow, pkt, b0):
                flow.non_media += 1
            return
        if is_rtcp_type(data[off + 1]):
            self.rtcp_frame(flow, data, off, end, pkt.ts)
        else:
            self._rtp_packet(flow, pkt)

    def _rtp_packet(self, flow: Flow, pkt) -> None:
        hdr = parse_rtp(pkt.data, pkt.off, pkt.end)
        if hdr is None:
            flow.non_media += 1
            self.bad_rtp += 1
            return
        self.rtp_frame(flow, pkt.data, pkt.off, pkt.end, hdr.payload_off, hdr.pt, hdr.ssrc, hdr.ts, pkt.ts)

    def rtp_frame(self, flow: Flow, data: bytes, off: int, end: int, payload_off: int, pt: int, ssrc: int,
                  rtp_ts: int, ts: float) -> None:
        """A well-formed RTP packet in data[off:end] (its payload from `payload_off`) of a media flow, at `ts`:
        what `packet` does with it once its header is read (`Pipeline.media_frame` reads it at fixed offsets)."""
        stream = flow.rtp
        if stream is None:
            stream = flow.rtp = StreamState("rtp", ts)
        stream.count_rtp(ts, end - off, ssrc, pt)
        if stream.classifier is not None or stream.encrypted is None:
            self._classify_rtp(flow, stream, data, payload_off, end, pt, ssrc, rtp_ts, ts)
        exposure = stream.exposure
        if exposure is not False and (exposure is not None or flow.binding is not None):    # unbound: not yet
            self._probe_exposure(flow, stream, data, off, end, ts)

    def _classify_rtp(self, flow: Flow, stream: StreamState, data: bytes, payload_off: int, end: int, pt: int,
                      ssrc: int, rtp_ts: int, ts: float) -> None:
        payload_verdict = None
        if stream.classifier is None and stream.decided_after == 0:
            stream.classifier = PayloadClassifier(partial(self.codec_of, flow))
        if stream.classifier is not None:
            payload_verdict = stream.classifier.feed(data, payload_off, end, pt, ssrc, rtp_ts)
            if payload_verdict is not None:
                if not payload_verdict.provisional:
                    stream.classifier = None
                stream.payload_verdict = payload_verdict
        if payload_verdict is None and flow.binding is None and not self.keyed:
            return           # neither SDP, a key exchange nor the packets say anything yet: `_judge` gives None
        verdict = self._judge(flow, payload_verdict)
        if verdict is not None:
            self._apply(flow, stream, verdict, ts)

    def _probe_exposure(self, flow: Flow, stream: StreamState, data: bytes, off: int, end: int, ts: float) -> None:
        probe = stream.exposure
        if probe is None:
            probe = self._exposure_probe(flow, stream.kind == "rtcp")
            if probe is NOT_YET:
                return        # its call or its sender's SDP not known here yet (the SIP may come from
                              # another worker): asked again on its next full-path frame
            probe = stream.exposure = probe or False
            if probe is False:
                return
        if probe.add(data[off:end]):
            self._prove(flow, stream, ts)

    def _exposure_probe(self, flow: Flow, rtcp: bool = False) -> ExposureProbe | None:
        """A probe when the sender's own a=crypto keys travelled in cleartext signaling: the line the
        answer chose first (the offerer may send several, RFC 4568 section 7)."""
        binding = flow.binding
        call = self.calls.calls.get(binding.call_id) if binding is not None else None
        if call is None:
            return NOT_YET
        if call.transport not in CLEARTEXT_SIGNALING:
            return None
        _offer, answer = call.media_pair(binding.index, binding.leg)
        chosen = {c.tag for c in answer.crypto} if answer is not None else set()
        seen = call.sdp_written_by(flow.src, flow.sport, binding.index, binding.leg)
        if seen is None:
            return NOT_YET
        cryptos = sorted(seen.sdp.media[binding.index].crypto, key=lambda c: c.tag not in chosen)
        if not cryptos:
            return None
        from collectors.media.exposure import ExposureProbe    # libsrtp: only for keys seen in cleartext
        return ExposureProbe(cryptos, seen, rtcp)

    def _prove(self, flow: Flow, stream: StreamState, ts: float) -> None:
        probe = stream.exposure
        result = probe.prove()
        stream.exposure = False
        text = result.text(probe.source)
        stream.add_note("exposure: " + text)
        if result.decrypted and stream.encrypted:
            stream.assurance = "proven"
        self.emit(ExposureProven(flow.binding.call_id, flow.src, flow.stream_id(stream.kind), result.decrypted,
                                 result.tried, result.suite, text, ts))
        if not result.decrypted and result.tried and stream.kind == "rtp" and _cleartext(stream.payload_verdict):
            stream.payload_verdict = keys_fail(stream.payload_verdict, probe.source)
            self._rejudge(flow, stream, ts)

    def rtcp_frame(self, flow: Flow, data: bytes, off: int, end: int, ts: float) -> None:
        """An RTCP-typed packet in data[off:end] (second byte 192-223) of a media flow, at `ts`."""
        shape = parse_rtcp(data, off, end)
        stream = flow.rtcp
        if stream is None:
            stream = flow.rtcp = StreamState("rtcp", ts)
        stream.count(ts, end - off)
        if shape is None:
            return
        stream.add_ssrc(shape.ssrc)
        types = stream.rtcp_types
        for pt in shape.types[:4]:
            types[pt] = types.get(pt, 0) + 1
        srtcp = looks_srtcp(data, end, shape)
        key = "srtcp" if srtcp else "plain"
        shapes = stream.pt_counts                                  # reused as shape counter for RTCP
        shapes[key] = shapes.get(key, 0) + 1
        if srtcp and stream.exposure is not False and flow.binding is not None:
            self._probe_exposure(flow, stream, data, off, end, ts)
        if srtcp:
            self._srtcp_seen(flow, ts)
        if not self._recount_rtcp(flow, stream):
            self._apply(flow, stream, self._rtcp_verdict(flow, stream), ts)

    def _recount_rtcp(self, flow: Flow, stream: StreamState) -> bool:
        """`_apply` of `_rtcp_verdict` for a stream judged on its shapes alone (no SDP, no key exchange)
        whose verdict keeps its side: only its count, in the evidence, moves. The same state, in a
        fraction of the steps (every RTCP packet of a media flow comes here). False: nothing done."""
        if flow.binding is not None or self.keyed or stream.verdict_source != "rtcp" or not stream.emitted \
                or not stream.decided_after:
            return False
        shapes = stream.pt_counts
        srtcp, plain = shapes.get("srtcp", 0), shapes.get("plain", 0)
        verdict = _shape_verdict(True, srtcp) if srtcp > plain else _shape_verdict(False, plain)
        if stream.encrypted != verdict.encrypted or stream.keying != verdict.keying \
                or stream.assurance != (("proven" if stream.assurance == "proven" else "evidence")
                                        if verdict.encrypted else ""):
            return False
        stream.confidence, stream.evidence = verdict.confidence, verdict.evidence
        return True

    def _rtcp_verdict(self, flow: Flow, stream: StreamState) -> Verdict:
        signaled = merge_signaled(self._signaled(flow), self._keying(flow))
        if signaled is not None and signaled.encrypted is not None:
            return signaled
        shapes = stream.pt_counts
        srtcp, plain = shapes.get("srtcp", 0), shapes.get("plain", 0)
        return _shape_verdict(True, srtcp) if srtcp > plain else _shape_verdict(False, plain)

    # -- verdicts -----------------------------------------------------------------------------
    def _judge(self, flow: Flow, payload: Verdict | None) -> Verdict | None:
        return combine(self._signaled(flow), self._keying(flow), payload)

    def _keying(self, flow: Flow) -> Verdict | None:
        """A key exchange seen on this 5-tuple, in either direction (RFC 7983 demux)."""
        if not self.keyed:            # no flow has a keying hint: neither has this one nor its reverse
            return None
        reverse = self.tables.get(flow.transport, {}).get(reverse_key(flow.key))
        if flow.keying_hint is None and (reverse is None or reverse.keying_hint is None):
            return None
        hints = {flow.keying_hint, reverse.keying_hint if reverse is not None else None}
        if "dtls-srtp" in hints:
            return KEYING_VERDICTS["dtls-srtp"]
        if "zrtp" in hints:
            return zrtp_verdict(flow.zrtp_messages + (reverse.zrtp_messages if reverse is not None else ()))
        if "dtls" in hints:
            return KEYING_VERDICTS["dtls"]
        return None

    def _signaled(self, flow: Flow) -> Verdict | None:
        binding = flow.binding
        if binding is None:
            return None
        call = self.calls.calls.get(binding.call_id)
        if call is None:
            return None
        offer, answer = call.media_pair(binding.index, binding.leg)
        leg = call.leg_of(binding.leg) or call
        offer_from, answer_from = leg.offer.sender if leg.offer else None, leg.answer.sender if leg.answer else None
        # made once per call and m-line pair: asked on every packet of a bound stream while it decides and on every
        # RTCP packet. A Media is not changed once its SDP is parsed, so the pair is known by identity (held with
        # its verdict: an id is not reused meanwhile). One per call (~100 B): another leg's or m-line's asks anew
        held = self._signaled_by_call.get(binding.call_id)
        if held is not None and held[0] is offer and held[1] is answer and held[2] == offer_from \
                and held[3] == answer_from:
            return held[4]
        verdict = signaled_verdict(offer, answer, offer_from, answer_from)
        self._signaled_by_call[binding.call_id] = (offer, answer, offer_from, answer_from, verdict)
        return verdict

    def call_forgotten(self, call) -> None:
        """The call table let a call go: so do the verdicts its SDP gave (`_signaled`)."""
        self._signaled_by_call.pop(call.call_id, None)

    def _apply(self, flow: Flow, stream: StreamState, verdict: Verdict, ts: float) -> None:
        assurance = rests_on(verdict, stream.assurance, lambda: stream.kind == "rtp" and any(
            carries_srtcp(other) for other in neighbours(self.tables.get(flow.transport, {}), flow, 1)))
        changed = (stream.encrypted != verdict.encrypted or stream.verdict_source != verdict.source
                   or stream.keying != verdict.keying or stream.assurance != assurance)
        stream.encrypted, stream.keying = verdict.encrypted, verdict.keying
        stream.confidence, stream.evidence = verdict.confidence, verdict.evidence
        stream.verdict_source, stream.assurance = verdict.source, assurance
        if assurance == "evidence" and not verdict.verified:
            stream.confidence = max(stream.confidence, SRTCP_BESIDE)
            stream.evidence = verdict.evidence + ("rtcp: the control channel of this stream carries SRTCP E|index trailers",)
        if not stream.decided_after:
            stream.decided_after = stream.packets
        if changed or not stream.emitted:
            stream.emitted = True
            if self.rtcp_events or stream.kind == "rtp":
                self.emit(self.verdict_event(flow, stream, ts))

    def _srtcp_seen(self, flow: Flow, ts: float) -> None:
        """SRTCP arrived: an RTP stream beside it judged encrypted on uniform bytes alone is now backed."""
        for other in neighbours(self.tables.get(flow.transport, {}), flow, -1):
            rtp = other.rtp if other is not None else None
            if rtp is not None and rtp.assurance == "unverified" and rtp.payload_verdict is not None:
                self._rejudge(other, rtp, ts)

    def verdict_event(self, flow: Flow, stream: StreamState, ts: float) -> StreamVerdict:
        if stream.kind == "rtp":
            stream.codec = self.stream_codec(flow, stream)
        binding = flow.binding
        src, dst = flow.src, flow.dst
        return StreamVerdict(
            flow.stream_id(stream.kind, src, dst), src, flow.sport, dst, flow.dport, flow.transport,
            stream.kind, bool(stream.encrypted), stream.keying if stream.encrypted else None, stream.codec,
            binding.call_id if binding else None, stream.confidence, stream.all_evidence(),
            stream.first_seen, ts, stream.decided_after, stream.verdict_source or "",
            stream.kind == "rtp" and self.carries_media(flow, stream), binding.leg if binding else "")

    def codec_of(self, flow: Flow, pt: int) -> str | None:
        binding = flow.binding
        if binding is not None:
            call = self.calls.calls.get(binding.call_id)
            if call is not None:
                for media in call.media_pair(binding.index, binding.leg):
                    if media is not None and pt in media.rtpmap:
                        return media.codec_name(pt)
        return static_codec(pt)

    def stream_codec(self, flow: Flow, stream: StreamState) -> str | None:
        names = {pt: self.codec_of(flow, pt) for pt in stream.keys("pt_counts")}     # a compact stream stays compact
        audio = [pt for pt, name in names.items() if (name or "").upper() not in ("CN", "TELEPHONE-EVENT")]
        candidates = audio or list(names)
        if not candidates:
            return None
        main = max(candidates, key=stream.count_of)
        return names[main] or f"PT{main}"

    def carries_media(self, flow: Flow, stream: StreamState) -> bool:
        return any((self.codec_of(flow, pt) or "").upper() != "CN" for pt in stream.keys("pt_counts"))

    # -- signaling arrived or changed -------------------------------------------------------------
    def on_sdp(self, endpoints: list[tuple[bytes, int]], ts: float) -> None:
        """Re-bind and re-judge media flows at the addresses a new SDP announced."""
        for endpoint in endpoints:
            for flow in self.by_endpoint.get(endpoint, ()):
                if flow.last_seen < ts - REBIND_IDLE:
                    continue   # an earlier call's stream on a reused port: it keeps its call
                binding = self.calls.binding_for(*key_parts(flow.key))
                if binding is None or self._keeps_call(flow, binding):
                    continue
                flow.binding = binding
                if self.on_bound is not None:
                    self.on_bound(flow)          # its next frames take the full path: the exposure probe
                for stream in (flow.rtp, flow.rtcp):
                    if stream is not None:
                        self._rejudge(flow, stream, ts)

    def _keeps_call(self, flow: Flow, binding) -> bool:
        """A stream stays with its call while that call lives (or just ended) and a new call reuses
        the port: only a re-INVITE of the same call moves it."""
        old = flow.binding
        if old is None or old.call_id == binding.call_id:
            return False
        call = self.calls.calls.get(old.call_id)
        if call is None:
            return False
        return call.ended_at is None or flow.last_seen <= call.ended_at + CALL_END_GRACE

    def _rejudge(self, flow: Flow, stream: StreamState, ts: float) -> None:
        if stream.kind == "rtcp":
            self._apply(flow, stream, self._rtcp_verdict(flow, stream), ts)
            return
        verdict = self._judge(flow, stream.payload_verdict)
        if verdict is not None:
            self._apply(flow, stream, verdict, ts)

    def finalise(self, flow: Flow) -> None:
        """A flow ended: streams still undecided get the classifiers' judgement on what was seen."""
        for held in (flow.rtp, flow.rtcp):
            if held is not None and held.exposure and held.exposure.packets:
                self._prove(flow, held, held.last_seen)
        for stream in (flow.rtp, flow.rtcp):
            if stream is None or (stream.classifier is None and stream.encrypted is not None):
                continue
            payload = stream.classifier.decide(ended=True) if stream.classifier is not None else None
            stream.classifier = None
            stream.payload_verdict = payload
            verdict = self._judge(flow, payload) or UNDECIDED
            self._apply(flow, stream, verdict, stream.last_seen)
        for stream in (flow.rtp, flow.rtcp):
            if stream is not None:       # kept for a re-judgement, and nothing re-judges an ended stream (the
                stream.payload_verdict = None      # report keeps up to max_finished of them: ~75 B a stream)

    # -- quiet flows (memory) -----------------------------------------------------------------------
    def quiet(self, flow: Flow) -> None:
        """A media flow quiet for a while leaves the address index: `on_sdp` re-binds only flows that
        sent within REBIND_IDLE, and its next packet puts it back (`_wake`). The verdict its call's SDP
        gave (`_signaled`) goes too: asked again, it is made again (once), so a quiet call holds none
        (~80 B a call: bench.memory's idle stream)."""
        if flow.state == MEDIA:
            self.forget(flow)
            if flow.binding is not None:
                self._signaled_by_call.pop(flow.binding.call_id, None)

    def _wake(self, flow: Flow) -> None:
        flow.quiet = False
        flow.rtp, flow.rtcp = awake(flow.rtp), awake(flow.rtcp)
        for endpoint in _endpoints(flow):
            flows = self.by_endpoint.setdefault(endpoint, [])
            if flow not in flows:
                flows.append(flow)

    def forget(self, flow: Flow) -> None:
        for endpoint in _endpoints(flow):
            flows = self.by_endpoint.get(endpoint)
            if flows and flow in flows:
                flows.remove(flow)
                if not flows:
                    del self.by_endpoint[endpoint]
                    self._removed += 1
        self._removed = shrunk(self.by_endpoint, self._removed)     # ~46 B per quiet stream (bench.memory)


def _endpoints(flow: Flow) -> tuple:
    """(address, port) of both ends of the flow: its places in the media address index."""
    src, sport, dst, dport = key_parts(flow.key)
    return (src, sport), (dst, dport)


@lru_cache(maxsize=1024)
def _shape_verdict(srtcp: bool, count: int) -> Verdict:
    """An RTCP stream's verdict from the shapes of its packets: `count` of them carry an SRTCP trailer
    (`srtcp`), or parse exactly as plain RTCP. Shared between streams and packets (a Verdict is frozen)."""
    if srtcp:
        return Verdict(True, "unknown", 0.8, (f"rtcp: {count} packets carry an SRTCP E|index trailer",), "rtcp")
    return Verdict(False, None, 0.8, (f"rtcp: {count} compound packets parse exactly as plain RTCP",), "rtcp")


KEYS_FAIL_CONFIDENCE = 0.95


def _cleartext(payload: Verdict | None) -> bool:
    return payload is not None and payload.encrypted is False and payload.confidence < KEYS_FAIL_CONFIDENCE


def keys_fail(payload: Verdict, source: str) -> Verdict:
    """The packets look cleartext (a compressed codec such as G.729 shows no structure, only frame
    sizes with no room for an SRTP tag) and the keys their sender announced for this stream fail
    SRTP authentication on every one: they are not SRTP. Confident enough to overrule the SDP, which
    promised SRTP (bench/site: G.729 phones that offered SRTP and sent RTP were judged encrypted)."""
    said = f"exposure: the a=crypto keys in the {source} fail SRTP authentication on every packet"
    return Verdict(False, None, KEYS_FAIL_CONFIDENCE, payload.evidence + (said,), payload.source)
