"""The store's tables (SQLAlchemy 2.0 typed declarative). Every row a sensor produced names that sensor.
Timestamps are aware UTC datetimes; JSON columns use the portable `JSON` type; enumerations are short
strings with a CHECK, so they read the same on SQLite and PostgreSQL and migrate without ALTER TYPE.

No secret is stored in clear: webhook secrets are Fernet-encrypted (`crypto.SecretBox`), API tokens
are kept as their SHA-256, and switch credentials are a reference to where the secret lives."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer,
                        LargeBinary, MetaData, String, Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from appliance.store.columns import Id, UTCDateTime, utcnow
from appliance.store.names import ROLES, WEBHOOK_FORMATS

NAMING = {"ix": "ix_%(table_name)s_%(column_0_N_name)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s", "pk": "pk_%(table_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
ALERT_STATES = ("open", "acknowledged", "resolved")
DELIVERY_STATES = ("pending", "delivered", "failed")
SPAN_STATES = ("planned", "applied", "removed", "failed")
IP = String(45)


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=column)


def _sensor() -> Mapped[str]:
    return mapped_column(String(64), ForeignKey("sensors.id", ondelete="CASCADE"), index=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict: JSON, list: JSON}


class Sensor(Base):
    __tablename__ = "sensors"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    packets: Mapped[int] = mapped_column(BigInteger, default=0)
    drops: Mapped[int] = mapped_column(BigInteger, default=0)


class Endpoint(Base):
    """An IP endpoint: what it is (inventory) and how it protects itself (posture)."""
    __tablename__ = "endpoints"
    __table_args__ = (UniqueConstraint("sensor_id", "ip"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sensor_id: Mapped[str] = _sensor()
    ip: Mapped[str] = mapped_column(IP)
    mac: Mapped[str | None] = mapped_column(String(17))
    vendor: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    firmware: Mapped[str | None] = mapped_column(String(100))
    device_class: Mapped[str] = mapped_column(String(20), default="unknown")
    user_agent: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list] = mapped_column(default=list)
    signaling_tls: Mapped[bool | None] = mapped_column(Boolean)
    media_srtp: Mapped[bool | None] = mapped_column(Boolean)
    keying: Mapped[str | None] = mapped_column(String(20))
    certificate_state: Mapped[str | None] = mapped_column(String(200))
    last_cleartext_media: Mapped[datetime | None]
    vlan: Mapped[int | None] = mapped_column(Integer)        # 802.1Q VLAN of its frames; None: untagged or unseen
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class Call(Base):
    """A SIP call by Call-ID. From/To are stored as seen; masking is the reader's business."""
    __tablename__ = "calls"
    __table_args__ = (UniqueConstraint("sensor_id", "call_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sensor_id: Mapped[str] = _sensor()
    call_id: Mapped[str] = mapped_column(Text)
    from_uri: Mapped[str | None] = mapped_column(Text)
    to_uri: Mapped[str | None] = mapped_column(Text)
    signaling_transport: Mapped[str | None] = mapped_column(String(8))
    offer: Mapped[str | None] = mapped_column(String(40))
    answer: Mapped[str | None] = mapped_column(String(40))
    media_encrypted: Mapped[bool | None] = mapped_column(Boolean)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Stream(Base):
    """One unidirectional RTP or RTCP flow (contract `streams[]`), `stream_id` as the collector names it."""
    __tablename__ = "streams"
    __table_args__ = (UniqueConstraint("sensor_id", "stream_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sensor_id: Mapped[str] = _sensor()
    stream_id: Mapped[str] = mapped_column(String(200))
    src: Mapped[str] = mapped_column(IP)
    src_port: Mapped[int]
    dst: Mapped[str] = mapped_column(IP)
    dst_port: Mapped[int]
    transport: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))
    encrypted: Mapped[bool | None] = mapped_column(Boolean)
    keying: Mapped[str | None] = mapped_column(String(20))
    codec: Mapped[str | None] = mapped_column(String(40))
    payload_types: Mapped[list] = mapped_column(default=list)
    ssrcs: Mapped[list] = mapped_column(default=list)
    packets: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    call_id: Mapped[str | None] = mapped_column(Text, index=True)
    confidence: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[list] = mapped_column(default=list)
    verdict_source: Mapped[str | None] = mapped_column(String(40))
    packets_to_verdict: Mapped[int | None] = mapped_column(Integer)
    frames: Mapped[list[EvidencePacket]] = relationship(back_populates="stream", passive_deletes=True,
                                                        order_by="EvidencePacket.seq")


class SignalingSession(Base):
    """A SIP conversation client -> server over one transport (contract `signaling[]`)."""
    __tablename__ = "signaling_sessions"
    __table_args__ = (UniqueConstraint("sensor_id", "transport", "client", "client_port", "server", "server_port",
                                       name="uq_signaling_sessions_conversation"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sensor_id: Mapped[str] = _sensor()
    transport: Mapped[str] = mapped_column(String(8))
    client: Mapped[str] = mapped_column(IP)
    client_port: Mapped[int]
    server: Mapped[str] = mapped_column(IP)
    server_port: Mapped[int]
    tls: Mapped[dict | None]
    user_agents: Mapped[list] = mapped_column(default=list)
    call_ids: Mapped[list] = mapped_column(default=list)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Alert(Base):
    """An incident: one per sensor and identity (`incidents.identity`: endpoint and type, plus the server
    for cleartext signaling or the cause where a type has several), with its lifecycle. Each offending
    stream or call is an `Occurrence`; `count` is how many. Type, peer, stream, call, summary and
    evidence are those of the latest occurrence; severity is the worst seen. Times are traffic times;
    `recorded_at` is when the store last wrote an occurrence (the import time of imported traffic)."""
    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("sensor_id", "dedup_key"), _one_of("state", ALERT_STATES),
                      Index(None, "state", "last_seen"),
                      Index(None, "state", "severity", "type"))     # the list's filters: counts from the index
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sensor_id: Mapped[str] = _sensor()
    type: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    endpoint: Mapped[str] = mapped_column(IP, index=True)
    peer: Mapped[str | None] = mapped_column(IP)
    stream: Mapped[str | None] = mapped_column(String(200))
    call_id: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list] = mapped_column(default=list)
    device_class: Mapped[str] = mapped_column(String(20), default="unknown")
    dedup_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="open")
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=1)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None]
    resolved_reason: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    last_notified_at: Mapped[datetime | None]
    recorded_at: Mapped[datetime | None]
    occurrences: Mapped[list[Occurrence]] = relationship(back_populates="alert", passive_deletes=True,
                                                         order_by="Occurrence.id")


class Occurrence(Base):
    """One offending stream, call or signaling session of an incident, with its own evidence and times.
    `key` is the policy's per-stream identity (the old per-alert dedup key)."""
    __tablename__ = "alert_occurrences"
    __table_args__ = (Index(None, "alert_id", "key"), Index(None, "first_seen"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    alert_id: Mapped[int] = mapped_column(Id, ForeignKey("alerts.id", ondelete="CASCADE"))
    sensor_id: Mapped[str] = _sensor()
    key: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(10))
    peer: Mapped[str | None] = mapped_column(IP)
    stream: Mapped[str | None] = mapped_column(String(200))
    call_id: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list] = mapped_column(default=list)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    alert: Mapped[Alert] = relationship(back_populates="occurrences")


class AlertEvent(Base):
    """An incident's history: opened, acknowledged, resolved (by whom, or automatically and why),
    reopened, escalated (severity)."""
    __tablename__ = "alert_events"
    __table_args__ = (Index(None, "alert_id", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    alert_id: Mapped[int] = mapped_column(Id, ForeignKey("alerts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    event: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(Text)


class AlertComment(Base):
    """A comment on an alert, kept with the others: a new comment is added, never written over one."""
    __tablename__ = "alert_comments"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    alert_id: Mapped[int] = mapped_column(Id, ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(Text)


class EvidencePacket(Base):
    """A captured frame kept as evidence (pcap download), tied to a stream or directly to an alert."""
    __tablename__ = "evidence_packets"
    __table_args__ = (CheckConstraint("stream_row_id IS NOT NULL OR alert_id IS NOT NULL", name="owner"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sensor_id: Mapped[str] = _sensor()
    stream_row_id: Mapped[int | None] = mapped_column(Id, ForeignKey("streams.id", ondelete="CASCADE"), index=True)
    alert_id: Mapped[int | None] = mapped_column(Id, ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    ts: Mapped[datetime]
    linktype: Mapped[int] = mapped_column(Integer)
    frame: Mapped[bytes] = mapped_column(LargeBinary)
    stream: Mapped[Stream | None] = relationship(back_populates="frames")


class Switch(Base):
    """A switch the appliance may configure SPAN on. `credential_ref` and `secret_ref` name where the
    password (or key file) and the enable secret live (`env:APPLIANCE_SWITCH_CORE1_PASSWORD`,
    `keyfile:/var/lib/appliance/switch-credentials/core1`), never the secret itself
    (appliance.switches.credentials)."""
    __tablename__ = "switches"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    device_type: Mapped[str] = mapped_column(String(60))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=22)
    username: Mapped[str | None] = mapped_column(String(100))
    credential_ref: Mapped[str | None] = mapped_column(String(200))
    secret_ref: Mapped[str | None] = mapped_column(String(200))
    session_number: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpanSession(Base):
    __tablename__ = "span_sessions"
    __table_args__ = (UniqueConstraint("switch_id", "name"), _one_of("state", SPAN_STATES))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    switch_id: Mapped[int] = mapped_column(Id, ForeignKey("switches.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    sources: Mapped[list] = mapped_column(default=list)
    source_vlans: Mapped[list | None] = mapped_column(default=list)
    destination: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="planned")
    applied_by: Mapped[str | None] = mapped_column(String(100))
    applied_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    verified_ok: Mapped[bool | None] = mapped_column(Boolean)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    switch: Mapped[Switch] = relationship()


class SpanAction(Base):
    """The audit trail of SPAN control: who did what to which switch, when, and how it ended."""
    __tablename__ = "span_actions"
    __table_args__ = (Index("ix_span_actions_switch_name_at", "switch_name", "at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    switch_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    session: Mapped[dict | None] = mapped_column()
    detail: Mapped[str | None] = mapped_column(Text)


class Webhook(Base):
    """A webhook target; its signing secret is Fernet ciphertext (`crypto.SecretBox`)."""
    __tablename__ = "webhooks"
    __table_args__ = (_one_of("format", WEBHOOK_FORMATS),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16), default="generic")
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """Transactional outbox: written with the alert, sent later by the dispatcher."""
    __tablename__ = "deliveries"
    __table_args__ = (_one_of("state", DELIVERY_STATES), Index(None, "state", "next_attempt_at"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(Id, ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    alert_id: Mapped[int] = mapped_column(Id, ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict]
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    webhook: Mapped[Webhook] = relationship()
    alert: Mapped[Alert] = relationship()


class ApiToken(Base):
    """An API token: only its SHA-256 is kept; `prefix` (its first characters) identifies it in lists."""
    __tablename__ = "api_tokens"
    __table_args__ = (_one_of("role", ROLES),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who changed what, when, through which door (api, cli): the state before and after, secrets
    redacted (`audit.snapshot`). Written in the same transaction as the change it records."""
    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "target", "at"), Index(None, "actor", "at"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    via: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict | None] = mapped_column()
    after: Mapped[dict | None] = mapped_column()


class Counter(Base):
    """A cumulative count kept by the store (`appliance.store.counters`), so a metric survives
    retention purges and restarts and reads the same from every process: `name` is the metric,
    `labels` its labels as canonical JSON (sorted keys), `value` only ever grows."""
    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    labels: Mapped[str] = mapped_column(String(500), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
