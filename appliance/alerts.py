"""The alert record (contract names), the fixed alert types, and the withdrawal of an alert."""
from __future__ import annotations

from dataclasses import dataclass, field

CLEARTEXT_MEDIA = "cleartext_media"
SDES_KEYS_EXPOSED = "sdes_keys_exposed"
SRTP_DOWNGRADE = "srtp_downgrade"
CLEARTEXT_SIGNALING = "cleartext_signaling"
WEAK_TLS = "weak_tls"
TLS_RECONNECT_STORM = "tls_reconnect_storm"
ALERT_TYPES = (CLEARTEXT_MEDIA, SDES_KEYS_EXPOSED, SRTP_DOWNGRADE, CLEARTEXT_SIGNALING, WEAK_TLS, TLS_RECONNECT_STORM)
SEVERITIES = ("critical", "high", "medium", "low", "info")


@dataclass(frozen=True, slots=True)
class Alert:
    """A finding about one endpoint that operators are told of (report, store, webhooks)."""
    type: str
    severity: str
    endpoint: str
    peer: str | None
    stream: str | None
    call_id: str | None
    summary: str
    evidence: tuple[str, ...]
    first_seen: float
    key: tuple = field(compare=False, repr=False, default=())

    def to_dict(self, device_class: str = "unknown") -> dict:
        return {"type": self.type, "severity": self.severity, "endpoint": self.endpoint, "peer": self.peer,
                "stream": self.stream, "call_id": self.call_id, "summary": self.summary,
                "evidence": list(self.evidence), "first_seen": self.first_seen, "device_class": device_class}


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """The policy takes back an alert it raised: a later verdict on its stream proved it wrong (the
    stream is encrypted after all, carries no media, or its confidence fell below the policy's), or the
    SDP a proxy's copy forwarded unchanged arrived after it (the keys are its author's). Not sent when
    the policy merely lets an old alert go to bound its memory. `alert` is the alert as it
    was raised (its key names the store's occurrence); `reason` says why, for people; `ts` is the
    traffic time of the verdict that withdrew it."""
    alert: Alert
    reason: str
    ts: float

    @property
    def key(self) -> tuple:
        return self.alert.key

    @property
    def type(self) -> str:
        return self.alert.type

    @property
    def endpoint(self) -> str:
        return self.alert.endpoint

    @property
    def stream(self) -> str | None:
        return self.alert.stream
