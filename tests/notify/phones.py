"""A misconfigured phone for incident tests: its calls as the collector decides them, fed through the
policy and the recorder as a live sensor would."""
from __future__ import annotations

from appliance.policy import Policy
from appliance.store.incidents import IncidentSettings
from appliance.store.recorder import Recorder
from collectors.events import SignalingObserved, StreamVerdict
from tests.store.helpers import Clock

PHONE, PBX = "10.20.0.15", "10.20.0.1"


class Phone:
    """Calls from PHONE to the PBX, each one RTP stream decided by the collector, through policy and
    recorder as a live sensor would feed them."""

    def __init__(self, store, clock: Clock, settings: IncidentSettings):
        self.recorder = Recorder(store, "sensor-1", clock=clock, incident_settings=settings)
        self.policy = Policy(on_alert=lambda alert: self.recorder.alert(alert, "hard_phone"))
        self.clock, self.calls = clock, 0

    def call(self, at: float, encrypted: bool, call_id: bool = True) -> None:
        self.calls += 1
        port = 20000 + 2 * self.calls
        verdict = StreamVerdict(
            f"udp:{PHONE}:{port}-{PBX}:30000/rtp", PHONE, port, PBX, 30000, "udp", "rtp", encrypted,
            "sdes" if encrypted else None, "PCMU", f"call-{self.calls}@{PHONE}" if call_id else None, 0.95,
            ("payload: G.711 amplitude distribution",) if not encrypted else ("sdp: RTP/SAVP",),
            at, at + 1, 12, "payload", True)
        self.clock.now = at + 5                 # the store writes a little after the traffic
        for consumer in (self.recorder.observe, self.policy.observe):
            consumer(verdict)


    def register(self, at: float, transport: str = "udp") -> None:
        """SIP from the phone to the PBX over `transport`."""
        self.clock.now = at + 5
        event = SignalingObserved(transport, PHONE, 5060, PBX, 5060, at, "Yealink SIP-T46S")
        for consumer in (self.recorder.observe, self.policy.observe):
            consumer(event)
