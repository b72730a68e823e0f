"""SIP calls (contract `calls[]`), most recently seen first; one call lists its streams."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Viewer
from api.deps import ReadSessionDep
from api.routes import AUTH, NOT_FOUND, RowId
from api.schemas import MAX_ID, CallDetailPublic, CallPublic, Moment, Page, Text
from appliance.store import queries

router = APIRouter(prefix="/calls", tags=["inventory"], responses=AUTH)


@router.get("", summary="List calls")
def list_calls(
    session: ReadSessionDep, _: Viewer,
    sensor: Annotated[Text(64), Query()] = None,
    media_encrypted: Annotated[bool, Query()] = None,
    since: Annotated[Moment, Query(description="last seen at or after")] = None,
    until: Annotated[Moment, Query(description="first seen at or before")] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    cursor: Annotated[int, Query(ge=0, le=MAX_ID, description="keyset paging, newest row first: 0 for the first "
                                 "page, then the previous page's `next_cursor`")] = None,
) -> Page[CallPublic]:
    page = queries.list_calls(session, sensor=sensor, media_encrypted=media_encrypted, since=since, until=until,
                              limit=limit, offset=offset, after=cursor)
    return Page[CallPublic](items=[CallPublic.from_row(row) for row in page.items], total=page.total,
                            limit=limit, offset=offset, next_cursor=page.next_cursor)


@router.get("/{row_id}", responses=NOT_FOUND, summary="One call with its streams")
def get_call(row_id: RowId, session: ReadSessionDep, _: Viewer) -> CallDetailPublic:
    row = queries.get_call(session, row_id)
    streams = queries.list_streams(session, sensor=row.sensor_id, call_id=row.call_id, limit=queries.MAX_LIMIT)
    return CallDetailPublic(**CallPublic.fields_of(row), streams=[s.stream_id for s in streams.items])
