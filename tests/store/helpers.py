"""Building blocks for store tests: policy alerts and a fixed clock."""
from __future__ import annotations

from datetime import datetime, timezone

from appliance.alerts import Alert

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc).timestamp()


def policy_alert(type: str = "cleartext_media", endpoint: str = "10.0.0.1", *, peer: str | None = "10.0.0.2",
                 stream: str | None = None, call_id: str | None = None, severity: str = "high",
                 first_seen: float = T0, summary: str = "cleartext RTP", evidence=("payload: PCMU",),
                 key: tuple | None = None) -> Alert:
    stream = stream if stream is not None else f"udp:{endpoint}:4000-{peer}:5000/rtp"
    return Alert(type, severity, endpoint, peer, stream, call_id, summary, tuple(evidence), first_seen,
                 key or (type, stream))


class Clock:
    def __init__(self, now: float = T0 + 60):
        self.now = now

    def __call__(self) -> float:
        return self.now
