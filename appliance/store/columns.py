"""Column types shared by the models and the migrations: timezone-aware UTC timestamps that round-trip
on SQLite (which stores no zone) and PostgreSQL (timestamptz), and integer keys that autoincrement on
both (SQLite only does so for a column declared INTEGER)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

UTC = timezone.utc
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out. A naive datetime given to the store is taken as UTC."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def from_epoch(seconds: float | None) -> datetime | None:
    """A capture timestamp (seconds since the epoch) as an aware UTC datetime."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def to_epoch(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is UTC:            # what the store hands back: already in UTC, as_utc would change nothing
        return moment.timestamp()
    return as_utc(moment).timestamp()
