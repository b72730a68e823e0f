"""Media streams (contract `streams[]`), most recently seen first."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.auth import Viewer
from api.deps import ReadSessionDep
from api.routes import AUTH, NOT_FOUND, RowId
from api.schemas import MAX_ID, Moment, Page, StreamPublic, Text
from appliance.store import queries

router = APIRouter(prefix="/streams", tags=["inventory"], responses=AUTH)


@router.get("", summary="List streams")
def list_streams(
    session: ReadSessionDep, _: Viewer,
    sensor: Annotated[Text(64), Query()] = None,
    endpoint: Annotated[Text(45), Query(description="an IP on either side")] = None,
    call_id: Annotated[Text(1000), Query()] = None,
    kind: Annotated[Literal["rtp", "rtcp"], Query()] = None,
    encrypted: Annotated[bool, Query(description="the verdict")] = None,
    since: Annotated[Moment, Query(description="last seen at or after")] = None,
    until: Annotated[Moment, Query(description="first seen at or before")] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    cursor: Annotated[int, Query(ge=0, le=MAX_ID, description="keyset paging, newest row first: 0 for the first "
                                 "page, then the previous page's `next_cursor`")] = None,
) -> Page[StreamPublic]:
    page = queries.list_streams(session, sensor=sensor, endpoint=endpoint, call_id=call_id, kind=kind,
                                encrypted=encrypted, since=since, until=until, limit=limit, offset=offset,
                                after=cursor)
    return Page[StreamPublic](items=[StreamPublic.from_row(row) for row in page.items], total=page.total,
                              limit=limit, offset=offset, next_cursor=page.next_cursor)


@router.get("/{row_id}", responses=NOT_FOUND, summary="One stream, by its row_id")
def get_stream(row_id: RowId, session: ReadSessionDep, _: Viewer) -> StreamPublic:
    return StreamPublic.from_row(queries.get_stream(session, row_id))
