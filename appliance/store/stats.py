"""Aggregates for charts: media (RTP) streams over time, split by verdict — encrypted, cleartext,
or not yet decided. A stream counts in the bucket of its first packet. Bucketing is done in SQL, so
the rows never leave the database; the epoch expression differs between SQLite (naive UTC text) and
PostgreSQL (timestamptz)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session

from appliance.store.columns import to_epoch
from appliance.store.models import Stream

MAX_BUCKETS = 500


@dataclass
class MediaBucket:
    start: float
    encrypted: int = 0
    cleartext: int = 0
    unknown: int = 0
    encrypted_packets: int = 0
    cleartext_packets: int = 0


@dataclass
class MediaSeries:
    start: float | None                 # None: no media streams in the window
    end: float | None
    bucket_seconds: float
    buckets: list[MediaBucket] = field(default_factory=list)


def _epoch(session: Session, column):
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return func.extract("epoch", column)


def media_over_time(session: Session, *, since: datetime | None = None, until: datetime | None = None,
                    buckets: int = 48, sensor: str | None = None) -> MediaSeries:
    """RTP streams per time bucket by verdict. Without `since`/`until` the window is the span of the
    streams' first packets (recorded captures are not from today)."""
    buckets = max(1, min(int(buckets), MAX_BUCKETS))
    where = [Stream.kind == "rtp"]
    if sensor is not None:
        where.append(Stream.sensor_id == sensor)
    if since is not None:
        where.append(Stream.first_seen >= since)
    if until is not None:
        where.append(Stream.first_seen <= until)
    low, high = session.execute(select(func.min(Stream.first_seen), func.max(Stream.first_seen)).where(*where)).one()
    start = to_epoch(since) if since is not None else to_epoch(low)
    end = to_epoch(until) if until is not None else to_epoch(high)
    if start is None or end is None:
        return MediaSeries(None, None, 0.0)
    width = max((end - start) / buckets, 1.0)
    series = MediaSeries(start, start + width * buckets, width,
                         [MediaBucket(start + n * width) for n in range(buckets)])
    epoch = _epoch(session, Stream.first_seen)
    index = cast((epoch - start) / width, Integer) if session.get_bind().dialect.name == "sqlite" \
        else cast(func.floor((epoch - start) / width), Integer)
    verdict = case((Stream.encrypted.is_(True), "encrypted"), (Stream.encrypted.is_(False), "cleartext"),
                   else_="unknown")
    rows = session.execute(select(index.label("n"), verdict.label("v"), func.count(), func.sum(Stream.packets))
                           .where(*where).group_by("n", "v"))
    for n, kind, count, packets in rows:
        bucket = series.buckets[min(max(int(n or 0), 0), buckets - 1)]     # the last instant falls in the last
        setattr(bucket, kind, getattr(bucket, kind) + count)
        if kind != "unknown":
            name = f"{kind}_packets"
            setattr(bucket, name, getattr(bucket, name) + int(packets or 0))
    return series


__all__ = ["MediaBucket", "MediaSeries", "media_over_time"]
