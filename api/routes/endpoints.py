"""Endpoints (IP addresses) with what they are and their security posture."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import Viewer
from api.deps import ReadSessionDep
from api.routes import AUTH, NOT_FOUND, RowId
from api.schemas import MAX_ID, EndpointPublic, Moment, Page, Text
from api.schemas.endpoint_rows import COLUMNS, page_json
from appliance.store import queries

router = APIRouter(prefix="/endpoints", tags=["inventory"], responses=AUTH)


@router.get("", response_model=Page[EndpointPublic], summary="List endpoints with their posture")
def list_endpoints(
    session: ReadSessionDep, _: Viewer,
    sensor: Annotated[Text(64), Query()] = None,
    ip: Annotated[Text(45), Query()] = None,
    device_class: Annotated[list[Text(20)], Query(description="repeat for several")] = None,
    media_srtp: Annotated[bool, Query(description="false: seen sending cleartext media")] = None,
    signaling_tls: Annotated[bool, Query()] = None,
    since: Annotated[Moment, Query(description="last seen at or after")] = None,
    until: Annotated[Moment, Query(description="first seen at or before")] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    cursor: Annotated[int, Query(ge=0, le=MAX_ID, description="keyset paging, newest row first: 0 for the first "
                                 "page, then the previous page's `next_cursor`")] = None,
) -> Response:
    # a Page[EndpointPublic], its JSON made from the store's rows directly (`endpoint_rows.page_json`), since
    # NOC tools poll the list (a docstring would show in the OpenAPI document)
    page = queries.list_endpoints(session, sensor=sensor, ip=ip, device_class=device_class, media_srtp=media_srtp,
                                  signaling_tls=signaling_tls, since=since, until=until, limit=limit, offset=offset,
                                  after=cursor, columns=COLUMNS)
    return Response(page_json(page, limit, offset), media_type="application/json")


@router.get("/{row_id}", responses=NOT_FOUND, summary="One endpoint")
def get_endpoint(row_id: RowId, session: ReadSessionDep, _: Viewer) -> EndpointPublic:
    return EndpointPublic.from_row(queries.get_endpoint(session, row_id))
