"""Read-only aggregates for the dashboard's charts: media streams over time, encrypted vs cleartext."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.auth import Viewer
from api.deps import ReadSessionDep
from api.routes import AUTH
from api.schemas import Moment, Text
from appliance.store import stats

router = APIRouter(prefix="/stats", tags=["stats"], responses=AUTH)


class MediaBucketPublic(BaseModel):
    start: float = Field(description="the bucket's start, seconds since the epoch")
    encrypted: int = Field(description="RTP streams judged encrypted whose first packet fell in the bucket")
    cleartext: int = Field(description="RTP streams judged cleartext")
    unknown: int = Field(description="RTP streams without a verdict yet")
    encrypted_packets: int
    cleartext_packets: int


class MediaSeriesPublic(BaseModel):
    start: float | None = Field(description="the window's start; null when there are no media streams")
    end: float | None
    bucket_seconds: float
    buckets: list[MediaBucketPublic]


@router.get("/media", summary="Encrypted vs cleartext media streams over time")
def media(session: ReadSessionDep, _: Viewer,
          since: Annotated[Moment, Query(description="first packet at or after (default: the oldest stream)")] = None,
          until: Annotated[Moment, Query(description="first packet at or before (default: the newest stream)")] = None,
          buckets: Annotated[int, Query(ge=1, le=stats.MAX_BUCKETS)] = 48,
          sensor: Annotated[Text(64), Query()] = None) -> MediaSeriesPublic:
    series = stats.media_over_time(session, since=since, until=until, buckets=buckets, sensor=sensor)
    return MediaSeriesPublic(start=series.start, end=series.end, bucket_seconds=series.bucket_seconds,
                             buckets=[MediaBucketPublic(**vars(b)) for b in series.buckets])
