"""Types and models every router shares: the value types of query parameters and bodies (bounded
ids, NUL-free text, times as ISO 8601 or epoch seconds), the error body, the page of a list, health."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, WithJsonSchema

from appliance.alerts import ALERT_TYPES, SEVERITIES
from appliance.store.columns import as_utc
from appliance.store.models import ALERT_STATES, ROLES, WEBHOOK_FORMATS

T = TypeVar("T")
MAX_ID = 2**63 - 1                      # BIGINT: larger ids cannot exist, so they are refused up front
NO_NUL = r"^[^\x00]*$"                  # PostgreSQL text cannot hold NUL

AlertType = Literal[ALERT_TYPES]        # type: ignore[valid-type]
Severity = Literal[SEVERITIES]          # type: ignore[valid-type]
AlertState = Literal[ALERT_STATES]      # type: ignore[valid-type]
Role = Literal[ROLES]                   # type: ignore[valid-type]
WebhookFormat = Literal[WEBHOOK_FORMATS]  # type: ignore[valid-type]


def Text(max_length: int, min_length: int = 0):  # noqa: N802  (a type factory)
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL)]


MAX_EPOCH = 253402300799                # 9999-12-31T23:59:59Z


def _moment(value):
    """ISO 8601 (RFC 3339; no zone means UTC) or seconds since the epoch, as an aware UTC datetime.
    Parsed here rather than by pydantic, which reads large numbers as milliseconds."""
    if isinstance(value, datetime):
        return _utc(value)
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
        except ValueError:
            raise ValueError("expected ISO 8601 (2025-03-01T12:00:00Z) or seconds since the epoch") from None
        return _utc(moment)
    if not 0 <= seconds <= MAX_EPOCH:
        raise ValueError(f"epoch seconds must be between 0 and {MAX_EPOCH}")
    return datetime.fromtimestamp(seconds, timezone.utc)


def _utc(moment: datetime) -> datetime:
    """In UTC; a time within a day of the calendar's ends is clamped to it rather than refused."""
    try:
        return as_utc(moment)
    except OverflowError:
        ahead = moment.utcoffset() > timedelta(0)
        return (datetime.min if ahead else datetime.max).replace(tzinfo=timezone.utc)


Moment = Annotated[datetime, BeforeValidator(_moment),
                   WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"},
                                             {"type": "number", "minimum": 0, "maximum": MAX_EPOCH}],
                                   "description": "ISO 8601, or seconds since the epoch"})]


class ErrorPublic(BaseModel):
    """Every error: a sentence saying what went wrong (`errors` lists the fields of a 422)."""
    detail: str
    errors: list[FieldError] | None = None


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="rows matching the filters, over all pages")
    limit: int
    offset: int
    next_cursor: int | None = Field(None, description="with `cursor` paging: pass as `cursor` for the next page "
                                                      "(newest row first); null on the last page")


class HealthPublic(BaseModel):
    status: Literal["ok", "unavailable", "outdated"]
    database: str = Field(description="sqlite or postgresql")
    revision: str | None = Field(description="the migration the database is at")
    head: str | None = Field(description="the newest migration this code ships")
    detail: str | None = None


ErrorPublic.model_rebuild()
