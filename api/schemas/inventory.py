"""What the sensors saw: streams (the contract's `streams[]` names), calls, endpoints, sensors."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.alert_rows import values_of
from api.schemas.endpoint_rows import COLUMNS as ENDPOINT_COLUMNS, endpoint_fields
from appliance.store.columns import to_epoch


class StreamPublic(BaseModel):
    """A unidirectional media flow: the contract's `streams[]` entry (`id` is the collector's stream id),
    with `row_id` (the id in this API's URLs) and the sensor that saw it."""
    row_id: int
    sensor: str
    id: str
    src: str
    src_port: int
    dst: str
    dst_port: int
    transport: str
    kind: str
    encrypted: bool | None
    keying: str | None
    ssrcs: list[int]
    payload_types: list[int]
    codec: str | None
    packets: int
    bytes: int
    first_seen: float
    last_seen: float
    call_id: str | None
    confidence: float | None
    evidence: list[str]
    verdict_source: str | None
    packets_to_verdict: int | None

    @classmethod
    def from_row(cls, row) -> StreamPublic:
        return cls(row_id=row.id, sensor=row.sensor_id, id=row.stream_id, src=row.src, src_port=row.src_port,
                   dst=row.dst, dst_port=row.dst_port, transport=row.transport, kind=row.kind,
                   encrypted=row.encrypted, keying=row.keying, ssrcs=list(row.ssrcs or []),
                   payload_types=list(row.payload_types or []), codec=row.codec, packets=row.packets,
                   bytes=row.bytes, first_seen=to_epoch(row.first_seen), last_seen=to_epoch(row.last_seen),
                   call_id=row.call_id, confidence=row.confidence, evidence=list(row.evidence or []),
                   verdict_source=row.verdict_source, packets_to_verdict=row.packets_to_verdict)


class CallPublic(BaseModel):
    """A SIP call (contract `calls[]`; `from` is a keyword in Python, hence the alias)."""
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
    id: int
    sensor: str
    call_id: str
    from_: str | None = Field(alias="from")
    to: str | None
    signaling_transport: str | None
    offer: str | None
    answer: str | None
    media_encrypted: bool | None
    first_seen: float
    last_seen: float

    @classmethod
    def fields_of(cls, row) -> dict:
        return dict(id=row.id, sensor=row.sensor_id, call_id=row.call_id, from_=row.from_uri, to=row.to_uri,
                    signaling_transport=row.signaling_transport, offer=row.offer, answer=row.answer,
                    media_encrypted=row.media_encrypted, first_seen=to_epoch(row.first_seen),
                    last_seen=to_epoch(row.last_seen))

    @classmethod
    def from_row(cls, row) -> CallPublic:
        return cls(**cls.fields_of(row))


class CallDetailPublic(CallPublic):
    streams: list[str] = Field(description="the collector's ids of the call's streams")


class PosturePublic(BaseModel):
    signaling_tls: bool | None
    media_srtp: bool | None
    keying: str | None
    certificate_state: str | None
    last_cleartext_media: float | None


class EndpointPublic(BaseModel):
    id: int
    sensor: str
    ip: str
    mac: str | None
    vlan: int | None = Field(description="the 802.1Q VLAN id of its frames; null when untagged or not seen")
    vendor: str | None
    model: str | None
    firmware: str | None
    user_agent: str | None
    device_class: str
    evidence: list[str]
    posture: PosturePublic
    first_seen: float
    last_seen: float

    @classmethod
    def from_row(cls, row) -> EndpointPublic:
        return cls.model_validate(endpoint_fields(values_of(row, ENDPOINT_COLUMNS)))   # as the list's rows


class SensorPublic(BaseModel):
    id: str
    name: str | None
    packets: int
    drops: int
    first_seen: float
    last_seen: float

    @classmethod
    def from_row(cls, row) -> SensorPublic:
        return cls(id=row.id, name=row.name, packets=row.packets, drops=row.drops,
                   first_seen=to_epoch(row.first_seen), last_seen=to_epoch(row.last_seen))
