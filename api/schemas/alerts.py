"""Alerts are incidents (one per phone and cause): the contract's alert fields (CONTRACT.md) of the
latest occurrence, plus the incident's identity, occurrence count, lifecycle and history."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.alert_rows import ALERT_COLUMNS, OCCURRENCE_COLUMNS, alert_fields, occurrence_fields, values_of
from api.schemas.common import AlertState, Text
from appliance.store.columns import to_epoch


class OccurrencePublic(BaseModel):
    """One offending stream, call or signaling session of an incident; times are traffic times,
    `recorded_at` when the store wrote it (the import time of imported traffic)."""
    id: int
    alert_id: int
    sensor: str
    severity: str
    peer: str | None
    stream: str | None
    call_id: str | None
    summary: str
    evidence: list[str]
    first_seen: float
    last_seen: float
    recorded_at: float

    @classmethod
    def from_row(cls, row) -> OccurrencePublic:
        return cls(**occurrence_fields(values_of(row, OCCURRENCE_COLUMNS)))


class OccurrencePage(BaseModel):
    items: list[OccurrencePublic]
    total: int = Field(description="occurrences matching the filters, over all pages")
    next_cursor: int | None = Field(description="pass as `cursor` for the next page; null on the last page")


class AlertEventPublic(BaseModel):
    """One step of an incident's history: opened, acknowledged, resolved, reopened, escalated, withdrawn
    (the sensor took one of its occurrences back: the finding was proved wrong)."""
    event: str
    at: float
    actor: str | None = Field(description="who did it; null when the appliance did (e.g. auto-resolve), "
                                          "\"sensor\" when the sensor withdrew its finding")
    detail: str | None

    @classmethod
    def from_row(cls, row) -> AlertEventPublic:
        return cls(event=row.event, at=to_epoch(row.at), actor=row.actor, detail=row.detail)


class AlertPublic(BaseModel):
    id: int
    sensor: str
    type: str
    severity: str
    endpoint: str
    peer: str | None
    stream: str | None
    call_id: str | None
    summary: str
    evidence: list[str]
    device_class: str
    state: AlertState
    count: int
    first_seen: float
    last_seen: float
    acknowledged_by: str | None
    acknowledged_at: float | None
    resolved_by: str | None
    resolved_at: float | None
    comment: str | None
    resolved_reason: str | None = Field(None, description="why it resolved (e.g. auto: only SRTP media ...)")
    recorded_at: float | None = Field(None, description="when the store last wrote an occurrence")
    occurrences: int = Field(0, description="offending streams/calls counted on this incident (= count)")
    latest_occurrence: OccurrencePublic | None = None

    @classmethod
    def from_row(cls, row, latest=None) -> AlertPublic:
        return cls(**alert_fields(values_of(row, ALERT_COLUMNS),
                                  None if latest is None else values_of(latest, OCCURRENCE_COLUMNS)))


class CommentPublic(BaseModel):
    author: str
    at: float
    text: str

    @classmethod
    def from_row(cls, row) -> "CommentPublic":
        return cls(author=row.author, at=to_epoch(row.at), text=row.text)


class AlertDetail(AlertPublic):
    """One alert with every comment made on it, oldest first (`comment` is the latest)."""
    comments: list[CommentPublic]

    @classmethod
    def with_comments(cls, row, comments, latest=None) -> "AlertDetail":
        return cls(**AlertPublic.from_row(row, latest).model_dump(),
                   comments=[CommentPublic.from_row(c) for c in comments])


class AlertPage(BaseModel):
    items: list[AlertPublic]
    total: int = Field(description="alerts matching the filters, over all pages")
    next_cursor: int | None = Field(description="pass as `cursor` for the next page; null on the last page")


class AlertAction(BaseModel):
    """Body of ack/resolve; a comment is added to the alert's comments (none is ever replaced)."""
    model_config = ConfigDict(extra="forbid")
    comment: Text(2000) | None = None
